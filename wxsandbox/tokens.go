package wxsandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

const (
	tokenTTL   = 7200 * time.Second
	tokenGrace = 5 * time.Minute // WeChat keeps a replaced token alive this long
)

type tokenKind int

const (
	tokenNormal tokenKind = iota // /cgi-bin/token
	tokenStable                  // /cgi-bin/stable_token, isolated from the normal one
	tokenOAuth                   // /sns/oauth2/access_token, per user
)

type accessToken struct {
	value   string
	appID   string
	kind    tokenKind
	expires time.Time // 42001 from then on
	invalid time.Time // 40001 from then on (replaced); zero = never
	userID  string    // OAuth only
	scope   string    // OAuth only
}

func slotKey(appID string, kind tokenKind) string {
	if kind == tokenStable {
		return appID + "|stable"
	}
	return appID + "|normal"
}

// issueTokenLocked makes a new app token and retires the one it replaces:
// after a stable force_refresh at once, after /cgi-bin/token when the grace
// period ends.
func (s *Server) issueTokenLocked(appID string, kind tokenKind) *accessToken {
	now := s.nowLocked()
	s.sweepTokensLocked(now)
	key := slotKey(appID, kind)
	if old := s.st.tokens[s.st.current[key]]; old != nil {
		if kind == tokenStable {
			old.invalid = now
		} else if g := now.Add(tokenGrace); g.Before(old.expires) {
			old.invalid = g
		}
	}
	t := &accessToken{value: "sbx_" + randString(60), appID: appID, kind: kind, expires: now.Add(tokenTTL)}
	s.st.tokens[t.value] = t
	s.st.current[key] = t.value
	s.st.issued[appID]++
	return t
}

// sweepTokensLocked drops tokens long dead, so that a sandbox left running
// for days does not grow without bound. A dropped token answers 40001
// instead of 42001, which a client a day late will not mind.
func (s *Server) sweepTokensLocked(now time.Time) {
	if len(s.st.tokens) < 1000 {
		return
	}
	for v, t := range s.st.tokens {
		if now.Sub(t.expires) > 24*time.Hour {
			delete(s.st.tokens, v)
		}
	}
}

// auth checks the access_token query parameter; wantApp is the app the API
// belongs to. It writes the WeChat error and returns false when the token
// does not do.
func (s *Server) auth(w http.ResponseWriter, r *http.Request, wantApp string) (*accessToken, bool) {
	value := r.URL.Query().Get("access_token")
	if value == "" {
		writeErr(w, ErrCodeTokenMissing, "")
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.tokens[value]
	now := s.nowLocked()
	switch {
	case t == nil || t.kind == tokenOAuth:
		writeErr(w, ErrCodeInvalidCredential, "")
		return nil, false
	case !t.invalid.IsZero() && !now.Before(t.invalid):
		writeErr(w, ErrCodeInvalidCredential, "")
		return nil, false
	case !now.Before(t.expires):
		writeErr(w, ErrCodeTokenExpired, "")
		return nil, false
	case t.appID != wantApp:
		writeErr(w, ErrCodeAPIUnauthorized, "")
		return nil, false
	}
	cp := *t
	return &cp, true
}

// checkApp validates an appid/secret pair against the two configured apps.
func (s *Server) checkApp(appID, secret string) int {
	var want string
	switch appID {
	case "":
		return ErrCodeAppIDMissing
	case s.cfg.OfficialAccount.AppID:
		want = s.cfg.OfficialAccount.Secret
	case s.cfg.MiniProgram.AppID:
		want = s.cfg.MiniProgram.Secret
	default:
		return ErrCodeInvalidAppID
	}
	if secret == "" {
		return ErrCodeSecretMissing
	}
	if secret != want {
		return ErrCodeInvalidAppSecret
	}
	return 0
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// GET /cgi-bin/token?grant_type=client_credential&appid=&secret=
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		writeErr(w, ErrCodeInvalidGrantType, "")
		return
	}
	if code := s.checkApp(q.Get("appid"), q.Get("secret")); code != 0 {
		writeErr(w, code, "")
		return
	}
	s.mu.Lock()
	t := s.issueTokenLocked(q.Get("appid"), tokenNormal)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{t.value, int64(tokenTTL / time.Second)})
}

// POST /cgi-bin/stable_token {"grant_type","appid","secret","force_refresh"}
//
// Without force_refresh every caller gets the same token until it expires,
// with the seconds it has left; that is what lets several server instances
// share one token without a distributed lock.
func (s *Server) handleStableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.GrantType != "client_credential" {
		writeErr(w, ErrCodeInvalidGrantType, "")
		return
	}
	if code := s.checkApp(req.AppID, req.Secret); code != 0 {
		writeErr(w, code, "")
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	t := s.st.tokens[s.st.current[slotKey(req.AppID, tokenStable)]]
	if req.ForceRefresh || t == nil || !now.Before(t.expires) || (!t.invalid.IsZero() && !now.Before(t.invalid)) {
		t = s.issueTokenLocked(req.AppID, tokenStable)
	}
	left := int64(t.expires.Sub(now) / time.Second)
	value := t.value
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{value, left})
}

// decodeBody reads a JSON request body, answering 44002/47001 like WeChat
// when it is empty or malformed.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			writeErr(w, ErrCodeEmptyPostData, "")
		} else {
			writeErr(w, ErrCodeDataFormat, "")
		}
		return false
	}
	return true
}

// TokensIssued counts access tokens issued through /cgi-bin/token and
// /cgi-bin/stable_token for appID, or for both apps when appID is "". A
// stable_token call that returns the existing token does not count.
func (s *Server) TokensIssued(appID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if appID != "" {
		return s.st.issued[appID]
	}
	n := 0
	for _, c := range s.st.issued {
		n += c
	}
	return n
}

// AccessToken returns the app's current stable token, issuing (and
// counting) one if there is none, for tests that call the API by hand.
func (s *Server) AccessToken(appID string) (string, error) {
	if appID != s.cfg.OfficialAccount.AppID && appID != s.cfg.MiniProgram.AppID {
		return "", ErrMsgError(ErrCodeInvalidAppID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	t := s.st.tokens[s.st.current[slotKey(appID, tokenStable)]]
	if t == nil || !now.Before(t.expires) || (!t.invalid.IsZero() && !now.Before(t.invalid)) {
		t = s.issueTokenLocked(appID, tokenStable)
	}
	return t.value, nil
}

// ErrMsgError is a WeChat error code as a Go error.
type ErrMsgError int

func (e ErrMsgError) Error() string {
	return "wxsandbox: errcode " + strconv.Itoa(int(e)) + " " + ErrMsg(int(e))
}
