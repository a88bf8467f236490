package wxsandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// User is a simulated WeChat user. A user has one unionid across both apps
// and a different openid in each, derived from the appid and user id, so the
// same id always yields the same openids.
type User struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname"`
	UnionID  string `json:"unionid"`
	OAOpenID string `json:"oa_openid"` // openid in the official account
	MPOpenID string `json:"mp_openid"` // openid in the mini program
	Phone    string `json:"phone"`     // mainland number without +86
	// Subscribed is whether the user follows the official account.
	Subscribed     bool      `json:"subscribed"`
	SubscribeTime  time.Time `json:"subscribe_time,omitzero"`
	SubscribeScene string    `json:"subscribe_scene,omitempty"` // ADD_SCENE_QR_CODE, ADD_SCENE_SEARCH, ...
	QRScene        string    `json:"qr_scene,omitempty"`        // scene of the QR code the user followed through
	QRSceneIsID    bool      `json:"qr_scene_is_id,omitempty"`  // the scene was a number (QR_SCENE, QR_LIMIT_SCENE)
}

// Errors of the Go API and the phone.
var (
	ErrUnknownUser       = errors.New("wxsandbox: no such user")
	ErrUserExists        = errors.New("wxsandbox: a user with that id already exists")
	ErrNotSubscribed     = errors.New("wxsandbox: user does not follow the official account")
	ErrAlreadySubscribed = errors.New("wxsandbox: user already follows the official account")
	ErrUnknownTicket     = errors.New("wxsandbox: no such QR ticket")
	ErrTicketExpired     = errors.New("wxsandbox: QR ticket has expired")
	ErrNoCallbackURL     = errors.New("wxsandbox: no callback URL configured")
	ErrNotInMenu         = errors.New("wxsandbox: the menu has no such button")
	ErrCallbackFailed    = errors.New("wxsandbox: callback failed")
	ErrEchoMismatch      = errors.New("wxsandbox: callback server did not echo echostr")
	ErrUnknownOAuthScope = errors.New("wxsandbox: scope must be snsapi_base or snsapi_userinfo")
)

// CreateUser adds a simulated user. Empty fields are filled in: the id ("u1",
// "u2", ...), nickname, unionid, openids and a phone number; SubscribeTime
// defaults to now for a subscribed user.
func (s *Server) CreateUser(u User) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.addUserLocked(u)
	if err != nil {
		return User{}, err
	}
	return *p, nil
}

func (s *Server) addUserLocked(u User) (*User, error) {
	st := s.st
	if u.ID == "" {
		for {
			st.userSeq++
			u.ID = "u" + strconv.Itoa(st.userSeq)
			if st.users[u.ID] == nil {
				break
			}
		}
	}
	if st.users[u.ID] != nil {
		return nil, fmt.Errorf("%w: %s", ErrUserExists, u.ID)
	}
	if u.Nickname == "" {
		u.Nickname = "微信用户" + u.ID
	}
	if u.UnionID == "" {
		u.UnionID = deriveID("unionid", u.ID)
	}
	if u.OAOpenID == "" {
		u.OAOpenID = deriveID(s.cfg.OfficialAccount.AppID, u.ID)
	}
	if u.MPOpenID == "" {
		u.MPOpenID = deriveID(s.cfg.MiniProgram.AppID, u.ID)
	}
	if u.Phone == "" {
		u.Phone = derivePhone(u.ID)
	}
	for _, id := range []string{u.OAOpenID, u.MPOpenID} {
		if st.byOpenID[id] != nil {
			return nil, fmt.Errorf("%w: openid %s", ErrUserExists, id)
		}
	}
	if u.Subscribed {
		if u.SubscribeTime.IsZero() {
			u.SubscribeTime = s.nowLocked()
		}
		if u.SubscribeScene == "" {
			u.SubscribeScene = "ADD_SCENE_SEARCH"
		}
	}
	p := &u
	st.users[u.ID] = p
	st.userOrder = append(st.userOrder, u.ID)
	st.byOpenID[u.OAOpenID] = p
	st.byOpenID[u.MPOpenID] = p
	return p, nil
}

// deriveID makes a WeChat-looking openid/unionid ("o" + 27 URL-safe
// characters) that is stable for a given namespace and user id.
func deriveID(namespace, userID string) string {
	sum := sha256.Sum256([]byte(namespace + "|" + userID))
	return "o" + base64.RawURLEncoding.EncodeToString(sum[:])[:27]
}

func derivePhone(userID string) string {
	sum := sha256.Sum256([]byte("phone|" + userID))
	return fmt.Sprintf("138%08d", binary.BigEndian.Uint64(sum[:8])%100000000)
}

// User returns the user with the given id.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.st.users[id]; p != nil {
		return *p, true
	}
	return User{}, false
}

// UserByOpenID finds a user by their openid in either app.
func (s *Server) UserByOpenID(openID string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.st.byOpenID[openID]; p != nil {
		return *p, true
	}
	return User{}, false
}

// Users returns all users in creation order.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.st.userOrder))
	for _, id := range s.st.userOrder {
		out = append(out, *s.st.users[id])
	}
	return out
}

// UserUpdate changes a user without any callback; nil fields stay.
type UserUpdate struct {
	Nickname   *string `json:"nickname,omitempty"`
	Phone      *string `json:"phone,omitempty"`
	Subscribed *bool   `json:"subscribed,omitempty"`
}

// UpdateUser changes a user's state silently, for setting up a test (a
// follower who left without the server hearing of it, say). To change it the
// way WeChat would tell the server, use the phone: Subscribe, Unsubscribe.
func (s *Server) UpdateUser(id string, upd UserUpdate) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.users[id]
	if p == nil {
		return User{}, ErrUnknownUser
	}
	if upd.Nickname != nil {
		p.Nickname = *upd.Nickname
	}
	if upd.Phone != nil {
		p.Phone = *upd.Phone
	}
	if upd.Subscribed != nil && *upd.Subscribed != p.Subscribed {
		if *upd.Subscribed {
			s.subscribeLocked(p, "ADD_SCENE_SEARCH", nil)
		} else {
			p.Subscribed = false
		}
	}
	return *p, nil
}

func (s *Server) subscribeLocked(p *User, scene string, t *qrTicket) {
	p.Subscribed = true
	p.SubscribeTime = s.nowLocked()
	p.SubscribeScene = scene
	p.QRScene, p.QRSceneIsID = "", false
	if t != nil {
		p.QRScene, p.QRSceneIsID = t.scene(), t.isID()
	}
}

// GET /cgi-bin/user/info?access_token=&openid=&lang=
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r, s.cfg.OfficialAccount.AppID); !ok {
		return
	}
	openID := r.URL.Query().Get("openid")
	if openID == "" {
		writeErr(w, ErrCodeOpenIDMissing, "")
		return
	}
	s.mu.Lock()
	p := s.st.byOpenID[openID]
	var u User
	if p != nil {
		u = *p
	}
	s.mu.Unlock()
	if p == nil || u.OAOpenID != openID {
		writeErr(w, ErrCodeInvalidOpenID, "")
		return
	}
	if !u.Subscribed {
		writeJSON(w, http.StatusOK, map[string]any{"subscribe": 0, "openid": u.OAOpenID})
		return
	}
	qrScene, qrSceneStr := int64(0), ""
	if u.QRSceneIsID {
		qrScene, _ = strconv.ParseInt(u.QRScene, 10, 64)
	} else {
		qrSceneStr = u.QRScene
	}
	writeJSON(w, http.StatusOK, struct {
		Subscribe      int    `json:"subscribe"`
		OpenID         string `json:"openid"`
		Language       string `json:"language"`
		SubscribeTime  int64  `json:"subscribe_time"`
		UnionID        string `json:"unionid"`
		Remark         string `json:"remark"`
		GroupID        int    `json:"groupid"`
		TagIDList      []int  `json:"tagid_list"`
		SubscribeScene string `json:"subscribe_scene"`
		QRScene        int64  `json:"qr_scene"`
		QRSceneStr     string `json:"qr_scene_str"`
	}{1, u.OAOpenID, "zh_CN", u.SubscribeTime.Unix(), u.UnionID, "", 0, []int{}, u.SubscribeScene, qrScene, qrSceneStr})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
