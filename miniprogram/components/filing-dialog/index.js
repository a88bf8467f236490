// 提交备案 (manual 四.1, 图 26): choose the institution, confirm the liability
// statement, optionally authorise the transfer to the provincial institute.
// The parent opens it with open(ids) and gets a `done` event carrying the
// server's result {batchId, done, failed}, or `close`.
const { api } = require('../../utils/request')
const wxp = require('../../utils/wxp')

const PROVINCE = '广东省计量科学研究院'
const POLL_MS = 1000
const POLL_LIMIT = 600 // 10 minutes: a filing of thousands of instruments

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// A large filing goes on on the server after POST /filings answers
// (status "running"); its progress is GET /filings/batches/{id}.
async function finished(res) {
  let cur = res
  for (let i = 0; cur && cur.status === 'running' && cur.batchId && i < POLL_LIMIT; i++) {
    wx.showLoading({ title: `正在提交 ${cur.done || 0}/${cur.total || '…'}`, mask: true })
    await sleep(POLL_MS)
    try {
      cur = await api.get('/filings/batches/' + encodeURIComponent(cur.batchId), null, { silent: true })
    } catch (err) {
      if (err.name !== 'ApiError' || err.status === 401) {
        wx.hideLoading()
        throw err
      }
      // A lost answer is retried on the next round.
    }
  }
  wx.hideLoading()
  return cur
}

function missingText(inst) {
  const list = inst.missingCategories || []
  return list.map(c => (c && typeof c === 'object' ? c.name || c.code : c)).filter(Boolean).join('、') || '部分种别'
}

Component({
  options: { styleIsolation: 'apply-shared' },
  data: {
    show: false,
    loading: false,
    submitting: false,
    ids: [],
    submitIds: [],
    institutions: [],
    needTypeCert: [],
    institutionId: '',
    institutionName: '',
    province: PROVINCE,
    statement: false,
    transfer: false,
  },
  methods: {
    async open(ids) {
      this.setData({
        show: true, loading: true, submitting: false, ids: ids.slice(), submitIds: [], institutions: [],
        needTypeCert: [], institutionId: '', institutionName: '', statement: false, transfer: false,
      })
      let res
      try {
        res = await api.post('/filings/options', { ids })
      } catch (err) {
        this.close()
        if (!err || err.name !== 'ApiError') throw err
        return
      }
      const needTypeCert = res.needTypeCert || []
      const blocked = {}
      needTypeCert.forEach(n => { blocked[n.id] = true })
      const institutions = (res.institutions || []).map(i => Object.assign({}, i, { missingText: missingText(i) }))
      // The institution that can verify everything selected is the one the
      // applicant almost always wants.
      const preferred = institutions.find(i => i.canVerifyAll) || institutions[0]
      this.setData({
        loading: false,
        needTypeCert,
        province: res.province || PROVINCE,
        submitIds: ids.filter(id => !blocked[id]),
        institutions,
        institutionId: preferred ? preferred.id : '',
        institutionName: preferred ? preferred.name : '',
      })
    },
    close() {
      this.setData({ show: false, loading: false, submitting: false })
    },
    noop() {},
    onCancel() {
      if (this.data.submitting) return
      this.close()
      this.triggerEvent('close')
    },
    onPickInstitution(e) {
      const id = e.currentTarget.dataset.id
      const inst = this.data.institutions.find(i => i.id === id)
      if (inst) this.setData({ institutionId: inst.id, institutionName: inst.name })
    },
    onToggleStatement() {
      this.setData({ statement: !this.data.statement })
    },
    onToggleTransfer() {
      this.setData({ transfer: !this.data.transfer })
    },
    async onSubmit() {
      if (this.data.submitting || this.data.loading) return
      if (!this.data.submitIds.length) {
        wxp.toast('没有可提交备案的仪器')
        return
      }
      if (!this.data.institutionId) {
        wxp.toast('请选择检定机构')
        return
      }
      if (!this.data.statement) {
        wxp.toast('请先阅读并勾选责任声明')
        return
      }
      this.setData({ submitting: true })
      try {
        const res = await api.post('/filings', {
          ids: this.data.submitIds,
          institutionId: this.data.institutionId,
          statement: true,
          transfer: this.data.transfer,
        }, { loading: '提交中' })
        const result = await finished(res)
        this.close()
        this.triggerEvent('done', result)
      } catch (err) {
        this.setData({ submitting: false })
        // The request module has shown the API's message; anything else is
        // a bug that must not be swallowed.
        if (!err || err.name !== 'ApiError') throw err
      }
    },
  },
})
