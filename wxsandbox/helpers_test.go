package wxsandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// epoch is a fixed sandbox time for tests: 2026-11-25 09:00 Beijing.
var epoch = time.Date(2026, 11, 25, 9, 0, 0, 0, beijing)

type fixture struct {
	t     *testing.T
	s     *Server
	clock *ManualClock
	base  string
	hc    *http.Client
}

// newFixture starts a sandbox on a free port with a manual clock and two
// users: "fan" follows the official account, "stranger" does not.
func newFixture(t *testing.T, mutate ...func(*Config)) *fixture {
	t.Helper()
	clock := NewManualClock(epoch)
	cfg := Config{
		Clock: clock,
		Users: []User{
			{ID: "fan", Nickname: "粉丝", Subscribed: true, Phone: "13800138000"},
			{ID: "stranger", Nickname: "路人"},
		},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &fixture{t: t, s: s, clock: clock, base: s.URL(), hc: &http.Client{Timeout: 10 * time.Second}}
}

// do sends a request and decodes a JSON answer (nil if the body is not
// JSON).
func (f *fixture) do(method, path string, body any) (int, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

func (f *fixture) get(path string) map[string]any {
	f.t.Helper()
	_, m := f.do(http.MethodGet, path, nil)
	return m
}

func (f *fixture) post(path string, body any) map[string]any {
	f.t.Helper()
	_, m := f.do(http.MethodPost, path, body)
	return m
}

func errcode(m map[string]any) int {
	if v, ok := m["errcode"].(float64); ok {
		return int(v)
	}
	return 0
}

// oaToken gets an official account token the way the project will: stable.
func (f *fixture) oaToken() string {
	f.t.Helper()
	return f.stableToken(DefaultOAAppID, DefaultOASecret, false)
}

func (f *fixture) mpToken() string {
	f.t.Helper()
	return f.stableToken(DefaultMPAppID, DefaultMPSecret, false)
}

func (f *fixture) stableToken(appID, secret string, force bool) string {
	f.t.Helper()
	m := f.post("/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": force})
	tok, _ := m["access_token"].(string)
	if tok == "" {
		f.t.Fatalf("stable_token: %v", m)
	}
	return tok
}

func (f *fixture) user(id string) User {
	f.t.Helper()
	u, ok := f.s.User(id)
	if !ok {
		f.t.Fatalf("no user %s", id)
	}
	return u
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func wantCode(t *testing.T, m map[string]any, want int) {
	t.Helper()
	if got := errcode(m); got != want {
		t.Fatalf("errcode = %d, want %d (%v)", got, want, m)
	}
}
