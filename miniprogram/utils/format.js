// Display helpers shared by the pages: dates, booking slots and the view
// models of list rows (so WXML stays free of logic).

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']

function pad(n) {
  return n < 10 ? '0' + n : String(n)
}

// YYYY-MM-DD of d in the phone's local time: booking dates are calendar
// days of the institution, not UTC instants.
function ymd(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

function today() {
  return ymd(new Date())
}

function dateTime(s) {
  if (!s) return ''
  const d = new Date(s)
  if (isNaN(d.getTime())) return String(s)
  return `${ymd(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

// The slots API gives weekday as a name or as 0–6 (Sunday first); a day
// without one is named from its date.
function weekday(day) {
  const w = day && day.weekday
  if (typeof w === 'number' && WEEKDAYS[w % 7]) return WEEKDAYS[w % 7]
  if (typeof w === 'string' && w) return w
  const d = new Date(String(day && day.date) + 'T00:00:00')
  return isNaN(d.getTime()) ? '' : WEEKDAYS[d.getDay()]
}

function slotText(slot) {
  if (!slot) return ''
  if (typeof slot === 'string') return slot
  if (slot.start || slot.end) return `${slot.start || ''}-${slot.end || ''}`
  return slot.name || ''
}

// Tag colours follow the status' meaning, WeUI-style: green done, orange
// waiting, red needs the applicant's attention, grey inactive.
const FILING_TAG = {
  unfiled: 'default',
  submitted: 'warn',
  returned: 'danger',
  pending: 'warn',
  confirming: 'warn',
  approved: 'success',
  revoked: 'danger',
}

const BOOKING_TAG = {
  pending: 'warn',
  confirmed: 'success',
  rejected: 'danger',
  returned: 'danger',
  completed: 'default',
  cancelled: 'default',
}

function instrumentRow(it) {
  const tags = []
  if (it.filingStatusName) tags.push({ text: it.filingStatusName, type: FILING_TAG[it.filingStatus] || 'default' })
  if (it.life === 'stopped' || it.life === 'scrapped') tags.push({ text: it.lifeName || (it.life === 'stopped' ? '已停用' : '已报废'), type: 'default' })
  if (it.booked) tags.push({ text: '预约中', type: 'primary' })
  if (it.traceStatus === '不合格') tags.push({ text: '不合格', type: 'danger' })
  ;(it.tags || []).forEach(t => {
    // wx:key needs unique texts; a custom tag may repeat a status name.
    if (t && !tags.some(x => x.text === t)) tags.push({ text: t, type: 'plain' })
  })
  const lines = [
    `型号规格：${it.model || '—'}`,
    `出厂编号：${it.factoryNo || '—'}`,
  ]
  if (it.code) lines.push(`器具编码：${it.code}`)
  if (it.validUntil) lines.push(`有效期至：${it.validUntil}`)
  if (it.returnReason && (it.filingStatus === 'returned' || it.filingStatus === 'revoked')) lines.push(`原因：${it.returnReason}`)
  return { id: it.id, kind: 'instrument', title: it.name || '（未命名仪器）', lines, tags }
}

function bookingRow(b) {
  const items = Array.isArray(b.items) ? b.items : []
  const lines = [
    [b.institutionName, b.methodName].filter(Boolean).join(' · ') || '—',
    `预约时间：${[b.date, slotText(b.slot)].filter(Boolean).join(' ') || '—'}`,
  ]
  if (items.length || b.count) lines.push(`仪器数量：${b.count || items.length} 台`)
  if (b.reason && (b.status === 'rejected' || b.status === 'returned')) lines.push(`原因：${b.reason}`)
  return {
    id: b.id,
    kind: 'booking',
    title: `预约单 ${b.number || b.id}`,
    lines,
    tags: b.statusName ? [{ text: b.statusName, type: BOOKING_TAG[b.status] || 'default' }] : [],
  }
}

module.exports = { WEEKDAYS, ymd, today, dateTime, weekday, slotText, instrumentRow, bookingRow }
