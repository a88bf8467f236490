// 预约管理 tab: the menu group "bookings" (menus, list, operations) of components/menu-list.
Component({
  methods: {
    onLoad() {},
  },
})
