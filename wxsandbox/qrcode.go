package wxsandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"
)

const (
	qrDefaultExpire = 60        // seconds, when expire_seconds is absent
	qrMaxExpire     = 2592000   // 30 days
	qrMaxLimitID    = 100000    // QR_LIMIT_SCENE scene_id range
	qrPNGSize       = 430       // WeChat's showqrcode images are 430 px
	qrMaxTickets    = 10000     // kept for the scan page and Scan
	qrIDMax         = 1<<32 - 1 // scene_id is a 32-bit value
)

type qrTicket struct {
	Ticket     string    `json:"ticket"`
	ActionName string    `json:"action_name"`
	SceneID    int64     `json:"scene_id,omitempty"`
	SceneStr   string    `json:"scene_str,omitempty"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires,omitzero"` // zero for permanent codes
}

func (t *qrTicket) isID() bool { return t.ActionName == "QR_SCENE" || t.ActionName == "QR_LIMIT_SCENE" }

func (t *qrTicket) scene() string {
	if t.isID() {
		return strconv.FormatInt(t.SceneID, 10)
	}
	return t.SceneStr
}

func (t *qrTicket) expired(now time.Time) bool { return !t.Expires.IsZero() && !now.Before(t.Expires) }

// QRTicket describes a QR code ticket the sandbox issued.
type QRTicket struct {
	Ticket     string    `json:"ticket"`
	ActionName string    `json:"action_name"`
	Scene      string    `json:"scene"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires,omitzero"` // zero for permanent codes
	Expired    bool      `json:"expired"`
	ScanURL    string    `json:"scan_url"` // the page the QR image leads to
}

// Tickets lists the QR tickets issued, newest first.
func (s *Server) Tickets() []QRTicket {
	base := s.BaseURL()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	out := make([]QRTicket, 0, len(s.st.ticketOrder))
	for i := len(s.st.ticketOrder) - 1; i >= 0; i-- {
		t := s.st.tickets[s.st.ticketOrder[i]]
		out = append(out, QRTicket{t.Ticket, t.ActionName, t.scene(), t.Created, t.Expires, t.expired(now), scanURL(base, t.Ticket)})
	}
	return out
}

// Ticket describes one issued QR ticket.
func (s *Server) Ticket(ticket string) (QRTicket, bool) {
	for _, t := range s.Tickets() {
		if t.Ticket == ticket {
			return t, true
		}
	}
	return QRTicket{}, false
}

func scanURL(base, ticket string) string {
	return base + "/sandbox/scan?ticket=" + url.QueryEscape(ticket)
}

func (s *Server) addTicketLocked(t *qrTicket) {
	st := s.st
	st.tickets[t.Ticket] = t
	st.ticketOrder = append(st.ticketOrder, t.Ticket)
	if len(st.ticketOrder) > qrMaxTickets {
		drop := st.ticketOrder[0]
		st.ticketOrder = st.ticketOrder[1:]
		delete(st.tickets, drop)
	}
}

// POST /cgi-bin/qrcode/create?access_token=
func (s *Server) handleQRCreate(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r, s.cfg.OfficialAccount.AppID); !ok {
		return
	}
	var req struct {
		ExpireSeconds json.Number `json:"expire_seconds"`
		ActionName    string      `json:"action_name"`
		ActionInfo    struct {
			Scene struct {
				SceneID  json.Number `json:"scene_id"`
				SceneStr string      `json:"scene_str"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	t := &qrTicket{Ticket: "gQ" + randString(72), ActionName: req.ActionName}
	sc := req.ActionInfo.Scene
	switch req.ActionName {
	case "QR_SCENE", "QR_LIMIT_SCENE":
		id, err := sc.SceneID.Int64()
		max := int64(qrIDMax)
		if req.ActionName == "QR_LIMIT_SCENE" {
			max = qrMaxLimitID
		}
		if err != nil || id <= 0 || id > max {
			writeErr(w, ErrCodeInvalidActionInfo, "")
			return
		}
		t.SceneID = id
	case "QR_STR_SCENE", "QR_LIMIT_STR_SCENE":
		if n := utf8.RuneCountInString(sc.SceneStr); n < 1 || n > 64 {
			writeErr(w, ErrCodeInvalidActionInfo, "")
			return
		}
		t.SceneStr = sc.SceneStr
	default:
		writeErr(w, ErrCodeInvalidArgs, "invalid action name")
		return
	}
	temporary := req.ActionName == "QR_SCENE" || req.ActionName == "QR_STR_SCENE"
	expire := int64(qrDefaultExpire)
	if temporary && req.ExpireSeconds != "" {
		n, err := req.ExpireSeconds.Int64()
		if err != nil {
			writeErr(w, ErrCodeDataFormat, "")
			return
		}
		if n > 0 {
			expire = min(n, qrMaxExpire)
		}
	}
	base := s.BaseURL()
	s.mu.Lock()
	t.Created = s.nowLocked()
	if temporary {
		t.Expires = t.Created.Add(time.Duration(expire) * time.Second)
	}
	s.addTicketLocked(t)
	s.mu.Unlock()

	resp := struct {
		Ticket        string `json:"ticket"`
		ExpireSeconds int64  `json:"expire_seconds,omitempty"`
		URL           string `json:"url"`
	}{Ticket: t.Ticket, URL: scanURL(base, t.Ticket)}
	if temporary {
		resp.ExpireSeconds = expire
	}
	writeJSON(w, http.StatusOK, resp)
}

// GET /cgi-bin/showqrcode?ticket= (mp.weixin.qq.com): the QR image. It
// encodes the sandbox's scan page for the ticket, so that a person can open
// it with a phone camera or by clicking.
func (s *Server) handleShowQR(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	base := s.BaseURL()
	s.mu.Lock()
	t := s.st.tickets[ticket]
	ok := t != nil && !t.expired(s.nowLocked())
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, errBody{ErrCodeInvalidArgs, "invalid ticket rid: " + rid()})
		return
	}
	png, err := QRPNG(scanURL(base, ticket))
	if err != nil {
		writeErr(w, ErrCodeSystemBusy, "")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}

// QRPNG renders content as the sandbox's QR images are rendered, so a test
// can compare showqrcode's bytes with the URL it expects.
func QRPNG(content string) ([]byte, error) {
	return qrcode.Encode(content, qrcode.Medium, qrPNGSize)
}
