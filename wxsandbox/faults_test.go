package wxsandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFault_RateOneFailsEveryMatchingCall(t *testing.T) {
	f := newFixture(t)
	tok := f.oaToken()
	f.s.AddFault(Fault{Path: "/cgi-bin/message/template/send", ErrCode: ErrCodeSystemBusy, Rate: 1})
	for range 3 {
		wantCode(t, f.post("/cgi-bin/message/template/send?"+q("access_token", tok), filingMsg(f.user("fan").OAOpenID, goodData())), ErrCodeSystemBusy)
	}
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", tok, "openid", f.user("fan").OAOpenID)), 0)
	if len(f.s.Deliveries()) != 0 {
		t.Fatal("a faulted send was delivered")
	}
	reqs := f.s.Requests("/cgi-bin/message/template/send")
	if len(reqs) != 3 || !reqs[0].Fault || reqs[0].ErrCode != ErrCodeSystemBusy {
		t.Fatalf("recorded = %+v", reqs)
	}
}

func TestFault_CountHitsTheNextCallsOnly(t *testing.T) {
	f := newFixture(t)
	f.s.AddFault(Fault{Path: "/cgi-bin/stable_token", ErrCode: ErrCodeDailyQuota, Count: 2})
	body := map[string]any{"grant_type": "client_credential", "appid": DefaultOAAppID, "secret": DefaultOASecret}
	wantCode(t, f.post("/cgi-bin/stable_token", body), ErrCodeDailyQuota)
	if fs := f.s.Faults(); len(fs) != 1 || fs[0].Count != 1 {
		t.Fatalf("Faults = %+v, want one with 1 hit left", fs)
	}
	wantCode(t, f.post("/cgi-bin/stable_token", body), ErrCodeDailyQuota)
	wantCode(t, f.post("/cgi-bin/stable_token", body), 0)
	if len(f.s.Faults()) != 0 {
		t.Fatal("a spent count fault is still listed")
	}
}

func TestFault_LatencyDelaysButAnswers(t *testing.T) {
	f := newFixture(t)
	f.s.AddFault(Fault{Path: "/cgi-bin/token", Latency: 150 * time.Millisecond})
	start := time.Now()
	wantCode(t, f.get("/cgi-bin/token?"+q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret)), 0)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered after %s, want at least 150ms", d)
	}
}

func TestFault_TimeoutHoldsUntilClientGivesUp(t *testing.T) {
	f := newFixture(t)
	f.s.AddFault(Fault{Path: "/cgi-bin/", Timeout: true, Hold: 20 * time.Second})
	c := &http.Client{Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := c.Get(f.base + "/cgi-bin/token?" + q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret))
	if err == nil {
		t.Fatal("a held request answered")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("client waited %s", d)
	}
	// /sns/ is not under the fault's prefix.
	code, _ := f.s.LoginCode("fan")
	wantCode(t, f.get(jscode(code)), 0)
}

func TestFault_TimeoutWithShortHoldDropsConnection(t *testing.T) {
	f := newFixture(t)
	f.s.AddFault(Fault{Path: "/cgi-bin/token", Timeout: true, Hold: 50 * time.Millisecond, Count: 1})
	f.s.AddFault(Fault{Path: "/cgi-bin/token", Drop: true, Count: 1})
	f.s.AddFault(Fault{Path: "/cgi-bin/token", HTTPStatus: http.StatusBadGateway, Count: 1})
	url := f.base + "/cgi-bin/token?" + q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret)
	noRetry := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	for _, name := range []string{"held then dropped", "dropped"} {
		if resp, err := noRetry.Get(url); err == nil {
			resp.Body.Close()
			t.Fatalf("%s: got HTTP %d, want a broken connection", name, resp.StatusCode)
		}
	}
	resp, err := noRetry.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	wantCode(t, f.get("/cgi-bin/token?"+q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret)), 0)
}

func TestFault_RateIsAProbability(t *testing.T) {
	f := newFixture(t)
	f.s.AddFault(Fault{Path: "/x", ErrCode: -1, Rate: 0.5})
	hits := 0
	for range 2000 {
		if _, hit := f.s.pickFault("/x/y"); hit {
			hits++
		}
	}
	if hits < 800 || hits > 1200 {
		t.Fatalf("rate 0.5 hit %d of 2000 calls", hits)
	}
	if _, hit := f.s.pickFault("/other"); hit {
		t.Fatal("fault hit a path outside its prefix")
	}
}

func TestFault_ControlAPI(t *testing.T) {
	f := newFixture(t)
	status, _ := f.do(http.MethodPost, "/sandbox/faults", `[{"path":"/cgi-bin/token","errcode":45009,"count":1,"latency_ms":20},{"path":"/sns/","errcode":-1,"rate":1}]`)
	if status != http.StatusOK {
		t.Fatalf("POST /sandbox/faults = %d", status)
	}
	resp, err := http.Get(f.base + "/sandbox/faults")
	if err != nil {
		t.Fatal(err)
	}
	listing := readAll(t, resp)
	if !strings.Contains(listing, `"latency_ms":20`) || !strings.Contains(listing, `"path":"/sns/"`) {
		t.Fatalf("GET /sandbox/faults = %s", listing)
	}
	wantCode(t, f.get("/cgi-bin/token?"+q("grant_type", "client_credential", "appid", DefaultOAAppID, "secret", DefaultOASecret)), ErrCodeDailyQuota)
	if status, _ := f.do(http.MethodPost, "/sandbox/faults", `{"path":"/","rate":2}`); status != http.StatusBadRequest {
		t.Fatalf("rate 2 accepted: %d", status)
	}
	if status, _ := f.do(http.MethodDelete, "/sandbox/faults", nil); status != http.StatusNoContent {
		t.Fatalf("DELETE /sandbox/faults = %d", status)
	}
	code, _ := f.s.LoginCode("fan")
	wantCode(t, f.get(jscode(code)), 0)
}
