package wxsandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func jscode(code string) string {
	return "/sns/jscode2session?" + q("appid", DefaultMPAppID, "secret", DefaultMPSecret, "js_code", code, "grant_type", "authorization_code")
}

func TestJSCode2Session_ReturnsMiniProgramIdentity(t *testing.T) {
	f := newFixture(t)
	code, err := f.s.LoginCode("fan")
	if err != nil {
		t.Fatal(err)
	}
	m := f.get(jscode(code))
	u := f.user("fan")
	if m["openid"] != u.MPOpenID || m["unionid"] != u.UnionID || m["session_key"] == "" {
		t.Fatalf("jscode2session = %v, want mp openid %s", m, u.MPOpenID)
	}
	if u.MPOpenID == u.OAOpenID {
		t.Fatal("openids of the two apps must differ")
	}
}

func TestLoginCode_OnceWithinFiveMinutes(t *testing.T) {
	f := newFixture(t)
	code, _ := f.s.LoginCode("fan")
	wantCode(t, f.get(jscode(code)), 0)
	wantCode(t, f.get(jscode(code)), ErrCodeCodeBeenUsed)

	late, _ := f.s.LoginCode("fan")
	f.clock.Advance(5 * time.Minute)
	wantCode(t, f.get(jscode(late)), ErrCodeInvalidCode)

	justInTime, _ := f.s.LoginCode("fan")
	f.clock.Advance(5*time.Minute - time.Second)
	wantCode(t, f.get(jscode(justInTime)), 0)

	wantCode(t, f.get(jscode("0a1b2c3d4e5f")), ErrCodeInvalidCode)

	oauth, _ := f.s.OAuthCode("fan", "")
	wantCode(t, f.get(jscode(oauth)), ErrCodeInvalidCode) // a code of the other app
}

func TestJSCode2Session_ParameterErrors(t *testing.T) {
	f := newFixture(t)
	code, _ := f.s.LoginCode("fan")
	cases := []struct {
		name, query string
		want        int
	}{
		{"official account appid", q("appid", DefaultOAAppID, "secret", DefaultOASecret, "js_code", code, "grant_type", "authorization_code"), ErrCodeInvalidAppID},
		{"wrong secret", q("appid", DefaultMPAppID, "secret", "x", "js_code", code, "grant_type", "authorization_code"), ErrCodeInvalidAppSecret},
		{"missing appid", q("secret", DefaultMPSecret, "js_code", code, "grant_type", "authorization_code"), ErrCodeAppIDMissing},
		{"missing code", q("appid", DefaultMPAppID, "secret", DefaultMPSecret, "grant_type", "authorization_code"), ErrCodeCodeMissing},
		{"bad grant_type", q("appid", DefaultMPAppID, "secret", DefaultMPSecret, "js_code", code, "grant_type", "client_credential"), ErrCodeInvalidGrantType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, f.get("/sns/jscode2session?"+c.query), c.want) })
	}
	wantCode(t, f.get(jscode(code)), 0) // failed calls did not spend the code
}

func TestPhoneNumber_CodeOnceWithinFiveMinutes(t *testing.T) {
	f := newFixture(t)
	tok := f.mpToken()
	path := "/wxa/business/getuserphonenumber?" + q("access_token", tok)
	code, _ := f.s.PhoneCode("fan")
	m := f.post(path, map[string]string{"code": code})
	wantCode(t, m, 0)
	if m["errmsg"] != "ok" {
		t.Fatalf("errmsg = %v", m["errmsg"])
	}
	info := m["phone_info"].(map[string]any)
	wm := info["watermark"].(map[string]any)
	if info["phoneNumber"] != "13800138000" || info["purePhoneNumber"] != "13800138000" || info["countryCode"] != "86" ||
		wm["appid"] != DefaultMPAppID || wm["timestamp"] != float64(epoch.Unix()) {
		t.Fatalf("phone_info = %v", info)
	}
	wantCode(t, f.post(path, map[string]string{"code": code}), ErrCodeInvalidCode)

	late, _ := f.s.PhoneCode("fan")
	f.clock.Advance(5 * time.Minute)
	wantCode(t, f.post("/wxa/business/getuserphonenumber?"+q("access_token", f.mpToken()), map[string]string{"code": late}), ErrCodeInvalidCode)

	login, _ := f.s.LoginCode("fan")
	wantCode(t, f.post("/wxa/business/getuserphonenumber?"+q("access_token", f.mpToken()), map[string]string{"code": login}), ErrCodeInvalidCode)
	wantCode(t, f.post("/wxa/business/getuserphonenumber", map[string]string{"code": late}), ErrCodeTokenMissing)
}

func TestCodes_UnknownUser(t *testing.T) {
	f := newFixture(t)
	if _, err := f.s.LoginCode("ghost"); err != ErrUnknownUser {
		t.Fatalf("LoginCode(ghost) err = %v", err)
	}
	if _, err := f.s.OAuthCode("fan", "snsapi_admin"); err != ErrUnknownOAuthScope {
		t.Fatalf("OAuthCode bad scope err = %v", err)
	}
}

func oauthExchange(code string) string {
	return "/sns/oauth2/access_token?" + q("appid", DefaultOAAppID, "secret", DefaultOASecret, "code", code, "grant_type", "authorization_code")
}

func TestOAuth_AuthorizeRedirectsWithCodeAndState(t *testing.T) {
	f := newFixture(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := f.base + "/connect/oauth2/authorize?" + q("appid", DefaultOAAppID, "redirect_uri", "https://qj.example/wx/oauth?next=%2Fme",
		"response_type", "code", "scope", "snsapi_userinfo", "state", "xyz") + "#wechat_redirect"

	// Without sandbox_user the person picks a user on a page.
	resp, err := noFollow.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "粉丝") || !strings.Contains(page, "sandbox_user=fan") {
		t.Fatalf("chooser page %d: %s", resp.StatusCode, page)
	}

	resp, err = noFollow.Get(strings.Replace(authorize, "#", "&sandbox_user=fan#", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Host != "qj.example" || loc.Path != "/wx/oauth" || loc.Query().Get("state") != "xyz" || loc.Query().Get("next") != "/me" {
		t.Fatalf("redirect = %s", loc)
	}
	code := loc.Query().Get("code")
	m := f.get(oauthExchange(code))
	u := f.user("fan")
	if errcode(m) != 0 || m["openid"] != u.OAOpenID || m["unionid"] != u.UnionID || m["scope"] != "snsapi_userinfo" ||
		m["expires_in"] != float64(7200) || m["refresh_token"] == "" {
		t.Fatalf("oauth2/access_token = %v", m)
	}
	info := f.get("/sns/userinfo?" + q("access_token", m["access_token"].(string), "openid", u.OAOpenID, "lang", "zh_CN"))
	if info["nickname"] != "粉丝" || info["unionid"] != u.UnionID {
		t.Fatalf("sns/userinfo = %v", info)
	}
	wantCode(t, f.get(oauthExchange(code)), ErrCodeCodeBeenUsed)
}

func TestOAuth_CodeRulesAndScopes(t *testing.T) {
	f := newFixture(t)
	late, _ := f.s.OAuthCode("stranger", "snsapi_base")
	f.clock.Advance(5 * time.Minute)
	wantCode(t, f.get(oauthExchange(late)), ErrCodeInvalidCode)
	wantCode(t, f.get(oauthExchange("nope")), ErrCodeInvalidCode)

	base, _ := f.s.OAuthCode("stranger", "snsapi_base")
	m := f.get(oauthExchange(base))
	wantCode(t, m, 0)
	if m["scope"] != "snsapi_base" {
		t.Fatalf("scope = %v", m["scope"])
	}
	openid := f.user("stranger").OAOpenID
	wantCode(t, f.get("/sns/userinfo?"+q("access_token", m["access_token"].(string), "openid", openid)), ErrCodeAPIUnauthorized)
	// An OAuth token is not an API token.
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", m["access_token"].(string), "openid", openid)), ErrCodeInvalidCredential)

	login, _ := f.s.LoginCode("stranger")
	wantCode(t, f.get(oauthExchange(login)), ErrCodeInvalidCode)
	wantCode(t, f.get("/sns/oauth2/access_token?"+q("appid", DefaultMPAppID, "secret", DefaultMPSecret, "code", login, "grant_type", "authorization_code")), ErrCodeInvalidAppID)
}

func TestOAuth_AuthorizeRejectsBadParameters(t *testing.T) {
	f := newFixture(t)
	good := map[string]string{"appid": DefaultOAAppID, "redirect_uri": "https://qj.example/cb", "response_type": "code", "scope": "snsapi_base"}
	cases := []struct{ field, value, want string }{
		{"appid", DefaultMPAppID, "appid 参数错误"},
		{"redirect_uri", "/relative", "redirect_uri 参数错误"},
		{"scope", "snsapi_login", "scope 参数错误"},
		{"response_type", "token", "response_type 参数错误"},
	}
	for _, c := range cases {
		v := url.Values{}
		for k, x := range good {
			v.Set(k, x)
		}
		v.Set(c.field, c.value)
		v.Set("sandbox_user", "fan")
		resp, err := http.Get(f.base + "/connect/oauth2/authorize?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if page := readAll(t, resp); !strings.Contains(page, c.want) {
			t.Fatalf("%s=%s: page lacks %q", c.field, c.value, c.want)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}
