package wxsandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func qrBody(action string, expire int, scene any) map[string]any {
	sc := map[string]any{}
	switch v := scene.(type) {
	case int:
		sc["scene_id"] = v
	case string:
		sc["scene_str"] = v
	}
	b := map[string]any{"action_name": action, "action_info": map[string]any{"scene": sc}}
	if expire != 0 {
		b["expire_seconds"] = expire
	}
	return b
}

func TestQRCreate_ExpiryAndValidation(t *testing.T) {
	f := newFixture(t)
	path := "/cgi-bin/qrcode/create?" + q("access_token", f.oaToken())
	cases := []struct {
		name       string
		body       map[string]any
		want       int
		wantExpire any // nil: absent (permanent)
	}{
		{"temporary default 60 s", qrBody("QR_SCENE", 0, 123), 0, float64(60)},
		{"temporary string scene", qrBody("QR_STR_SCENE", 600, "login_abc"), 0, float64(600)},
		{"temporary capped at 30 days", qrBody("QR_STR_SCENE", 99999999, "x"), 0, float64(2592000)},
		{"permanent id", qrBody("QR_LIMIT_SCENE", 0, 100000), 0, nil},
		{"permanent string", qrBody("QR_LIMIT_STR_SCENE", 0, "bind"), 0, nil},
		{"permanent id too large", qrBody("QR_LIMIT_SCENE", 0, 100001), ErrCodeInvalidActionInfo, nil},
		{"zero scene id", qrBody("QR_SCENE", 60, 0), ErrCodeInvalidActionInfo, nil},
		{"scene_str too long", qrBody("QR_STR_SCENE", 60, strings.Repeat("s", 65)), ErrCodeInvalidActionInfo, nil},
		{"unknown action", qrBody("QR_FOREVER", 60, 1), ErrCodeInvalidArgs, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := f.post(path, c.body)
			wantCode(t, m, c.want)
			if c.want != 0 {
				return
			}
			if m["expire_seconds"] != c.wantExpire {
				t.Fatalf("expire_seconds = %v, want %v", m["expire_seconds"], c.wantExpire)
			}
			tk := m["ticket"].(string)
			if m["url"] != f.base+"/sandbox/scan?ticket="+tk {
				t.Fatalf("url = %v", m["url"])
			}
		})
	}
}

func TestShowQRCode_PNGEncodesScanPageUntilExpiry(t *testing.T) {
	f := newFixture(t)
	m := f.post("/cgi-bin/qrcode/create?"+q("access_token", f.oaToken()), qrBody("QR_STR_SCENE", 120, "login_abc"))
	tk := m["ticket"].(string)

	// The ticket goes into the URL unescaped, the way silenceper's
	// ShowQRCode builds it; tickets are URL-safe so that this works.
	resp, err := http.Get(f.base + "/cgi-bin/showqrcode?ticket=" + tk)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("showqrcode: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 430 || b.Dy() != 430 {
		t.Fatalf("image is %v, want 430x430", b)
	}
	want, _ := QRPNG(f.base + "/sandbox/scan?ticket=" + tk)
	if !bytes.Equal(body, want) {
		t.Fatal("PNG does not encode the scan page URL of the ticket")
	}

	f.clock.Advance(120 * time.Second)
	resp, err = http.Get(f.base + "/cgi-bin/showqrcode?ticket=" + tk)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("expired ticket: %d, want 404", resp.StatusCode)
	}
	if _, err := f.s.Scan(context.Background(), "fan", tk); !errors.Is(err, ErrTicketExpired) {
		t.Fatalf("Scan of an expired ticket: %v", err)
	}
	if _, err := f.s.Scan(context.Background(), "fan", "nope"); !errors.Is(err, ErrUnknownTicket) {
		t.Fatalf("Scan of an unknown ticket: %v", err)
	}
	tickets := f.s.Tickets()
	if len(tickets) != 1 || !tickets[0].Expired || tickets[0].Scene != "login_abc" {
		t.Fatalf("Tickets = %+v", tickets)
	}
}

func menuJSON(buttons ...map[string]any) map[string]any {
	b := make([]any, len(buttons))
	for i := range buttons {
		b[i] = buttons[i]
	}
	return map[string]any{"button": b}
}

func click(name, key string) map[string]any {
	return map[string]any{"type": "click", "name": name, "key": key}
}

func parent(name string, subs ...map[string]any) map[string]any {
	s := make([]any, len(subs))
	for i := range subs {
		s[i] = subs[i]
	}
	return map[string]any{"name": name, "sub_button": s}
}

func TestMenuCreate_Validation(t *testing.T) {
	f := newFixture(t)
	path := "/cgi-bin/menu/create?" + q("access_token", f.oaToken())
	five := []map[string]any{click("a", "a"), click("b", "b"), click("c", "c"), click("d", "d"), click("e", "e")}
	cases := []struct {
		name string
		menu map[string]any
		want int
	}{
		{"no buttons", menuJSON(), ErrCodeInvalidButtonSize},
		{"four buttons", menuJSON(click("a", "a"), click("b", "b"), click("c", "c"), click("d", "d")), ErrCodeInvalidButtonSize},
		{"name 16 bytes", menuJSON(click("查询查询ABCD", "k")), 0},
		{"name 17 bytes", menuJSON(click("查询查询ABCDE", "k")), ErrCodeInvalidButtonName},
		{"empty name", menuJSON(click("", "k")), ErrCodeInvalidButtonName},
		{"click without key", menuJSON(click("查询", "")), ErrCodeInvalidButtonKey},
		{"key 129 bytes", menuJSON(click("查询", strings.Repeat("k", 129))), ErrCodeInvalidButtonKey},
		{"view without url", menuJSON(map[string]any{"type": "view", "name": "官网"}), ErrCodeInvalidButtonURL},
		{"view with bad url", menuJSON(map[string]any{"type": "view", "name": "官网", "url": "qj.example"}), 40055},
		{"unknown type", menuJSON(map[string]any{"type": "dance", "name": "x"}), ErrCodeInvalidButtonType},
		{"five subs", menuJSON(parent("查询", five...)), 0},
		{"six subs", menuJSON(parent("查询", append(five, click("f", "f"))...)), ErrCodeInvalidSubButtons},
		{"sub name 60 bytes", menuJSON(parent("查询", click(strings.Repeat("查", 20), "k"))), 0},
		{"sub name 61 bytes", menuJSON(parent("查询", click(strings.Repeat("查", 20)+"x", "k"))), ErrCodeInvalidSubName},
		{"sub click without key", menuJSON(parent("查询", click("备案查询", ""))), ErrCodeInvalidSubKey},
		{"sub view without url", menuJSON(parent("查询", map[string]any{"type": "view", "name": "官网"})), ErrCodeInvalidSubURL},
		{"sub bad type", menuJSON(parent("查询", map[string]any{"type": "x", "name": "官网"})), ErrCodeInvalidSubType},
		{"third level", menuJSON(parent("查询", parent("更多", click("a", "a")))), ErrCodeInvalidSubMenuLevel},
		{"miniprogram needs appid", menuJSON(map[string]any{"type": "miniprogram", "name": "小程序", "url": "https://qj.example", "pagepath": "pages/index"}), ErrCodeInvalidArgs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, f.post(path, c.menu), c.want) })
	}
	wantCode(t, f.post(path, "{"), ErrCodeDataFormat)
}

func TestMenu_CreateGetDelete(t *testing.T) {
	f := newFixture(t)
	tok := f.oaToken()
	wantCode(t, f.get("/cgi-bin/menu/get?"+q("access_token", tok)), ErrCodeMenuNotExist)
	menu := menuJSON(
		parent("查询", click("备案查询", "QUERY_FILING"), click("检定查询", "QUERY_BOOKING")),
		click("绑定账号", "BIND"),
		map[string]any{"type": "view", "name": "官网", "url": "https://qj.example/"},
	)
	wantCode(t, f.post("/cgi-bin/menu/create?"+q("access_token", tok), menu), 0)
	got := f.get("/cgi-bin/menu/get?" + q("access_token", tok))
	gotJSON, _ := json.Marshal(got["menu"].(map[string]any)["button"])
	wantJSON, _ := json.Marshal(menu["button"])
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("menu/get = %s\nwant %s", gotJSON, wantJSON)
	}
	if b := f.s.Menu(); len(b) != 3 || b[0].SubButton[1].Key != "QUERY_BOOKING" {
		t.Fatalf("Menu() = %+v", b)
	}
	wantCode(t, f.get("/cgi-bin/menu/delete?"+q("access_token", tok)), 0)
	wantCode(t, f.get("/cgi-bin/menu/get?"+q("access_token", tok)), ErrCodeMenuNotExist)
}

func TestUserInfo_SubscribedUnsubscribedUnknown(t *testing.T) {
	f := newFixture(t)
	tok := f.oaToken()
	fan, stranger := f.user("fan"), f.user("stranger")
	m := f.get("/cgi-bin/user/info?" + q("access_token", tok, "openid", fan.OAOpenID, "lang", "zh_CN"))
	if m["subscribe"] != float64(1) || m["openid"] != fan.OAOpenID || m["unionid"] != fan.UnionID ||
		m["subscribe_time"] != float64(epoch.Unix()) || m["subscribe_scene"] != "ADD_SCENE_SEARCH" {
		t.Fatalf("user/info of a follower = %v", m)
	}
	m = f.get("/cgi-bin/user/info?" + q("access_token", tok, "openid", stranger.OAOpenID))
	if len(m) != 2 || m["subscribe"] != float64(0) || m["openid"] != stranger.OAOpenID {
		t.Fatalf("user/info of a non-follower = %v, want only subscribe and openid", m)
	}
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", tok, "openid", "oNOBODY")), ErrCodeInvalidOpenID)
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", tok, "openid", fan.MPOpenID)), ErrCodeInvalidOpenID)
	wantCode(t, f.get("/cgi-bin/user/info?"+q("access_token", tok)), ErrCodeOpenIDMissing)
}

func TestUsers_StableDerivedIdentities(t *testing.T) {
	a := newFixture(t)
	b := newFixture(t)
	ua, ub := a.user("fan"), b.user("fan")
	if ua.OAOpenID != ub.OAOpenID || ua.UnionID != ub.UnionID || ua.MPOpenID != ub.MPOpenID {
		t.Fatal("the same user id must give the same openids in every sandbox")
	}
	if len(ua.OAOpenID) != 28 || ua.OAOpenID[0] != 'o' {
		t.Fatalf("openid %q does not look like WeChat's", ua.OAOpenID)
	}
	u, err := a.s.CreateUser(User{})
	if err != nil || u.ID == "" || u.Phone == "" || u.Nickname == "" || u.Subscribed {
		t.Fatalf("CreateUser defaults = %+v, %v", u, err)
	}
	if _, err := a.s.CreateUser(User{ID: "fan"}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("duplicate id: %v", err)
	}
	if got, ok := a.s.UserByOpenID(ua.MPOpenID); !ok || got.ID != "fan" {
		t.Fatal("UserByOpenID by mini program openid failed")
	}
	off := false
	if u, _ := a.s.UpdateUser("fan", UserUpdate{Subscribed: &off}); u.Subscribed {
		t.Fatal("UpdateUser did not unsubscribe")
	}
	if err := a.s.Reset(); err != nil {
		t.Fatal(err)
	}
	if us := a.s.Users(); len(us) != 2 || !us[0].Subscribed {
		t.Fatalf("after Reset users = %+v, want the seed list", us)
	}
}
