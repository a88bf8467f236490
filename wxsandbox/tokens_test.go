package wxsandbox

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestToken_CredentialErrors(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name  string
		query string
		want  int
	}{
		{"bad grant_type", q("grant_type", "password", "appid", DefaultOAAppID, "secret", DefaultOASecret), ErrCodeInvalidGrantType},
		{"missing grant_type", q("appid", DefaultOAAppID, "secret", DefaultOASecret), ErrCodeInvalidGrantType},
		{"missing appid", q("grant_type", "client_credential", "secret", DefaultOASecret), ErrCodeAppIDMissing},
		{"unknown appid", q("grant_type", "client_credential", "appid", "wx0000000000000000", "secret", DefaultOASecret), ErrCodeInvalidAppID},
		{"missing secret", q("grant_type", "client_credential", "appid", DefaultOAAppID), ErrCodeSecretMissing},
		{"wrong secret", q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", "nope"), ErrCodeInvalidAppSecret},
		{"other app's secret", q("grant_type", "client_credential", "appid", DefaultMPAppID, "secret", DefaultOASecret), ErrCodeInvalidAppSecret},
		{"official account", q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret), 0},
		{"mini program", q("grant_type", "client_credential", "appid", DefaultMPAppID, "secret", DefaultMPSecret), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := f.get("/cgi-bin/token?" + c.query)
			wantCode(t, m, c.want)
			if c.want == 0 && (m["access_token"] == "" || m["expires_in"] != float64(7200)) {
				t.Fatalf("token response = %v", m)
			}
		})
	}
	if n := f.s.TokensIssued(""); n != 2 {
		t.Fatalf("TokensIssued = %d, want 2 (failed calls do not issue)", n)
	}
}

func TestToken_ExpiresAfter7200Seconds(t *testing.T) {
	f := newFixture(t)
	m := f.get("/cgi-bin/token?" + q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret))
	tok := m["access_token"].(string)
	use := func() int {
		return errcode(f.get("/cgi-bin/user/info?" + q("access_token", tok, "openid", f.user("fan").OAOpenID)))
	}
	if c := use(); c != 0 {
		t.Fatalf("fresh token: %d", c)
	}
	f.clock.Advance(7199 * time.Second)
	if c := use(); c != 0 {
		t.Fatalf("token at 7199 s: %d", c)
	}
	f.clock.Advance(time.Second)
	if c := use(); c != ErrCodeTokenExpired {
		t.Fatalf("token at 7200 s: %d, want 42001", c)
	}
}

func TestToken_MissingUnknownAndWrongAppTokens(t *testing.T) {
	f := newFixture(t)
	openid := f.user("fan").OAOpenID
	wantCode(t, f.get("/cgi-bin/user/info?"+q("openid", openid)), ErrCodeTokenMissing)
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", "forged", "openid", openid)), ErrCodeInvalidCredential)
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", f.mpToken(), "openid", openid)), ErrCodeAPIUnauthorized)
	wantCode(t, f.post("/wxa/business/getuserphonenumber?"+q("access_token", f.oaToken()), map[string]string{"code": "x"}), ErrCodeAPIUnauthorized)
}

func TestToken_RefetchKeepsOldTokenFiveMinutes(t *testing.T) {
	f := newFixture(t)
	fetch := func() string {
		return f.get("/cgi-bin/token?" + q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret))["access_token"].(string)
	}
	use := func(tok string) int {
		return errcode(f.get("/cgi-bin/user/info?" + q("access_token", tok, "openid", f.user("fan").OAOpenID)))
	}
	t1 := fetch()
	t2 := fetch()
	if t1 == t2 {
		t.Fatal("/cgi-bin/token returned the same token twice")
	}
	f.clock.Advance(4*time.Minute + 59*time.Second)
	if use(t1) != 0 || use(t2) != 0 {
		t.Fatal("old token must stay valid for 5 minutes after a refetch")
	}
	f.clock.Advance(time.Second)
	if c := use(t1); c != ErrCodeInvalidCredential {
		t.Fatalf("replaced token after grace: %d, want 40001", c)
	}
	if use(t2) != 0 {
		t.Fatal("new token stopped working")
	}
}

func TestStableToken_SharedUntilExpiry_ForceRefreshReplaces(t *testing.T) {
	f := newFixture(t)
	a := f.stableToken(DefaultOAAppID, DefaultOASecret, false)
	f.clock.Advance(100 * time.Second)
	m := f.post("/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": DefaultOAAppID, "secret": DefaultOASecret})
	if m["access_token"] != a || m["expires_in"] != float64(7100) {
		t.Fatalf("second stable_token = %v, want same token with 7100 s left", m)
	}
	if n := f.s.TokensIssued(DefaultOAAppID); n != 1 {
		t.Fatalf("TokensIssued = %d, want 1", n)
	}
	// A normal token fetch does not disturb the stable one.
	f.get("/cgi-bin/token?" + q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret))
	if f.stableToken(DefaultOAAppID, DefaultOASecret, false) != a {
		t.Fatal("/cgi-bin/token replaced the stable token")
	}

	b := f.stableToken(DefaultOAAppID, DefaultOASecret, true)
	if b == a {
		t.Fatal("force_refresh returned the old token")
	}
	openid := f.user("fan").OAOpenID
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", a, "openid", openid)), ErrCodeInvalidCredential)
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", b, "openid", openid)), 0)

	f.clock.Advance(7200 * time.Second)
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", b, "openid", openid)), ErrCodeTokenExpired)
	c := f.stableToken(DefaultOAAppID, DefaultOASecret, false)
	if c == b {
		t.Fatal("stable_token returned an expired token")
	}
	if n := f.s.TokensIssued(DefaultOAAppID); n != 4 {
		t.Fatalf("TokensIssued = %d, want 4", n)
	}
}

func TestStableToken_ConcurrentCallersShareOneIssuance(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	tokens := make([]string, 16)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i] = f.stableToken(DefaultMPAppID, DefaultMPSecret, false)
		}()
	}
	wg.Wait()
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatal("concurrent callers got different stable tokens")
		}
	}
	if n := f.s.TokensIssued(""); n != 1 {
		t.Fatalf("TokensIssued = %d, want 1", n)
	}
}

func TestStableToken_BodyErrors(t *testing.T) {
	f := newFixture(t)
	wantCode(t, f.post("/cgi-bin/stable_token", ""), ErrCodeEmptyPostData)
	wantCode(t, f.post("/cgi-bin/stable_token", "{not json"), ErrCodeDataFormat)
	wantCode(t, f.post("/cgi-bin/stable_token", map[string]any{"grant_type": "x", "appid": DefaultOAAppID, "secret": DefaultOASecret}), ErrCodeInvalidGrantType)
	wantCode(t, f.post("/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": DefaultOAAppID, "secret": "bad"}), ErrCodeInvalidAppSecret)
	status, m := f.do(http.MethodGet, "/cgi-bin/stable_token", nil)
	if status != http.StatusOK || errcode(m) != ErrCodeRequirePOST {
		t.Fatalf("GET stable_token = %d %v, want 43002", status, m)
	}
}

func TestAccessToken_GoHelperReusesStableToken(t *testing.T) {
	f := newFixture(t)
	a, err := f.s.AccessToken(DefaultOAAppID)
	if err != nil {
		t.Fatal(err)
	}
	if b := f.oaToken(); b != a {
		t.Fatal("AccessToken and stable_token disagree")
	}
	if _, err := f.s.AccessToken("wxnope"); err == nil {
		t.Fatal("AccessToken of an unknown app succeeded")
	}
}
