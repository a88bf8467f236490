// 预约检定 (manual 五.1, 图 28-29): pick instruments of the server's pending
// list (one institution and one verification method per booking), then a
// date and time slot of that institution's calendar, then submit.
//   ?ids=a,b  preselects those pending instruments
const { api } = require('../../utils/request')
const format = require('../../utils/format')
const wxp = require('../../utils/wxp')

const DAYS = 14
const MIXED = '不同机构、不同检定方式的仪器须分开预约'

function groupKey(it) {
  return `${it.institutionId || ''}|${it.method || ''}`
}

Component({
  data: {
    steps: [{ n: 1, title: '选择仪器' }, { n: 2, title: '选择时间' }, { n: 3, title: '确认提交' }],
    step: 1,
    loading: true,
    submitting: false,
    groups: [],
    selected: {},
    selectedCount: 0,
    group: null,
    days: [],
    date: '',
    dayWeekday: '',
    slots: [],
    slotId: '',
    slotText: '',
  },
  methods: {
    onLoad(query) {
      const ids = query && query.ids ? String(query.ids).split(',').map(decodeURIComponent).filter(Boolean) : []
      return this.loadPending(ids)
    },

    async loadPending(preselect) {
      this.setData({ loading: true })
      let res
      try {
        res = await api.get('/booking/pending')
      } catch (err) {
        this.setData({ loading: false })
        if (err.name !== 'ApiError') throw err
        return
      }
      const groups = []
      const byKey = {}
      this.byId = {}
      ;(res.items || []).forEach(it => {
        const key = groupKey(it)
        if (!byKey[key]) {
          byKey[key] = { key, institutionId: it.institutionId || '', institutionName: it.institutionName || '', method: it.method, methodName: it.methodName || '', items: [] }
          groups.push(byKey[key])
        }
        byKey[key].items.push({ id: it.id, name: it.name, model: it.model || '—', factoryNo: it.factoryNo || '—' })
        this.byId[it.id] = key
      })
      this.groups = byKey
      // Preselected instruments of several groups cannot go into one
      // booking: keep those of the first group and say why.
      const selected = {}
      let first = ''
      let dropped = false
      ;(preselect || []).forEach(id => {
        const key = this.byId[id]
        if (!key) return
        if (!first) first = key
        if (key === first) selected[id] = true
        else dropped = true
      })
      this.setData({ loading: false, groups, selected, selectedCount: Object.keys(selected).length })
      if (dropped) wxp.toast(MIXED + '，已保留同一机构的仪器')
    },

    selectedIds() {
      return Object.keys(this.data.selected).filter(id => this.data.selected[id])
    },

    onToggle(e) {
      const id = e.currentTarget.dataset.id
      const selected = Object.assign({}, this.data.selected)
      if (selected[id]) {
        delete selected[id]
      } else {
        const other = Object.keys(selected).find(s => this.byId[s] !== this.byId[id])
        if (other) {
          wxp.toast(MIXED)
          return
        }
        selected[id] = true
      }
      this.setData({ selected, selectedCount: Object.keys(selected).length })
    },

    async onNext() {
      if (this.data.step === 1) {
        const ids = this.selectedIds()
        if (!ids.length) {
          wxp.toast('请先勾选要预约的仪器')
          return
        }
        const group = this.groups[this.byId[ids[0]]]
        if (!group.institutionId) {
          wxp.toast('仪器尚未备案到检定机构，不能预约')
          return
        }
        this.setData({ group: { institutionId: group.institutionId, institutionName: group.institutionName, methodName: group.methodName } })
        await this.loadSlots()
        return
      }
      if (this.data.step === 2) {
        const slot = this.data.slots.find(s => s.id === this.data.slotId)
        if (!slot) {
          wxp.toast('请选择预约时间段')
          return
        }
        this.setData({ step: 3, slotText: format.slotText(slot) })
      }
    },

    onBack() {
      if (this.data.step > 1) this.setData({ step: this.data.step - 1 })
    },

    async loadSlots() {
      this.setData({ loading: true })
      let res
      try {
        res = await api.get('/booking/slots', { institutionId: this.data.group.institutionId, from: format.today(), days: DAYS })
      } catch (err) {
        this.setData({ loading: false })
        if (err.name !== 'ApiError') throw err
        return
      }
      const days = (res.days || []).map(d => {
        const slots = (d.open ? d.slots || [] : []).map(s => Object.assign({}, s, { remaining: Number(s.remaining) || 0 }))
        return {
          date: d.date,
          open: !!d.open,
          slots,
          full: !slots.some(s => s.remaining > 0),
          weekdayText: format.weekday(d),
          short: String(d.date || '').slice(5),
        }
      })
      this.days = days
      // Start on the first day that still has room, as the web calendar does.
      const firstFree = days.find(d => d.open && !d.full) || days[0]
      this.setData({ step: 2, loading: false, days })
      this.showDay(firstFree ? firstFree.date : '')
    },

    showDay(date) {
      const day = (this.days || []).find(d => d.date === date)
      this.setData({
        date: day ? day.date : '',
        dayWeekday: day ? day.weekdayText : '',
        slots: day ? day.slots : [],
        slotId: '',
      })
    },

    onPickDay(e) {
      const day = (this.days || []).find(d => d.date === e.currentTarget.dataset.date)
      if (!day) return
      if (!day.open) {
        wxp.toast('该日不开放预约')
        return
      }
      this.showDay(day.date)
    },

    onPickSlot(e) {
      const slot = this.data.slots.find(s => s.id === e.currentTarget.dataset.id)
      if (!slot) return
      if (slot.remaining <= 0) {
        wxp.toast('该时间段已约满，请选择其他时间')
        return
      }
      this.setData({ slotId: slot.id })
    },

    async onSubmit() {
      if (this.data.submitting) return
      this.setData({ submitting: true })
      let res
      try {
        res = await api.post('/bookings', { ids: this.selectedIds(), date: this.data.date, slotId: this.data.slotId }, { loading: '提交中' })
      } catch (err) {
        this.setData({ submitting: false })
        if (err.name !== 'ApiError') throw err
        if (err.status === 409) {
          // Someone took the last place meanwhile: show fresh remaining
          // places so the user can pick again.
          await this.loadSlots()
        }
        return
      }
      this.setData({ submitting: false })
      const booking = (res && res.booking) || {}
      wx.showToast({ title: '预约已提交', icon: 'success' })
      if (booking.id) wx.redirectTo({ url: '/pages/booking/index?id=' + encodeURIComponent(booking.id) })
      else wx.navigateBack()
    },
  },
})
