package wxsandbox

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// inMsg is a pushed message as the official account's server sees it.
type inMsg struct {
	ToUserName   string
	FromUserName string
	CreateTime   int64
	MsgType      string
	Event        string
	EventKey     string
	Ticket       string
	Content      string
	MsgId        int64
	Encrypt      string
}

type delivery struct {
	query url.Values
	body  string
	msg   inMsg
	aes   bool
}

// receiver is a minimal official-account server written from WeChat's
// documentation: it verifies every signature, decrypts safe-mode bodies, and
// answers with whatever reply returns (encrypting it when the request was).
type receiver struct {
	t     *testing.T
	token string
	mc    *MsgCrypt
	reply func(m inMsg) string // plain reply XML, "success" or ""
	slow  func(n int) time.Duration
	// plainReply keeps replies unencrypted even for encrypted requests.
	plainReply bool

	mu   sync.Mutex
	got  []delivery
	srv  *httptest.Server
	hits int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, token: DefaultOAToken, reply: func(inMsg) string { return "success" }}
	r.mc, _ = NewMsgCrypt(DefaultOAToken, DefaultOAAESKey, DefaultOAAppID)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	qv := req.URL.Query()
	if qv.Get("signature") != Signature(r.token, qv.Get("timestamp"), qv.Get("nonce")) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if req.Method == http.MethodGet {
		_, _ = io.WriteString(w, qv.Get("echostr"))
		return
	}
	r.mu.Lock()
	r.hits++
	n := r.hits
	r.mu.Unlock()
	if r.slow != nil {
		time.Sleep(r.slow(n))
	}
	raw, _ := io.ReadAll(req.Body)
	d := delivery{query: qv, body: string(raw)}
	if err := xml.Unmarshal(raw, &d.msg); err != nil {
		r.t.Errorf("receiver: body is not XML: %v", err)
	}
	if qv.Get("encrypt_type") == "aes" {
		d.aes = true
		if qv.Get("msg_signature") != r.mc.Sign(qv.Get("timestamp"), qv.Get("nonce"), d.msg.Encrypt) {
			r.t.Errorf("receiver: msg_signature does not verify")
			http.Error(w, "bad msg_signature", http.StatusUnauthorized)
			return
		}
		plain, _, err := r.mc.Decrypt(d.msg.Encrypt)
		if err != nil {
			r.t.Errorf("receiver: decrypt: %v", err)
			return
		}
		enc := d.msg.Encrypt
		d.msg = inMsg{}
		if err := xml.Unmarshal(plain, &d.msg); err != nil {
			r.t.Errorf("receiver: decrypted body is not XML: %v", err)
		}
		d.msg.Encrypt = enc
	}
	if d.msg.FromUserName != qv.Get("openid") {
		r.t.Errorf("receiver: openid query %q differs from FromUserName %q", qv.Get("openid"), d.msg.FromUserName)
	}
	r.mu.Lock()
	r.got = append(r.got, d)
	r.mu.Unlock()

	out := r.reply(d.msg)
	if d.aes && !r.plainReply && out != "" && out != "success" {
		enc, _ := r.mc.Encrypt(nil, []byte(out))
		ts, nonce := qv.Get("timestamp"), qv.Get("nonce")
		out = fmt.Sprintf("<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature><TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>",
			enc, r.mc.Sign(ts, nonce, enc), ts, nonce)
	}
	_, _ = io.WriteString(w, out)
}

func (r *receiver) last() delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		r.t.Fatal("receiver got nothing")
	}
	return r.got[len(r.got)-1]
}

func textReply(m inMsg, content string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content></xml>",
		m.FromUserName, m.ToUserName, m.CreateTime, content)
}

func phoneFixture(t *testing.T, mode MessageMode) (*fixture, *receiver) {
	r := newReceiver(t)
	f := newFixture(t, func(c *Config) {
		c.OfficialAccount.CallbackURL = r.srv.URL + "/wechat/callback"
		c.OfficialAccount.MessageMode = mode
	})
	return f, r
}

var bg = context.Background()

func TestPhone_PlainSubscribeIsSignedAndReplyParsed(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	r.reply = func(m inMsg) string { return textReply(m, "欢迎关注广东计量强检") }
	rep, err := f.s.Subscribe(bg, "stranger", "")
	if err != nil {
		t.Fatal(err)
	}
	d := r.last()
	u := f.user("stranger")
	if d.aes || d.query.Has("encrypt_type") || d.query.Has("msg_signature") {
		t.Fatalf("plain mode sent encryption parameters: %v", d.query)
	}
	want := inMsg{ToUserName: "gh_sandbox", FromUserName: u.OAOpenID, CreateTime: epoch.Unix(), MsgType: "event", Event: "subscribe"}
	if d.msg != want {
		t.Fatalf("pushed %+v\nwant %+v", d.msg, want)
	}
	if d.query.Get("timestamp") != strconv.FormatInt(epoch.Unix(), 10) {
		t.Fatalf("timestamp = %s", d.query.Get("timestamp"))
	}
	if !rep.OK() || rep.Message == nil || rep.Message.Content != "欢迎关注广东计量强检" || rep.Status != 200 || rep.Attempts != 1 {
		t.Fatalf("reply = %+v", rep)
	}
	if !u.Subscribed || u.SubscribeScene != "ADD_SCENE_SEARCH" {
		t.Fatalf("user after subscribe = %+v", u)
	}
	if _, err := f.s.Subscribe(bg, "stranger", ""); !errors.Is(err, ErrAlreadySubscribed) {
		t.Fatalf("second subscribe: %v", err)
	}
}

func TestPhone_ScanSubscribesWithQRScenePrefixThenSendsBareScan(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	tok := f.oaToken()
	str := f.post("/cgi-bin/qrcode/create?"+q("access_token", tok), qrBody("QR_STR_SCENE", 300, "login_abc"))["ticket"].(string)
	id := f.post("/cgi-bin/qrcode/create?"+q("access_token", tok), qrBody("QR_LIMIT_SCENE", 0, 42))["ticket"].(string)

	if _, err := f.s.Scan(bg, "stranger", str); err != nil {
		t.Fatal(err)
	}
	if m := r.last().msg; m.Event != "subscribe" || m.EventKey != "qrscene_login_abc" || m.Ticket != str {
		t.Fatalf("first scan pushed %+v", m)
	}
	info := f.get("/cgi-bin/user/info?" + q("access_token", tok, "openid", f.user("stranger").OAOpenID))
	if info["subscribe_scene"] != "ADD_SCENE_QR_CODE" || info["qr_scene_str"] != "login_abc" {
		t.Fatalf("user/info after QR subscribe = %v", info)
	}

	if _, err := f.s.Scan(bg, "stranger", str); err != nil {
		t.Fatal(err)
	}
	if m := r.last().msg; m.Event != "SCAN" || m.EventKey != "login_abc" || m.Ticket != str {
		t.Fatalf("second scan pushed %+v", m)
	}
	if _, err := f.s.Scan(bg, "fan", id); err != nil {
		t.Fatal(err)
	}
	if m := r.last().msg; m.Event != "SCAN" || m.EventKey != "42" || m.Ticket != id {
		t.Fatalf("numeric scan pushed %+v", m)
	}
}

func TestPhone_SubscribeWithSceneCarriesTicket(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	if _, err := f.s.Subscribe(bg, "stranger", "bind_7"); err != nil {
		t.Fatal(err)
	}
	m := r.last().msg
	if m.EventKey != "qrscene_bind_7" || m.Ticket == "" {
		t.Fatalf("pushed %+v", m)
	}
	if u := f.user("stranger"); u.QRScene != "bind_7" || u.SubscribeScene != "ADD_SCENE_QR_CODE" {
		t.Fatalf("user = %+v", u)
	}
}

func TestPhone_MenuTextAndUnsubscribe(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	if _, err := f.s.Click(bg, "fan", "ANY_KEY"); err != nil { // no menu yet: any key
		t.Fatal(err)
	}
	if m := r.last().msg; m.Event != "CLICK" || m.EventKey != "ANY_KEY" {
		t.Fatalf("pushed %+v", m)
	}
	wantCode(t, f.post("/cgi-bin/menu/create?"+q("access_token", f.oaToken()), menuJSON(
		parent("查询", click("备案查询", "QUERY_FILING")),
		map[string]any{"type": "view", "name": "官网", "url": "https://qj.example/"},
	)), 0)
	if _, err := f.s.Click(bg, "fan", "ANY_KEY"); !errors.Is(err, ErrNotInMenu) {
		t.Fatalf("click outside the menu: %v", err)
	}
	if _, err := f.s.Click(bg, "fan", "QUERY_FILING"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.View(bg, "fan", "https://qj.example/"); err != nil {
		t.Fatal(err)
	}
	if m := r.last().msg; m.Event != "VIEW" || m.EventKey != "https://qj.example/" {
		t.Fatalf("pushed %+v", m)
	}
	r.reply = func(m inMsg) string { return textReply(m, "预约 "+m.Content+" 状态：已受理") }
	rep, err := f.s.Text(bg, "fan", "YY2026000123")
	if err != nil {
		t.Fatal(err)
	}
	if m := r.last().msg; m.MsgType != "text" || m.Content != "YY2026000123" || m.MsgId <= 0 {
		t.Fatalf("pushed %+v", m)
	}
	if rep.Message.Content != "预约 YY2026000123 状态：已受理" {
		t.Fatalf("reply = %+v", rep.Message)
	}
	if _, err := f.s.Unsubscribe(bg, "fan"); err != nil {
		t.Fatal(err)
	}
	if m := r.last().msg; m.Event != "unsubscribe" {
		t.Fatalf("pushed %+v", m)
	}
	if _, err := f.s.Text(bg, "fan", "hi"); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("text from a non-follower: %v", err)
	}
	if _, err := f.s.Unsubscribe(bg, "fan"); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("second unsubscribe: %v", err)
	}
}

func TestPhone_SafeModeEncryptsBothWays(t *testing.T) {
	f, r := phoneFixture(t, ModeSafe)
	r.reply = func(m inMsg) string { return textReply(m, "安全模式回复") }
	rep, err := f.s.Text(bg, "fan", "你好")
	if err != nil {
		t.Fatal(err)
	}
	d := r.last()
	if !d.aes || d.query.Get("encrypt_type") != "aes" || d.query.Get("msg_signature") == "" {
		t.Fatalf("safe mode query = %v", d.query)
	}
	if strings.Contains(d.body, "FromUserName") || strings.Contains(d.body, "你好") || !strings.Contains(d.body, "<ToUserName><![CDATA[gh_sandbox]]></ToUserName>") {
		t.Fatalf("safe mode body leaks plaintext or lacks ToUserName: %s", d.body)
	}
	if d.msg.Content != "你好" || d.msg.FromUserName != f.user("fan").OAOpenID {
		t.Fatalf("decrypted %+v", d.msg)
	}
	if !rep.OK() || !rep.Encrypted || rep.Message.Content != "安全模式回复" {
		t.Fatalf("reply = %+v", rep)
	}

	r.plainReply = true
	rep, _ = f.s.Text(bg, "fan", "再来")
	if rep.OK() || !strings.Contains(strings.Join(rep.Problems, ";"), "未加密") {
		t.Fatalf("a plaintext reply in safe mode was accepted: %+v", rep)
	}
}

func TestPhone_CompatModeSendsBothForms(t *testing.T) {
	f, r := phoneFixture(t, ModeCompat)
	r.plainReply = true
	r.reply = func(m inMsg) string { return textReply(m, "ok") }
	rep, err := f.s.Click(bg, "fan", "K")
	if err != nil {
		t.Fatal(err)
	}
	d := r.last()
	if !strings.Contains(d.body, "<Event><![CDATA[CLICK]]></Event>") || !strings.Contains(d.body, "<Encrypt>") {
		t.Fatalf("compat body = %s", d.body)
	}
	if d.msg.Event != "CLICK" || !rep.OK() {
		t.Fatalf("decrypted %+v, reply %+v", d.msg, rep)
	}
}

func TestPhone_JudgesReplies(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	cases := []struct {
		name    string
		reply   func(m inMsg) string
		problem string
	}{
		{"success", func(inMsg) string { return "success" }, ""},
		{"empty", func(inMsg) string { return "" }, ""},
		{"wrong ToUserName", func(m inMsg) string { m.FromUserName = "oSomeoneElse"; return textReply(m, "x") }, "ToUserName"},
		{"wrong FromUserName", func(m inMsg) string { m.ToUserName = "gh_other"; return textReply(m, "x") }, "FromUserName"},
		{"empty text", func(m inMsg) string { return textReply(m, "") }, "文本回复"},
		{"not XML", func(inMsg) string { return "ok!" }, "XML"},
		{"bad type", func(m inMsg) string { return strings.Replace(textReply(m, "x"), "[text]", "[dance]", 1) }, "类型"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r.reply = c.reply
			rep, err := f.s.Click(bg, "fan", "K")
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(rep.Problems, ";")
			if (c.problem == "") != rep.OK() || !strings.Contains(got, c.problem) {
				t.Fatalf("problems = %q, want %q", got, c.problem)
			}
		})
	}
	r.token = "other-token" // the receiver now refuses our signature with 401
	rep, err := f.s.Click(bg, "fan", "K")
	if err != nil || rep.OK() || rep.Status != http.StatusUnauthorized {
		t.Fatalf("401 reply = %+v, %v", rep, err)
	}
	if cbs := f.s.Callbacks(); len(cbs) != len(cases)+1 {
		t.Fatalf("Callbacks = %d", len(cbs))
	}
}

func TestPhone_RetriesLikeWeChatWhenServerIsSlow(t *testing.T) {
	r := newReceiver(t)
	f := newFixture(t, func(c *Config) {
		c.OfficialAccount.CallbackURL = r.srv.URL
		c.CallbackTimeout = 100 * time.Millisecond
	})
	r.slow = func(n int) time.Duration {
		if n == 1 {
			return 300 * time.Millisecond
		}
		return 0
	}
	rep, err := f.s.Text(bg, "fan", "慢")
	if err != nil || rep.Attempts != 2 || !rep.OK() {
		t.Fatalf("reply = %+v, %v", rep, err)
	}
	time.Sleep(300 * time.Millisecond) // the first, abandoned attempt finishes
	r.mu.Lock()
	got := append([]delivery(nil), r.got...)
	r.mu.Unlock()
	if len(got) != 2 || got[0].msg != got[1].msg {
		t.Fatalf("retries must resend the same message (the server dedups by MsgId): %+v", got)
	}

	r.slow = func(int) time.Duration { return 300 * time.Millisecond }
	rep, err = f.s.Text(bg, "fan", "更慢")
	if !errors.Is(err, ErrCallbackFailed) || rep.Attempts != 3 || rep.OK() {
		t.Fatalf("reply = %+v, %v", rep, err)
	}
}

func TestPhone_EchoVerification(t *testing.T) {
	f, r := phoneFixture(t, ModeSafe)
	res, err := f.s.VerifyEcho(bg)
	if err != nil || !res.OK || res.Body != res.Echostr {
		t.Fatalf("echo = %+v, %v", res, err)
	}
	r.token = "wrong"
	if res, err := f.s.VerifyEcho(bg); !errors.Is(err, ErrEchoMismatch) || res.Status != http.StatusUnauthorized {
		t.Fatalf("echo against a server with another token = %+v, %v", res, err)
	}
}

func TestPhone_NoCallbackURLAndUnknownUser(t *testing.T) {
	f := newFixture(t)
	if _, err := f.s.Click(bg, "fan", "K"); !errors.Is(err, ErrNoCallbackURL) {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.s.VerifyEcho(bg); !errors.Is(err, ErrNoCallbackURL) {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.s.Subscribe(bg, "ghost", ""); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("err = %v", err)
	}
}

func TestPhone_ServerMayCallSandboxWhileHandlingEvent(t *testing.T) {
	f, r := phoneFixture(t, ModePlain)
	tok := f.oaToken()
	r.reply = func(m inMsg) string {
		// A real handler looks the follower up during subscribe.
		resp, err := http.Get(f.base + "/cgi-bin/user/info?" + q("access_token", tok, "openid", m.FromUserName))
		if err != nil {
			return ""
		}
		body := readAll(t, resp)
		return textReply(m, strconv.FormatBool(strings.Contains(body, `"subscribe":1`)))
	}
	done := make(chan *Reply, 1)
	go func() {
		rep, _ := f.s.Subscribe(bg, "stranger", "")
		done <- rep
	}()
	select {
	case rep := <-done:
		if rep == nil || rep.Message == nil || rep.Message.Content != "true" {
			t.Fatalf("reply = %+v", rep)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("deadlock: the sandbox held its lock while pushing")
	}
}

func TestPhone_ConcurrentActions(t *testing.T) {
	f, r := phoneFixture(t, ModeSafe)
	r.reply = func(m inMsg) string { return textReply(m, "ok") }
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, _ := f.s.CreateUser(User{Subscribed: true})
			if rep, err := f.s.Text(bg, u.ID, "msg"+strconv.Itoa(i)); err != nil || !rep.OK() {
				t.Errorf("text %d: %+v %v", i, rep, err)
			}
		}()
	}
	wg.Wait()
	if n := len(f.s.Callbacks()); n != 8 {
		t.Fatalf("callbacks = %d", n)
	}
}
