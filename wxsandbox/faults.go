package wxsandbox

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Fault makes matching WeChat API calls misbehave. A call matches when its
// path starts with Path ("" matches every WeChat path, never /sandbox/).
//
// Whether a matching call is hit: with Count > 0 only the next Count hits
// happen, then the fault is gone; with 0 < Rate < 1 each call is hit with
// that probability; otherwise every call is hit.
//
// What a hit does, in order: wait Latency; then Drop closes the connection
// without an answer, Timeout holds the request until the client gives up
// (or Hold passes, 60 s by default, then drops it), HTTPStatus answers with
// that status and an empty body, ErrCode answers {"errcode":ErrCode}; with
// none of these the call then proceeds normally (a pure latency fault).
type Fault struct {
	Path       string        `json:"path"`
	ErrCode    int           `json:"errcode,omitempty"`
	ErrMsg     string        `json:"errmsg,omitempty"` // default: WeChat's text for ErrCode
	Rate       float64       `json:"rate,omitempty"`
	Count      int           `json:"count,omitempty"`
	Latency    time.Duration `json:"-"`
	Timeout    bool          `json:"timeout,omitempty"`
	Hold       time.Duration `json:"-"`
	Drop       bool          `json:"drop,omitempty"`
	HTTPStatus int           `json:"http_status,omitempty"`
}

type faultJSON struct {
	faultAlias
	LatencyMS int64 `json:"latency_ms,omitempty"`
	HoldMS    int64 `json:"hold_ms,omitempty"`
}

type faultAlias Fault

// MarshalJSON writes durations as latency_ms and hold_ms.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{faultAlias: faultAlias(f), LatencyMS: f.Latency.Milliseconds(), HoldMS: f.Hold.Milliseconds()})
}

// UnmarshalJSON reads latency_ms and hold_ms as durations.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Fault(j.faultAlias)
	f.Latency = time.Duration(j.LatencyMS) * time.Millisecond
	f.Hold = time.Duration(j.HoldMS) * time.Millisecond
	return nil
}

type faultState struct {
	Fault
	remaining int // for Count faults
}

// AddFault injects a fault; faults are tried in the order added and the
// first one that hits wins.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, &faultState{Fault: f, remaining: f.Count})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// Faults lists the faults in force, Count showing the hits left.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.st.faults))
	for _, f := range s.st.faults {
		c := f.Fault
		if c.Count > 0 {
			c.Count = f.remaining
		}
		out = append(out, c)
	}
	return out
}

// pickFault decides under the lock whether this call is hit, so that a
// Count fault hits exactly Count calls however many arrive at once.
func (s *Server) pickFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.st.faults {
		if !strings.HasPrefix(path, f.Path) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && rand.Float64() >= f.Rate {
			continue
		}
		hit := f.Fault
		if f.Count > 0 {
			f.remaining--
			if f.remaining <= 0 {
				s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
			}
		}
		return hit, true
	}
	return Fault{}, false
}

type faultOutcome int

const (
	faultNone     faultOutcome = iota // call proceeds
	faultAnswered                     // the fault wrote the answer
)

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request) faultOutcome {
	f, hit := s.pickFault(r.URL.Path)
	if !hit {
		return faultNone
	}
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return faultAnswered
		case <-s.closed:
			t.Stop()
		}
	}
	switch {
	case f.Drop:
		dropConn(w)
	case f.Timeout:
		hold := f.Hold
		if hold <= 0 {
			hold = 60 * time.Second
		}
		t := time.NewTimer(hold)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return faultAnswered // the client gave up; nothing left to answer
		case <-t.C:
		case <-s.closed:
		}
		dropConn(w)
	case f.HTTPStatus != 0:
		w.WriteHeader(f.HTTPStatus)
	case f.ErrCode != 0:
		writeErr(w, f.ErrCode, f.ErrMsg)
	default:
		return faultNone
	}
	return faultAnswered
}

// dropConn closes the connection under the request, as a network failure
// would; where that is impossible (HTTP/2, recorders) it answers 504.
func dropConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		w.WriteHeader(http.StatusGatewayTimeout)
		return
	}
	_ = conn.Close()
}
