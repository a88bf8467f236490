// Instrument detail (manual 三.2 2) 查看, 图 17) with the tabs 详情 / 历史 /
// 证书. GET /instruments/{id} → {instrument, history, certificates?}.
const { api } = require('../../utils/request')
const format = require('../../utils/format')

const TABS = [
  { key: 'info', title: '详情' },
  { key: 'history', title: '历史' },
  { key: 'certs', title: '证书' },
]

// The fields of manual 图 23, grouped as on the web form.
const SECTIONS = [
  {
    title: '基本信息',
    fields: [
      ['器具名称', 'name'], ['型号规格', 'model'], ['测量范围', 'range'], ['准确度等级', 'accuracy'],
      ['出厂编号', 'factoryNo'], ['自编号', 'ownNo'], ['生产厂家', 'manufacturer'], ['生产地', 'originName'],
      ['安装使用地点', 'installLocation'], ['购买日期', 'purchaseDate'], ['器具状态', 'stateName'],
      ['器具用途', 'usageName'], ['器具类型', 'typeName'], ['检定方式', 'methodName'],
    ],
  },
  {
    title: '强检信息',
    fields: [
      ['所属地', 'regionName'], ['种别', 'categoryName', 'category'], ['类别', 'itemName', 'itemCode'],
      ['检定机构', 'institutionName'], ['器具编码', 'code'], ['型式证书号', 'typeApprovalNo'],
      ['备案状态', 'filingStatusName'], ['溯源状态', 'traceStatus'], ['检定证书号', 'certificateNo'],
      ['有效期至', 'validUntil'], ['使用状态', 'lifeName'],
    ],
  },
  {
    title: '其他',
    fields: [['自定义标签', 'tags'], ['备注', 'remarks']],
  },
]

function fieldValue(it, key, codeKey) {
  let v = it[key]
  if (Array.isArray(v)) v = v.join(' ')
  if (codeKey && it[codeKey]) v = v ? `${it[codeKey]} ${v}` : it[codeKey]
  return v === undefined || v === null || v === '' ? '—' : String(v)
}

Component({
  data: {
    tabs: TABS,
    tab: 'info',
    loading: true,
    error: false,
    instrument: {},
    tags: [],
    sections: [],
    nozzles: [],
    files: [],
    history: [],
    certificates: [],
  },
  methods: {
    onLoad(query) {
      this.id = query && query.id
      if (query && TABS.some(t => t.key === query.tab)) this.setData({ tab: query.tab })
      return this.load()
    },

    async load() {
      this.setData({ loading: true, error: false })
      let res
      try {
        res = await api.get('/instruments/' + encodeURIComponent(this.id || ''))
      } catch (err) {
        this.setData({ loading: false, error: true })
        if (err.name !== 'ApiError') throw err
        return
      }
      const it = res.instrument || {}
      const files = (it.attachments || []).map(f => ({ id: f.id, name: f.name, kind: '相关资料' }))
        .concat((it.typeCerts || []).map(f => ({ id: f.id, name: f.name, kind: '型式评价证书' })))
      this.setData({
        loading: false,
        instrument: it,
        tags: format.instrumentRow(it).tags,
        sections: SECTIONS.map(s => ({
          title: s.title,
          fields: s.fields.map(([label, key, codeKey]) => ({ label, value: fieldValue(it, key, codeKey) })),
        })),
        nozzles: it.nozzles || [],
        files,
        history: (res.history || []).map((h, i) => ({
          key: i,
          action: h.action || '',
          at: format.dateTime(h.at),
          user: h.user || '',
          detail: h.detail || '',
          changes: h.changes || [],
        })),
        // Certificates come with the detail once the server issues them;
        // until then the tab says there are none.
        certificates: Array.isArray(res.certificates) ? res.certificates : [],
      })
      if (it.name) wx.setNavigationBarTitle({ title: it.name })
    },

    onTab(e) {
      this.setData({ tab: e.currentTarget.dataset.key })
    },
  },
})
