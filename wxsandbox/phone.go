package wxsandbox

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Reply is what the official account's server answered to a callback the
// phone pushed, and the sandbox's judgement of whether WeChat would accept
// it.
type Reply struct {
	Time      time.Time     `json:"time"`     // sandbox time of the push (its CreateTime)
	Event     string        `json:"event"`    // subscribe, unsubscribe, SCAN, CLICK, VIEW, text
	UserID    string        `json:"user_id"`  // who acted
	URL       string        `json:"url"`      // callback URL with the signed query
	Sent      string        `json:"sent"`     // the plaintext XML pushed
	Attempts  int           `json:"attempts"` // more than 1 when WeChat would have retried
	Status    int           `json:"status"`
	Latency   time.Duration `json:"-"`
	LatencyMS int64         `json:"latency_ms"`
	Body      string        `json:"body"`      // the reply as received
	Encrypted bool          `json:"encrypted"` // the reply was AES-encrypted
	Plain     string        `json:"plain"`     // the reply XML after decryption; "" for success/empty
	Message   *ReplyMessage `json:"message,omitempty"`
	// Problems lists what WeChat would not accept (in Chinese, as shown on
	// the sandbox pages); empty means the reply was fine.
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether WeChat would have accepted the reply.
func (r *Reply) OK() bool { return len(r.Problems) == 0 }

// ReplyMessage is a passive reply message (被动回复消息).
type ReplyMessage struct {
	ToUserName   string `xml:"ToUserName" json:"to_user_name"`
	FromUserName string `xml:"FromUserName" json:"from_user_name"`
	CreateTime   int64  `xml:"CreateTime" json:"create_time"`
	MsgType      string `xml:"MsgType" json:"msg_type"`
	Content      string `xml:"Content" json:"content,omitempty"`
	Image        struct {
		MediaID string `xml:"MediaId" json:"media_id"`
	} `xml:"Image" json:"image,omitzero"`
	Articles []struct {
		Title       string `xml:"Title" json:"title"`
		Description string `xml:"Description" json:"description"`
		PicURL      string `xml:"PicUrl" json:"pic_url"`
		URL         string `xml:"Url" json:"url"`
	} `xml:"Articles>item" json:"articles,omitempty"`
}

var replyTypes = map[string]bool{"text": true, "image": true, "voice": true, "video": true, "music": true, "news": true, "transfer_customer_service": true}

// inbound is a message the phone pushes.
type inbound struct {
	MsgType  string
	Event    string
	EventKey string
	Ticket   string
	Content  string
	MsgID    int64
}

func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

func (s *Server) messageXML(openID string, createTime int64, m inbound) string {
	var b strings.Builder
	b.WriteString("<xml>")
	b.WriteString("<ToUserName>" + cdata(s.cfg.OfficialAccount.OriginalID) + "</ToUserName>")
	b.WriteString("<FromUserName>" + cdata(openID) + "</FromUserName>")
	b.WriteString("<CreateTime>" + strconv.FormatInt(createTime, 10) + "</CreateTime>")
	b.WriteString("<MsgType>" + cdata(m.MsgType) + "</MsgType>")
	if m.MsgType == "event" {
		b.WriteString("<Event>" + cdata(m.Event) + "</Event>")
		b.WriteString("<EventKey>" + cdata(m.EventKey) + "</EventKey>")
		if m.Ticket != "" {
			b.WriteString("<Ticket>" + cdata(m.Ticket) + "</Ticket>")
		}
	} else {
		b.WriteString("<Content>" + cdata(m.Content) + "</Content>")
		b.WriteString("<MsgId>" + strconv.FormatInt(m.MsgID, 10) + "</MsgId>")
	}
	b.WriteString("</xml>")
	return b.String()
}

// push signs (and in safe/compat mode encrypts) a message, posts it to the
// callback URL the way WeChat does, retrying on timeouts, and judges the
// reply. It must run without the lock: the server under test may call the
// sandbox back while handling the event.
func (s *Server) push(ctx context.Context, u User, m inbound) (*Reply, error) {
	s.mu.Lock()
	cb, mode, now := s.st.callbackURL, s.st.mode, s.nowLocked()
	s.mu.Unlock()
	event := m.Event
	if m.MsgType != "event" {
		event = m.MsgType
	}
	rep := &Reply{Time: now, Event: event, UserID: u.ID}
	if cb == "" {
		return rep, ErrNoCallbackURL
	}
	plain := s.messageXML(u.OAOpenID, now.Unix(), m)
	rep.Sent = plain
	timestamp := strconv.FormatInt(now.Unix(), 10)
	nonce := strconv.FormatInt(rand.Int64N(1e10), 10)
	q := url.Values{}
	q.Set("signature", Signature(s.cfg.OfficialAccount.Token, timestamp, nonce))
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	q.Set("openid", u.OAOpenID)
	body := plain
	if mode != ModePlain {
		enc, err := s.crypto.Encrypt(nil, []byte(plain))
		if err != nil {
			return rep, err
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", s.crypto.Sign(timestamp, nonce, enc))
		if mode == ModeSafe {
			body = "<xml><ToUserName>" + cdata(s.cfg.OfficialAccount.OriginalID) + "</ToUserName><Encrypt>" + cdata(enc) + "</Encrypt></xml>"
		} else {
			body = strings.TrimSuffix(plain, "</xml>") + "<Encrypt>" + cdata(enc) + "</Encrypt></xml>"
		}
	}
	rep.URL = withQuery(cb, q)

	var resp *http.Response
	var respBody []byte
	var lastErr error
	start := time.Now()
	for rep.Attempts < s.cfg.CallbackAttempts {
		rep.Attempts++
		start = time.Now()
		resp, respBody, lastErr = s.post(ctx, rep.URL, body)
		if lastErr == nil || ctx.Err() != nil {
			break
		}
	}
	rep.Latency = time.Since(start)
	rep.LatencyMS = rep.Latency.Milliseconds()
	if lastErr != nil {
		if errors.Is(lastErr, context.DeadlineExceeded) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%d 次推送均未在 %s 内得到回复（微信会断开连接并重试）", rep.Attempts, s.cfg.CallbackTimeout))
		} else {
			rep.Problems = append(rep.Problems, "推送失败："+lastErr.Error())
		}
		s.rememberReply(rep)
		return rep, fmt.Errorf("%w: %v", ErrCallbackFailed, lastErr)
	}
	rep.Status = resp.StatusCode
	rep.Body = string(respBody)
	s.judgeReply(rep, u, mode)
	s.rememberReply(rep)
	return rep, nil
}

func (s *Server) post(ctx context.Context, target, body string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	return resp, b, nil
}

func withQuery(base string, q url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// judgeReply decodes the reply and notes what WeChat would refuse.
func (s *Server) judgeReply(rep *Reply, u User, mode MessageMode) {
	if rep.Status != http.StatusOK {
		rep.Problems = append(rep.Problems, fmt.Sprintf("HTTP 状态 %d（微信只接受 200）", rep.Status))
		return
	}
	raw := strings.TrimSpace(rep.Body)
	if raw == "" || raw == "success" {
		return
	}
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal([]byte(raw), &env); err != nil {
		rep.Problems = append(rep.Problems, "回复既不是 success 也不是合法的 XML")
		return
	}
	plain := raw
	if env.Encrypt != "" {
		rep.Encrypted = true
		if mode == ModePlain {
			rep.Problems = append(rep.Problems, "明文模式下回复了加密消息")
			return
		}
		if s.crypto.Sign(env.TimeStamp, env.Nonce, env.Encrypt) != env.MsgSignature {
			rep.Problems = append(rep.Problems, "回复的 MsgSignature 校验失败")
		}
		msg, _, err := s.crypto.Decrypt(env.Encrypt)
		if err != nil {
			rep.Problems = append(rep.Problems, "回复解密失败："+err.Error())
			return
		}
		plain = string(msg)
	} else if mode == ModeSafe {
		rep.Problems = append(rep.Problems, "安全模式下回复未加密")
	}
	rep.Plain = plain
	if p := strings.TrimSpace(plain); p == "" || p == "success" {
		return
	}
	var m ReplyMessage
	if err := xml.Unmarshal([]byte(plain), &m); err != nil {
		rep.Problems = append(rep.Problems, "回复的消息不是合法的 XML")
		return
	}
	rep.Message = &m
	if !replyTypes[m.MsgType] {
		rep.Problems = append(rep.Problems, fmt.Sprintf("不支持的回复消息类型 %q", m.MsgType))
	}
	if m.ToUserName != u.OAOpenID {
		rep.Problems = append(rep.Problems, "回复的 ToUserName 不是该用户的 openid")
	}
	if m.FromUserName != s.cfg.OfficialAccount.OriginalID {
		rep.Problems = append(rep.Problems, "回复的 FromUserName 不是公众号原始 ID")
	}
	if m.MsgType == "text" && (m.Content == "" || len(m.Content) > 2048) {
		rep.Problems = append(rep.Problems, "文本回复为空或超过 2048 字节")
	}
}

func (s *Server) rememberReply(r *Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.callbacks = append(s.st.callbacks, *r)
	if len(s.st.callbacks) > 200 {
		s.st.callbacks = append([]Reply(nil), s.st.callbacks[len(s.st.callbacks)-200:]...)
	}
}

// Callbacks returns the last callbacks the phone pushed, oldest first.
func (s *Server) Callbacks() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reply(nil), s.st.callbacks...)
}

func (s *Server) lockUser(id string) (*User, error) {
	p := s.st.users[id]
	if p == nil {
		return nil, ErrUnknownUser
	}
	return p, nil
}

// Subscribe makes the user follow the official account and pushes the
// subscribe event. A non-empty scene means they followed through a QR code
// with that scene: EventKey is "qrscene_"+scene and a Ticket is included
// (a permanent string-scene ticket is issued for it).
func (s *Server) Subscribe(ctx context.Context, userID, scene string) (*Reply, error) {
	s.mu.Lock()
	p, err := s.lockUser(userID)
	if err == nil && p.Subscribed {
		err = ErrAlreadySubscribed
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	m := inbound{MsgType: "event", Event: "subscribe"}
	if scene == "" {
		s.subscribeLocked(p, "ADD_SCENE_SEARCH", nil)
	} else {
		t := &qrTicket{Ticket: "gQ" + randString(72), ActionName: "QR_LIMIT_STR_SCENE", SceneStr: scene, Created: s.nowLocked()}
		s.addTicketLocked(t)
		s.subscribeLocked(p, "ADD_SCENE_QR_CODE", t)
		m.EventKey, m.Ticket = "qrscene_"+scene, t.Ticket
	}
	u := *p
	s.mu.Unlock()
	return s.push(ctx, u, m)
}

// Unsubscribe makes the user unfollow and pushes the unsubscribe event.
func (s *Server) Unsubscribe(ctx context.Context, userID string) (*Reply, error) {
	s.mu.Lock()
	p, err := s.lockUser(userID)
	if err == nil && !p.Subscribed {
		err = ErrNotSubscribed
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	p.Subscribed = false
	u := *p
	s.mu.Unlock()
	return s.push(ctx, u, inbound{MsgType: "event", Event: "unsubscribe"})
}

// Scan is the user scanning a parametric QR code: a follower sends SCAN with
// the bare scene, anyone else follows and sends subscribe with
// "qrscene_"+scene. Both carry the Ticket.
func (s *Server) Scan(ctx context.Context, userID, ticket string) (*Reply, error) {
	s.mu.Lock()
	p, err := s.lockUser(userID)
	t := s.st.tickets[ticket]
	switch {
	case err != nil:
	case t == nil:
		err = ErrUnknownTicket
	case t.expired(s.nowLocked()):
		err = ErrTicketExpired
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	m := inbound{MsgType: "event", Event: "SCAN", EventKey: t.scene(), Ticket: t.Ticket}
	if !p.Subscribed {
		s.subscribeLocked(p, "ADD_SCENE_QR_CODE", t)
		m.Event, m.EventKey = "subscribe", "qrscene_"+t.scene()
	}
	u := *p
	s.mu.Unlock()
	return s.push(ctx, u, m)
}

// Click is the user tapping a click-type menu button. Once a menu has been
// created, the key must be one of its buttons.
func (s *Server) Click(ctx context.Context, userID, key string) (*Reply, error) {
	return s.menuEvent(ctx, userID, "CLICK", key, func(b MenuButton) bool { return b.Key == key && b.Type != "view" })
}

// View is the user tapping a view-type menu button that opens target.
func (s *Server) View(ctx context.Context, userID, target string) (*Reply, error) {
	return s.menuEvent(ctx, userID, "VIEW", target, func(b MenuButton) bool { return b.Type == "view" && b.URL == target })
}

func (s *Server) menuEvent(ctx context.Context, userID, event, key string, match func(MenuButton) bool) (*Reply, error) {
	u, err := s.follower(userID)
	if err != nil {
		return nil, err
	}
	if menu := s.Menu(); menu != nil && !findMenuButton(menu, match) {
		return nil, fmt.Errorf("%w: %s", ErrNotInMenu, key)
	}
	return s.push(ctx, u, inbound{MsgType: "event", Event: event, EventKey: key})
}

// Text is the user sending a text message to the official account.
func (s *Server) Text(ctx context.Context, userID, content string) (*Reply, error) {
	u, err := s.follower(userID)
	if err != nil {
		return nil, err
	}
	return s.push(ctx, u, inbound{MsgType: "text", Content: content, MsgID: 1<<62 + rand.Int64N(1<<61)})
}

func (s *Server) follower(userID string) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.lockUser(userID)
	if err != nil {
		return User{}, err
	}
	if !p.Subscribed {
		return User{}, ErrNotSubscribed
	}
	return *p, nil
}

// EchoResult is the outcome of the URL verification WeChat performs when the
// server URL is saved on the admin page.
type EchoResult struct {
	URL       string `json:"url"`
	Echostr   string `json:"echostr"`
	Status    int    `json:"status"`
	Body      string `json:"body"`
	LatencyMS int64  `json:"latency_ms"`
	OK        bool   `json:"ok"`
}

// VerifyEcho sends GET callbackURL?signature&timestamp&nonce&echostr and
// checks that echostr comes back verbatim.
func (s *Server) VerifyEcho(ctx context.Context) (*EchoResult, error) {
	s.mu.Lock()
	cb, now := s.st.callbackURL, s.nowLocked()
	s.mu.Unlock()
	if cb == "" {
		return nil, ErrNoCallbackURL
	}
	timestamp := strconv.FormatInt(now.Unix(), 10)
	nonce := strconv.FormatInt(rand.Int64N(1e10), 10)
	echostr := strconv.FormatUint(rand.Uint64(), 10)
	q := url.Values{}
	q.Set("signature", Signature(s.cfg.OfficialAccount.Token, timestamp, nonce))
	q.Set("echostr", echostr)
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	res := &EchoResult{URL: withQuery(cb, q), Echostr: echostr}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, res.URL, nil)
	if err != nil {
		return res, err
	}
	start := time.Now()
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return res, fmt.Errorf("%w: %v", ErrCallbackFailed, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	res.LatencyMS = time.Since(start).Milliseconds()
	res.Status = resp.StatusCode
	res.Body = string(b)
	res.OK = resp.StatusCode == http.StatusOK && string(b) == echostr // WeChat compares verbatim
	if !res.OK {
		return res, ErrEchoMismatch
	}
	return res, nil
}
