// 仪器管理 tab: the menu group "instruments" (menus, list, operations) of components/menu-list.
Component({
  methods: {
    onLoad() {},
  },
})
