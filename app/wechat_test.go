package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/wxsandbox"
)

type wx struct {
	*flow
	sb   *wxsandbox.Server
	base string
}

func newWX(t *testing.T) *wx {
	f := newFlowOn(t, apptest.NewManual(t))
	w := &wx{flow: f, sb: f.e.App.Sandbox, base: f.e.Serve()}
	if w.sb == nil {
		t.Fatal("no sandbox")
	}
	return w
}

func (w *wx) user(phone string, subscribed bool) wxsandbox.User {
	u, err := w.sb.CreateUser(wxsandbox.User{Phone: phone, Subscribed: subscribed})
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *wx) reply(r *wxsandbox.Reply, err error) string {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("push: %v", err)
	}
	if !r.OK() {
		w.t.Fatalf("WeChat would refuse the reply: %v (body %q)", r.Problems, r.Body)
	}
	if r.Message == nil {
		return ""
	}
	return r.Message.Content
}

// click presses a menu button a second after the last push: WeChat events
// carry no MsgId, so two identical ones in the same second are one event.
func (w *wx) click(ctx context.Context, user, key string) (*wxsandbox.Reply, error) {
	w.sb.Advance(time.Second)
	return w.sb.Click(ctx, user, key)
}

// bindDemo binds a sandbox user to demo-applicant through the OAuth page.
func (w *wx) bindDemo(u wxsandbox.User) {
	w.t.Helper()
	code, err := w.sb.OAuthCode(u.ID, "snsapi_base")
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := http.Get(w.base + "/wechat/bind?code=" + code)
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	state := regexp.MustCompile(`name="state" value="([^"]+)"`).FindStringSubmatch(string(body))
	if state == nil {
		w.t.Fatalf("bind page: %s", body)
	}
	res, err = http.PostForm(w.base+"/wechat/bind", url.Values{"state": {state[1]}, "account": {app.DemoApplicant}, "password": {app.DemoPassword}})
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "绑定成功：demo-applicant") {
		w.t.Fatalf("bind: %d %s", res.StatusCode, body)
	}
}

func TestWeChat_CallbackPlainAndSafeMode(t *testing.T) {
	w := newWX(t)
	ctx := context.Background()
	if m := w.sb.Menu(); len(m) != 3 || m[1].Key != "BIND" {
		t.Fatalf("menu not pushed to the in-process sandbox: %+v", m)
	}
	echo, err := w.sb.VerifyEcho(ctx)
	if err != nil || !echo.OK {
		t.Fatalf("echostr verification: %+v %v", echo, err)
	}
	for _, mode := range []wxsandbox.MessageMode{wxsandbox.ModePlain, wxsandbox.ModeSafe} {
		if err := w.sb.SetCallback(w.base+"/wechat/oa", mode); err != nil {
			t.Fatal(err)
		}
		u := w.user("", false)
		r, err := w.sb.Subscribe(ctx, u.ID, "")
		if got := w.reply(r, err); !strings.Contains(got, "欢迎关注“广东计量强检”") {
			t.Fatalf("%s subscribe: %q", mode, got)
		}
		if mode == wxsandbox.ModeSafe && !r.Encrypted {
			t.Fatal("safe mode reply not encrypted")
		}
		// Nothing to say → "success".
		r, err = w.sb.Unsubscribe(ctx, u.ID)
		if err != nil || r.Body != "success" || !r.OK() {
			t.Fatalf("%s unsubscribe: %+v %v", mode, r, err)
		}
	}
	// A forged signature is refused.
	res, err := http.Post(w.base+"/wechat/oa?signature=bad&timestamp=1&nonce=2", "text/xml", strings.NewReader("<xml></xml>"))
	if err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("forged signature: %v %v", res.StatusCode, err)
	}
}

// post sends a signed plain-mode push by hand (to repeat one exactly).
func (w *wx) post(xml string) string {
	cfg := w.sb.Config()
	ts, nonce := "1700000000", "n1"
	sig := wxsandbox.Signature(cfg.OfficialAccount.Token, ts, nonce)
	res, err := http.Post(w.base+"/wechat/oa?signature="+sig+"&timestamp="+ts+"&nonce="+nonce, "text/xml", strings.NewReader(xml))
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func TestWeChat_DedupByMsgIDAndEventKey(t *testing.T) {
	w := newWX(t)
	_ = w.sb.SetCallback(w.base+"/wechat/oa", wxsandbox.ModePlain)
	text := `<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName><FromUserName><![CDATA[o-dup]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>42</MsgId></xml>`
	if first := w.post(text); !strings.Contains(first, "预约单号") {
		t.Fatalf("first: %s", first)
	}
	if again := w.post(text); again != "success" {
		t.Fatalf("a repeated MsgId was answered again: %s", again)
	}
	ev := `<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName><FromUserName><![CDATA[o-dup]]></FromUserName><CreateTime>1700000001</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[HELP]]></EventKey></xml>`
	if first := w.post(ev); !strings.Contains(first, "欢迎关注") {
		t.Fatalf("event: %s", first)
	}
	if again := w.post(ev); again != "success" {
		t.Fatalf("a repeated event was answered again: %s", again)
	}
}

func TestWeChat_BindQueriesAndBookingNumber(t *testing.T) {
	w := newWX(t)
	ctx := context.Background()
	_ = w.sb.SetCallback(w.base+"/wechat/oa", wxsandbox.ModeSafe)
	u := w.user("", true)
	r, err := w.click(ctx, u.ID, "FILING_QUERY")
	if got := w.reply(r, err); !strings.Contains(got, "请先点击菜单【绑定账号】") {
		t.Fatalf("query unbound: %q", got)
	}
	r, err = w.click(ctx, u.ID, "BIND")
	if got := w.reply(r, err); !strings.Contains(got, "/wechat/bind") {
		t.Fatalf("bind link: %q", got)
	}
	w.bindDemo(u)
	r, err = w.click(ctx, u.ID, "BIND")
	if got := w.reply(r, err); !strings.Contains(got, "已绑定平台账号：demo-applicant") {
		t.Fatalf("bind again: %q", got)
	}
	ids := w.approved("WX", 2)
	day := w.openDay("inst-440100")
	bk, err := w.e.App.Bookings.Create(ctx, w.owner, booking.CreateRequest{IDs: ids[:1], Date: day, SlotID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	r, err = w.click(ctx, u.ID, "FILING_QUERY")
	if got := w.reply(r, err); !strings.Contains(got, "已审核：2") || !strings.Contains(got, "仪器总数：2") {
		t.Fatalf("filing query: %q", got)
	}
	r, err = w.click(ctx, u.ID, "BOOKING_QUERY")
	if got := w.reply(r, err); !strings.Contains(got, bk.Number+" 预约中") {
		t.Fatalf("booking query: %q", got)
	}
	// Anyone may look up a booking number: status, institution and date only.
	stranger := w.user("", true)
	r, err = w.sb.Text(ctx, stranger.ID, " "+strings.ToLower(bk.Number)+" ")
	got := w.reply(r, err)
	if !strings.Contains(got, "状态：预约中") || !strings.Contains(got, "广州计量检测技术研究院") || strings.Contains(got, "广州示例计量器具使用有限公司") {
		t.Fatalf("booking number lookup: %q", got)
	}
	for i := 0; i < 10; i++ {
		r, err = w.sb.Text(ctx, stranger.ID, fmt.Sprintf("261125ABCDEF%c%c", "23456789AB"[i], "23456789AB"[9-i]))
	}
	if got := w.reply(r, err); !strings.Contains(got, "查询过于频繁") {
		t.Fatalf("rate limit: %q", got)
	}
	r, err = w.click(ctx, u.ID, "UNBIND")
	if got := w.reply(r, err); !strings.Contains(got, "已解除绑定") {
		t.Fatalf("unbind: %q", got)
	}
}

func TestWeChat_MiniProgramLoginAndAutoBindByUnionID(t *testing.T) {
	w := newWX(t)
	ctx := context.Background()
	sub := w.user(app.DemoSubUserPhone, false)
	code, _ := w.sb.LoginCode(sub.ID)
	r := w.e.API("POST", "/api/mp/v1/login/wechat", "", map[string]string{"code": code})
	if r.Status != 404 || !strings.Contains(r.Body, `"code":"NOT_BOUND"`) {
		t.Fatalf("unbound: %d %s", r.Status, r.Body)
	}
	if r := w.e.API("POST", "/api/mp/v1/login/wechat", "", map[string]string{"code": code}); r.Status != 422 {
		t.Fatalf("a used code: %d %s", r.Status, r.Body)
	}
	// 手机号登录: the sub-user's phone; the openid gets bound.
	phone, _ := w.sb.PhoneCode(sub.ID)
	login, _ := w.sb.LoginCode(sub.ID)
	r = w.e.API("POST", "/api/mp/v1/login/phone", "", map[string]string{"code": phone, "loginCode": login})
	if r.Status != 200 || !strings.Contains(r.Body, `"subUser":true`) {
		t.Fatalf("phone login: %d %s", r.Status, r.Body)
	}
	code, _ = w.sb.LoginCode(sub.ID)
	if r := w.e.API("POST", "/api/mp/v1/login/wechat", "", map[string]string{"code": code}); r.Status != 200 {
		t.Fatalf("wechat login after binding: %d %s", r.Status, r.Body)
	}
	stranger := w.user("13911112222", false)
	phone, _ = w.sb.PhoneCode(stranger.ID)
	if r := w.e.API("POST", "/api/mp/v1/login/phone", "", map[string]string{"code": phone}); r.Status != 404 {
		t.Fatalf("unknown phone: %d %s", r.Status, r.Body)
	}
	// The main contact's phone logs in the main account.
	main := w.user("13800138000", true)
	phone, _ = w.sb.PhoneCode(main.ID)
	login, _ = w.sb.LoginCode(main.ID)
	if r := w.e.API("POST", "/api/mp/v1/login/phone", "", map[string]string{"code": phone, "loginCode": login}); r.Status != 200 ||
		!strings.Contains(r.Body, `"account":"demo-applicant"`) {
		t.Fatalf("contact phone login: %d %s", r.Status, r.Body)
	}
	// The official account binds at once through the unionid.
	_ = w.sb.SetCallback(w.base+"/wechat/oa", wxsandbox.ModePlain)
	rep, err := w.click(ctx, main.ID, "BIND")
	if got := w.reply(rep, err); !strings.Contains(got, "已绑定平台账号：demo-applicant") {
		t.Fatalf("auto-bind by unionid: %q", got)
	}
	// Staff may not use the mini program even with WeChat.
	staffU := w.user("", false)
	staffUser := principalOf(t, w.e, app.DemoStaff)
	if _, err := w.e.App.WeChat.Bind(ctx, wechat.AppMP, staffU.MPOpenID, "", staffUser.UserID); err != nil {
		t.Fatal(err)
	}
	code, _ = w.sb.LoginCode(staffU.ID)
	if r := w.e.API("POST", "/api/mp/v1/login/wechat", "", map[string]string{"code": code}); r.Status != 403 {
		t.Fatalf("staff via wechat: %d %s", r.Status, r.Body)
	}
}

var sceneRe = regexp.MustCompile(`data-scene="([^"]+)"`)
var ticketRe = regexp.MustCompile(`/wechat/qr/([^"]+)"`)

func TestWeChat_QRBindingAndLoginOnTheWeb(t *testing.T) {
	w := newWX(t)
	ctx := context.Background()
	_ = w.sb.SetCallback(w.base+"/wechat/oa", wxsandbox.ModeSafe)
	b := w.e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	page := b.Get("/account/wechat")
	ticket := ticketRe.FindStringSubmatch(page.Body)
	scene := sceneRe.FindStringSubmatch(page.Body)
	if ticket == nil || scene == nil || !strings.Contains(page.Body, "/sandbox/scan?ticket=") {
		t.Fatalf("settings page has no QR: %s", page.Body)
	}
	if r := b.Get("/wechat/qr/" + ticket[1]); r.Status != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR image: %d", r.Status)
	}
	u := w.user("", false)
	rep, err := w.sb.Scan(ctx, u.ID, ticket[1])
	if got := w.reply(rep, err); !strings.Contains(got, "微信已绑定平台账号") {
		t.Fatalf("scan to bind: %q", got)
	}
	if r := b.Get("/wechat/qr-status?scene=" + scene[1]); !strings.Contains(r.Body, `"status":"done"`) {
		t.Fatalf("bind status: %s", r.Body)
	}
	if r := b.Get("/account/wechat"); !strings.Contains(r.Body, u.OAOpenID) {
		t.Fatal("binding not listed")
	}
	// 微信扫码登录 with the bound WeChat.
	anon := w.e.Browser()
	page = anon.Get("/login/wechat")
	ticket, scene = ticketRe.FindStringSubmatch(page.Body), sceneRe.FindStringSubmatch(page.Body)
	if r := anon.Get("/wechat/qr-status?scene=" + scene[1]); !strings.Contains(r.Body, `"status":"waiting"`) {
		t.Fatalf("waiting: %s", r.Body)
	}
	rep, err = w.sb.Scan(ctx, u.ID, ticket[1])
	if got := w.reply(rep, err); !strings.Contains(got, "扫码成功") {
		t.Fatalf("scan to log in: %q", got)
	}
	if r := anon.Get("/wechat/qr-status?scene=" + scene[1]); !strings.Contains(r.Body, `"next":"/"`) || anon.Cookie("qj_session") == "" {
		t.Fatalf("login status: %s", r.Body)
	}
	if r := anon.Get("/"); r.Status != 200 || !strings.Contains(r.Body, "home-cards") {
		t.Fatalf("logged in by scan: %d", r.Status)
	}
	if r := anon.Get("/wechat/qr-status?scene=" + scene[1]); !strings.Contains(r.Body, `"status":"expired"`) {
		t.Fatalf("a login ticket works once: %s", r.Body)
	}
	// An unbound WeChat cannot log in; an expired ticket says so.
	other := w.e.Browser()
	page = other.Get("/login/wechat")
	ticket, scene = ticketRe.FindStringSubmatch(page.Body), sceneRe.FindStringSubmatch(page.Body)
	stranger := w.user("", true)
	rep, err = w.sb.Scan(ctx, stranger.ID, ticket[1])
	if got := w.reply(rep, err); !strings.Contains(got, "尚未绑定平台账号") {
		t.Fatalf("unbound scan: %q", got)
	}
	if r := other.Get("/wechat/qr-status?scene=" + scene[1]); !strings.Contains(r.Body, `"status":"failed"`) {
		t.Fatalf("unbound status: %s", r.Body)
	}
	if r := other.Get("/wechat/qr-status?scene=nope"); !strings.Contains(r.Body, `"status":"expired"`) {
		t.Fatalf("unknown scene: %s", r.Body)
	}
}

// pushes relays and sends until nothing is due.
func (w *wx) pushes() {
	w.t.Helper()
	for i := 0; i < 5; i++ {
		if _, err := w.e.App.Relay.RunOnce(w.ctx); err != nil {
			w.t.Fatal(err)
		}
		if _, err := w.e.App.Sender.RunOnce(w.ctx); err != nil {
			w.t.Fatal(err)
		}
	}
}

func TestWeChat_TemplatePushesDigestAndDeliveryLog(t *testing.T) {
	w := newWX(t)
	w.e.App.WeChat.DigestDelay = time.Nanosecond
	u := w.user("", true)
	w.bindDemo(u)
	sub := w.user("", true)
	if _, err := w.e.App.WeChat.Bind(w.ctx, wechat.AppOA, sub.OAOpenID, "", principalOf(t, w.e, app.DemoSubUserPhone).UserID); err != nil {
		t.Fatal(err)
	}
	ids := w.approved("TP", 3) // one submit batch and one approve batch of 3 instruments
	w.pushes()
	got := w.sb.Deliveries()
	// Two digests (submitted, approved) for each of the two bound users.
	if len(got) != 4 {
		t.Fatalf("deliveries = %d: %+v", len(got), got)
	}
	for _, d := range got {
		if d.TemplateID != "TPL_FILING_STATUS" || d.Data["character_string1"] != "3" || !strings.HasPrefix(d.Data["thing2"], "3台仪器备案") {
			t.Fatalf("digest: %+v", d)
		}
	}
	bk, err := w.e.App.Bookings.Create(w.ctx, w.owner, booking.CreateRequest{IDs: ids[:1], Date: w.openDay("inst-440100"), SlotID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	w.pushes()
	last := w.sb.Deliveries()[len(w.sb.Deliveries())-1]
	if last.TemplateID != "TPL_BOOKING_STATUS" || last.Data["character_string1"] != bk.Number || last.Data["phrase3"] != "预约中" ||
		last.Data["thing2"] != "广州计量检测技术研究院" {
		t.Fatalf("booking push: %+v", last)
	}
	// Confirmed, verified at the front desk: the completion template.
	if _, err := w.e.App.Bookings.Act(w.ctx, w.gz, bk.ID, booking.Confirm, 0, ""); err != nil {
		t.Fatal(err)
	}
	today := string(core.Today(w.e.Clock))
	if _, err := w.e.App.Bookings.Settle(w.ctx, w.gz, bk.ID, ids[0], booking.Settlement{Outcome: booking.OutcomeVerified,
		Result: instrument.Qualified, CertificateNo: "GZJL2026-0009", VerifyDate: today, ValidUntil: "2027-11-24"}); err != nil {
		t.Fatal(err)
	}
	w.pushes()
	var done []wxsandbox.Delivery
	for _, d := range w.sb.Deliveries() {
		if d.TemplateID == "TPL_VERIFY_DONE" {
			done = append(done, d)
		}
	}
	if len(done) != 2 || done[0].Data["character_string1"] != bk.Number || done[0].Data["thing2"] != "1台仪器已完成检定" || done[0].Data["phrase3"] != "已完检" {
		t.Fatalf("completion pushes: %+v", done)
	}
	b := w.e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	// 4 digests + 2×(created, confirmed, completed)
	if r := b.Get("/notifications"); strings.Count(r.Body, "已送达 ") != 10 {
		t.Fatalf("delivery log: %s", r.Body)
	}
}

func TestWeChat_FailuresRetriesTokenRefreshQuotaAndPermanentErrors(t *testing.T) {
	w := newWX(t)
	u := w.user("", true)
	w.bindDemo(u)
	clock := w.e.Clock
	ids := w.approved("FR", 1)
	day := w.openDay("inst-440100")
	book := func() {
		if _, err := w.e.App.Bookings.Create(w.ctx, w.owner, booking.CreateRequest{IDs: ids, Date: day, SlotID: "s1"}); err != nil {
			t.Fatal(err)
		}
	}
	cancelAll := func() {
		list, _, _ := w.e.App.Store.Bookings().List(w.ctx, booking.Query{ApplicantID: w.owner.ApplicantID, Statuses: []booking.Status{booking.Pending}})
		for _, b := range list {
			if _, err := w.e.App.Bookings.Act(w.ctx, w.owner, b.ID, booking.Cancel, 0, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	sent := func() int {
		n := 0
		for _, d := range w.sb.Deliveries() {
			if d.TemplateID == "TPL_BOOKING_STATUS" {
				n++
			}
		}
		return n
	}
	// WeChat busy (-1) and a time-out for a while: retried with back-off,
	// delivered once when it recovers.
	w.sb.AddFault(wxsandbox.Fault{Path: "/cgi-bin/message/template/send", ErrCode: -1, Count: 2})
	w.sb.AddFault(wxsandbox.Fault{Path: "/cgi-bin/message/template/send", Drop: true, Count: 1})
	book()
	for i := 0; i < 6 && sent() == 0; i++ {
		w.pushes()
		clock.Advance(time.Minute)
	}
	if sent() != 1 {
		t.Fatalf("after the faults: %d deliveries", sent())
	}
	w.pushes()
	clock.Advance(10 * time.Minute)
	w.pushes()
	if sent() != 1 {
		t.Fatalf("delivered twice: %d", sent())
	}
	// A stale token (40001): refreshed once, then sent.
	before := w.sb.TokensIssued("")
	w.e.App.Redis.RDB.Set(w.ctx, w.e.App.Redis.Key("wxtoken", w.sb.Config().OfficialAccount.AppID), "stale-token", time.Hour)
	cancelAll()
	w.pushes()
	if sent() != 2 || w.sb.TokensIssued("") != before+1 {
		ds, _, _ := w.e.App.WeChat.Deliveries(w.ctx, w.owner, 0, 50)
		for _, d := range ds {
			t.Logf("%+v", *d)
		}
		t.Fatalf("after 40001: %d sent, %d tokens; sandbox log %+v", sent(), w.sb.TokensIssued("")-before, w.sb.Requests("/cgi-bin"))
	}
	// Quota (45009): every instance pauses until tomorrow.
	w.sb.AddFault(wxsandbox.Fault{Path: "/cgi-bin/message/template/send", ErrCode: 45009, Count: 1})
	book()
	w.pushes()
	until, _ := w.e.App.Sender.Pauser.PausedUntil(w.ctx)
	if !until.Equal(core.Today(clock).AddDays(1).Time()) || sent() != 2 {
		t.Fatalf("quota: paused until %v, %d sent", until, sent())
	}
	clock.Set(until.Add(time.Minute))
	w.pushes()
	if sent() != 3 {
		t.Fatalf("after the pause: %d", sent())
	}
	// Not following the account any more (43004): recorded, not retried.
	if _, err := w.sb.Unsubscribe(w.ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	cancelAll()
	w.pushes()
	clock.Advance(time.Hour)
	w.pushes()
	list, _, _ := w.e.App.Store.WeChat().ListDeliveries(w.ctx, w.owner.ApplicantID, 0, 50)
	var failed []*wechat.Delivery
	for _, d := range list {
		if d.Status == wechat.Failed {
			failed = append(failed, d)
		}
	}
	if len(failed) != 1 || failed[0].ErrCode != 43004 || failed[0].Attempts != 1 {
		t.Fatalf("43004: %+v", failed)
	}
	_ = filing.Approve
}
