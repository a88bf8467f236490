package console

import "github.com/gdqjp/qj/core"

type menuItem struct {
	Key, Label, Href string
}

type menuGroup struct {
	Label string
	Icon  string
	Items []menuItem
}

// menuFor is the left menu of a role (manual 图 9: menus on the left).
func menuFor(p core.Principal) []menuGroup {
	account := menuGroup{Label: "账号设置", Icon: "user", Items: []menuItem{{"password", "修改密码", "/account/password"}, {"wechat", "微信绑定", "/account/wechat"}}}
	switch {
	case p.IsApplicant() && !p.ApplicantApproved:
		return []menuGroup{
			{Label: "注册", Icon: "doc", Items: []menuItem{{"registration", "注册信息", "/registration"}}},
			account,
		}
	case p.IsApplicant():
		groups := []menuGroup{
			{Label: "首页", Icon: "home", Items: []menuItem{{"home", "首页", "/"}}},
		}
		inst := menuGroup{Label: "仪器管理", Icon: "box"}
		for _, m := range viewMenus {
			inst.Items = append(inst.Items, menuItem{"view-" + m.Key, m.Label, "/instruments?view=" + m.Key})
		}
		filing := menuGroup{Label: "备案管理", Icon: "doc"}
		for _, m := range filingMenus {
			filing.Items = append(filing.Items, menuItem{"filing-" + m.Key, m.Label, "/filings?status=" + m.Key})
		}
		book := menuGroup{Label: "预约管理", Icon: "cal", Items: []menuItem{
			{"booking-new", "预约检定", "/instruments?view=due"},
			{"booking-pending", "待处理列表", "/booking/pending"},
		}}
		for _, m := range []struct{ key, label string }{{"pending", "预约中"}, {"confirmed", "已确认"}, {"rejected", "被拒绝"}, {"returned", "被退回"}, {"completed", "已完检"}, {"history", "历史查询"}} {
			book.Items = append(book.Items, menuItem{"booking-" + m.key, m.label, "/bookings?status=" + m.key})
		}
		groups = append(groups, inst, filing, book)
		other := menuGroup{Label: "其他", Icon: "more", Items: []menuItem{{"certificates", "证书查询", "/certificates"}, {"deliveries", "消息推送记录", "/notifications"}, {"registration", "注册信息", "/registration"}}}
		if !p.SubUser {
			other.Items = append(other.Items, menuItem{"subusers", "子用户", "/subusers"})
		}
		return append(groups, other, account)
	case p.IsStaff():
		filings := menuGroup{Label: "备案审核", Icon: "doc"}
		for _, m := range reviewMenus {
			filings.Items = append(filings.Items, menuItem{"review-" + m.Key, m.Label, "/review/filings?status=" + m.Key})
		}
		book := menuGroup{Label: "预约管理", Icon: "cal"}
		for _, m := range []struct{ key, label string }{{"pending", "待确认预约"}, {"confirmed", "已确认（前台）"}, {"returned", "已退回"}, {"rejected", "已拒绝"}, {"completed", "已完检"}, {"history", "全部预约"}} {
			book.Items = append(book.Items, menuItem{"booking-" + m.key, m.label, "/bookings?status=" + m.key})
		}
		book.Items = append(book.Items, menuItem{"calendar", "预约日历", "/institution/calendar"}, menuItem{"certificates", "证书查询", "/certificates"})
		return []menuGroup{
			{Label: "首页", Icon: "home", Items: []menuItem{{"home", "首页", "/"}}},
			filings, book,
			{Label: "申请方管理", Icon: "doc", Items: []menuItem{
				{"review-registrations", "注册审核", "/review/registrations?status=pending"},
				{"review-all", "全部申请方", "/review/registrations?status=all"},
			}},
			account,
		}
	case p.IsRegulator():
		return []menuGroup{
			{Label: "首页", Icon: "home", Items: []menuItem{{"home", "首页", "/"}}},
			{Label: "监管", Icon: "doc", Items: []menuItem{
				{"review-approved", "辖区已备案仪器", "/review/filings?status=approved"},
				{"review-all", "辖区申请方", "/review/registrations?status=all"}}},
			account,
		}
	case p.IsAdmin():
		return []menuGroup{
			{Label: "首页", Icon: "home", Items: []menuItem{{"home", "首页", "/"}}},
			{Label: "平台管理", Icon: "gear", Items: []menuItem{
				{"admin-users", "用户管理", "/admin/users"},
				{"review-all", "申请方", "/review/registrations?status=all"},
				{"admin-refdata", "参考数据", "/admin/refdata"},
			}},
			account,
		}
	}
	return []menuGroup{account}
}
