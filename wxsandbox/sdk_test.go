package wxsandbox

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/miniprogram"
	mpconfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// The project talks to WeChat through silenceper/wechat, whose URLs are
// hard-coded to https://api.weixin.qq.com; this test points the SDK at the
// sandbox the way the project does (one http.Client whose transport
// rewrites every WeChat host) and checks that the calls we use work.
//
// Only the officialaccount and miniprogram packages are imported: the SDK's
// root package is what sets logrus to debug on stdout, so logrus keeps its
// defaults here.
func TestSDK_SilenceperAgainstSandbox(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.OfficialAccount.MessageMode = ModeSafe })
	client := f.s.Client(10 * time.Second)
	saved := util.DefaultHTTPClient
	util.DefaultHTTPClient = client
	t.Cleanup(func() { util.DefaultHTTPClient = saved })

	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID: DefaultOAAppID, AppSecret: DefaultOASecret, Token: DefaultOAToken, EncodingAESKey: DefaultOAAESKey,
		Cache: cache.NewMemory(), UseStableAK: true,
	})
	mp := miniprogram.NewMiniProgram(&mpconfig.Config{
		AppID: DefaultMPAppID, AppSecret: DefaultMPSecret, Cache: cache.NewMemory(), UseStableAK: true,
	})
	fan := f.user("fan")

	t.Run("stable access token, fetched once", func(t *testing.T) {
		a, err := oa.GetAccessToken()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := oa.GetAccessToken()
		if a == "" || a != b || f.s.TokensIssued(DefaultOAAppID) != 1 {
			t.Fatalf("tokens %q %q, issued %d", a, b, f.s.TokensIssued(DefaultOAAppID))
		}
		if reqs := f.s.Requests("/cgi-bin/stable_token"); len(reqs) != 1 || !strings.Contains(reqs[0].Body, `"force_refresh":false`) {
			t.Fatalf("stable_token requests = %+v", reqs)
		}
	})

	t.Run("template send", func(t *testing.T) {
		msg := &message.TemplateMessage{
			ToUser: fan.OAOpenID, TemplateID: "TPL_BOOKING_STATUS", ClientMsgID: "evt-42",
			Data: map[string]*message.TemplateDataItem{
				"character_string1": {Value: "YY2026000123"}, "thing2": {Value: "广州市计量检测技术研究院"},
				"phrase3": {Value: "已确认"}, "time4": {Value: "2026年11月26日 09:30"},
			},
		}
		msg.MiniProgram.AppID, msg.MiniProgram.PagePath = DefaultMPAppID, "pages/booking/detail?id=123"
		id, err := oa.GetTemplate().Send(msg)
		if err != nil || id == 0 {
			t.Fatalf("Send = %d, %v", id, err)
		}
		again, err := oa.GetTemplate().Send(msg)
		if err != nil || again != id || len(f.s.Deliveries()) != 1 {
			t.Fatalf("repeat Send = %d, %v; deliveries %d", again, err, len(f.s.Deliveries()))
		}
		msg.Data["thing2"].Value = strings.Repeat("长", 21)
		msg.ClientMsgID = "evt-43"
		if _, err := oa.GetTemplate().Send(msg); err == nil || !strings.Contains(err.Error(), "47003") {
			t.Fatalf("a 21-character thing was sent: %v", err)
		}
	})

	t.Run("qrcode ticket and image", func(t *testing.T) {
		tk, err := oa.GetBasic().GetQRTicket(basic.NewTmpQrRequest(5*time.Minute, "login_xyz"))
		if err != nil || tk.ExpireSeconds != 300 {
			t.Fatalf("GetQRTicket = %+v, %v", tk, err)
		}
		img := basic.ShowQRCode(tk)
		if !strings.HasPrefix(img, "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=") {
			t.Fatalf("ShowQRCode = %s", img)
		}
		resp, err := client.Get(img)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if _, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Fatalf("showqrcode via mp.weixin.qq.com: %d %v", resp.StatusCode, err)
		}
		limit, err := oa.GetBasic().GetQRTicket(basic.NewLimitQrRequest(7))
		if err != nil || limit.ExpireSeconds != 0 {
			t.Fatalf("permanent ticket = %+v, %v", limit, err)
		}
	})

	t.Run("menu and user info", func(t *testing.T) {
		buttons := []*menu.Button{
			menu.NewSubButton("查询", []*menu.Button{menu.NewClickButton("备案查询", "QUERY_FILING"), menu.NewClickButton("检定查询", "QUERY_BOOKING")}),
			menu.NewClickButton("绑定账号", "BIND"),
		}
		if err := oa.GetMenu().SetMenu(buttons); err != nil {
			t.Fatal(err)
		}
		got, err := oa.GetMenu().GetMenu()
		if err != nil || len(got.Menu.Button) != 2 || got.Menu.Button[0].SubButtons[1].Key != "QUERY_BOOKING" {
			t.Fatalf("GetMenu = %+v, %v", got, err)
		}
		info, err := oa.GetUser().GetUserInfo(fan.OAOpenID)
		if err != nil || info.Subscribe != 1 || info.UnionID != fan.UnionID {
			t.Fatalf("GetUserInfo = %+v, %v", info, err)
		}
	})

	t.Run("web oauth", func(t *testing.T) {
		redirect, err := oa.GetOauth().GetRedirectURL("https://qj.example/wx/oauth", "snsapi_base", "s1")
		if err != nil {
			t.Fatal(err)
		}
		noFollow := *client
		noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := noFollow.Get(strings.Replace(redirect, "#wechat_redirect", "&sandbox_user=fan", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		tok, err := oa.GetOauth().GetUserAccessToken(loc.Query().Get("code"))
		if err != nil || tok.OpenID != fan.OAOpenID || loc.Query().Get("state") != "s1" {
			t.Fatalf("GetUserAccessToken = %+v, %v (redirect %s)", tok, err, loc)
		}
	})

	t.Run("mini program login and phone", func(t *testing.T) {
		code, _ := f.s.LoginCode("fan")
		sess, err := mp.GetAuth().Code2Session(code)
		if err != nil || sess.OpenID != fan.MPOpenID || sess.UnionID != fan.UnionID || sess.SessionKey == "" {
			t.Fatalf("Code2Session = %+v, %v", sess, err)
		}
		if _, err := mp.GetAuth().Code2Session(code); err == nil || !strings.Contains(err.Error(), "40163") {
			t.Fatalf("second Code2Session: %v", err)
		}
		pc, _ := f.s.PhoneCode("fan")
		ph, err := mp.GetAuth().GetPhoneNumber(pc)
		if err != nil || ph.PhoneInfo.PurePhoneNumber != fan.Phone || ph.PhoneInfo.WaterMark.AppID != DefaultMPAppID {
			t.Fatalf("GetPhoneNumber = %+v, %v", ph, err)
		}
		if f.s.TokensIssued(DefaultMPAppID) != 1 {
			t.Fatalf("mini program tokens issued = %d", f.s.TokensIssued(DefaultMPAppID))
		}
	})

	// The SDK's own message server, in safe mode, as the callback receiver:
	// this checks the sandbox's crypto against an independent implementation
	// in both directions.
	t.Run("safe-mode callbacks into the SDK's server", func(t *testing.T) {
		var got []*message.MixMessage
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			srv := oa.GetServer(r, w)
			srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
				got = append(got, m)
				if m.MsgType == message.MsgTypeText {
					return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText("收到：" + m.Content)}
				}
				return nil
			})
			if err := srv.Serve(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			_ = srv.Send()
		}))
		defer recv.Close()
		if err := f.s.SetCallback(recv.URL, ""); err != nil {
			t.Fatal(err)
		}
		if res, err := f.s.VerifyEcho(t.Context()); err != nil || !res.OK {
			t.Fatalf("echo = %+v, %v", res, err)
		}
		rep, err := f.s.Text(t.Context(), "fan", "预约号 YY2026000123")
		if err != nil || !rep.OK() || !rep.Encrypted || rep.Message.Content != "收到：预约号 YY2026000123" {
			t.Fatalf("text reply = %+v, %v", rep, err)
		}
		rep, err = f.s.Scan(t.Context(), "stranger", f.Tickets(t)[0].Ticket)
		if err != nil || !rep.OK() {
			t.Fatalf("scan reply = %+v, %v", rep, err)
		}
		if len(got) != 2 || got[1].Event != message.EventSubscribe || !strings.HasPrefix(got[1].EventKey, "qrscene_") || got[1].Ticket == "" {
			t.Fatalf("SDK saw %+v", got)
		}
	})
}

func (f *fixture) Tickets(t *testing.T) []QRTicket {
	ts := f.s.Tickets()
	if len(ts) == 0 {
		t.Fatal("no tickets")
	}
	return ts
}
