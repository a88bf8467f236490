package wxsandbox

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The human pages: plain HTML forms, no scripts, text in Chinese for the
// people who try the project by hand.

var pageFuncs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(beijing).Format("2006-01-02 15:04:05")
	},
	"short": func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n]) + "…"
		}
		return s
	},
	"modeName": func(m MessageMode) string {
		return map[MessageMode]string{ModePlain: "明文模式", ModeSafe: "安全模式", ModeCompat: "兼容模式"}[m]
	},
	"eventName": eventName,
	"menuArgs":  func(id string, b MenuButton) menuButtonArgs { return menuButtonArgs{id, b} },
}

func eventName(e string) string {
	if n, ok := map[string]string{
		"subscribe": "关注", "unsubscribe": "取消关注", "SCAN": "扫码（已关注）", "CLICK": "点击菜单",
		"VIEW": "打开菜单链接", "text": "发送文字",
	}[e]; ok {
		return n
	}
	return e
}

var pages = template.Must(template.New("").Funcs(pageFuncs).Parse(`
{{define "head"}}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · 微信接口沙箱</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:1100px;padding:12px 16px;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:.9em} th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f4f4} code,pre{font-family:Menlo,Consolas,monospace;font-size:.85em} pre{background:#f7f7f7;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.ok{color:#07a000} .bad{color:#c00} .muted{color:#888} form.inline{display:inline}
button,input[type=submit]{background:#07c160;color:#fff;border:0;border-radius:4px;padding:5px 12px;cursor:pointer;margin:2px}
button.plain{background:#eee;color:#222} input[type=text],select{padding:4px;margin:2px}
.card{border:1px solid #ddd;border-radius:6px;padding:10px;margin:8px 0;max-width:420px}
.nav a{margin-right:12px}
</style></head><body>
<div class="nav"><a href="/sandbox/">沙箱首页</a><a href="/sandbox/config">配置 JSON</a><a href="/sandbox/requests">收到的请求 JSON</a><a href="/sandbox/messages">模板消息 JSON</a></div>
<h1>{{.Title}}</h1>
{{end}}

{{define "foot"}}</body></html>{{end}}

{{define "replyView"}}
{{if .}}
<table>
<tr><th style="width:9em">事件</th><td>{{eventName .Event}}</td></tr>
<tr><th>结果</th><td>{{if .OK}}<span class="ok">微信会接受这个回复</span>{{else}}<span class="bad">微信不会接受：</span><ul>{{range .Problems}}<li class="bad">{{.}}</li>{{end}}</ul>{{end}}</td></tr>
<tr><th>HTTP 状态</th><td>{{.Status}}（耗时 {{.LatencyMS}} 毫秒，推送 {{.Attempts}} 次）</td></tr>
{{with .Message}}<tr><th>回复消息</th><td>类型 {{.MsgType}}{{if .Content}}<div class="card">{{.Content}}</div>{{end}}{{range .Articles}}<div class="card"><b>{{.Title}}</b><br>{{.Description}}<br><a href="{{.URL}}">{{.URL}}</a></div>{{end}}</td></tr>
{{else}}<tr><th>回复消息</th><td class="muted">无（success 或空）</td></tr>{{end}}
<tr><th>推送地址</th><td><code>{{.URL}}</code></td></tr>
<tr><th>推送内容（明文）</th><td><pre>{{.Sent}}</pre></td></tr>
<tr><th>原始回复</th><td><pre>{{.Body}}</pre>{{if .Encrypted}}解密后：<pre>{{.Plain}}</pre>{{end}}</td></tr>
</table>
{{end}}
{{end}}

{{define "index"}}{{template "head" .}}
<p>这是一个模拟微信服务器的沙箱：接口路径与真实的 api.weixin.qq.com 相同，模拟用户可以在这里关注公众号、扫码、点菜单、发消息，事件会按微信的格式签名后推送到回调地址。</p>
{{if .Msg}}<p class="ok">{{.Msg}}</p>{{end}}

<h2>公众号与小程序</h2>
<table>
<tr><th style="width:12em">公众号 AppID</th><td><code>{{.Cfg.OfficialAccount.AppID}}</code></td><th>AppSecret</th><td><code>{{.Cfg.OfficialAccount.Secret}}</code></td></tr>
<tr><th>原始 ID</th><td><code>{{.Cfg.OfficialAccount.OriginalID}}</code></td><th>Token</th><td><code>{{.Cfg.OfficialAccount.Token}}</code></td></tr>
<tr><th>EncodingAESKey</th><td colspan="3"><code>{{.Cfg.OfficialAccount.EncodingAESKey}}</code></td></tr>
<tr><th>小程序 AppID</th><td><code>{{.Cfg.MiniProgram.AppID}}</code></td><th>AppSecret</th><td><code>{{.Cfg.MiniProgram.Secret}}</code></td></tr>
<tr><th>模板消息每日上限</th><td>{{.Cfg.DailyQuota}}</td><th>已签发 access_token</th><td>{{.TokensIssued}} 个</td></tr>
<tr><th>收到的接口请求</th><td>{{.Requests}} 个（<a href="/sandbox/requests">查看</a>）</td><th>故障注入</th><td>{{if .Faults}}{{len .Faults}} 条生效（<a href="/sandbox/faults">查看</a>）{{else}}无{{end}}</td></tr>
</table>
<form method="post" action="/sandbox/form/config">
<p>服务器地址（URL）：<input type="text" name="callback_url" size="60" value="{{.Cfg.OfficialAccount.CallbackURL}}" placeholder="http://127.0.0.1:8080/wechat/oa">
消息加解密方式：<select name="message_mode">
{{$m := .Cfg.OfficialAccount.MessageMode}}
<option value="plain"{{if eq $m "plain"}} selected{{end}}>明文模式</option>
<option value="compat"{{if eq $m "compat"}} selected{{end}}>兼容模式</option>
<option value="safe"{{if eq $m "safe"}} selected{{end}}>安全模式</option>
</select>
<input type="submit" value="保存"></p></form>
<form method="post" action="/sandbox/form/echo"><input type="submit" value="验证服务器地址（echostr）"></form>

<h2>模拟用户</h2>
{{if .Users}}
<table>
<tr><th>昵称</th><th>ID</th><th>公众号 openid</th><th>小程序 openid</th><th>unionid</th><th>手机号</th><th>关注</th><th></th></tr>
{{range .Users}}
<tr><td>{{.Nickname}}</td><td><code>{{.ID}}</code></td><td><code>{{.OAOpenID}}</code></td><td><code>{{.MPOpenID}}</code></td><td><code>{{.UnionID}}</code></td><td>{{.Phone}}</td>
<td>{{if .Subscribed}}<span class="ok">已关注</span>{{else}}<span class="muted">未关注</span>{{end}}</td>
<td><a href="/sandbox/phone?user={{.ID}}">打开手机</a></td></tr>
{{end}}
</table>
{{else}}<p class="muted">还没有模拟用户。</p>{{end}}
<form method="post" action="/sandbox/form/users">
<p>新建用户：昵称 <input type="text" name="nickname" placeholder="可留空">
手机号 <input type="text" name="phone" placeholder="可留空，自动生成">
<label><input type="checkbox" name="subscribed" value="1"> 已关注公众号</label>
<input type="submit" value="创建"></p></form>

<h2>带参数二维码</h2>
{{if .Tickets}}
<table><tr><th>场景值</th><th>类型</th><th>创建时间</th><th>过期时间</th><th>状态</th><th></th></tr>
{{range .Tickets}}
<tr><td><code>{{.Scene}}</code></td><td>{{.ActionName}}</td><td>{{when .Created}}</td><td>{{if .Expires.IsZero}}永久{{else}}{{when .Expires}}{{end}}</td>
<td>{{if .Expired}}<span class="bad">已过期</span>{{else}}<span class="ok">有效</span>{{end}}</td>
<td><a href="/sandbox/scan?ticket={{.Ticket}}">扫码页</a></td></tr>
{{end}}</table>
{{else}}<p class="muted">还没有生成二维码。</p>{{end}}

<h2>最近送达的模板消息</h2>
{{if .Deliveries}}
<table><tr><th>时间</th><th>用户</th><th>模板</th><th>内容</th><th>跳转</th></tr>
{{range .Deliveries}}
<tr><td>{{when .Time}}</td><td><a href="/sandbox/phone?user={{.UserID}}">{{.UserID}}</a></td><td><code>{{.TemplateID}}</code></td>
<td>{{range $k, $v := .Data}}<div>{{$k}}：{{$v}}</div>{{end}}</td>
<td>{{with .MiniProgram}}小程序 {{.PagePath}}{{else}}{{.URL}}{{end}}</td></tr>
{{end}}</table>
{{else}}<p class="muted">还没有模板消息。</p>{{end}}

<h2>最近的事件推送</h2>
{{if .Callbacks}}
<table><tr><th>时间</th><th>用户</th><th>事件</th><th>HTTP</th><th>耗时</th><th>回复</th><th>问题</th></tr>
{{range .Callbacks}}
<tr><td>{{when .Time}}</td><td>{{.UserID}}</td><td>{{eventName .Event}}</td><td>{{if .Status}}{{.Status}}{{else}}—{{end}}</td><td>{{.LatencyMS}} 毫秒</td>
<td>{{if not .Status}}<span class="muted">无回应</span>{{else}}{{with .Message}}{{short .Content 40}}{{else}}<span class="muted">success/空</span>{{end}}{{end}}</td>
<td>{{range .Problems}}<div class="bad">{{.}}</div>{{end}}</td></tr>
{{end}}</table>
{{else}}<p class="muted">还没有推送过事件。</p>{{end}}

<h2>控制接口（JSON）</h2>
<p class="muted">GET /sandbox/users · POST /sandbox/users · POST /sandbox/users/{id}/login-code · phone-code · oauth-code ·
POST /sandbox/users/{id}/subscribe · unsubscribe · scan · click · view · text · POST /sandbox/echo ·
GET /sandbox/requests · /sandbox/messages · /sandbox/callbacks · /sandbox/tokens · /sandbox/qrcodes · /sandbox/menu ·
GET/POST/DELETE /sandbox/faults · GET/POST /sandbox/clock · POST /sandbox/config · POST /sandbox/reset</p>
{{template "foot"}}{{end}}

{{define "phone"}}{{template "head" .}}
{{with .User}}
<p>{{.Nickname}}（<code>{{.ID}}</code>）· 手机号 {{.Phone}} ·
{{if .Subscribed}}<span class="ok">已关注公众号</span>（{{when .SubscribeTime}}，{{.SubscribeScene}}{{if .QRScene}}，场景值 {{.QRScene}}{{end}}）{{else}}<span class="muted">未关注公众号</span>{{end}}</p>
{{end}}
<h2>公众号</h2>
<form method="post" action="/sandbox/phone" class="inline"><input type="hidden" name="user" value="{{.User.ID}}">
{{if .User.Subscribed}}<input type="hidden" name="action" value="unsubscribe"><input type="submit" value="取消关注">
{{else}}<input type="hidden" name="action" value="subscribe">场景值 <input type="text" name="arg" placeholder="留空为搜索关注"> <input type="submit" value="关注">{{end}}
</form>
{{if .User.Subscribed}}
{{if .Menu}}
<p>菜单：</p>
{{range .Menu}}
<div class="card">
{{if .SubButton}}<b>{{.Name}}</b> {{range .SubButton}}{{template "menuButton" (menuArgs $.User.ID .)}}{{end}}{{else}}{{template "menuButton" (menuArgs $.User.ID .)}}{{end}}
</div>
{{end}}
{{else}}<p class="muted">公众号还没有创建菜单。</p>
<form method="post" action="/sandbox/phone"><input type="hidden" name="user" value="{{.User.ID}}"><input type="hidden" name="action" value="click">
菜单 KEY <input type="text" name="arg"> <input type="submit" value="模拟点击菜单"></form>
{{end}}
<form method="post" action="/sandbox/phone"><input type="hidden" name="user" value="{{.User.ID}}"><input type="hidden" name="action" value="text">
<input type="text" name="arg" size="40" placeholder="输入文字，例如预约号"> <input type="submit" value="发送"></form>
{{end}}

<h2>小程序与网页授权</h2>
<form method="post" action="/sandbox/phone" class="inline"><input type="hidden" name="user" value="{{.User.ID}}"><input type="hidden" name="action" value="login-code"><input type="submit" value="wx.login 获取 code"></form>
<form method="post" action="/sandbox/phone" class="inline"><input type="hidden" name="user" value="{{.User.ID}}"><input type="hidden" name="action" value="phone-code"><input type="submit" value="获取手机号 code"></form>
<form method="post" action="/sandbox/phone" class="inline"><input type="hidden" name="user" value="{{.User.ID}}"><input type="hidden" name="action" value="oauth-code">
<select name="arg"><option value="snsapi_base">snsapi_base</option><option value="snsapi_userinfo">snsapi_userinfo</option></select><input type="submit" value="网页授权 code"></form>

<h2>收到的模板消息</h2>
{{range .Deliveries}}
<div class="card"><b>{{index $.TemplateTitles .TemplateID}}</b> <span class="muted">{{when .Time}}</span>
{{range $k, $v := .Data}}<div>{{$k}}：{{$v}}</div>{{end}}
{{with .MiniProgram}}<div class="muted">点击进入小程序：{{.PagePath}}</div>{{else}}{{if .URL}}<div class="muted">点击打开：{{.URL}}</div>{{end}}{{end}}
</div>
{{else}}<p class="muted">还没有收到模板消息。</p>{{end}}
{{template "foot"}}{{end}}

{{define "menuButton"}}
<form method="post" action="/sandbox/phone" class="inline"><input type="hidden" name="user" value="{{.UserID}}">
{{if eq .Button.Type "view"}}<input type="hidden" name="action" value="view"><input type="hidden" name="arg" value="{{.Button.URL}}">
{{else}}<input type="hidden" name="action" value="click"><input type="hidden" name="arg" value="{{.Button.Key}}">{{end}}
<button class="plain" type="submit">{{.Button.Name}}</button></form>
{{end}}

{{define "scan"}}{{template "head" .}}
{{if .Ticket}}{{with .Ticket}}
<p>场景值 <code>{{.Scene}}</code>（{{.ActionName}}）· {{if .Expires.IsZero}}永久二维码{{else}}过期时间 {{when .Expires}}{{end}} ·
{{if .Expired}}<span class="bad">二维码已过期</span>{{else}}<span class="ok">有效</span>{{end}}</p>
{{if not .Expired}}<p><img src="/cgi-bin/showqrcode?ticket={{.Ticket}}" width="215" height="215" alt="二维码"></p>{{end}}
{{end}}
{{if not .Ticket.Expired}}
<form method="post" action="/sandbox/scan"><input type="hidden" name="ticket" value="{{.Ticket.Ticket}}">
<p>我是：<select name="user">
{{range .Users}}<option value="{{.ID}}">{{.Nickname}}（{{.ID}}，{{if .Subscribed}}已关注{{else}}未关注{{end}}）</option>{{end}}
<option value="new">新用户（未关注）</option>
</select>
<input type="submit" value="扫码"></p></form>
{{end}}
{{else}}<p class="bad">二维码不存在。</p>{{end}}
{{template "foot"}}{{end}}

{{define "result"}}{{template "head" .}}
{{if .Err}}<p class="bad">{{.Err}}</p>{{end}}
{{if .Code}}<p>{{.CodeKind}}：</p><pre>{{.Code}}</pre><p class="muted">5 分钟内有效，只能使用一次。</p>{{end}}
{{with .Echo}}<p>{{if .OK}}<span class="ok">验证通过</span>{{else}}<span class="bad">验证失败</span>{{end}}：发送 echostr <code>{{.Echostr}}</code>，收到 HTTP {{.Status}} <code>{{.Body}}</code></p>{{end}}
{{template "replyView" .Reply}}
<p>{{if .User}}<a href="/sandbox/phone?user={{.User.ID}}">返回手机</a> · {{end}}<a href="/sandbox/">返回首页</a></p>
{{template "foot"}}{{end}}

{{define "authorize"}}{{template "head" .}}
{{if .Err}}<p class="bad">{{.Err}}</p>{{else}}
<p>公众号 <code>{{.OriginalID}}</code> 申请获得{{if eq .Scope "snsapi_userinfo"}}你的昵称、头像等公开信息{{else}}你的身份标识（openid）{{end}}。</p>
<p>选择你是哪个模拟微信用户：</p>
{{range .Choices}}<p><a href="{{.Link}}"><button type="button">以 {{.Label}} 身份允许</button></a></p>{{end}}
{{end}}
{{template "foot"}}{{end}}
`))

type menuButtonArgs struct {
	UserID string
	Button MenuButton
}

func render(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func lastN[T any](s []T, n int) []T {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func (s *Server) pageIndex(w http.ResponseWriter, r *http.Request) {
	tickets := s.Tickets()
	if len(tickets) > 20 {
		tickets = tickets[:20]
	}
	s.mu.Lock()
	nreq := len(s.st.requests)
	s.mu.Unlock()
	render(w, "index", map[string]any{
		"Title":        "微信接口沙箱",
		"Msg":          r.URL.Query().Get("msg"),
		"Cfg":          s.configView(),
		"Users":        s.Users(),
		"Tickets":      tickets,
		"Deliveries":   lastN(s.Deliveries(), 20),
		"Callbacks":    lastN(s.Callbacks(), 20),
		"TokensIssued": s.TokensIssued(""),
		"Requests":     nreq,
		"Faults":       s.Faults(),
	})
}

func (s *Server) formCreateUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.CreateUser(User{
		Nickname:   strings.TrimSpace(r.FormValue("nickname")),
		Phone:      strings.TrimSpace(r.FormValue("phone")),
		Subscribed: r.FormValue("subscribed") != "",
	})
	if err != nil {
		render(w, "result", map[string]any{"Title": "创建用户失败", "Err": err.Error()})
		return
	}
	http.Redirect(w, r, "/sandbox/?msg="+url.QueryEscape("已创建用户 "+u.Nickname), http.StatusSeeOther)
}

func (s *Server) formConfig(w http.ResponseWriter, r *http.Request) {
	if err := s.SetCallback(strings.TrimSpace(r.FormValue("callback_url")), MessageMode(r.FormValue("message_mode"))); err != nil {
		render(w, "result", map[string]any{"Title": "保存失败", "Err": err.Error()})
		return
	}
	http.Redirect(w, r, "/sandbox/?msg="+url.QueryEscape("已保存服务器配置"), http.StatusSeeOther)
}

func (s *Server) formEcho(w http.ResponseWriter, r *http.Request) {
	res, err := s.VerifyEcho(r.Context())
	data := map[string]any{"Title": "验证服务器地址", "Echo": res}
	if err != nil {
		data["Err"] = errText(err)
	}
	render(w, "result", data)
}

func (s *Server) pagePhone(w http.ResponseWriter, r *http.Request) {
	u, ok := s.User(r.URL.Query().Get("user"))
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		render(w, "result", map[string]any{"Title": "手机", "Err": "没有这个用户。"})
		return
	}
	var mine []Delivery
	for _, d := range s.Deliveries() {
		if d.UserID == u.ID {
			mine = append(mine, d)
		}
	}
	titles := map[string]string{}
	for _, t := range s.cfg.Templates {
		titles[t.ID] = t.Title
	}
	render(w, "phone", map[string]any{
		"Title":          u.Nickname + " 的手机",
		"User":           u,
		"Menu":           s.Menu(),
		"Deliveries":     lastN(mine, 50),
		"TemplateTitles": titles,
	})
}

func (s *Server) formPhone(w http.ResponseWriter, r *http.Request) {
	userID, action, arg := r.FormValue("user"), r.FormValue("action"), strings.TrimSpace(r.FormValue("arg"))
	u, ok := s.User(userID)
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		render(w, "result", map[string]any{"Title": "手机", "Err": "没有这个用户。"})
		return
	}
	data := map[string]any{"Title": u.Nickname + " 的手机", "User": u}
	var err error
	switch action {
	case "login-code":
		data["CodeKind"] = "wx.login 返回的 code（交给 /sns/jscode2session）"
		data["Code"], err = s.LoginCode(userID)
	case "phone-code":
		data["CodeKind"] = "手机号 code（交给 /wxa/business/getuserphonenumber）"
		data["Code"], err = s.PhoneCode(userID)
	case "oauth-code":
		data["CodeKind"] = "网页授权 code（交给 /sns/oauth2/access_token）"
		data["Code"], err = s.OAuthCode(userID, arg)
	default:
		var rep *Reply
		rep, err = s.phoneAction(r.Context(), userID, action, arg)
		if rep != nil {
			data["Reply"] = rep
		}
	}
	if err != nil {
		data["Err"] = errText(err)
	}
	render(w, "result", data)
}

func (s *Server) pageScan(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Title": "扫描二维码", "Users": s.Users()}
	if t, ok := s.Ticket(r.URL.Query().Get("ticket")); ok {
		data["Ticket"] = &t
	}
	render(w, "scan", data)
}

func (s *Server) formScan(w http.ResponseWriter, r *http.Request) {
	userID := r.FormValue("user")
	if userID == "new" {
		u, err := s.CreateUser(User{})
		if err != nil {
			render(w, "result", map[string]any{"Title": "扫码", "Err": errText(err)})
			return
		}
		userID = u.ID
	}
	rep, err := s.Scan(r.Context(), userID, r.FormValue("ticket"))
	u, _ := s.User(userID)
	data := map[string]any{"Title": "扫码结果", "User": u}
	if rep != nil {
		data["Reply"] = rep
	}
	if err != nil {
		data["Err"] = errText(err)
	}
	render(w, "result", data)
}

// errText explains sandbox errors to people.
func errText(err error) string {
	for e, text := range map[error]string{
		ErrUnknownUser:       "没有这个用户。",
		ErrNotSubscribed:     "该用户还没有关注公众号。",
		ErrAlreadySubscribed: "该用户已经关注了公众号。",
		ErrUnknownTicket:     "二维码不存在。",
		ErrTicketExpired:     "二维码已过期。",
		ErrNoCallbackURL:     "还没有配置服务器地址（回调 URL）。",
		ErrNotInMenu:         "公众号菜单里没有这个按钮。",
		ErrCallbackFailed:    "推送失败，公众号服务器没有回应。",
		ErrEchoMismatch:      "服务器没有原样返回 echostr。",
		ErrUnknownOAuthScope: "scope 只能是 snsapi_base 或 snsapi_userinfo。",
	} {
		if errors.Is(err, e) {
			return text + "（" + err.Error() + "）"
		}
	}
	return err.Error()
}

// GET /connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=
// (open.weixin.qq.com). sandbox_user=<id> answers for the person, "new"
// creating a fresh user, so scripted flows need no page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := map[string]any{"Title": "微信授权", "OriginalID": s.cfg.OfficialAccount.OriginalID, "Scope": q.Get("scope")}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("appid") != s.cfg.OfficialAccount.AppID:
		data["Err"] = "appid 参数错误"
	case q.Get("redirect_uri") == "" || err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") || redirect.Host == "":
		data["Err"] = "redirect_uri 参数错误"
	case q.Get("response_type") != "code":
		data["Err"] = "response_type 参数错误"
	case q.Get("scope") != "snsapi_base" && q.Get("scope") != "snsapi_userinfo":
		data["Err"] = "scope 参数错误或没有 scope 权限"
	}
	if data["Err"] != nil {
		render(w, "authorize", data)
		return
	}
	if userID := q.Get("sandbox_user"); userID != "" {
		if userID == "new" {
			u, err := s.CreateUser(User{})
			if err != nil {
				data["Err"] = errText(err)
				render(w, "authorize", data)
				return
			}
			userID = u.ID
		}
		code, err := s.OAuthCode(userID, q.Get("scope"))
		if err != nil {
			data["Err"] = errText(err)
			render(w, "authorize", data)
			return
		}
		rq := redirect.Query()
		rq.Set("code", code)
		rq.Set("state", q.Get("state"))
		redirect.RawQuery = rq.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusFound)
		return
	}
	type choice struct{ Label, Link string }
	var choices []choice
	link := func(id string) string {
		lq := r.URL.Query()
		lq.Set("sandbox_user", id)
		return "/connect/oauth2/authorize?" + lq.Encode()
	}
	for _, u := range s.Users() {
		choices = append(choices, choice{u.Nickname + "（" + u.ID + "）", link(u.ID)})
	}
	choices = append(choices, choice{"新用户", link("new")})
	data["Choices"] = choices
	render(w, "authorize", data)
}
