package mpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
)

type errBody struct {
	Code    string
	Message string
	Fields  []struct{ Field, Message string }
}

func TestLoginPassword(t *testing.T) {
	e := apptest.New(t)
	e.RegisterApplicant("pending-co", "440106", 1, false)
	tests := []struct {
		name      string
		body      any
		status    int
		code, msg string
		subUser   bool
	}{
		{"main account", map[string]string{"account": app.DemoApplicant, "password": app.DemoPassword}, 200, "", "", false},
		{"account is case-insensitive", map[string]string{"account": "  DEMO-Applicant ", "password": app.DemoPassword}, 200, "", "", false},
		{"sub-user by phone", map[string]string{"account": app.DemoSubUserPhone, "password": app.DemoPassword}, 200, "", "", true},
		{"wrong password", map[string]string{"account": app.DemoApplicant, "password": "nope12345"}, 401, "UNAUTHENTICATED", "账号或密码错误，再输错 4 次账号将被锁定 15 分钟", false},
		{"unknown account", map[string]string{"account": "nobody", "password": "nope12345"}, 401, "UNAUTHENTICATED", "账号或密码错误", false},
		{"institution staff", map[string]string{"account": app.DemoStaff, "password": app.DemoPassword}, 403, "FORBIDDEN", "小程序仅供“申请方”账号使用，技术机构、行政管理部门及管理员请使用网页端", false},
		{"regulator", map[string]string{"account": app.DemoRegulator, "password": app.DemoPassword}, 403, "FORBIDDEN", "小程序仅供“申请方”账号使用，技术机构、行政管理部门及管理员请使用网页端", false},
		{"admin", map[string]string{"account": app.DemoAdmin, "password": app.DemoPassword}, 403, "FORBIDDEN", "小程序仅供“申请方”账号使用，技术机构、行政管理部门及管理员请使用网页端", false},
		{"applicant not yet approved", map[string]string{"account": "pending-co", "password": "Passw0rd!"}, 403, "FORBIDDEN", "您的注册申请尚未审核通过，请在网页端查看审核进度", false},
		{"malformed JSON", `{"account":`, 422, "INVALID", "请求格式有误，应为 JSON", false},
		{"empty body", "", 422, "INVALID", "请求内容不能为空", false},
		{"missing fields", map[string]string{}, 422, "INVALID", "提交的信息有误，请按提示修改", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.API("POST", "/api/mp/v1/login/password", "", tt.body)
			if r.Status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.status == 200 {
				var out struct {
					Token string
					User  struct {
						SubUser   bool
						Applicant struct{ Status, Name string }
					}
				}
				r.JSON(t, &out)
				if len(out.Token) < 40 || out.User.SubUser != tt.subUser || out.User.Applicant.Status != "approved" {
					t.Errorf("body = %s", r.Body)
				}
				return
			}
			var eb errBody
			r.JSON(t, &eb)
			if eb.Code != tt.code || eb.Message != tt.msg {
				t.Errorf("error = %+v, want %s %q", eb, tt.code, tt.msg)
			}
		})
	}
}

func TestLoginPassword_LocksAfterFiveWrongPasswords(t *testing.T) {
	e := apptest.New(t)
	login := func(pw string) (int, string) {
		r := e.API("POST", "/api/mp/v1/login/password", "", map[string]string{"account": app.DemoApplicant, "password": pw})
		var eb errBody
		if r.Status != 200 {
			r.JSON(t, &eb)
		}
		return r.Status, eb.Message
	}
	for i := 1; i <= 4; i++ {
		if st, _ := login("wrong-pass1"); st != 401 {
			t.Fatalf("attempt %d: %d", i, st)
		}
	}
	st, msg := login("wrong-pass1")
	if st != 423 || msg != "密码连续输错 5 次，账号已被锁定，请 15 分钟后再试" {
		t.Fatalf("5th wrong password: %d %q", st, msg)
	}
	if st, msg := login(app.DemoPassword); st != 423 || !strings.Contains(msg, "已被锁定") {
		t.Fatalf("right password while locked: %d %q", st, msg)
	}
	// The console shares the lock: the account, not the channel, is locked.
	b := e.Browser()
	if r := b.Post("/login", url.Values{"account": {app.DemoApplicant}, "password": {app.DemoPassword}}); r.Status != 423 || !strings.Contains(r.Body, "已被锁定") {
		t.Fatalf("console login while locked: %d", r.Status)
	}
	if !e.App.Redis.Embedded {
		d := e.App.Redis.RDB.PTTL(context.Background(), e.App.Redis.Key("lock", mainID(t, e))).Val()
		if d < 14*time.Minute || d > 15*time.Minute {
			t.Fatalf("lock TTL = %v", d)
		}
		return
	}
	e.App.Redis.FastForward(14 * time.Minute)
	if st, msg := login(app.DemoPassword); st != 423 || msg != "密码连续输错 5 次，账号已被锁定，请 1 分钟后再试" {
		t.Fatalf("after 14 minutes: %d %q", st, msg)
	}
	e.App.Redis.FastForward(61 * time.Second)
	if st, _ := login(app.DemoPassword); st != 200 {
		t.Fatalf("after 15 minutes: %d", st)
	}
	// A success resets the count.
	if _, msg := login("wrong-pass1"); msg != "账号或密码错误，再输错 4 次账号将被锁定 15 分钟" {
		t.Fatalf("after reset: %q", msg)
	}
}

func mainID(t *testing.T, e *apptest.Env) string {
	u, err := e.App.Store.Accounts().GetUserByLogin(context.Background(), app.DemoApplicant)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestMeAndLogout(t *testing.T) {
	e := apptest.New(t)
	token := e.MPLogin(app.DemoApplicant, app.DemoPassword)
	subToken := e.MPLogin(app.DemoSubUserPhone, app.DemoPassword)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)

	tests := []struct {
		name   string
		method string
		path   string
		token  string
		status int
		want   string
	}{
		{"me", "GET", "/api/mp/v1/me", token, 200, `"account":"demo-applicant"`},
		{"me as sub-user acts for the main account", "GET", "/api/mp/v1/me", subToken, 200, `"subUser":true`},
		{"no token", "GET", "/api/mp/v1/me", "", 401, `"code":"UNAUTHENTICATED"`},
		{"bad token", "GET", "/api/mp/v1/me", "not-a-token", 401, `"message":"登录已过期，请重新登录"`},
		{"console cookie is not a bearer token", "GET", "/api/mp/v1/me", b.Cookie("qj_session"), 401, `"code":"UNAUTHENTICATED"`},
		{"unknown endpoint", "GET", "/api/mp/v1/nope", token, 404, `"code":"NOT_FOUND"`},
		{"wrong method", "DELETE", "/api/mp/v1/me", token, 404, `"code":"NOT_FOUND"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.API(tt.method, tt.path, tt.token, nil)
			if r.Status != tt.status || !strings.Contains(r.Body, tt.want) {
				t.Fatalf("%d %s, want %d containing %s", r.Status, r.Body, tt.status, tt.want)
			}
		})
	}
	if r := e.API("POST", "/api/mp/v1/logout", token, nil); r.Status != 200 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := e.API("GET", "/api/mp/v1/me", token, nil); r.Status != 401 {
		t.Fatalf("me after logout: %d", r.Status)
	}
	if r := e.API("GET", "/api/mp/v1/me", subToken, nil); r.Status != 200 {
		t.Fatalf("other session ended by logout: %d", r.Status)
	}
}

func TestDisabledSubUserLosesItsSessions(t *testing.T) {
	e := apptest.New(t)
	subToken := e.MPLogin(app.DemoSubUserPhone, app.DemoPassword)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	sub, err := e.App.Store.Accounts().GetUserByLogin(context.Background(), app.DemoSubUserPhone)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Post("/subusers/"+sub.ID+"/disable", nil); r.Status != 302 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := e.API("GET", "/api/mp/v1/me", subToken, nil); r.Status != 401 {
		t.Fatalf("disabled sub-user still served: %d", r.Status)
	}
	r := e.API("POST", "/api/mp/v1/login/password", "", map[string]string{"account": app.DemoSubUserPhone, "password": app.DemoPassword})
	if r.Status != 403 || !strings.Contains(r.Body, "该子用户已被主账号停用") {
		t.Fatalf("disabled sub-user login: %d %s", r.Status, r.Body)
	}
}
