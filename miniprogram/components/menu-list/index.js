// The 菜单区 / 列表区 / 操作区 of manual 八 图 4: one menu group (仪器管理,
// 备案管理 or 预约管理) with its menus on top, the selected menu's list in
// the middle (pull to refresh, more on scroll) and the 操作 button below.
const auth = require('../../utils/auth')
const menus = require('../../utils/menus')
const operations = require('../../utils/operations')
const format = require('../../utils/format')
const wxp = require('../../utils/wxp')

Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    group: { type: String, value: 'instruments' },
    menu: { type: String, value: '' },
  },
  data: {
    loggedIn: false,
    groupTitle: '',
    menus: [],
    menuKey: '',
    menuTitle: '',
    views: [],
    sub: '',
    unit: '台',
    selectable: false,
    swipeActions: [],
    rows: [],
    page: 0,
    total: 0,
    loaded: false,
    loading: false,
    finished: false,
    refreshing: false,
    error: false,
    selected: {},
    selectedCount: 0,
    allSelected: false,
    swipeOpen: '',
  },
  lifetimes: {
    attached() {
      const g = menus.group(this.data.group)
      this.setData({
        groupTitle: g.title,
        menus: g.menus.map(m => ({ key: m.key, title: m.title })),
      })
      this.selectMenu(this.data.menu || g.menus[0].key)
    },
  },
  pageLifetimes: {
    // Coming back from a detail page, a booking or another tab: what is
    // listed may have changed (or the user logged in or out meanwhile).
    // The page's first show usually arrives while the first load is still
    // on its way, and must not start a second one.
    show() {
      if (this.data.loading) return
      this.reload()
    },
  },
  methods: {
    // Public: switch to menu `key` of the group and load its first page.
    selectMenu(key, sub) {
      const m = menus.menu(this.data.group, key)
      this.current = m
      const kind = menus.itemKind(m)
      const views = m.views || []
      this.setData({
        menuKey: m.key,
        menuTitle: m.title,
        views,
        sub: views.length ? sub || views[0].key : '',
        unit: kind === 'booking' ? '张' : '台',
        selectable: m.actions.length > 0,
        swipeActions: m.actions.map(a => ({ key: a, text: menus.ACTIONS[a].text, color: menus.ACTIONS[a].color })),
      })
      return this.reload()
    },

    // Public: the first page again, selection cleared.
    reload() {
      const loggedIn = auth.isLoggedIn()
      this.raw = {}
      this.setData({
        loggedIn, rows: [], page: 0, total: 0, loaded: false, finished: false, error: false,
        selected: {}, selectedCount: 0, allSelected: false, swipeOpen: '',
      })
      if (!loggedIn) return Promise.resolve()
      return this.load(1)
    },

    load(page) {
      // A slower answer for a menu the user has already left must not
      // overwrite the list now shown.
      const seq = (this.seq || 0) + 1
      this.seq = seq
      const m = this.current
      const kind = menus.itemKind(m)
      this.setData({ loading: true, error: false })
      return menus.fetchPage(m, page, this.data.sub).then(res => {
        if (seq !== this.seq) return
        const raw = page === 1 ? {} : this.raw || {}
        const fresh = res.items.filter(it => it && it.id && !(page > 1 && raw[it.id]))
        fresh.forEach(it => { raw[it.id] = it })
        this.raw = raw
        const rows = fresh.map(it => (kind === 'booking' ? format.bookingRow(it) : format.instrumentRow(it)))
        const all = page === 1 ? rows : this.data.rows.concat(rows)
        this.setData({
          rows: all,
          page,
          total: res.total,
          finished: res.finished,
          loaded: true,
          loading: false,
          refreshing: false,
        })
        this.updateSelection(page === 1 ? {} : this.data.selected)
      }, err => {
        if (seq !== this.seq) return
        this.setData({ loading: false, refreshing: false, error: true, loaded: true, loggedIn: auth.isLoggedIn() })
        if (!err || err.name !== 'ApiError') throw err
      })
    },

    updateSelection(selected) {
      const count = this.data.rows.filter(r => selected[r.id]).length
      this.setData({
        selected,
        selectedCount: count,
        allSelected: count > 0 && count === this.data.rows.length,
      })
    },

    selectedIds() {
      return this.data.rows.filter(r => this.data.selected[r.id]).map(r => r.id)
    },

    onMenuTap(e) {
      const key = e.currentTarget.dataset.key
      if (key !== this.data.menuKey) this.selectMenu(key)
    },
    onSubTap(e) {
      const key = e.currentTarget.dataset.key
      if (key === this.data.sub) return
      this.setData({ sub: key })
      this.reload()
    },
    onRefresh() {
      this.setData({ refreshing: true })
      return this.reload()
    },
    onLoadMore() {
      if (!this.data.loggedIn || this.data.loading || this.data.finished || this.data.error) return undefined
      return this.load(this.data.page + 1)
    },
    onRetry() {
      return this.data.page > 0 ? this.load(this.data.page + 1) : this.reload()
    },
    goLogin() {
      wx.switchTab({ url: '/pages/me/index' })
    },

    onToggle(e) {
      const id = e.currentTarget.dataset.id
      const selected = Object.assign({}, this.data.selected)
      if (selected[id]) delete selected[id]
      else selected[id] = true
      this.updateSelection(selected)
    },
    onToggleAll() {
      const selected = {}
      if (!this.data.allSelected) this.data.rows.forEach(r => { selected[r.id] = true })
      this.updateSelection(selected)
    },

    onOpen(e) {
      const id = e.currentTarget.dataset.id
      if (this.data.swipeOpen) {
        // A tap elsewhere while a row shows its buttons only closes it, as
        // in WeChat's own lists.
        this.setData({ swipeOpen: '' })
        return
      }
      const kind = menus.itemKind(this.current)
      const url = kind === 'booking' ? '/pages/booking/index?id=' : '/pages/instrument/index?id='
      wx.navigateTo({ url: url + encodeURIComponent(id) })
    },

    onSwipeOpen(e) {
      this.setData({ swipeOpen: e.currentTarget.dataset.id })
    },
    onSwipeClose(e) {
      if (this.data.swipeOpen === e.currentTarget.dataset.id) this.setData({ swipeOpen: '' })
    },
    onSwipeAction(e) {
      this.setData({ swipeOpen: '' })
      return this.runAction(e.detail.key, [e.currentTarget.dataset.id])
    },

    async onOperate() {
      const actions = this.current.actions
      const ids = this.selectedIds()
      if (!ids.length) {
        wxp.toast(this.data.unit === '张' ? '请先勾选预约单' : '请先勾选仪器')
        return
      }
      const index = await wxp.showActionSheet(actions.map(a => menus.ACTIONS[a].text))
      if (index < 0 || index >= actions.length) return
      await this.runAction(actions[index], ids)
    },

    async runAction(key, ids) {
      const labels = {}
      this.data.rows.forEach(r => { labels[r.id] = r.title })
      const changed = await operations.run(key, ids, {
        fromCatalog: this.data.menuKey === 'book',
        labels,
        openFiling: list => this.selectComponent('#filing').open(list),
      })
      if (changed) await this.reload()
    },

    onFiled(e) {
      operations.showBatchResult('submitFiling', e.detail)
      return this.reload()
    },
  },
})
