package officialaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/store/redisstore"
)

// Handler serves the official account's callback and the binding pages.
type Handler struct {
	WX          *Client
	WeChat      *wechat.Service
	Accounts    *account.Service
	Instruments *instrument.Service
	Bookings    *booking.Service
	Ref         *refdata.Data
	Redis       *redisstore.Client
	Log         *slog.Logger
}

// Mount registers the WeChat routes.
func (h *Handler) Mount(app *fiber.App) {
	app.All("/wechat/oa", adaptor.HTTPHandlerFunc(h.callback))
	app.Get("/wechat/bind", h.bindPage)
	app.Post("/wechat/bind", h.bind)
	app.Get("/wechat/qr/:ticket", h.qrImage)
}

// ---------------------------------------------------------------- callback

// callback answers WeChat's push: the SDK checks the signature, decrypts
// (safe mode) and parses; the answer is a passive reply or "success".
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	w = &countingWriter{ResponseWriter: w}
	// Not r.Context(): through Fiber's adaptor that is fasthttp's RequestCtx,
	// whose Done channel races with server shutdown. WeChat waits 5 s.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	srv := h.WX.OA.GetServer(r, w)
	replied := false
	srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
		text := h.handle(ctx, m)
		if text == "" {
			return nil
		}
		replied = true
		return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
	})
	if err := srv.Serve(); err != nil {
		if strings.Contains(err.Error(), "校验失败") {
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
		h.Log.Warn("wechat callback refused", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if r.URL.Query().Has("echostr") {
		return
	}
	if !replied {
		if w.(*countingWriter).n > 0 {
			return // the SDK already answered "success" (plain mode)
		}
		// Nothing to say (or a duplicate): WeChat expects "success".
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("success"))
		return
	}
	if err := srv.Send(); err != nil {
		h.Log.Error("wechat reply", "err", err)
	}
}

// countingWriter notes whether the SDK has already written an answer.
type countingWriter struct {
	http.ResponseWriter
	n int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.n += len(b)
	return c.ResponseWriter.Write(b)
}

// dedup: WeChat retries a push it did not get an answer to (three times
// within 15 s); each is handled once. Messages carry MsgId, events not.
func (h *Handler) seen(ctx context.Context, m *message.MixMessage) bool {
	key := fmt.Sprint(m.MsgID)
	if m.MsgID == 0 {
		key = fmt.Sprintf("%s:%d:%s:%s", m.FromUserName, m.CreateTime, m.Event, m.EventKey)
	}
	ok, err := h.Redis.RDB.SetNX(ctx, h.Redis.Key("wxdedup", key), "1", 10*time.Minute).Result()
	if err != nil {
		h.Log.Warn("wechat dedup", "err", err)
		return false
	}
	return !ok
}

const (
	helpText            = "欢迎关注“广东计量强检”！\n点击菜单【绑定账号】绑定平台账号后，可在【查询】中查看备案和预约情况，并接收备案、预约及完检通知。\n未绑定也可以直接发送预约单号查询预约状态。"
	maxLookupsPerMinute = 10
)

// handle returns the text to answer, or "" for nothing.
func (h *Handler) handle(ctx context.Context, m *message.MixMessage) string {
	if h.seen(ctx, m) {
		return ""
	}
	openID := string(m.FromUserName)
	switch m.MsgType {
	case message.MsgTypeEvent:
		switch m.Event {
		case message.EventSubscribe:
			if scene, ok := strings.CutPrefix(m.EventKey, "qrscene_"); ok && scene != "" {
				return h.scanned(ctx, openID, scene)
			}
			return helpText
		case message.EventScan:
			return h.scanned(ctx, openID, m.EventKey)
		case message.EventClick:
			return h.click(ctx, openID, m.EventKey)
		}
		return ""
	case message.MsgTypeText:
		return h.text(ctx, openID, strings.TrimSpace(m.Content))
	}
	return ""
}

func (h *Handler) principalOf(ctx context.Context, openID string) (core.Principal, bool) {
	b, err := h.WeChat.Lookup(ctx, wechat.AppOA, openID, "")
	if err != nil {
		return core.Anonymous, false
	}
	p, _, _, err := h.Accounts.Resolve(ctx, b.UserID)
	if err != nil {
		return core.Anonymous, false
	}
	return p, true
}

func (h *Handler) click(ctx context.Context, openID, key string) string {
	switch key {
	case "BIND":
		return h.bindReply(ctx, openID)
	case "UNBIND":
		if err := h.WeChat.Unbind(ctx, wechat.AppOA, openID); err != nil {
			return "当前微信未绑定平台账号。"
		}
		return "已解除绑定，将不再接收平台通知。"
	case "FILING_QUERY":
		p, ok := h.principalOf(ctx, openID)
		if !ok || !p.IsApplicant() {
			return h.notBound()
		}
		c, err := h.Instruments.Counts(ctx, p)
		if err != nil {
			return "暂时无法查询，请稍后再试。"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "备案查询（%s）\n仪器总数：%d\n", p.Name, c.Total)
		for _, st := range instrument.FilingStatuses {
			fmt.Fprintf(&b, "%s：%d\n", st.Name(), c.Filings[st])
		}
		fmt.Fprintf(&b, "已停用：%d", c.Stopped)
		return b.String()
	case "BOOKING_QUERY":
		p, ok := h.principalOf(ctx, openID)
		if !ok || !p.IsApplicant() {
			return h.notBound()
		}
		list, err := h.Bookings.Latest(ctx, p.ApplicantID, 10)
		if err != nil {
			return "暂时无法查询，请稍后再试。"
		}
		if len(list) == 0 {
			return "暂无预约单。"
		}
		var b strings.Builder
		b.WriteString("最新预约单：")
		for _, bk := range list {
			fmt.Fprintf(&b, "\n%s %s %s %s（%d台）", bk.Number, bk.Status.Name(), bk.Date, bk.SlotStart, len(bk.Items))
		}
		return b.String()
	case "HELP":
		return helpText
	}
	return ""
}

func (h *Handler) notBound() string {
	return "请先点击菜单【绑定账号】绑定平台账号。"
}

// bindReply binds at once when the openid (or its unionid) already belongs
// to a platform user, and otherwise sends the binding page link.
func (h *Handler) bindReply(ctx context.Context, openID string) string {
	unionID := ""
	uctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	if u, err := h.WX.UnionID(uctx, openID); err == nil {
		unionID = u
	}
	cancel()
	if b, err := h.WeChat.Lookup(ctx, wechat.AppOA, openID, unionID); err == nil {
		if u, err := h.Accounts.Repo.GetUser(ctx, b.UserID); err == nil {
			return fmt.Sprintf("已绑定平台账号：%s（%s）。", u.Login, u.Name)
		}
	}
	link := h.WX.S.PublicURL + "/wechat/bind"
	return fmt.Sprintf("当前微信尚未绑定平台账号，请点击链接输入平台账号和密码完成绑定：\n<a href=\"%s\">绑定平台账号</a>", link)
}

var reBookingNumber = regexp.MustCompile(`\b(\d{6}[2-9A-HJKMNP-TV-Z]{8})\b`)

// text answers a booking number with that booking's status, institution
// and date — nothing private — rate-limited per WeChat user.
func (h *Handler) text(ctx context.Context, openID, content string) string {
	m := reBookingNumber.FindStringSubmatch(booking.NormalizeNumber(content))
	if m == nil {
		switch content {
		case "绑定", "绑定账号":
			return h.bindReply(ctx, openID)
		case "解绑", "解除绑定":
			return h.click(ctx, openID, "UNBIND")
		}
		return "发送预约单号（14 位，如 261125ABCD2345）可查询预约状态。\n" + helpText
	}
	key := h.Redis.Key("wxrate", openID)
	n, err := h.Redis.RDB.Incr(ctx, key).Result()
	if err == nil && n == 1 {
		h.Redis.RDB.Expire(ctx, key, time.Minute)
	}
	if n > maxLookupsPerMinute {
		return "查询过于频繁，请稍后再试。"
	}
	b, err := h.Bookings.ByNumber(ctx, m[1])
	if err != nil {
		return "未找到预约单 " + m[1] + "，请核对单号。"
	}
	inst, _ := h.Ref.Institution(b.InstitutionID)
	msg := fmt.Sprintf("预约单 %s\n状态：%s\n检定机构：%s\n预约时间：%s %s–%s", b.Number, b.Status.Name(), inst.Name, b.Date, b.SlotStart, b.SlotEnd)
	if b.Reason != "" && (b.Status == booking.Rejected || b.Status == booking.Returned) {
		msg += "\n原因：" + b.Reason
	}
	return msg
}

// ---------------------------------------------------------------- QR tickets

// Ticket is a temporary QR code waiting for its scan.
type Ticket struct {
	Scene     string
	Purpose   string // login or bind
	UserID    string // bind: who is binding
	Ticket    string // WeChat's ticket (the image)
	ExpiresAt time.Time
	Status    string // waiting, done, failed
	Message   string
	Result    string // login: the user the scan logged in
	OpenID    string
}

// QR ticket purposes.
const (
	PurposeLogin = "login"
	PurposeBind  = "bind"
)

func (h *Handler) ticketKey(scene string) string { return h.Redis.Key("wxqr", scene) }

// NewTicket creates a QR code for web login or for binding userID.
func (h *Handler) NewTicket(ctx context.Context, purpose, userID string) (*Ticket, error) {
	ttl := 5 * time.Minute
	t := &Ticket{Scene: purpose[:1] + core.RandomToken(12), Purpose: purpose, UserID: userID, Status: "waiting", ExpiresAt: time.Now().Add(ttl)}
	tk, err := h.WX.QRTicket(ctx, t.Scene, ttl)
	if err != nil {
		return nil, core.Wrap(core.Unavailable, err, "暂时无法生成微信二维码，请稍后再试")
	}
	t.Ticket = tk
	return t, h.saveTicket(ctx, t)
}

func (h *Handler) saveTicket(ctx context.Context, t *Ticket) error {
	b, _ := json.Marshal(t)
	return h.Redis.RDB.Set(ctx, h.ticketKey(t.Scene), b, time.Until(t.ExpiresAt)+time.Minute).Err()
}

// TicketOf returns a ticket; an expired or unknown one is NotFound.
func (h *Handler) TicketOf(ctx context.Context, scene string) (*Ticket, error) {
	b, err := h.Redis.RDB.Get(ctx, h.ticketKey(scene)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, core.Errorf(core.NotFound, "二维码已过期，请刷新")
	}
	if err != nil {
		return nil, err
	}
	var t Ticket
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	if t.Status == "waiting" && time.Now().After(t.ExpiresAt) {
		return nil, core.Errorf(core.NotFound, "二维码已过期，请刷新")
	}
	return &t, nil
}

// scanned finishes the login or binding a QR code was made for.
func (h *Handler) scanned(ctx context.Context, openID, scene string) string {
	t, err := h.TicketOf(ctx, scene)
	if err != nil {
		return "二维码已过期，请在网页上刷新二维码后重新扫描。"
	}
	if t.Status != "waiting" {
		return "该二维码已使用，请在网页上刷新二维码。"
	}
	t.OpenID = openID
	switch t.Purpose {
	case PurposeBind:
		if _, err := h.WeChat.Bind(ctx, wechat.AppOA, openID, "", t.UserID); err != nil {
			t.Status, t.Message = "failed", core.ErrorMessage(err)
		} else {
			t.Status, t.Message = "done", "绑定成功"
		}
	case PurposeLogin:
		b, err := h.WeChat.Lookup(ctx, wechat.AppOA, openID, "")
		if err != nil {
			t.Status, t.Message = "failed", "该微信尚未绑定平台账号，请先用账号密码登录后在“账号设置”中绑定微信。"
		} else {
			t.Status, t.Result, t.Message = "done", b.UserID, "登录成功"
		}
	}
	if err := h.saveTicket(ctx, t); err != nil {
		return "系统繁忙，请稍后再试。"
	}
	if t.Status == "done" && t.Purpose == PurposeBind {
		return "微信已绑定平台账号，今后可扫码登录，并接收备案、预约及完检通知。"
	}
	if t.Status == "done" {
		return "扫码成功，网页将自动登录。"
	}
	return t.Message
}

// qrImage serves a ticket's QR image (from WeChat or the sandbox).
func (h *Handler) qrImage(c *fiber.Ctx) error {
	png, err := h.WX.QRImage(c.UserContext(), c.Params("ticket"))
	if err != nil {
		return c.Status(fiber.StatusNotFound).SendString("二维码不存在或已过期")
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	return c.Send(png)
}

// ---------------------------------------------------------------- binding page (OAuth snsapi_base)

var bindTemplate = template.Must(template.New("bind").Parse(`<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>绑定平台账号</title>
<style>body{font:16px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#ededed;color:#111}
.w{max-width:420px;margin:0 auto;padding:24px 16px}.c{background:#fff;border-radius:8px;padding:20px}
h1{font-size:20px;margin:0 0 16px}label{display:block;margin:12px 0 4px;color:#555}input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #ddd;border-radius:6px;font:inherit}
button{margin-top:20px;width:100%;padding:11px;border:0;border-radius:6px;background:#07c160;color:#fff;font:inherit}.e{color:#fa5151;margin:10px 0}.ok{color:#07c160}</style></head>
<body><div class="w"><div class="c"><h1>绑定平台账号</h1>
{{if .Done}}<p class="ok">{{.Done}}</p><p>可返回公众号，点击菜单【查询】查看备案和预约情况。</p>{{else}}
{{with .Error}}<p class="e">{{.}}</p>{{end}}
<form method="post" action="/wechat/bind"><input type="hidden" name="state" value="{{.State}}">
<label for="a">平台账号（子用户填手机号）</label><input id="a" name="account" value="{{.Account}}" autocomplete="username">
<label for="p">密码</label><input id="p" name="password" type="password" autocomplete="current-password">
<button type="submit">绑定</button></form>{{end}}</div></div></body></html>`))

type bindView struct {
	State, Account, Error, Done string
}

func renderBind(c *fiber.Ctx, status int, v bindView) error {
	var b strings.Builder
	if err := bindTemplate.Execute(&b, v); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Type("html", "utf-8").SendString(b.String())
}

type bindState struct {
	OpenID  string
	UnionID string
}

// bindPage: without a code, send the browser through WeChat's OAuth
// (snsapi_base) to learn the openid; with one, ask for account + password.
func (h *Handler) bindPage(c *fiber.Ctx) error {
	code := c.Query("code")
	if code == "" {
		target, err := h.WX.OAuthURL(h.WX.S.PublicURL+"/wechat/bind", core.RandomToken(8))
		if err != nil {
			return renderBind(c, fiber.StatusServiceUnavailable, bindView{Error: "暂时无法打开绑定页面，请稍后再试"})
		}
		return c.Redirect(target)
	}
	openID, unionID, err := h.WX.OAuthOpenID(c.UserContext(), code)
	if err != nil {
		return renderBind(c, fiber.StatusBadRequest, bindView{Error: "授权已失效，请返回公众号重新点击【绑定账号】"})
	}
	state := core.RandomToken(16)
	b, _ := json.Marshal(bindState{OpenID: openID, UnionID: unionID})
	if err := h.Redis.RDB.Set(c.UserContext(), h.Redis.Key("wxbind", state), b, 15*time.Minute).Err(); err != nil {
		return err
	}
	return renderBind(c, fiber.StatusOK, bindView{State: state})
}

func (h *Handler) bind(c *fiber.Ctx) error {
	state := strings.Clone(c.FormValue("state"))
	account := strings.Clone(c.FormValue("account"))
	raw, err := h.Redis.RDB.Get(c.UserContext(), h.Redis.Key("wxbind", state)).Bytes()
	if err != nil {
		return renderBind(c, fiber.StatusBadRequest, bindView{Error: "页面已过期，请返回公众号重新点击【绑定账号】"})
	}
	var st bindState
	_ = json.Unmarshal(raw, &st)
	u, _, err := h.Accounts.Login(c.UserContext(), account, c.FormValue("password"))
	if err != nil {
		msg := core.ErrorMessage(err)
		if fe := core.FieldErrors(err); len(fe) > 0 {
			msg = fe[0].Message
		}
		return renderBind(c, fiber.StatusUnauthorized, bindView{State: state, Account: account, Error: msg})
	}
	if _, err := h.WeChat.Bind(c.UserContext(), wechat.AppOA, st.OpenID, st.UnionID, u.ID); err != nil {
		return err
	}
	h.Redis.RDB.Del(c.UserContext(), h.Redis.Key("wxbind", state))
	return renderBind(c, fiber.StatusOK, bindView{Done: "绑定成功：" + u.Login + "（" + u.Name + "）"})
}
