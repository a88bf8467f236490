// A menu list opened from a count on the 我 page (?group=…&menu=…). Tab
// pages cannot take query parameters (wx.switchTab drops them), so the
// counts open this page instead, with the same menus and operations.
const menus = require('../../utils/menus')

Component({
  data: { ready: false, group: 'instruments', menu: '' },
  methods: {
    onLoad(query) {
      const group = menus.GROUPS[query && query.group] ? query.group : 'instruments'
      const m = menus.menu(group, query && query.menu)
      this.setData({ group, menu: m.key, ready: true })
      wx.setNavigationBarTitle({ title: menus.GROUPS[group].title })
    },
  },
})
