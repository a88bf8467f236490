// 备案管理 tab: the menu group "filings" (menus, list, operations) of components/menu-list.
Component({
  methods: {
    onLoad() {},
  },
})
