package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
)

func countApplicants(t *testing.T, e *apptest.Env) int {
	t.Helper()
	_, n, err := e.App.Store.Accounts().ListApplicants(context.Background(), account.ApplicantQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPagesRequireLogin(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	for _, p := range []string{"/", "/registration", "/subusers", "/review/registrations", "/admin/users", "/account/password"} {
		r := b.Get(p)
		if r.Status != 302 || r.Location != "/login?next="+url.QueryEscape(p) {
			t.Errorf("GET %s anonymously: %d %s", p, r.Status, r.Location)
		}
	}
}

func TestEveryFormNeedsCSRF(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	for _, p := range []string{"/login", "/logout", "/account/password", "/subusers", "/registration/cancel", "/register"} {
		r := b.Post(p, url.Values{"_csrf": {"forged"}})
		if r.Status != 403 || !strings.Contains(r.Body, "页面已过期或请求无效") {
			t.Errorf("POST %s with a forged token: %d", p, r.Status)
		}
	}
	if r := b.Get("/"); r.Status != 200 {
		t.Fatalf("still logged in after refused posts: %d", r.Status)
	}
}

func TestLoginLogout(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	r := b.Post("/login", url.Values{"account": {app.DemoStaff}, "password": {"wrong-pw-1"}})
	if r.Status != 401 || !strings.Contains(r.Body, "账号或密码错误") {
		t.Fatalf("wrong password: %d", r.Status)
	}
	r = b.Post("/login", url.Values{"account": {app.DemoStaff}, "password": {app.DemoPassword}, "next": {"//evil.example/x"}})
	if r.Status != 302 || r.Location != "/" {
		t.Fatalf("login with foreign next: %d %q", r.Status, r.Location)
	}
	r = b.Get("/")
	if r.Status != 200 || !strings.Contains(r.Body, "广州计量检测技术研究院") || !strings.Contains(r.Body, "注册审核") {
		t.Fatalf("staff home: %d", r.Status)
	}
	if r := b.Post("/logout", nil); r.Status != 302 || r.Location != "/login?msg=logged-out" {
		t.Fatalf("logout: %d %s", r.Status, r.Location)
	}
	if r := b.Get("/"); r.Status != 302 {
		t.Fatalf("after logout: %d", r.Status)
	}
}

func TestMenusByRole(t *testing.T) {
	e := apptest.New(t)
	tests := []struct {
		login   string
		want    []string
		notWant []string
	}{
		{app.DemoApplicant, []string{`data-key="subusers"`, `data-key="registration"`, `data-key="password"`}, []string{`data-key="review-registrations"`, `data-key="admin-users"`}},
		{app.DemoSubUserPhone, []string{`data-key="registration"`, "（子用户）"}, []string{`data-key="subusers"`}},
		{app.DemoStaff, []string{`data-key="review-registrations"`, `data-key="review-all"`}, []string{`data-key="subusers"`, `data-key="admin-users"`}},
		{app.DemoRegulator, []string{`data-key="review-all"`}, []string{`data-key="review-registrations"`, `data-key="admin-users"`}},
		{app.DemoAdmin, []string{`data-key="admin-users"`, `data-key="admin-refdata"`}, []string{`data-key="subusers"`}},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			b := e.Browser()
			b.Login(tt.login, app.DemoPassword)
			r := b.Get("/account/password")
			for _, w := range tt.want {
				if !strings.Contains(r.Body, w) {
					t.Errorf("menu lacks %s", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.Body, w) {
					t.Errorf("menu has %s", w)
				}
			}
		})
	}
}

var exe = core.Upload{Name: "licence.pdf", Data: append([]byte("MZ\x90\x00\x03"), bytes.Repeat([]byte{0}, 100)...)}

func TestRegister_InvalidInputSavesNothing(t *testing.T) {
	e := apptest.New(t)
	e.RegisterApplicant("taken-login", "440106", 77, false)
	valid := func() url.Values { return apptest.RegistrationForm("new-company", "440111", 1) }
	with := func(k, v string) url.Values { f := valid(); f.Set(k, v); return f }
	pdfs := map[string]core.Upload{"licence": apptest.PDF, "letter": apptest.PDF}
	tests := []struct {
		name  string
		form  url.Values
		files map[string]core.Upload
		field string
		msg   string
	}{
		{"individual identity", with("identity", "person"), pdfs, "identity", "平台不受理个人身份注册，请以“企业/单位”身份注册"},
		{"institution user type", with("userType", "institution"), pdfs, "userType", "送检单位请选择“申请方”用户类型；技术机构及行政管理部门账号由平台管理员开通"},
		{"empty name", with("name", " "), pdfs, "name", "请输入申请方名称"},
		{"short address", with("address", "广州"), pdfs, "address", "详细地址至少 5 个字"},
		{"credit code check character", with("creditCode", "914403001922038217"), pdfs, "creditCode", "统一社会信用代码校验位不正确，请核对营业执照上的代码"},
		{"credit code length", with("creditCode", "91440300192203821"), pdfs, "creditCode", "统一社会信用代码应为 18 位"},
		{"credit code taken", with("creditCode", apptest.CreditCode(77)), pdfs, "creditCode", "该统一社会信用代码已注册，请使用已有账号登录，或联系当地技术机构"},
		{"city-level region", with("regionCode", "440100"), pdfs, "regionCode", "【440100】是属于市级代码，所属区域须选择到区县级"},
		{"unknown region", with("regionCode", "449999"), pdfs, "regionCode", "所属区域代码 449999 不存在"},
		{"bad phone", with("contactPhone", "12345"), pdfs, "contactPhone", "请输入正确的手机号码或带区号的固定电话（如 020-12345678）"},
		{"login taken", with("login", "Taken-Login"), pdfs, "login", "账号“Taken-Login”已被注册，请换一个"},
		{"login looks like a phone", with("login", "13800138000"), pdfs, "login", "账号须以字母开头，由 4–32 位字母、数字、下划线、点或短横线组成"},
		{"weak password", func() url.Values {
			f := valid()
			f.Set("password", "abcdefgh")
			f.Set("password2", "abcdefgh")
			return f
		}(), pdfs, "password", "密码须同时包含字母和数字"},
		{"passwords differ", with("password2", "Other0000"), pdfs, "password2", "两次输入的密码不一致"},
		{"missing licence", valid(), map[string]core.Upload{"letter": apptest.PDF}, "licence", "请上传统一社会信用代码证（营业执照）扫描件"},
		{"renamed executable", valid(), map[string]core.Upload{"licence": exe, "letter": apptest.PDF}, "licence", "文件“licence.pdf”的内容与扩展名不符，请上传真实的pdf文件"},
		{"unsupported type", valid(), map[string]core.Upload{"licence": {Name: "a.docx", Data: []byte("PK\x03\x04xx")}, "letter": apptest.PDF}, "licence", "文件“a.docx”的格式不受支持，仅支持扩展名为 .jpg, .jpeg, .png, .pdf 的文件"},
		{"too large", valid(), map[string]core.Upload{"licence": {Name: "big.pdf", Data: append([]byte("%PDF-"), make([]byte, 10<<20)...)}, "letter": apptest.PDF}, "licence", "统一社会信用代码证（营业执照）扫描件不能超过 10M"},
	}
	before := countApplicants(t, e)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.Browser()
			b.Get("/register")
			r := b.PostMultipart("/register", tt.form, tt.files)
			if r.Status != 422 {
				t.Fatalf("status %d", r.Status)
			}
			want := `<div class="ferr" data-field="` + tt.field + `">` + tt.msg
			if !strings.Contains(r.Body, want) {
				t.Errorf("page lacks %s", want)
			}
			if !strings.Contains(r.Body, `value="`+tt.form.Get("address")+`"`) {
				t.Errorf("the form lost what the user typed")
			}
			if strings.Contains(r.Body, tt.form.Get("password")) && tt.form.Get("password") != "" {
				t.Errorf("the password was echoed back")
			}
		})
	}
	if n := countApplicants(t, e); n != before {
		t.Fatalf("invalid registrations stored %d applicants", n-before)
	}
	b := e.Browser()
	b.Get("/register")
	r := b.PostMultipart("/register", url.Values{"userType": {"applicant"}}, nil)
	for _, f := range []string{"identity", "name", "address", "creditCode", "regionCode", "contactName", "contactPhone", "login", "password", "licence", "letter"} {
		if !strings.Contains(r.Body, `data-field="`+f+`"`) {
			t.Errorf("an empty form does not flag %s", f)
		}
	}
}

func TestRegister_ReviewRejectResubmitApprove(t *testing.T) {
	e := apptest.New(t)
	applicant := e.Browser()
	applicant.Get("/register")
	r := applicant.PostMultipart("/register", apptest.RegistrationForm("acme-gz", "440111", 5),
		map[string]core.Upload{"licence": {Name: "执照.png", Data: []byte("\x89PNG\r\n\x1a\nxxxx")}, "letter": apptest.PDF})
	if r.Status != 302 || r.Location != "/registration?msg=registered" {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	r = applicant.Get("/registration?msg=registered")
	if !strings.Contains(r.Body, "注册申请已提交") || !strings.Contains(r.Body, `id="reg-status">待审核`) {
		t.Fatalf("registration page after submit")
	}
	if r := applicant.Get("/"); r.Status != 302 || r.Location != "/registration" {
		t.Fatalf("pending applicant home: %d %s", r.Status, r.Location)
	}
	if r := applicant.Get("/subusers"); r.Status != 403 {
		t.Fatalf("pending applicant sub-users: %d", r.Status)
	}
	if r := applicant.Get("/registration/files/licence"); r.Status != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("own licence: %d %s", r.Status, r.Header.Get("Content-Type"))
	}

	staff := e.Browser()
	staff.Login(app.DemoStaff, app.DemoPassword)
	r = staff.Get("/review/registrations?status=pending")
	if !strings.Contains(r.Body, "测试企业5有限公司") {
		t.Fatal("pending registration not in the Guangzhou queue")
	}
	a, _, _ := e.App.Store.Accounts().ListApplicants(context.Background(), account.ApplicantQuery{Text: "测试企业5"})
	id := a[0].ID
	if r := staff.Get("/review/registrations/" + id + "/files/letter"); r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("staff opens the letter: %d", r.Status)
	}
	r = staff.Post("/review/registrations/"+id+"/reject", url.Values{"reason": {"  "}, "version": {"1"}})
	if r.Status != 422 || !strings.Contains(r.Body, "请填写拒绝原因") {
		t.Fatalf("reject without reason: %d", r.Status)
	}
	r = staff.Post("/review/registrations/"+id+"/reject", url.Values{"reason": {"授权委托书未加盖公章"}, "version": {"1"}})
	if r.Status != 302 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	r = applicant.Get("/registration")
	if !strings.Contains(r.Body, "授权委托书未加盖公章") || !strings.Contains(r.Body, `id="reg-status">被拒绝`) {
		t.Fatal("applicant does not see the reason")
	}
	form := url.Values{"name": {"测试企业5有限公司"}, "address": {"广州市白云区新地址 8 号"}, "creditCode": {apptest.CreditCode(5)},
		"regionCode": {"440111"}, "contactName": {"新联系人"}, "contactPhone": {"020-86868686"}, "version": {"2"}}
	r = applicant.PostMultipart("/registration", form, map[string]core.Upload{"letter": apptest.PDF})
	if r.Status != 302 || r.Location != "/registration?msg=resubmitted" {
		t.Fatalf("resubmit: %d %s", r.Status, r.Body)
	}
	// A second reviewer acting on the stale version is refused with the reason.
	r = staff.Post("/review/registrations/"+id+"/approve", url.Values{"version": {"2"}})
	if r.Status != 409 || !strings.Contains(r.Body, "该注册申请已被修改，请刷新后重新审核") {
		t.Fatalf("approve stale version: %d", r.Status)
	}
	r = staff.Post("/review/registrations/"+id+"/approve", url.Values{"version": {"3"}})
	if r.Status != 302 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	r = staff.Post("/review/registrations/"+id+"/approve", url.Values{"version": {"4"}})
	if r.Status != 409 || !strings.Contains(r.Body, "该注册申请当前状态为“已通过”，不能重复审核") {
		t.Fatalf("approve twice: %d", r.Status)
	}
	r = applicant.Get("/")
	if r.Status != 200 || !strings.Contains(r.Body, "测试企业5有限公司") {
		t.Fatalf("approved applicant home: %d", r.Status)
	}
	got, _ := e.App.Store.Accounts().GetApplicant(context.Background(), id)
	if got.Address != "广州市白云区新地址 8 号" || got.ContactPhone != "020-86868686" || len(got.History) != 4 {
		t.Fatalf("stored applicant: %+v", got)
	}
	// Approved registrations cannot be edited or cancelled by the applicant.
	if r := applicant.PostMultipart("/registration", form, nil); r.Status != 409 {
		t.Fatalf("edit after approval: %d", r.Status)
	}
}

func TestCancelRegistrationFreesLoginAndCreditCode(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Get("/register")
	if r := b.PostMultipart("/register", apptest.RegistrationForm("quit-co", "440106", 9), map[string]core.Upload{"licence": apptest.PDF, "letter": apptest.PDF}); r.Status != 302 {
		t.Fatalf("register: %d", r.Status)
	}
	if r := b.Post("/registration/cancel", nil); r.Status != 302 || r.Location != "/login?msg=cancelled" {
		t.Fatalf("cancel: %d %s", r.Status, r.Location)
	}
	if r := b.Get("/registration"); r.Status != 302 {
		t.Fatalf("session survived cancel: %d", r.Status)
	}
	if r := b.Post("/login", url.Values{"account": {"quit-co"}, "password": {"Passw0rd!"}}); r.Status != 401 {
		t.Fatalf("cancelled login: %d", r.Status)
	}
	b2 := e.Browser()
	b2.Get("/register")
	if r := b2.PostMultipart("/register", apptest.RegistrationForm("quit-co", "440106", 9), map[string]core.Upload{"licence": apptest.PDF, "letter": apptest.PDF}); r.Status != 302 {
		t.Fatalf("re-register with the freed login and credit code: %d %s", r.Status, r.Body)
	}
}

func TestReviewScope(t *testing.T) {
	e := apptest.New(t)
	sz := e.RegisterApplicant("shenzhen-co", "440306", 11, false)
	staff := e.Browser()
	staff.Login(app.DemoStaff, app.DemoPassword)
	if r := staff.Get("/review/registrations?status=all"); strings.Contains(r.Body, "测试企业11有限公司") {
		t.Fatal("Guangzhou staff lists a Shenzhen registration")
	}
	for _, p := range []string{"/review/registrations/" + sz.ID, "/review/registrations/" + sz.ID + "/files/licence"} {
		if r := staff.Get(p); r.Status != 404 {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	if r := staff.Post("/review/registrations/"+sz.ID+"/approve", url.Values{"version": {"1"}}); r.Status != 404 {
		t.Errorf("approve foreign: %d", r.Status)
	}
	reg := e.Browser()
	reg.Login(app.DemoRegulator, app.DemoPassword)
	if r := reg.Get("/review/registrations/" + sz.ID); r.Status != 404 {
		t.Errorf("Guangzhou regulator sees Shenzhen: %d", r.Status)
	}
	if r := reg.Get("/review/registrations?status=all"); !strings.Contains(r.Body, "广州示例计量器具使用有限公司") {
		t.Error("Guangzhou regulator does not see Guangzhou applicants")
	}
	gzApp, _ := e.App.Store.Accounts().GetUserByLogin(context.Background(), app.DemoApplicant)
	if r := reg.Post("/review/registrations/"+gzApp.ID+"/approve", url.Values{"version": {"2"}}); r.Status != 403 {
		t.Errorf("regulator approves: %d", r.Status)
	}
}

func TestSubUsers(t *testing.T) {
	e := apptest.New(t)
	main := e.Browser()
	main.Login(app.DemoApplicant, app.DemoPassword)
	r := main.Post("/subusers", url.Values{"name": {"王五"}, "phone": {"13800138001"}, "password": {"Abcd1234"}, "password2": {"Abcd1234"}})
	if r.Status != 422 || !strings.Contains(r.Body, "手机号 13800138001 已被其他账号使用") {
		t.Fatalf("duplicate phone: %d", r.Status)
	}
	r = main.Post("/subusers", url.Values{"name": {"王五"}, "phone": {"１３９００１３９１１１"}, "password": {"Abcd1234"}, "password2": {"Abcd1234"}})
	if r.Status != 302 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	sub := e.Browser()
	sub.Login("13900139111", "Abcd1234")
	if r := sub.Get("/subusers"); r.Status != 403 {
		t.Fatalf("sub-user manages sub-users: %d", r.Status)
	}
	if r := sub.Get("/registration"); r.Status != 200 || !strings.Contains(r.Body, "广州示例计量器具使用有限公司") {
		t.Fatalf("sub-user acts in the main account's scope: %d", r.Status)
	}
	u, _ := e.App.Store.Accounts().GetUserByLogin(context.Background(), "13900139111")
	if r := main.Post("/subusers/"+u.ID+"/password", url.Values{"password": {"short"}, "password2": {"short"}}); r.Status != 422 || !strings.Contains(r.Body, "重置密码失败：密码长度须为 8–32 位") {
		t.Fatalf("reset weak: %d", r.Status)
	}
	if r := main.Post("/subusers/"+u.ID+"/password", url.Values{"password": {"Newpass99"}, "password2": {"Newpass99"}}); r.Status != 302 {
		t.Fatalf("reset: %d", r.Status)
	}
	if r := sub.Get("/registration"); r.Status != 302 {
		t.Fatalf("sub-user session survived a password reset: %d", r.Status)
	}
	sub.Login("13900139111", "Newpass99")
	if r := main.Post("/subusers/"+u.ID+"/disable", nil); r.Status != 302 {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := sub.Get("/registration"); r.Status != 302 {
		t.Fatalf("disabled sub-user still logged in: %d", r.Status)
	}
	if r := main.Post("/subusers/"+u.ID+"/enable", nil); r.Status != 302 {
		t.Fatalf("enable: %d", r.Status)
	}
	sub.Login("13900139111", "Newpass99")
}

func TestChangePassword(t *testing.T) {
	e := apptest.New(t)
	a, b := e.Browser(), e.Browser()
	a.Login(app.DemoStaff, app.DemoPassword)
	b.Login(app.DemoStaff, app.DemoPassword)
	r := a.Post("/account/password", url.Values{"current": {"bad"}, "password": {"abc"}, "password2": {"abd"}})
	if r.Status != 422 || !strings.Contains(r.Body, "原密码不正确") || !strings.Contains(r.Body, "密码长度须为 8–32 位") {
		t.Fatalf("invalid change: %d", r.Status)
	}
	r = a.Post("/account/password", url.Values{"current": {app.DemoPassword}, "password": {"Changed123"}, "password2": {"Changed123"}})
	if r.Status != 302 {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := a.Get("/"); r.Status != 200 {
		t.Fatalf("current session ended: %d", r.Status)
	}
	if r := b.Get("/"); r.Status != 302 {
		t.Fatalf("other session survived: %d", r.Status)
	}
	if r := e.Browser().Post("/login", url.Values{"account": {app.DemoStaff}, "password": {app.DemoPassword}}); r.Status != 401 {
		t.Fatalf("old password still works: %d", r.Status)
	}
	e.Browser().Login(app.DemoStaff, "Changed123")
}

func TestAdminCreatesUsers(t *testing.T) {
	e := apptest.New(t)
	admin := e.Browser()
	admin.Login(app.DemoAdmin, app.DemoPassword)
	r := admin.Post("/admin/users", url.Values{"role": {"staff"}, "login": {"sz-staff"}, "name": {"深圳审核员"}, "password": {"Abcd1234"}})
	if r.Status != 422 || !strings.Contains(r.Body, "请选择所属技术机构") {
		t.Fatalf("staff without institution: %d", r.Status)
	}
	r = admin.Post("/admin/users", url.Values{"role": {"staff"}, "login": {"sz-staff"}, "name": {"深圳审核员"}, "password": {"Abcd1234"}, "institution": {"inst-440300"}})
	if r.Status != 302 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	sz := e.Browser()
	sz.Login("sz-staff", "Abcd1234")
	if r := sz.Get("/"); !strings.Contains(r.Body, "深圳市计量质量检测研究院") {
		t.Fatal("new staff home")
	}
	staff := e.Browser()
	staff.Login(app.DemoStaff, app.DemoPassword)
	if r := staff.Get("/admin/users"); r.Status != 403 {
		t.Fatalf("staff opens user admin: %d", r.Status)
	}
	if r := admin.Get("/admin/refdata?tab=regions"); !strings.Contains(r.Body, "浚江区") {
		t.Fatal("reference data page")
	}
}

func TestAuthorizationLetterTemplate(t *testing.T) {
	e := apptest.New(t)
	r := e.Browser().Get("/register/template")
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "wordprocessingml") {
		t.Fatalf("template: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(strings.NewReader(r.Body), int64(len(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			var buf bytes.Buffer
			buf.ReadFrom(rc)
			for _, want := range []string{"授权委托书", "代理人无转委托权。", "法定代表人：（签字或盖章）"} {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("letter lacks %s", want)
				}
			}
			return
		}
	}
	t.Fatal("no document.xml")
}
