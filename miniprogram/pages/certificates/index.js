// 证书查询 (manual 七): GET /certificates?page=&size= → {items, total}, newest
// first; pull down to refresh, scroll to the bottom for more.
const { api } = require('../../utils/request')
const config = require('../../config')

Component({
  data: { items: [], page: 0, total: 0, loaded: false, loading: false, finished: false, error: false },
  methods: {
    onLoad() {
      return this.load(1)
    },
    onPullDownRefresh() {
      return this.load(1).then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      if (this.data.loading || this.data.finished || this.data.error) return undefined
      return this.load(this.data.page + 1)
    },
    onRetry() {
      return this.load(this.data.page + 1)
    },

    async load(page) {
      const seq = (this.seq || 0) + 1
      this.seq = seq
      const size = config.pageSize
      this.setData({ loading: true, error: false })
      let res
      try {
        res = await api.get('/certificates', { page, size })
      } catch (err) {
        if (seq === this.seq) this.setData({ loading: false, error: true, loaded: true })
        if (err.name !== 'ApiError') throw err
        return
      }
      if (seq !== this.seq) return
      const got = (res.items || []).map((c, i) => Object.assign({ key: `${c.number || ''}#${(page - 1) * size + i}` }, c))
      const items = page === 1 ? got : this.data.items.concat(got)
      const total = typeof res.total === 'number' ? res.total : items.length
      this.setData({
        items,
        page,
        total,
        loaded: true,
        loading: false,
        finished: got.length < size || items.length >= total,
      })
    },
  },
})
