// Booking detail (manual 八 图 13-14): GET /bookings/{id} →
// {booking:{…, items:[{instrument, outcomeName, result, certificateNo}]}, history}.
const { api } = require('../../utils/request')
const format = require('../../utils/format')
const operations = require('../../utils/operations')

const STATUS_TAG = { pending: 'warn', confirmed: 'success', rejected: 'danger', returned: 'danger' }

// result is a code (qualified/unqualified) with its name beside it.
const RESULT_NAMES = { qualified: '合格', unqualified: '不合格' }

function outcomeText(line) {
  const parts = []
  if (line.outcomeName) parts.push(line.outcomeName)
  const result = line.resultName || RESULT_NAMES[line.result] || line.result
  if (result) parts.push(result)
  if (line.certificateNo) parts.push('证书号 ' + line.certificateNo)
  if (line.validUntil) parts.push('有效期至 ' + line.validUntil)
  if (line.reason) parts.push('原因：' + line.reason)
  return parts.join(' · ')
}

Component({
  data: {
    loading: true,
    error: false,
    booking: {},
    statusType: 'default',
    slotText: '',
    weekdayText: '',
    items: [],
    history: [],
  },
  methods: {
    onLoad(query) {
      this.id = query && query.id
      return this.load()
    },

    async load() {
      this.setData({ loading: true, error: false })
      let res
      try {
        res = await api.get('/bookings/' + encodeURIComponent(this.id || ''))
      } catch (err) {
        this.setData({ loading: false, error: true })
        if (err.name !== 'ApiError') throw err
        return
      }
      const b = res.booking || {}
      this.setData({
        loading: false,
        booking: b,
        statusType: STATUS_TAG[b.status] || 'default',
        slotText: format.slotText(b.slot),
        weekdayText: b.date ? format.weekday({ date: b.date }) : '',
        items: (b.items || []).map((line, i) => {
          const it = line.instrument || {}
          return {
            key: it.id || i,
            id: it.id || '',
            name: it.name || '',
            model: it.model || '—',
            factoryNo: it.factoryNo || '—',
            outcome: outcomeText(line),
          }
        }),
        history: (res.history || []).map((h, i) => ({
          key: i,
          action: h.action || h.statusName || '',
          at: format.dateTime(h.at),
          user: h.user || '',
          detail: h.detail || h.reason || '',
        })),
      })
      if (b.number) wx.setNavigationBarTitle({ title: '预约单 ' + b.number })
    },

    onInstrument(e) {
      const id = e.currentTarget.dataset.id
      if (id) wx.navigateTo({ url: '/pages/instrument/index?id=' + encodeURIComponent(id) })
    },

    async onCancel() {
      const labels = { [this.id]: '预约单 ' + (this.data.booking.number || this.id) }
      const changed = await operations.run('cancelBooking', [this.id], { labels })
      if (changed) await this.load()
    },
  },
})
