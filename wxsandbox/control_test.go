package wxsandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func decodeList(t *testing.T, f *fixture, path string, v any) {
	t.Helper()
	resp, err := http.Get(f.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestControlAPI_UsersCodesAndPhone(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	r.reply = func(m inMsg) string { return textReply(m, "hi") }

	status, u := f.do(http.MethodPost, "/sandbox/users", map[string]any{"id": "alice", "nickname": "爱丽丝", "phone": "13900000000"})
	if status != http.StatusCreated || u["oa_openid"] == "" || u["mp_openid"] == "" || u["unionid"] == "" {
		t.Fatalf("create user = %d %v", status, u)
	}
	if status, _ := f.do(http.MethodPost, "/sandbox/users", map[string]any{"id": "alice"}); status != http.StatusConflict {
		t.Fatalf("duplicate user = %d", status)
	}
	var users []User
	decodeList(t, f, "/sandbox/users", &users)
	if len(users) != 3 || users[2].ID != "alice" {
		t.Fatalf("users = %+v", users)
	}

	code := f.post("/sandbox/users/alice/login-code", nil)["code"].(string)
	if m := f.get(jscode(code)); m["openid"] != u["mp_openid"] {
		t.Fatalf("jscode2session with a control-API code = %v", m)
	}
	pc := f.post("/sandbox/users/alice/phone-code", nil)["code"].(string)
	if m := f.post("/wxa/business/getuserphonenumber?"+q("access_token", f.mpToken()), map[string]string{"code": pc}); errcode(m) != 0 {
		t.Fatalf("phone = %v", m)
	}
	oc := f.post("/sandbox/users/alice/oauth-code", map[string]string{"scope": "snsapi_userinfo"})["code"].(string)
	if m := f.get(oauthExchange(oc)); m["scope"] != "snsapi_userinfo" {
		t.Fatalf("oauth = %v", m)
	}
	if status, _ := f.do(http.MethodPost, "/sandbox/users/nobody/login-code", nil); status != http.StatusNotFound {
		t.Fatalf("code for unknown user = %d", status)
	}

	status, rep := f.do(http.MethodPost, "/sandbox/users/alice/subscribe", map[string]string{"scene": "bind_1"})
	if status != http.StatusOK || rep["event"] != "subscribe" || rep["message"].(map[string]any)["content"] != "hi" {
		t.Fatalf("subscribe = %d %v", status, rep)
	}
	if m := r.last().msg; m.EventKey != "qrscene_bind_1" {
		t.Fatalf("pushed %+v", m)
	}
	if status, _ := f.do(http.MethodPost, "/sandbox/users/alice/subscribe", nil); status != http.StatusConflict {
		t.Fatalf("second subscribe = %d", status)
	}
	for _, a := range []struct {
		action string
		body   map[string]string
	}{{"click", map[string]string{"key": "BIND"}}, {"text", map[string]string{"content": "YY1"}}, {"view", map[string]string{"url": "https://qj.example/"}}, {"unsubscribe", nil}} {
		if status, rep := f.do(http.MethodPost, "/sandbox/users/alice/"+a.action, a.body); status != http.StatusOK {
			t.Fatalf("%s = %d %v", a.action, status, rep)
		}
	}
	if status, _ := f.do(http.MethodPost, "/sandbox/users/alice/dance", nil); status != http.StatusNotFound {
		t.Fatalf("unknown action = %d", status)
	}
	off := false
	if status, m := f.do(http.MethodPatch, "/sandbox/users/fan", UserUpdate{Subscribed: &off}); status != http.StatusOK || m["subscribed"] != false {
		t.Fatalf("PATCH user = %d %v", status, m)
	}
	if status, m := f.do(http.MethodPost, "/sandbox/echo", nil); status != http.StatusOK || m["ok"] != true {
		t.Fatalf("echo = %d %v", status, m)
	}
	var cbs []Reply
	decodeList(t, f, "/sandbox/callbacks", &cbs)
	if len(cbs) != 5 {
		t.Fatalf("callbacks = %d", len(cbs))
	}
}

func TestControlAPI_RecordsTokensMessagesClockAndReset(t *testing.T) {
	f := newFixture(t)
	tok := f.oaToken()
	f.post("/cgi-bin/message/template/send?"+q("access_token", tok), filingMsg(f.user("fan").OAOpenID, goodData()))
	f.post("/cgi-bin/message/template/send?"+q("access_token", tok), filingMsg(f.user("stranger").OAOpenID, goodData()))
	f.get("/cgi-bin/token?" + q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", "wrong"))

	var reqs []RecordedRequest
	decodeList(t, f, "/sandbox/requests", &reqs)
	if len(reqs) != 4 {
		t.Fatalf("requests = %d, want 4", len(reqs))
	}
	last := reqs[3]
	if last.Method != http.MethodGet || last.Path != "/cgi-bin/token" || last.ErrCode != ErrCodeInvalidAppSecret ||
		strings.Contains(last.Query, "wrong") || !last.Time.Equal(epoch) {
		t.Fatalf("last request = %+v (secret must be masked)", last)
	}
	if reqs[2].ErrCode != ErrCodeRequireSubscribe || !strings.Contains(reqs[2].Body, "TPL_FILING_STATUS") {
		t.Fatalf("template request = %+v", reqs[2])
	}
	decodeList(t, f, "/sandbox/requests?path=/cgi-bin/message/", &reqs)
	if len(reqs) != 2 {
		t.Fatalf("filtered requests = %d", len(reqs))
	}
	var msgs []Delivery
	decodeList(t, f, "/sandbox/messages?touser=fan", &msgs)
	if len(msgs) != 1 || msgs[0].Data["phrase3"] != "已受理" {
		t.Fatalf("messages = %+v", msgs)
	}
	if m := f.get("/sandbox/tokens"); m["issued"] != float64(1) {
		t.Fatalf("tokens = %v", m)
	}

	if m := f.post("/sandbox/clock", map[string]string{"advance": "2h"}); m["offset_seconds"] != float64(7200) {
		t.Fatalf("clock = %v", m)
	}
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", tok, "openid", f.user("fan").OAOpenID)), ErrCodeTokenExpired)
	if status, _ := f.do(http.MethodPost, "/sandbox/clock", map[string]int{"advance_seconds": -1}); status != http.StatusBadRequest {
		t.Fatalf("moving the clock back = %d", status)
	}

	if m := f.post("/sandbox/config", map[string]any{"callback_url": "http://127.0.0.1:1/cb", "message_mode": "compat", "daily_quota": 5}); m["daily_quota"] != float64(5) ||
		m["official_account"].(map[string]any)["message_mode"] != "compat" {
		t.Fatalf("config = %v", m)
	}
	if status, _ := f.do(http.MethodPost, "/sandbox/config", map[string]any{"message_mode": "loud"}); status != http.StatusBadRequest {
		t.Fatalf("bad mode = %d", status)
	}

	if status, _ := f.do(http.MethodPost, "/sandbox/reset", nil); status != http.StatusNoContent {
		t.Fatalf("reset = %d", status)
	}
	decodeList(t, f, "/sandbox/requests", &reqs)
	if c := f.s.Config(); c.DailyQuota != DefaultDailyQuota || c.OfficialAccount.CallbackURL != "" || c.OfficialAccount.MessageMode != ModePlain {
		t.Fatalf("reset kept runtime config: %+v", c.OfficialAccount)
	}
	if len(reqs) != 0 || len(f.s.Deliveries()) != 0 || f.s.TokensIssued("") != 0 || !f.s.Now().Equal(epoch) {
		t.Fatalf("reset left state behind")
	}
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", tok, "openid", f.user("fan").OAOpenID)), ErrCodeInvalidCredential)
	if status, m := f.do(http.MethodGet, "/sandbox/nothing", nil); status != http.StatusNotFound || m["error"] == nil {
		t.Fatalf("unknown control path = %d %v", status, m)
	}
}

func TestAPI_UnknownPathAndWrongMethod(t *testing.T) {
	f := newFixture(t)
	status, m := f.do(http.MethodGet, "/cgi-bin/nothing", nil)
	if status != http.StatusNotFound || errcode(m) != ErrCodeSystemBusy {
		t.Fatalf("unknown path = %d %v", status, m)
	}
	status, m = f.do(http.MethodPost, "/cgi-bin/token", "{}")
	if status != http.StatusOK || errcode(m) != ErrCodeRequireGET || !strings.Contains(m["errmsg"].(string), "rid: ") {
		t.Fatalf("POST token = %d %v", status, m)
	}
	wantCode(t, f.get("/cgi-bin/message/template/send"), ErrCodeRequirePOST)
}

func TestPages_RenderInChineseAndScanFormWorks(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	r.reply = func(m inMsg) string { return textReply(m, "扫码登录成功") }
	tk := f.post("/cgi-bin/qrcode/create?"+q("access_token", f.oaToken()), qrBody("QR_STR_SCENE", 300, "login_1"))["ticket"].(string)
	f.post("/cgi-bin/message/template/send?"+q("access_token", f.oaToken()), filingMsg(f.user("fan").OAOpenID, goodData()))
	wantCode(t, f.post("/cgi-bin/menu/create?"+q("access_token", f.oaToken()), menuJSON(click("绑定账号", "BIND"))), 0)

	for path, want := range map[string]string{
		"/sandbox/":                  "模拟用户",
		"/sandbox/phone?user=fan":    "绑定账号",
		"/sandbox/scan?ticket=" + tk: "扫码",
		"/sandbox/scan?ticket=nope":  "二维码不存在",
		"/":                          "微信接口沙箱",
	} {
		resp, err := http.Get(f.base + path)
		if err != nil {
			t.Fatal(err)
		}
		if page := readAll(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("GET %s = %d, lacks %q", path, resp.StatusCode, want)
		}
	}
	resp, err := http.PostForm(f.base+"/sandbox/scan", url.Values{"ticket": {tk}, "user": {"new"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(t, resp); !strings.Contains(page, "扫码登录成功") || !strings.Contains(page, "微信会接受这个回复") {
		t.Fatalf("scan result page: %s", page)
	}
	if m := r.last().msg; m.Event != "subscribe" || m.EventKey != "qrscene_login_1" {
		t.Fatalf("pushed %+v", m)
	}
	resp, err = http.PostForm(f.base+"/sandbox/phone", url.Values{"user": {"fan"}, "action": {"click"}, "arg": {"BIND"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(t, resp); !strings.Contains(page, "点击菜单") {
		t.Fatalf("phone result page: %s", page)
	}
	resp, err = http.PostForm(f.base+"/sandbox/phone", url.Values{"user": {"fan"}, "action": {"login-code"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(t, resp); !strings.Contains(page, "wx.login") {
		t.Fatalf("login code page: %s", page)
	}
	resp, err = http.PostForm(f.base+"/sandbox/form/users", url.Values{"nickname": {"新人"}, "subscribed": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(t, resp); !strings.Contains(page, "已创建用户 新人") {
		t.Fatalf("create user page: %s", page)
	}
}

// A sandbox mounted on httptest rather than started learns its base URL
// from the first request, so QR codes still carry absolute URLs.
func TestNew_MountedOnHTTPTest(t *testing.T) {
	s, err := New(Config{Clock: NewManualClock(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	f := &fixture{t: t, s: s, base: ts.URL, hc: &http.Client{Timeout: 5 * time.Second}}
	m := f.post("/cgi-bin/qrcode/create?"+q("access_token", f.oaToken()), qrBody("QR_SCENE", 60, 9))
	if !strings.HasPrefix(m["url"].(string), ts.URL+"/sandbox/scan?ticket=") {
		t.Fatalf("url = %v", m["url"])
	}
	if s.URL() != "" || s.BaseURL() != ts.URL {
		t.Fatalf("URL %q BaseURL %q", s.URL(), s.BaseURL())
	}
}

func TestNew_RejectsBadConfig(t *testing.T) {
	bad := []Config{
		{OfficialAccount: OfficialAccount{EncodingAESKey: "short"}},
		{OfficialAccount: OfficialAccount{MessageMode: "loud"}},
		{MiniProgram: MiniProgram{AppID: DefaultOAAppID}},
		{Templates: []Template{{ID: "A", Keywords: []string{"thing1"}}, {ID: "A", Keywords: []string{"thing1"}}}},
		{Users: []User{{ID: "x"}, {ID: "x"}}},
	}
	for i, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

func TestRewriteTransport_OnlyWeChatHosts(t *testing.T) {
	var hosts []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.URL.Path+"?"+r.URL.RawQuery)
	}))
	defer ts.Close()
	target, _ := url.Parse(ts.URL)
	c := &http.Client{Transport: &RewriteTransport{Target: target}}
	for _, u := range []string{
		"https://api.weixin.qq.com/cgi-bin/token?a=1",
		"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=x",
		"https://open.weixin.qq.com/connect/oauth2/authorize?appid=y",
	} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if strings.Join(hosts, " ") != "/cgi-bin/token?a=1 /cgi-bin/showqrcode?ticket=x /connect/oauth2/authorize?appid=y" {
		t.Fatalf("sandbox saw %v", hosts)
	}
	if isWeChatHost("weixin.qq.com.evil.example") || !isWeChatHost("API.weixin.qq.com:443") {
		t.Fatal("isWeChatHost is wrong")
	}
}
