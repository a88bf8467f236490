// Runs a menu action (utils/menus.js ACTIONS) on selected ids: confirm,
// call the API, report what happened. Resolves true when the list should be
// reloaded.
const { api } = require('./request')
const { ACTIONS } = require('./menus')
const wxp = require('./wxp')

const BATCH = { stop: 'stop', enable: 'enable', scrap: 'scrap', delete: 'delete' }
const MAX_LISTED_FAILURES = 8

// The pending-list calls answer only what failed; the rest was done.
function withDone(res, ids) {
  const failed = (res && res.failed) || []
  return { done: typeof (res && res.done) === 'number' ? res.done : ids.length - failed.length, failed }
}

function fill(template, n) {
  return String(template).replace('{n}', n)
}

// Shows a batch result {done, failed:[{id,label,message}]}: a toast when
// everything worked, otherwise a dialog naming each instrument that did not
// change and why, so nothing fails unnoticed.
function showBatchResult(key, res) {
  const a = ACTIONS[key] || { done: '已完成 {n} 项', failed: '未能完成' }
  const unit = a.unit || '台仪器'
  const failed = (res && res.failed) || []
  const done = (res && res.done) || 0
  if (!failed.length) {
    wxp.toast(fill(a.done, done))
    return
  }
  const lines = failed.slice(0, MAX_LISTED_FAILURES).map(f => `${f.label || f.id}：${f.message || '未知原因'}`)
  if (failed.length > MAX_LISTED_FAILURES) lines.push(`……共 ${failed.length} 项`)
  const head = done ? fill(a.done, done) + '。\n' : ''
  wx.showModal({
    title: `${failed.length} ${unit}${a.failed}`,
    content: head + lines.join('\n'),
    showCancel: false,
    confirmText: '知道了',
  })
}

// Bookings are cancelled one by one (there is no batch endpoint); the
// result is gathered into the batch shape so it is reported the same way.
async function cancelBookings(ids, labels) {
  const res = { done: 0, failed: [] }
  for (const id of ids) {
    try {
      await api.post(`/bookings/${encodeURIComponent(id)}/cancel`, {}, { silent: true })
      res.done++
    } catch (err) {
      if (err.status === 401) throw err
      res.failed.push({ id, label: (labels && labels[id]) || id, message: err.message })
    }
  }
  return res
}

/**
 * run(key, ids, ui) — ui:
 *   openFiling(ids)  shows the filing dialog (提交备案 needs a choice first)
 *   fromCatalog      true in 预约检定: 预约 first puts the instruments on the
 *                    server's pending list, where booking creation reads them
 *   labels           id → text, for reporting failures of per-id calls
 */
async function run(key, ids, ui) {
  const a = ACTIONS[key]
  if (!a) throw new Error('unknown action: ' + key)
  ui = ui || {}
  if (!ids || !ids.length) {
    wxp.toast(a.unit === '张预约单' ? '请先选择预约单' : '请先选择仪器')
    return false
  }
  if (a.confirm) {
    const ok = await wxp.showModal({
      title: a.text,
      content: fill(a.confirm, ids.length),
      confirmText: a.text,
      confirmColor: a.danger ? '#FA5151' : '#07C160',
    })
    if (!ok) return false
  }
  try {
    if (BATCH[key]) {
      const res = await api.post('/instruments/batch', { action: BATCH[key], ids }, { loading: '处理中' })
      showBatchResult(key, res)
      return true
    }
    switch (key) {
      case 'withdraw': {
        const res = await api.post('/filings/withdraw', { ids }, { loading: '处理中' })
        showBatchResult(key, res)
        return true
      }
      case 'submitFiling':
        if (ui.openFiling) ui.openFiling(ids)
        return false
      case 'addPending': {
        const res = await api.post('/booking/pending', { ids }, { loading: '处理中' })
        showBatchResult(key, withDone(res, ids))
        return true
      }
      case 'removePending': {
        const res = await api.post('/booking/pending/remove', { ids }, { loading: '处理中' })
        showBatchResult(key, withDone(res, ids))
        return true
      }
      case 'book': {
        let bookable = ids
        if (ui.fromCatalog) {
          const res = await api.post('/booking/pending', { ids }, { loading: '处理中' })
          const failed = (res && res.failed) || []
          if (failed.length) {
            // Say which instruments cannot be booked, and go on with the rest.
            const refused = {}
            failed.forEach(f => { refused[f.id] = true })
            bookable = ids.filter(id => !refused[id])
            showBatchResult('addPending', { done: bookable.length, failed })
            if (!bookable.length) return true
          }
        }
        wx.navigateTo({ url: '/pages/booking-create/index?ids=' + bookable.map(encodeURIComponent).join(',') })
        return false
      }
      case 'cancelBooking': {
        wx.showLoading({ title: '处理中', mask: true })
        let res
        try {
          res = await cancelBookings(ids, ui.labels)
        } finally {
          wx.hideLoading()
        }
        showBatchResult(key, res)
        return true
      }
      default:
        throw new Error('action without handler: ' + key)
    }
  } catch (err) {
    // The request module has already told the user; an unexpected error is
    // a bug and must surface.
    if (err && err.name === 'ApiError') return false
    throw err
  }
}

module.exports = { run, showBatchResult, cancelBookings }
