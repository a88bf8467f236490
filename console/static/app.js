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
