// Package apptest builds a real App for tests: the real router over a fresh
// store (SQLite by default, the Mongo adapter with QJ_TEST_STORE=mongo) and
// Redis (embedded, or QJ_TEST_REDIS_URL with a key prefix per test).
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/store/mongo/mongotest"
)

// Env is one test's server.
type Env struct {
	T     testing.TB
	App   *app.App
	Clock *core.FixedClock
}

// Config returns the configuration a test server runs with.
func Config(t testing.TB) app.Config {
	cfg, err := app.LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Security.BcryptCost = 4
	cfg.HTTP.PublicURL = "http://console.test"
	if u := os.Getenv("QJ_TEST_REDIS_URL"); u != "" {
		cfg.Redis.URL = u
		cfg.Redis.Prefix = "qjtest:" + core.NewID() + ":"
	}
	if os.Getenv("QJ_TEST_STORE") == "mongo" {
		cfg.Mongo.URI, cfg.Mongo.Database = mongotest.URI(t)
	}
	return cfg
}

// New starts a test server with the demo data loaded.
func New(t testing.TB) *Env {
	t.Helper()
	return NewWith(t, Config(t), true)
}

// NewWith starts a test server with cfg.
func NewWith(t testing.TB, cfg app.Config, demo bool) *Env {
	t.Helper()
	return NewOpts(t, cfg, demo, app.Options{})
}

// NewManual starts a demo test server whose outbox relay and notification
// sender run only when the test calls their RunOnce.
func NewManual(t testing.TB) *Env {
	t.Helper()
	return NewOpts(t, Config(t), true, app.Options{ManualWorkers: true})
}

// NewOpts starts a test server with cfg and opt (its Clock is the test's).
func NewOpts(t testing.TB, cfg app.Config, demo bool, opt app.Options) *Env {
	t.Helper()
	cfg.Demo = demo
	clock := core.NewFixedClock(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	opt.Clock = clock
	a, err := app.New(context.Background(), cfg, log, opt)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() {
		if cfg.Redis.URL != "" {
			keys, _ := a.Redis.RDB.Keys(context.Background(), cfg.Redis.Prefix+"*").Result()
			if len(keys) > 0 {
				a.Redis.RDB.Del(context.Background(), keys...)
			}
		}
		a.Close()
	})
	return &Env{T: t, App: a, Clock: clock}
}

// Resp is a response read in full.
type Resp struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

// JSON decodes the body into v.
func (r *Resp) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Do sends req through the real router.
func (e *Env) Do(req *http.Request) *Resp {
	e.T.Helper()
	res, err := e.App.HTTP.Test(req, -1)
	if err != nil {
		e.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &Resp{Status: res.StatusCode, Body: string(b), Header: res.Header, Location: res.Header.Get("Location")}
}

// API calls the mini program API with an optional bearer token and JSON body.
func (e *Env) API(method, path, token string, body any) *Resp {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Do(req)
}

// MPLogin logs in to the mini program API and returns the token.
func (e *Env) MPLogin(account, password string) string {
	e.T.Helper()
	r := e.API("POST", "/api/mp/v1/login/password", "", map[string]string{"account": account, "password": password})
	if r.Status != 200 {
		e.T.Fatalf("mp login %s: %d %s", account, r.Status, r.Body)
	}
	var out struct{ Token string }
	r.JSON(e.T, &out)
	return out.Token
}

// Browser is a console client that keeps cookies and the CSRF token.
type Browser struct {
	env     *Env
	cookies map[string]string
	csrf    string
}

// Browser returns a new console client with no cookies.
func (e *Env) Browser() *Browser { return &Browser{env: e, cookies: map[string]string{}} }

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *Browser) do(req *http.Request) *Resp {
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	r := b.env.Do(req)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	if m := csrfField.FindStringSubmatch(r.Body); m != nil {
		b.csrf = m[1]
	}
	return r
}

// Get fetches a console page.
func (b *Browser) Get(path string) *Resp {
	b.env.T.Helper()
	return b.do(httptest.NewRequest("GET", path, nil))
}

func (b *Browser) ensureCSRF() {
	if b.csrf == "" {
		b.Get("/login")
	}
}

// Post submits a form with the current CSRF token.
func (b *Browser) Post(path string, form url.Values) *Resp {
	b.env.T.Helper()
	b.ensureCSRF()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// PostMultipart submits a form with files.
func (b *Browser) PostMultipart(path string, form url.Values, files map[string]core.Upload) *Resp {
	b.env.T.Helper()
	b.ensureCSRF()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if _, ok := form["_csrf"]; !ok {
		_ = w.WriteField("_csrf", b.csrf)
	}
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for field, f := range files {
		fw, err := w.CreateFormFile(field, f.Name)
		if err != nil {
			b.env.T.Fatal(err)
		}
		_, _ = fw.Write(f.Data)
	}
	_ = w.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// Login logs the browser in and fails the test if it does not work.
func (b *Browser) Login(account, password string) {
	b.env.T.Helper()
	r := b.Post("/login", url.Values{"account": {account}, "password": {password}})
	if r.Status != http.StatusFound || b.cookies["qj_session"] == "" {
		b.env.T.Fatalf("console login %s: %d %s", account, r.Status, r.Body)
	}
}

// Cookie returns a cookie value.
func (b *Browser) Cookie(name string) string { return b.cookies[name] }

// PDF is a minimal valid PDF for uploads.
var PDF = core.Upload{Name: "scan.pdf", Data: []byte("%PDF-1.4\n%%EOF\n")}

// RegistrationForm returns a valid registration for login in region.
func RegistrationForm(login, region string, n int) url.Values {
	return url.Values{
		"userType": {"applicant"}, "identity": {"organization"},
		"name": {fmt.Sprintf("测试企业%d有限公司", n)}, "address": {"广东省广州市测试路" + fmt.Sprint(n) + "号"},
		"creditCode": {CreditCode(n)}, "regionCode": {region}, "contactName": {"测试联系人"},
		"contactPhone": {"13900139000"}, "login": {login}, "password": {"Passw0rd!"}, "password2": {"Passw0rd!"},
	}
}

// CreditCode returns a valid unified social credit code numbered n.
func CreditCode(n int) string {
	return core.CompleteCreditCode(fmt.Sprintf("9144010%010d", n))
}

// RegisterApplicant registers (and, with approver, approves) an applicant
// through the service and returns its main user.
func (e *Env) RegisterApplicant(login, region string, n int, approve bool) *account.User {
	e.T.Helper()
	f := RegistrationForm(login, region, n)
	a, err := e.App.Accounts.Register(context.Background(), account.RegistrationInput{
		UserType: "applicant", Identity: "organization", Name: f.Get("name"), Address: f.Get("address"),
		CreditCode: f.Get("creditCode"), RegionCode: region, ContactName: "测试联系人", ContactPhone: "13900139000",
		Login: login, Password: "Passw0rd!", Password2: "Passw0rd!", Licence: PDF, Letter: PDF,
	})
	if err != nil {
		e.T.Fatalf("register %s: %v", login, err)
	}
	if approve {
		staff := e.StaffOf(region)
		if _, err := e.App.Accounts.Approve(context.Background(), staff, a.ID, 0); err != nil {
			e.T.Fatalf("approve %s: %v", login, err)
		}
	}
	u, err := e.App.Store.Accounts().GetUser(context.Background(), a.ID)
	if err != nil {
		e.T.Fatal(err)
	}
	return u
}

// StaffOf returns a principal of the city institution covering region,
// creating a staff user for it if needed.
func (e *Env) StaffOf(region string) core.Principal {
	e.T.Helper()
	inst, ok := e.App.Ref.CityInstitutionOf(region)
	if !ok {
		e.T.Fatalf("no city institution for %s", region)
	}
	login := "staff-" + strings.TrimPrefix(inst.ID, "inst-")
	u, err := e.App.Store.Accounts().GetUserByLogin(context.Background(), login)
	if core.IsCode(err, core.NotFound) {
		u, err = e.App.Accounts.CreateUser(context.Background(), account.System, account.UserInput{
			Role: core.RoleStaff, Login: login, Name: "审核员" + inst.RegionCode, Password: "Passw0rd!", InstitutionID: inst.ID,
		})
	}
	if err != nil {
		e.T.Fatal(err)
	}
	return account.Principal(u, nil)
}

// Serve answers HTTP on a free local port and returns the base URL; the
// server stops when the test ends.
func (e *Env) Serve() string {
	e.T.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.T.Fatal(err)
	}
	// Point the sandbox phone here before returning, not when the
	// goroutine gets to it.
	e.App.SandboxCallback("http://" + ln.Addr().String())
	go func() { _ = e.App.Serve(ln) }()
	e.T.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.App.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}
