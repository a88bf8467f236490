// 预约管理 tab: the menu group "bookings" (menus, list, operations) of components/menu-list.
// Everything, including refreshing when the tab is shown again, lives in
// the component.
Component({})
