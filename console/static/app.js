// Small progressive enhancements; every page works without JavaScript.
document.addEventListener('click', function (e) {
  var um = document.querySelector('.user-menu');
  if (um) {
    if (um.contains(e.target) && e.target.closest('.user-menu > button')) {
      um.classList.toggle('open');
    } else if (!um.contains(e.target)) {
      um.classList.remove('open');
    }
  }
  var opener = e.target.closest('[data-open]');
  if (opener) {
    var d = document.getElementById(opener.getAttribute('data-open'));
    if (d && d.showModal) { e.preventDefault(); d.showModal(); }
  }
  var closer = e.target.closest('[data-close]');
  if (closer) { var dlg = closer.closest('dialog'); if (dlg) dlg.close(); }
});
// Forms with data-confirm ask before submitting (delete, cancel account…).
document.addEventListener('submit', function (e) {
  var msg = e.target.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
// Dropdown menus (导入/导出, 选择列).
document.addEventListener('click', function (e) {
  var t = e.target.closest('[data-toggle]');
  document.querySelectorAll('.dropdown.open').forEach(function (d) { if (!t || d !== t.parentNode) d.classList.remove('open'); });
  if (t) { t.parentNode.classList.toggle('open'); }
});
// Select all rows (manual 图 13).
document.addEventListener('change', function (e) {
  if (e.target.id === 'select-all') {
    document.querySelectorAll('input[name=ids]').forEach(function (c) { c.checked = e.target.checked; });
  }
});
// Column chooser (manual 图 15), remembered per browser.
(function () {
  var table = document.querySelector('table[data-table]');
  if (!table) return;
  var key = 'qj.cols.' + table.getAttribute('data-table');
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) {}
  function apply(col, show) {
    table.querySelectorAll('.col-' + col).forEach(function (c) { c.classList.toggle('hidden-col', !show); });
  }
  document.querySelectorAll('input[data-col]').forEach(function (box) {
    var col = box.getAttribute('data-col');
    if (saved && col in saved) box.checked = saved[col];
    apply(col, box.checked);
    box.addEventListener('change', function () {
      apply(col, box.checked);
      var state = {};
      document.querySelectorAll('input[data-col]').forEach(function (b) { state[b.getAttribute('data-col')] = b.checked; });
      try { localStorage.setItem(key, JSON.stringify(state)); } catch (e) {}
    });
  });
})();
// Batch buttons need a selection and ask before acting.
document.addEventListener('click', function (e) {
  var b = e.target.closest('[data-confirm-selected]');
  if (!b) return;
  var n = document.querySelectorAll('input[name=ids]:checked').length;
  if (n === 0) { e.preventDefault(); alert('请先勾选仪器'); return; }
  var msg = b.getAttribute('data-confirm-selected');
  if (msg && !confirm(msg.replace('选中的', '选中的 ' + n + ' 台'))) e.preventDefault();
});
// Add a row to a table of inputs (加油枪).
document.addEventListener('click', function (e) {
  var b = e.target.closest('[data-add-row]');
  if (!b) return;
  var tbody = document.querySelector('#' + b.getAttribute('data-add-row') + ' tbody');
  var last = tbody.querySelector('tr:last-child');
  var row = last.cloneNode(true);
  row.querySelectorAll('input').forEach(function (i) { i.value = ''; });
  tbody.appendChild(row);
});
