package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/gdqjp/qj/wxsandbox"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// boot runs the real server binary's run() on a free port.
func boot(t *testing.T, env map[string]string) (base string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	getenv := func(k string) string { return env[k] }
	out := &lockedBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, out, io.Discard, ready) }()
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("server exited: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready in 30 s")
	}
	return base, func() string {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("server stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("server did not stop in 30 s")
		}
		return out.String()
	}
}

func testEnv(t *testing.T, dir string) map[string]string {
	env := map[string]string{"QJ_HTTP_ADDR": "127.0.0.1:0", "QJ_DATA_DIR": dir, "QJ_DEMO": "1", "QJ_BCRYPT_COST": "4"}
	if u := os.Getenv("QJ_TEST_REDIS_URL"); u != "" {
		env["QJ_REDIS_URL"] = u
		env["QJ_REDIS_PREFIX"] = fmt.Sprintf("qje2e:%d:", time.Now().UnixNano())
	}
	return env
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func mpLogin(t *testing.T, base, account, password string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"account": account, "password": password})
	res, err := http.Post(base+"/api/mp/v1/login/password", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServer_BootsServesAndStopsGracefully(t *testing.T) {
	dir := t.TempDir()
	base, stop := boot(t, testEnv(t, dir))
	if st, body := get(t, base+"/healthz"); st != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", st, body)
	}
	if st, body := get(t, base+"/readyz"); st != 200 || !strings.Contains(body, `"ready"`) {
		t.Fatalf("readyz: %d %s", st, body)
	}
	if st, body := get(t, base+"/login"); st != 200 || !strings.Contains(body, "账号登录") {
		t.Fatalf("console login page: %d", st)
	}
	if st, body := mpLogin(t, base, "demo-applicant", "Demo@12345"); st != 200 || !strings.Contains(body, `"token"`) {
		t.Fatalf("mp login: %d %s", st, body)
	}
	// Register a newcomer through the store so the restart below must keep it.
	out := stop()
	for _, want := range []string{"QJ_MONGO_URI           (empty)", "store: embedded SQLite", "redis:", "ready in", "shutting down", "stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up/shut-down output lacks %q:\n%s", want, out)
		}
	}

	// Embedded data survives a restart, and demo data is loaded only once.
	base, stop = boot(t, testEnv(t, dir))
	defer stop()
	if st, _ := mpLogin(t, base, "demo-applicant", "Demo@12345"); st != 200 {
		t.Fatalf("login after restart: %d", st)
	}
}

func TestServer_UnreachableRedisStopsStart(t *testing.T) {
	err := run(context.Background(), nil, func(k string) string {
		return map[string]string{"QJ_HTTP_ADDR": "127.0.0.1:0", "QJ_DATA_DIR": t.TempDir(), "QJ_REDIS_URL": "redis://127.0.0.1:1"}[k]
	}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Fatalf("start with unreachable redis: %v", err)
	}
}

func TestServer_UserCreateSubcommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QJ_DATA_DIR": dir, "QJ_BCRYPT_COST": "4"}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	err := run(context.Background(), []string{"user", "create", "--role", "staff", "--login", "sz-01", "--name", "深圳审核员", "--password", "Abcd1234", "--institution", "inst-440300"}, getenv, &out, io.Discard, nil)
	if err != nil || !strings.Contains(out.String(), "created 技术机构 sz-01") {
		t.Fatalf("create: %v %s", err, out.String())
	}
	err = run(context.Background(), []string{"user", "create", "--role", "staff", "--login", "sz-01", "--name", "x", "--password", "short"}, getenv, &out, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "--institution: 请选择所属技术机构") || !strings.Contains(err.Error(), "--login: 账号“sz-01”已存在") {
		t.Fatalf("invalid create: %v", err)
	}
	env["QJ_HTTP_ADDR"] = "127.0.0.1:0"
	base, stop := boot(t, env)
	defer stop()
	// Staff may not use the mini program, which proves the account exists with its role.
	if st, body := mpLogin(t, base, "sz-01", "Abcd1234"); st != 403 {
		t.Fatalf("created staff login: %d %s", st, body)
	}
}

func TestServer_BrokenReferenceDataStopsStart(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"catalog.csv", "regions.csv", "institutions.yaml"} {
		b, err := os.ReadFile("../../configs/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if f == "regions.csv" {
			b = append(b, []byte("440106,重复的天河区,440100\n")...)
		}
		if err := os.WriteFile(dir+"/"+f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"QJ_HTTP_ADDR": "127.0.0.1:0", "QJ_DATA_DIR": t.TempDir(), "QJ_REFDATA_DIR": dir}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), dir+"/regions.csv 第 225 行: 区域代码 440106 重复") {
		t.Fatalf("err = %v", err)
	}
}

func TestServer_WeChatMenuSubcommand(t *testing.T) {
	sb, err := wxsandbox.Start(wxsandbox.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := sb.Config()
	env := map[string]string{"QJ_DATA_DIR": t.TempDir(), "QJ_WECHAT_API_BASE": sb.URL(),
		"QJ_OA_APPID": c.OfficialAccount.AppID, "QJ_OA_SECRET": c.OfficialAccount.Secret}
	if u := os.Getenv("QJ_TEST_REDIS_URL"); u != "" {
		env["QJ_REDIS_URL"] = u
		env["QJ_REDIS_PREFIX"] = fmt.Sprintf("qjmenu:%d:", time.Now().UnixNano())
	}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"wechat", "menu"}, getenv, &out, io.Discard, nil); err != nil {
		t.Fatalf("menu: %v %s", err, out.String())
	}
	m := sb.Menu()
	if len(m) != 3 || m[0].Name != "查询" || len(m[0].SubButton) != 2 || m[0].SubButton[0].Key != "FILING_QUERY" || m[1].Key != "BIND" {
		t.Fatalf("sandbox menu: %+v", m)
	}
	// A wrong secret is WeChat's refusal, reported, not a crash (a fresh
	// prefix: the shared Redis still holds the good token from above).
	env["QJ_OA_SECRET"] = "wrong"
	if env["QJ_REDIS_URL"] != "" {
		env["QJ_REDIS_PREFIX"] += "again:"
	}
	if err := run(context.Background(), []string{"wechat", "menu"}, getenv, &out, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "40125") {
		t.Fatalf("wrong secret: %v", err)
	}
	// No credentials: told what to set.
	if err := run(context.Background(), []string{"wechat", "menu"}, func(string) string { return "" }, &out, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "QJ_OA_APPID") {
		t.Fatalf("no credentials: %v", err)
	}
}
