package wxsandbox

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"
)

// codeTTL is how long wx.login, getPhoneNumber and OAuth codes live.
const codeTTL = 5 * time.Minute

type codeKind int

const (
	codeLogin codeKind = iota
	codePhone
	codeOAuth
)

type oneTimeCode struct {
	kind   codeKind
	appID  string
	userID string
	scope  string
	issued time.Time
	used   bool
}

func (s *Server) issueCode(userID string, kind codeKind, appID, scope string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.users[userID] == nil {
		return "", ErrUnknownUser
	}
	now := s.nowLocked()
	if len(s.st.codes) > 1000 {
		for c, v := range s.st.codes {
			if now.Sub(v.issued) > 2*codeTTL {
				delete(s.st.codes, c)
			}
		}
	}
	code := randHex(16)
	s.st.codes[code] = &oneTimeCode{kind: kind, appID: appID, userID: userID, scope: scope, issued: now}
	return code, nil
}

// LoginCode is what wx.login() returns in the mini program for this user:
// exchange it once, within 5 minutes, at /sns/jscode2session.
func (s *Server) LoginCode(userID string) (string, error) {
	return s.issueCode(userID, codeLogin, s.cfg.MiniProgram.AppID, "")
}

// PhoneCode is what a getPhoneNumber button hands the mini program for this
// user: exchange it once, within 5 minutes, at
// /wxa/business/getuserphonenumber.
func (s *Server) PhoneCode(userID string) (string, error) {
	return s.issueCode(userID, codePhone, s.cfg.MiniProgram.AppID, "")
}

// OAuthCode is the code web OAuth redirects with after this user agreed;
// scope is snsapi_base (when empty) or snsapi_userinfo.
func (s *Server) OAuthCode(userID, scope string) (string, error) {
	if scope == "" {
		scope = "snsapi_base"
	}
	if scope != "snsapi_base" && scope != "snsapi_userinfo" {
		return "", ErrUnknownOAuthScope
	}
	return s.issueCode(userID, codeOAuth, s.cfg.OfficialAccount.AppID, scope)
}

// useCode spends a code: unknown, foreign and expired codes are 40029, a
// second use within the lifetime 40163 (phone codes say 40029 for all).
func (s *Server) useCode(code string, kind codeKind, appID string) (*oneTimeCode, User, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.codes[code]
	if c == nil || c.kind != kind || c.appID != appID || !s.nowLocked().Before(c.issued.Add(codeTTL)) {
		return nil, User{}, ErrCodeInvalidCode
	}
	if c.used {
		if kind == codePhone {
			return nil, User{}, ErrCodeInvalidCode
		}
		return nil, User{}, ErrCodeCodeBeenUsed
	}
	u := s.st.users[c.userID]
	if u == nil { // user gone after a Reset race; treat as a bad code
		return nil, User{}, ErrCodeInvalidCode
	}
	c.used = true
	cp := *c
	return &cp, *u, 0
}

// GET /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code
func (s *Server) handleJSCode2Session(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID := q.Get("appid")
	if appID != "" && appID != s.cfg.MiniProgram.AppID {
		writeErr(w, ErrCodeInvalidAppID, "")
		return
	}
	if code := s.checkApp(appID, q.Get("secret")); code != 0 {
		writeErr(w, code, "")
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		writeErr(w, ErrCodeInvalidGrantType, "")
		return
	}
	if q.Get("js_code") == "" {
		writeErr(w, ErrCodeCodeMissing, "")
		return
	}
	_, u, errCode := s.useCode(q.Get("js_code"), codeLogin, appID)
	if errCode != 0 {
		writeErr(w, errCode, "")
		return
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	writeJSON(w, http.StatusOK, struct {
		OpenID     string `json:"openid"`
		SessionKey string `json:"session_key"`
		UnionID    string `json:"unionid"`
	}{u.MPOpenID, base64.StdEncoding.EncodeToString(key), u.UnionID})
}

// POST /wxa/business/getuserphonenumber?access_token= {"code"}
func (s *Server) handlePhoneNumber(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r, s.cfg.MiniProgram.AppID); !ok {
		return
	}
	var req struct {
		Code string `json:"code"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	_, u, errCode := s.useCode(req.Code, codePhone, s.cfg.MiniProgram.AppID)
	if errCode != 0 {
		writeErr(w, errCode, "")
		return
	}
	type watermark struct {
		Timestamp int64  `json:"timestamp"`
		AppID     string `json:"appid"`
	}
	type phoneInfo struct {
		PhoneNumber     string    `json:"phoneNumber"`
		PurePhoneNumber string    `json:"purePhoneNumber"`
		CountryCode     string    `json:"countryCode"`
		Watermark       watermark `json:"watermark"`
	}
	writeJSON(w, http.StatusOK, struct {
		ErrCode   int       `json:"errcode"`
		ErrMsg    string    `json:"errmsg"`
		PhoneInfo phoneInfo `json:"phone_info"`
	}{0, "ok", phoneInfo{u.Phone, u.Phone, "86", watermark{s.Now().Unix(), s.cfg.MiniProgram.AppID}}})
}

// GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code
func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID := q.Get("appid")
	if appID != "" && appID != s.cfg.OfficialAccount.AppID {
		writeErr(w, ErrCodeInvalidAppID, "")
		return
	}
	if code := s.checkApp(appID, q.Get("secret")); code != 0 {
		writeErr(w, code, "")
		return
	}
	if q.Get("code") == "" {
		writeErr(w, ErrCodeCodeMissing, "")
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		writeErr(w, ErrCodeInvalidGrantType, "")
		return
	}
	c, u, errCode := s.useCode(q.Get("code"), codeOAuth, appID)
	if errCode != 0 {
		writeErr(w, errCode, "")
		return
	}
	s.mu.Lock()
	t := &accessToken{value: "sbxo_" + randString(60), appID: appID, kind: tokenOAuth,
		expires: s.nowLocked().Add(tokenTTL), userID: u.ID, scope: c.scope}
	s.st.tokens[t.value] = t
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		AccessToken  string `json:"access_token"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		OpenID       string `json:"openid"`
		Scope        string `json:"scope"`
		UnionID      string `json:"unionid"`
	}{t.value, int64(tokenTTL / time.Second), "sbxr_" + randString(60), u.OAOpenID, c.scope, u.UnionID})
}

// GET /sns/userinfo?access_token=&openid=&lang= (web OAuth token, snsapi_userinfo)
func (s *Server) handleSNSUserInfo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("access_token") == "" {
		writeErr(w, ErrCodeTokenMissing, "")
		return
	}
	s.mu.Lock()
	t := s.st.tokens[q.Get("access_token")]
	now := s.nowLocked()
	var u User
	var found bool
	if t != nil && t.kind == tokenOAuth {
		if p := s.st.users[t.userID]; p != nil {
			u, found = *p, true
		}
	}
	s.mu.Unlock()
	switch {
	case t == nil || t.kind != tokenOAuth || !found:
		writeErr(w, ErrCodeInvalidCredential, "")
	case !now.Before(t.expires):
		writeErr(w, ErrCodeTokenExpired, "")
	case q.Get("openid") != u.OAOpenID:
		writeErr(w, ErrCodeInvalidOpenID, "")
	case t.scope != "snsapi_userinfo":
		writeErr(w, ErrCodeAPIUnauthorized, "")
	default:
		writeJSON(w, http.StatusOK, struct {
			OpenID     string   `json:"openid"`
			Nickname   string   `json:"nickname"`
			Sex        int      `json:"sex"`
			Province   string   `json:"province"`
			City       string   `json:"city"`
			Country    string   `json:"country"`
			HeadImgURL string   `json:"headimgurl"`
			Privilege  []string `json:"privilege"`
			UnionID    string   `json:"unionid"`
		}{u.OAOpenID, u.Nickname, 0, "", "", "", "", []string{}, u.UnionID})
	}
}
