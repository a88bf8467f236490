package wxsandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// The control API: JSON under /sandbox/, for `make run`, the console and
// humans with curl. Errors are {"error":"..."} with a fitting HTTP status.
func (s *Server) controlMux() *http.ServeMux {
	m := http.NewServeMux()

	m.HandleFunc("GET /sandbox", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sandbox/", http.StatusFound)
	})
	m.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		ctlError(w, http.StatusNotFound, "no such sandbox endpoint: "+r.Method+" "+r.URL.Path)
	})

	// Human pages.
	m.HandleFunc("GET /sandbox/{$}", s.pageIndex)
	m.HandleFunc("POST /sandbox/form/users", s.formCreateUser)
	m.HandleFunc("POST /sandbox/form/config", s.formConfig)
	m.HandleFunc("POST /sandbox/form/echo", s.formEcho)
	m.HandleFunc("GET /sandbox/phone", s.pagePhone)
	m.HandleFunc("POST /sandbox/phone", s.formPhone)
	m.HandleFunc("GET /sandbox/scan", s.pageScan)
	m.HandleFunc("POST /sandbox/scan", s.formScan)

	// Configuration and state.
	m.HandleFunc("GET /sandbox/config", s.ctlGetConfig)
	m.HandleFunc("POST /sandbox/config", s.ctlSetConfig)
	m.HandleFunc("POST /sandbox/reset", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Reset(); err != nil {
			ctlError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /sandbox/clock", s.ctlClock)
	m.HandleFunc("POST /sandbox/clock", s.ctlClock)

	// Users and their phones.
	m.HandleFunc("GET /sandbox/users", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Users())
	})
	m.HandleFunc("POST /sandbox/users", func(w http.ResponseWriter, r *http.Request) {
		var u User
		if !ctlDecode(w, r, &u) {
			return
		}
		u, err := s.CreateUser(u)
		if err != nil {
			ctlError(w, http.StatusConflict, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, u)
	})
	m.HandleFunc("GET /sandbox/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.User(r.PathValue("id"))
		if !ok {
			ctlError(w, http.StatusNotFound, ErrUnknownUser.Error())
			return
		}
		writeJSON(w, http.StatusOK, u)
	})
	m.HandleFunc("PATCH /sandbox/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		var upd UserUpdate
		if !ctlDecode(w, r, &upd) {
			return
		}
		u, err := s.UpdateUser(r.PathValue("id"), upd)
		if err != nil {
			ctlError(w, http.StatusNotFound, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, u)
	})
	code := func(issue func(id, scope string) (string, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var arg struct {
				Scope string `json:"scope"`
			}
			if r.ContentLength != 0 && !ctlDecode(w, r, &arg) {
				return
			}
			c, err := issue(r.PathValue("id"), arg.Scope)
			if err != nil {
				ctlError(w, statusOf(err), err.Error())
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"code": c})
		}
	}
	m.HandleFunc("POST /sandbox/users/{id}/login-code", code(func(id, _ string) (string, error) { return s.LoginCode(id) }))
	m.HandleFunc("POST /sandbox/users/{id}/phone-code", code(func(id, _ string) (string, error) { return s.PhoneCode(id) }))
	m.HandleFunc("POST /sandbox/users/{id}/oauth-code", code(s.OAuthCode))
	m.HandleFunc("POST /sandbox/users/{id}/{action}", s.ctlPhoneAction)
	m.HandleFunc("POST /sandbox/echo", func(w http.ResponseWriter, r *http.Request) {
		res, err := s.VerifyEcho(r.Context())
		if err != nil && res == nil {
			ctlError(w, statusOf(err), err.Error())
			return
		}
		status := http.StatusOK
		if err != nil {
			status = http.StatusBadGateway
		}
		writeJSON(w, status, res)
	})

	// What happened.
	m.HandleFunc("GET /sandbox/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.Requests(r.URL.Query().Get("path"))))
	})
	m.HandleFunc("GET /sandbox/messages", func(w http.ResponseWriter, r *http.Request) {
		to := r.URL.Query().Get("touser")
		var out []Delivery
		for _, d := range s.Deliveries() {
			if to == "" || d.ToUser == to || d.UserID == to {
				out = append(out, d)
			}
		}
		writeJSON(w, http.StatusOK, nonNil(out))
	})
	m.HandleFunc("GET /sandbox/callbacks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.Callbacks()))
	})
	m.HandleFunc("GET /sandbox/tokens", func(w http.ResponseWriter, r *http.Request) {
		oa, mp := s.cfg.OfficialAccount.AppID, s.cfg.MiniProgram.AppID
		writeJSON(w, http.StatusOK, map[string]any{
			"issued": s.TokensIssued(""),
			"by_app": map[string]int{oa: s.TokensIssued(oa), mp: s.TokensIssued(mp)},
		})
	})
	m.HandleFunc("GET /sandbox/qrcodes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Tickets())
	})
	m.HandleFunc("GET /sandbox/menu", func(w http.ResponseWriter, r *http.Request) {
		menu := s.Menu()
		if menu == nil {
			ctlError(w, http.StatusNotFound, "no menu has been created")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"button": menu})
	})

	// Faults.
	m.HandleFunc("GET /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	m.HandleFunc("POST /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var raw json.RawMessage
		if !ctlDecode(w, r, &raw) {
			return
		}
		var list []Fault
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
			if err := json.Unmarshal(raw, &list); err != nil {
				ctlError(w, http.StatusBadRequest, err.Error())
				return
			}
		} else {
			var f Fault
			if err := json.Unmarshal(raw, &f); err != nil {
				ctlError(w, http.StatusBadRequest, err.Error())
				return
			}
			list = []Fault{f}
		}
		for _, f := range list {
			if f.Rate < 0 || f.Rate > 1 || f.Count < 0 {
				ctlError(w, http.StatusBadRequest, "rate must be within 0..1 and count not negative")
				return
			}
		}
		for _, f := range list {
			s.AddFault(f)
		}
		writeJSON(w, http.StatusOK, s.Faults())
	})
	m.HandleFunc("DELETE /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	return m
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func ctlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func ctlDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		ctlError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return false
	}
	return true
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownUser), errors.Is(err, ErrUnknownTicket):
		return http.StatusNotFound
	case errors.Is(err, ErrCallbackFailed), errors.Is(err, ErrEchoMismatch):
		return http.StatusBadGateway
	case errors.Is(err, ErrUnknownOAuthScope):
		return http.StatusBadRequest
	default:
		return http.StatusConflict
	}
}

// configView is the configuration as the control API shows it. Secrets are
// shown: they are the sandbox's, and developers need to copy them.
type configView struct {
	OfficialAccount OfficialAccount `json:"official_account"`
	MiniProgram     MiniProgram     `json:"mini_program"`
	Templates       []Template      `json:"templates"`
	DailyQuota      int             `json:"daily_quota"`
	BaseURL         string          `json:"base_url"`
}

func (s *Server) configView() configView {
	c := s.Config()
	return configView{c.OfficialAccount, c.MiniProgram, c.Templates, c.DailyQuota, s.BaseURL()}
}

func (s *Server) ctlGetConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.configView())
}

func (s *Server) ctlSetConfig(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CallbackURL *string     `json:"callback_url"`
		MessageMode MessageMode `json:"message_mode"`
		DailyQuota  int         `json:"daily_quota"`
	}
	if !ctlDecode(w, r, &req) {
		return
	}
	cb := s.Config().OfficialAccount.CallbackURL
	if req.CallbackURL != nil {
		cb = *req.CallbackURL
	}
	if err := s.SetCallback(cb, req.MessageMode); err != nil {
		ctlError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.DailyQuota > 0 {
		s.SetDailyQuota(req.DailyQuota)
	}
	writeJSON(w, http.StatusOK, s.configView())
}

func (s *Server) ctlClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var req struct {
			Advance        string `json:"advance"` // Go duration, e.g. "2h1m"
			AdvanceSeconds int64  `json:"advance_seconds"`
		}
		if !ctlDecode(w, r, &req) {
			return
		}
		d := time.Duration(req.AdvanceSeconds) * time.Second
		if req.Advance != "" {
			p, err := time.ParseDuration(req.Advance)
			if err != nil {
				ctlError(w, http.StatusBadRequest, err.Error())
				return
			}
			d += p
		}
		if d < 0 {
			ctlError(w, http.StatusBadRequest, "the sandbox clock only moves forward")
			return
		}
		s.Advance(d)
	}
	s.mu.Lock()
	now, off := s.nowLocked(), s.st.offset
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"now": now, "offset_seconds": off.Seconds()})
}

// phoneAction runs one phone action by name, for the control API and forms.
func (s *Server) phoneAction(ctx context.Context, userID, action, arg string) (*Reply, error) {
	switch action {
	case "subscribe":
		return s.Subscribe(ctx, userID, arg)
	case "unsubscribe":
		return s.Unsubscribe(ctx, userID)
	case "scan":
		return s.Scan(ctx, userID, arg)
	case "click":
		return s.Click(ctx, userID, arg)
	case "view":
		return s.View(ctx, userID, arg)
	case "text":
		return s.Text(ctx, userID, arg)
	}
	return nil, errUnknownAction
}

var errUnknownAction = errors.New("wxsandbox: unknown phone action")

func (s *Server) ctlPhoneAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Scene   string `json:"scene"`
		Ticket  string `json:"ticket"`
		Key     string `json:"key"`
		URL     string `json:"url"`
		Content string `json:"content"`
	}
	if r.ContentLength != 0 && !ctlDecode(w, r, &req) {
		return
	}
	action := r.PathValue("action")
	arg := map[string]string{"subscribe": req.Scene, "scan": req.Ticket, "click": req.Key, "view": req.URL, "text": req.Content}[action]
	rep, err := s.phoneAction(r.Context(), r.PathValue("id"), action, arg)
	switch {
	case errors.Is(err, errUnknownAction):
		ctlError(w, http.StatusNotFound, "no such phone action: "+action)
	case err != nil && rep != nil:
		writeJSON(w, statusOf(err), map[string]any{"error": err.Error(), "reply": rep})
	case err != nil:
		ctlError(w, statusOf(err), err.Error())
	default:
		writeJSON(w, http.StatusOK, rep)
	}
}
