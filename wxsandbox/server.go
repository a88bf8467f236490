package wxsandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is a running (or mountable) WeChat sandbox. It is an http.Handler;
// New builds one to mount anywhere, Start also listens on a port.
type Server struct {
	cfg     Config // fixed after New, except the fields copied into state
	crypto  *MsgCrypt
	control *http.ServeMux
	api     map[string]apiRoute
	closed  chan struct{}

	httpSrv  *http.Server
	listenAt string // base URL when started with Start

	mu    sync.Mutex
	st    *state
	close sync.Once
}

// state is everything Reset throws away.
type state struct {
	offset      time.Duration // added to the clock by Advance
	callbackURL string
	mode        MessageMode
	dailyQuota  int
	baseURL     string // learned from the first request when not configured

	users     map[string]*User
	userOrder []string
	byOpenID  map[string]*User
	userSeq   int

	tokens      map[string]*accessToken
	current     map[string]string // appid+kind -> token value
	issued      map[string]int    // appid -> tokens issued
	codes       map[string]*oneTimeCode
	tickets     map[string]*qrTicket
	ticketOrder []string
	menu        json.RawMessage

	msgSeq     int64
	deliveries []Delivery
	sent       map[string]dedupEntry // appid|touser|client_msg_id
	quota      map[string]quotaDay   // appid -> template sends today

	requests  []RecordedRequest
	faults    []*faultState
	callbacks []Reply
}

type apiRoute struct {
	method string
	h      http.HandlerFunc
}

// New builds a sandbox without listening; mount it with httptest.NewServer
// or any http.Server.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	mc, err := NewMsgCrypt(cfg.OfficialAccount.Token, cfg.OfficialAccount.EncodingAESKey, cfg.OfficialAccount.AppID)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, crypto: mc, closed: make(chan struct{})}
	s.routes()
	if err := s.Reset(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start builds a sandbox and serves it on cfg.Addr (127.0.0.1 on a free port
// when empty). URL returns where it listens.
func Start(cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1" // a wildcard address is not something a browser can open
	}
	s.listenAt = "http://" + net.JoinHostPort(host, port)
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.httpSrv.Serve(ln) }()
	return s, nil
}

// URL is the base URL the sandbox listens on (Start only; "" otherwise).
func (s *Server) URL() string { return s.listenAt }

// Shutdown stops a started sandbox gracefully; requests held by a timeout
// fault are released first so that they do not hold the shutdown up.
func (s *Server) Shutdown(ctx context.Context) error {
	s.close.Do(func() { close(s.closed) })
	if s.httpSrv == nil {
		return nil
	}
	return s.httpSrv.Shutdown(ctx)
}

// Close stops the sandbox at once.
func (s *Server) Close() error {
	s.close.Do(func() { close(s.closed) })
	if s.httpSrv == nil {
		return nil
	}
	return s.httpSrv.Close()
}

// Config returns the sandbox configuration, with the callback URL, message
// mode and daily quota as they are now.
func (s *Server) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.OfficialAccount.CallbackURL = s.st.callbackURL
	c.OfficialAccount.MessageMode = s.st.mode
	c.DailyQuota = s.st.dailyQuota
	c.Templates = append([]Template(nil), c.Templates...)
	c.Users = append([]User(nil), c.Users...)
	return c
}

// SetCallback changes where the phone pushes events and in which message
// mode, typically once the server under test knows its own port. An empty
// mode keeps the current one.
func (s *Server) SetCallback(callbackURL string, mode MessageMode) error {
	if mode != "" {
		if err := checkMode(mode); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.callbackURL = callbackURL
	if mode != "" {
		s.st.mode = mode
	}
	return nil
}

// Reset forgets everything that happened: users go back to the configured
// seed list; tokens, codes, tickets, the menu, deliveries, quotas, the
// request log, callbacks, faults and the clock offset are cleared; the
// callback URL, message mode and daily quota return to the configuration.
func (s *Server) Reset() error {
	st := &state{
		callbackURL: s.cfg.OfficialAccount.CallbackURL,
		mode:        s.cfg.OfficialAccount.MessageMode,
		dailyQuota:  s.cfg.DailyQuota,
		users:       map[string]*User{},
		byOpenID:    map[string]*User{},
		tokens:      map[string]*accessToken{},
		current:     map[string]string{},
		issued:      map[string]int{},
		codes:       map[string]*oneTimeCode{},
		tickets:     map[string]*qrTicket{},
		sent:        map[string]dedupEntry{},
		quota:       map[string]quotaDay{},
		msgSeq:      3000000000,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
	var errs []error
	for _, u := range s.cfg.Users {
		if _, err := s.addUserLocked(u); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Now is the sandbox's current time: its clock plus any Advance.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time { return s.cfg.Clock.Now().Add(s.st.offset) }

// Advance moves the sandbox's time forward, for expiring tokens, codes and
// tickets in a sandbox whose clock cannot be reached (a separate process).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.offset += d
}

func (s *Server) routes() {
	s.api = map[string]apiRoute{
		"/cgi-bin/token":                   {http.MethodGet, s.handleToken},
		"/cgi-bin/stable_token":            {http.MethodPost, s.handleStableToken},
		"/sns/jscode2session":              {http.MethodGet, s.handleJSCode2Session},
		"/wxa/business/getuserphonenumber": {http.MethodPost, s.handlePhoneNumber},
		"/cgi-bin/message/template/send":   {http.MethodPost, s.handleTemplateSend},
		"/cgi-bin/qrcode/create":           {http.MethodPost, s.handleQRCreate},
		"/cgi-bin/showqrcode":              {http.MethodGet, s.handleShowQR},
		"/cgi-bin/menu/create":             {http.MethodPost, s.handleMenuCreate},
		"/cgi-bin/menu/get":                {http.MethodGet, s.handleMenuGet},
		"/cgi-bin/menu/delete":             {http.MethodGet, s.handleMenuDelete},
		"/cgi-bin/user/info":               {http.MethodGet, s.handleUserInfo},
		"/sns/oauth2/access_token":         {http.MethodGet, s.handleOAuthToken},
		"/sns/userinfo":                    {http.MethodGet, s.handleSNSUserInfo},
		"/connect/oauth2/authorize":        {http.MethodGet, s.handleAuthorize},
	}
	s.control = s.controlMux()
}

const maxBody = 1 << 20

// ServeHTTP serves the WeChat API, the control API under /sandbox/ and the
// human pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.learnBaseURL(r)
	if r.URL.Path == "/sandbox" || strings.HasPrefix(r.URL.Path, "/sandbox/") {
		s.control.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == "/" {
		http.Redirect(w, r, "/sandbox/", http.StatusFound)
		return
	}
	if r.URL.Path == "/favicon.ico" {
		http.NotFound(w, r)
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeErr(w, ErrCodeSystemBusy, "")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recorder{ResponseWriter: w}
	fault := s.applyFault(rec, r)
	if fault == faultNone {
		s.serveAPI(rec, r)
	}
	s.record(r, body, rec, fault != faultNone)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	route, ok := s.api[r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, errBody{ErrCodeSystemBusy, "sandbox: no such api " + r.URL.Path + " rid: " + rid()})
		return
	}
	if r.Method != route.method {
		if route.method == http.MethodGet {
			writeErr(w, ErrCodeRequireGET, "")
		} else {
			writeErr(w, ErrCodeRequirePOST, "")
		}
		return
	}
	route.h(w, r)
}

// learnBaseURL remembers how the first client reached the sandbox, so that a
// sandbox mounted on httptest still puts absolute URLs into its QR codes.
func (s *Server) learnBaseURL(r *http.Request) {
	if s.cfg.PublicURL != "" || s.listenAt != "" || r.Host == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.baseURL == "" && !isWeChatHost(r.Host) {
		s.st.baseURL = "http://" + r.Host
	}
}

// BaseURL is the URL that pages and QR codes point people to.
func (s *Server) BaseURL() string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	if s.listenAt != "" {
		return s.listenAt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.baseURL
}

// RecordedRequest is one request the sandbox received on a WeChat path.
type RecordedRequest struct {
	Time    time.Time `json:"time"` // sandbox time
	Method  string    `json:"method"`
	Host    string    `json:"host"`
	Path    string    `json:"path"`
	Query   string    `json:"query"` // secret values masked
	Body    string    `json:"body,omitempty"`
	Status  int       `json:"status"`
	ErrCode int       `json:"errcode"`
	Fault   bool      `json:"fault,omitempty"` // answered by an injected fault
}

type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.buf.Len() < 64<<10 {
		r.buf.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) record(r *http.Request, body []byte, rec *recorder, fault bool) {
	q := r.URL.Query()
	if q.Has("secret") {
		q.Set("secret", "***")
	}
	entry := RecordedRequest{
		Method: r.Method,
		Host:   r.Host,
		Path:   r.URL.Path,
		Query:  q.Encode(),
		Status: rec.status,
		Fault:  fault,
	}
	if len(body) > 0 {
		entry.Body = string(body)
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		var e struct {
			ErrCode int `json:"errcode"`
		}
		_ = json.Unmarshal(rec.buf.Bytes(), &e)
		entry.ErrCode = e.ErrCode
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entry.Time = s.nowLocked()
	s.st.requests = append(s.st.requests, entry)
	if over := len(s.st.requests) - s.cfg.MaxRecordedRequests; over > 0 {
		s.st.requests = append([]RecordedRequest(nil), s.st.requests[over:]...)
	}
}

// Requests returns the WeChat API requests received so far, oldest first,
// optionally only those whose path starts with pathPrefix. Control-API and
// page requests are not recorded.
func (s *Server) Requests(pathPrefix string) []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RecordedRequest
	for _, r := range s.st.requests {
		if strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

// randString returns n random bytes in URL-safe base64: safe to paste into a
// query string unescaped, which matters because SDKs (silenceper's
// ShowQRCode among them) do not escape tickets.
func randString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// isWeChatHost reports whether host (with or without port) belongs to
// WeChat's API or web hosts.
func isWeChatHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	return host == "weixin.qq.com" || strings.HasSuffix(host, ".weixin.qq.com")
}

// RewriteTransport sends every request for a WeChat host (api., mp., open.
// and any other *.weixin.qq.com) to Target instead, keeping path and query.
// SDKs hard-code https://api.weixin.qq.com; an http.Client with this
// transport points them at the sandbox. Other hosts pass through unchanged.
type RewriteTransport struct {
	Target *url.URL          // e.g. the sandbox's URL
	Next   http.RoundTripper // nil means http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *RewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if !isWeChatHost(req.URL.Host) {
		return next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = t.Target.Scheme
	r.URL.Host = t.Target.Host
	r.Host = ""
	if p := strings.TrimRight(t.Target.Path, "/"); p != "" {
		r.URL.Path = p + r.URL.Path
		r.URL.RawPath = ""
	}
	return next.RoundTrip(r)
}

// Client returns an HTTP client that reaches this sandbox whenever it is
// asked for a WeChat host. The sandbox must have been started (or mounted at
// base, via PublicURL).
func (s *Server) Client(timeout time.Duration) *http.Client {
	target, _ := url.Parse(s.BaseURL())
	return &http.Client{Timeout: timeout, Transport: &RewriteTransport{Target: target}}
}
