package wxsandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// dedupWindow is how long WeChat remembers a client_msg_id.
const dedupWindow = 10 * time.Minute

// Delivery is a template message that reached a user's phone. A repeated
// call with the same touser and client_msg_id within 10 minutes answers ok
// but delivers nothing, so it appears here once.
type Delivery struct {
	MsgID       int64             `json:"msgid"`
	Time        time.Time         `json:"time"`
	ToUser      string            `json:"touser"`
	UserID      string            `json:"user_id"`
	TemplateID  string            `json:"template_id"`
	URL         string            `json:"url,omitempty"`
	MiniProgram *MiniProgramLink  `json:"miniprogram,omitempty"`
	ClientMsgID string            `json:"client_msg_id,omitempty"`
	Data        map[string]string `json:"data"` // keyword -> value
}

// MiniProgramLink is where tapping a template message opens the mini program.
type MiniProgramLink struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath"`
}

type dedupEntry struct {
	msgID int64
	at    time.Time
}

type quotaDay struct {
	day  string // 2006-01-02 in Beijing time
	used int
}

// Deliveries returns the template messages delivered so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.st.deliveries...)
}

// POST /cgi-bin/message/template/send?access_token=
func (s *Server) handleTemplateSend(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.auth(w, r, s.cfg.OfficialAccount.AppID)
	if !ok {
		return
	}
	var req struct {
		ToUser      string                     `json:"touser"`
		TemplateID  string                     `json:"template_id"`
		URL         string                     `json:"url"`
		MiniProgram *MiniProgramLink           `json:"miniprogram"`
		ClientMsgID string                     `json:"client_msg_id"`
		Data        map[string]json.RawMessage `json:"data"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	data := map[string]string{}
	for k, raw := range req.Data {
		var item struct {
			Value *string `json:"value"`
		}
		if err := json.Unmarshal(raw, &item); err != nil {
			writeErr(w, ErrCodeDataFormat, "")
			return
		}
		if item.Value == nil {
			writeErr(w, ErrCodeArgumentInvalid, fmt.Sprintf("argument invalid! data.%s.value is empty", k))
			return
		}
		data[k] = *item.Value
	}
	if req.MiniProgram != nil && req.MiniProgram.AppID == "" && req.MiniProgram.PagePath == "" {
		req.MiniProgram = nil // the SDK always sends the object, empty when unused
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	appID := tok.appID
	u := s.st.byOpenID[req.ToUser]
	if u == nil || u.OAOpenID != req.ToUser {
		writeErr(w, ErrCodeInvalidOpenID, "")
		return
	}
	dedupKey := appID + "|" + req.ToUser + "|" + req.ClientMsgID
	if req.ClientMsgID != "" {
		if d, seen := s.st.sent[dedupKey]; seen && now.Sub(d.at) < dedupWindow {
			writeJSON(w, http.StatusOK, sendResponse{0, "ok", d.msgID})
			return
		}
	}
	if !u.Subscribed {
		writeErr(w, ErrCodeRequireSubscribe, "")
		return
	}
	tpl, found := s.template(req.TemplateID)
	if !found {
		writeErr(w, ErrCodeInvalidTemplateID, "")
		return
	}
	if msg := checkTemplateData(tpl, data); msg != "" {
		writeErr(w, ErrCodeArgumentInvalid, msg)
		return
	}
	day := now.In(beijing).Format(time.DateOnly)
	q := s.st.quota[appID]
	if q.day != day {
		q = quotaDay{day: day}
	}
	if q.used >= s.st.dailyQuota {
		writeErr(w, ErrCodeDailyQuota, "")
		return
	}
	q.used++
	s.st.quota[appID] = q

	s.st.msgSeq++
	id := s.st.msgSeq
	if req.ClientMsgID != "" {
		s.st.sent[dedupKey] = dedupEntry{id, now}
		if len(s.st.sent) > 10000 {
			for k, d := range s.st.sent {
				if now.Sub(d.at) >= dedupWindow {
					delete(s.st.sent, k)
				}
			}
		}
	}
	s.st.deliveries = append(s.st.deliveries, Delivery{
		MsgID: id, Time: now, ToUser: req.ToUser, UserID: u.ID, TemplateID: req.TemplateID,
		URL: req.URL, MiniProgram: req.MiniProgram, ClientMsgID: req.ClientMsgID, Data: data,
	})
	writeJSON(w, http.StatusOK, sendResponse{0, "ok", id})
}

type sendResponse struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	MsgID   int64  `json:"msgid"`
}

func (s *Server) template(id string) (Template, bool) {
	for _, t := range s.cfg.Templates {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

// SetDailyQuota changes the template-message quota per app and day, until
// the next Reset.
func (s *Server) SetDailyQuota(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.dailyQuota = n
}

// checkTemplateData applies the keyword rules WeChat enforces since the 2023
// template-message change; the answer is the errmsg of a 47003, "" if fine.
// Keywords the template lacks (first, remark, ...) are refused rather than
// silently dropped, because the project must not rely on them.
func checkTemplateData(tpl Template, data map[string]string) string {
	allowed := map[string]bool{}
	for _, k := range tpl.Keywords {
		allowed[k] = true
	}
	for _, k := range sortedKeys(data) {
		if !allowed[k] {
			return fmt.Sprintf("argument invalid! data.%s is not a keyword of template %s", k, tpl.ID)
		}
		switch checkKeyword(keywordType(k), data[k]) {
		case valueTooLong:
			return fmt.Sprintf("argument invalid! data.%s.value exceeds limit", k)
		case valueInvalid:
			return fmt.Sprintf("argument invalid! data.%s.value invalid", k)
		case valueEmpty:
			return fmt.Sprintf("argument invalid! data.%s.value is empty", k)
		}
	}
	return ""
}

// keywordType strips the keyword's number: "character_string12" ->
// "character_string".
func keywordType(key string) string {
	return strings.TrimRightFunc(key, func(r rune) bool { return r >= '0' && r <= '9' })
}

type valueVerdict int

const (
	valueOK valueVerdict = iota
	valueTooLong
	valueInvalid
	valueEmpty
)

var (
	reNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	reLetter = regexp.MustCompile(`^[A-Za-z]+$`)
	rePhone  = regexp.MustCompile(`^[0-9+\-]+$`)
	reAmount = regexp.MustCompile(`^[¥￥$€£]?[0-9]{1,10}(\.[0-9]{1,2})?(元)?$`)
	// Dates: y年m月d日, y年m月, m月d日, or y-m-d, y-m, m-d with - / . separators.
	reDateCN  = regexp.MustCompile(`^(?:(\d{4})年)?(?:(\d{1,2})月)?(?:(\d{1,2})日)?$`)
	reDateSep = regexp.MustCompile(`^(?:(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?|(\d{1,2})[-/.](\d{1,2}))$`)
	reClock   = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2}))?$`)
)

// checkKeyword checks one value against the rules of its keyword type, as
// published in WeChat's template keyword table. Types the table does not
// name are held to the thing rule.
func checkKeyword(typ, v string) valueVerdict {
	if v == "" {
		return valueEmpty
	}
	n := utf8.RuneCountInString(v)
	for _, r := range v {
		if unicode.IsControl(r) { // no newlines or tabs in any type
			return valueInvalid
		}
	}
	limit := func(max int, valid bool) valueVerdict {
		if !valid {
			return valueInvalid
		}
		if n > max {
			return valueTooLong
		}
		return valueOK
	}
	switch typ {
	case "thing":
		return limit(20, true)
	case "character_string":
		return limit(32, isPrintableASCII(v))
	case "number":
		return limit(32, reNumber.MatchString(v))
	case "letter":
		return limit(32, reLetter.MatchString(v))
	case "symbol":
		return limit(5, allRunes(v, isSymbol))
	case "phrase":
		return limit(5, allRunes(v, isHan))
	case "time", "date":
		return limit(64, isDateTime(v))
	case "phone_number":
		return limit(17, rePhone.MatchString(v))
	case "amount":
		return limit(32, reAmount.MatchString(v))
	case "car_number":
		return limit(8, isCarNumber(v))
	case "name":
		if strings.ContainsFunc(v, isHan) { // mixed Chinese and letters counts as a Chinese name
			return limit(10, true)
		}
		return limit(20, allRunes(v, func(r rune) bool { return unicode.IsLetter(r) || isSymbol(r) || r == ' ' }))
	default:
		return limit(20, true)
	}
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isSymbol(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !unicode.IsControl(r) && !isHan(r)
}

func allRunes(s string, f func(rune) bool) bool {
	for _, r := range s {
		if !f(r) {
			return false
		}
	}
	return true
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isCarNumber(v string) bool {
	rs := []rune(v)
	if len(rs) < 2 {
		return false
	}
	for i, r := range rs {
		alnum := r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !alnum && !((i == 0 || i == len(rs)-1) && isHan(r)) {
			return false
		}
	}
	return true
}

// isDateTime accepts a date, a time of day, or both, or a range of two
// joined by "~", e.g. "15:01", "2019年10月1日 15:01", "2026-11-25 14:30",
// "2026/11/25~2026/11/30".
func isDateTime(v string) bool {
	parts := strings.Split(v, "~")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if !isDateTimePoint(strings.TrimSpace(p)) {
			return false
		}
	}
	return true
}

func isDateTimePoint(p string) bool {
	if p == "" {
		return false
	}
	date, clock := p, ""
	if i := strings.LastIndexAny(p, " 日"); i >= 0 && strings.Contains(p[i:], ":") {
		cut := i
		if p[i] != ' ' {
			cut = i + len("日")
		}
		date, clock = strings.TrimSpace(p[:cut]), strings.TrimSpace(p[cut:])
	} else if strings.Contains(p, ":") {
		date, clock = "", p
	}
	if clock != "" && !isClock(clock) {
		return false
	}
	if date == "" {
		return clock != ""
	}
	return isDate(date)
}

func isClock(c string) bool {
	m := reClock.FindStringSubmatch(c)
	if m == nil {
		return false
	}
	return inRange(m[1], 0, 23) && inRange(m[2], 0, 59) && (m[3] == "" || inRange(m[3], 0, 59))
}

func isDate(d string) bool {
	var y, mo, day string
	if m := reDateCN.FindStringSubmatch(d); m != nil && strings.ContainsAny(d, "年月日") {
		y, mo, day = m[1], m[2], m[3]
		// y年d日 without a month is not a date
		if y != "" && mo == "" && day != "" {
			return false
		}
	} else if m := reDateSep.FindStringSubmatch(d); m != nil {
		if m[1] != "" {
			y, mo, day = m[1], m[2], m[3]
		} else {
			mo, day = m[4], m[5]
		}
	} else {
		return false
	}
	if mo == "" {
		return false
	}
	return (mo == "" || inRange(mo, 1, 12)) && (day == "" || inRange(day, 1, 31))
}

func inRange(s string, lo, hi int) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= lo && n <= hi
}
