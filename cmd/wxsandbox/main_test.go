package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read what run prints while run is still going.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun_ServesWithEnvConfigAndStopsOnCancel(t *testing.T) {
	env := map[string]string{"QJ_OA_APPID": "wx0123456789abcdef", "QJ_SANDBOX_CALLBACK": "http://127.0.0.1:1/cb", "QJ_SANDBOX_MODE": "safe"}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-users", "3"}, func(k string) string { return env[k] }, out)
	}()

	re := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("no listening line in %q", out.String())
	}
	resp, err := http.Get(base + "/sandbox/config")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		OfficialAccount struct {
			AppID       string `json:"appid"`
			CallbackURL string `json:"callback_url"`
			MessageMode string `json:"message_mode"`
		} `json:"official_account"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if cfg.OfficialAccount.AppID != "wx0123456789abcdef" || cfg.OfficialAccount.CallbackURL != "http://127.0.0.1:1/cb" || cfg.OfficialAccount.MessageMode != "safe" {
		t.Fatalf("config = %+v", cfg)
	}
	if n := strings.Count(out.String(), "  user "); n != 3 {
		t.Fatalf("printed %d users:\n%s", n, out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestRun_RejectsBadMode(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-mode", "loud"}, func(string) string { return "" }, &bytes.Buffer{})
	if err == nil {
		t.Fatal("a bad message mode was accepted")
	}
}
