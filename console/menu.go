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
	account := menuGroup{Label: "账号设置", Icon: "user", Items: []menuItem{{"password", "修改密码", "/account/password"}}}
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
		groups = append(groups, inst, filing)
		other := menuGroup{Label: "其他", Icon: "more", Items: []menuItem{{"registration", "注册信息", "/registration"}}}
		if !p.SubUser {
			other.Items = append(other.Items, menuItem{"subusers", "子用户", "/subusers"})
		}
		return append(groups, other, account)
	case p.IsStaff():
		return []menuGroup{
			{Label: "首页", Icon: "home", Items: []menuItem{{"home", "首页", "/"}}},
			{Label: "申请方管理", Icon: "doc", Items: []menuItem{
				{"review-pending", "注册审核", "/review/registrations?status=pending"},
				{"review-all", "全部申请方", "/review/registrations?status=all"},
			}},
			account,
		}
	case p.IsRegulator():
		return []menuGroup{
			{Label: "首页", Icon: "home", Items: []menuItem{{"home", "首页", "/"}}},
			{Label: "监管", Icon: "doc", Items: []menuItem{{"review-all", "辖区申请方", "/review/registrations?status=all"}}},
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
