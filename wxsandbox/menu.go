package wxsandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// MenuButton is one button of the official account's custom menu, in
// WeChat's JSON shape.
type MenuButton struct {
	Type      string       `json:"type,omitempty"`
	Name      string       `json:"name"`
	Key       string       `json:"key,omitempty"`
	URL       string       `json:"url,omitempty"`
	AppID     string       `json:"appid,omitempty"`
	PagePath  string       `json:"pagepath,omitempty"`
	MediaID   string       `json:"media_id,omitempty"`
	ArticleID string       `json:"article_id,omitempty"`
	SubButton []MenuButton `json:"sub_button,omitempty"`
}

// Menu returns the menu as last created, or nil when there is none.
func (s *Server) Menu() []MenuButton {
	s.mu.Lock()
	raw := s.st.menu
	s.mu.Unlock()
	if raw == nil {
		return nil
	}
	var b []MenuButton
	_ = json.Unmarshal(raw, &b)
	return b
}

// menuCodes are the error codes of one menu level: WeChat has a set for
// top-level buttons and another for sub-buttons.
type menuCodes struct{ typ, name, key, url, urlDomain int }

var (
	topCodes = menuCodes{ErrCodeInvalidButtonType, ErrCodeInvalidButtonName, ErrCodeInvalidButtonKey, ErrCodeInvalidButtonURL, 40055}
	subCodes = menuCodes{ErrCodeInvalidSubType, ErrCodeInvalidSubName, ErrCodeInvalidSubKey, ErrCodeInvalidSubURL, 40054}
)

var urlDomainMsg = map[int]string{40055: "invalid button url domain", 40054: "invalid sub button url domain"}

// checkMenu applies the documented limits: 1-3 buttons, up to 5 sub-buttons
// each, names up to 16 bytes (60 for sub-buttons), keys up to 128 bytes,
// URLs up to 1024 bytes, and the fields each button type needs.
func checkMenu(buttons []MenuButton) int {
	if len(buttons) == 0 || len(buttons) > 3 {
		return ErrCodeInvalidButtonSize
	}
	for _, b := range buttons {
		if b.Name == "" || len(b.Name) > 16 {
			return ErrCodeInvalidButtonName
		}
		if len(b.SubButton) == 0 {
			if c := checkButton(b, topCodes); c != 0 {
				return c
			}
			continue
		}
		if len(b.SubButton) > 5 {
			return ErrCodeInvalidSubButtons
		}
		for _, sb := range b.SubButton {
			if len(sb.SubButton) > 0 {
				return ErrCodeInvalidSubMenuLevel
			}
			if sb.Name == "" || len(sb.Name) > 60 {
				return ErrCodeInvalidSubName
			}
			if c := checkButton(sb, subCodes); c != 0 {
				return c
			}
		}
	}
	return 0
}

func checkButton(b MenuButton, c menuCodes) int {
	switch b.Type {
	case "click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select":
		if b.Key == "" || len(b.Key) > 128 {
			return c.key
		}
	case "view":
		if b.URL == "" || len(b.URL) > 1024 {
			return c.url
		}
		if !strings.HasPrefix(b.URL, "http://") && !strings.HasPrefix(b.URL, "https://") {
			return c.urlDomain
		}
	case "miniprogram":
		if b.URL == "" || len(b.URL) > 1024 {
			return c.url // the fallback page for clients without mini programs
		}
		if b.AppID == "" || b.PagePath == "" {
			return ErrCodeInvalidArgs
		}
	case "media_id", "view_limited":
		if b.MediaID == "" {
			return ErrCodeInvalidArgs
		}
	case "article_id", "article_view_limited":
		if b.ArticleID == "" {
			return ErrCodeInvalidArgs
		}
	default:
		return c.typ
	}
	return 0
}

// POST /cgi-bin/menu/create?access_token= {"button":[...]}
func (s *Server) handleMenuCreate(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r, s.cfg.OfficialAccount.AppID); !ok {
		return
	}
	var req struct {
		Button json.RawMessage `json:"button"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	var buttons []MenuButton
	if len(req.Button) > 0 {
		if err := json.Unmarshal(req.Button, &buttons); err != nil {
			writeErr(w, ErrCodeDataFormat, "")
			return
		}
	}
	if code := checkMenu(buttons); code != 0 {
		writeErr(w, code, urlDomainMsg[code])
		return
	}
	s.mu.Lock()
	s.st.menu = append(json.RawMessage(nil), req.Button...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, errBody{0, "ok"})
}

// GET /cgi-bin/menu/get?access_token=
func (s *Server) handleMenuGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r, s.cfg.OfficialAccount.AppID); !ok {
		return
	}
	s.mu.Lock()
	raw := s.st.menu
	s.mu.Unlock()
	if raw == nil {
		writeErr(w, ErrCodeMenuNotExist, "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"menu": map[string]any{"button": raw}})
}

// GET /cgi-bin/menu/delete?access_token=
func (s *Server) handleMenuDelete(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r, s.cfg.OfficialAccount.AppID); !ok {
		return
	}
	s.mu.Lock()
	s.st.menu = nil
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, errBody{0, "ok"})
}

// findMenuButton reports whether the menu has a button of one of the types
// with the given key (or URL for view buttons).
func findMenuButton(buttons []MenuButton, match func(MenuButton) bool) bool {
	for _, b := range buttons {
		if len(b.SubButton) == 0 && match(b) {
			return true
		}
		for _, sb := range b.SubButton {
			if match(sb) {
				return true
			}
		}
	}
	return false
}
