package wxsandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// WeChat error codes the sandbox returns. The messages are WeChat's own
// English errmsg texts, so that code matching on them behaves the same.
const (
	ErrCodeSystemBusy          = -1
	ErrCodeInvalidCredential   = 40001
	ErrCodeInvalidGrantType    = 40002
	ErrCodeInvalidOpenID       = 40003
	ErrCodeInvalidAppID        = 40013
	ErrCodeInvalidButtonSize   = 40016
	ErrCodeInvalidButtonType   = 40017
	ErrCodeInvalidButtonName   = 40018
	ErrCodeInvalidButtonKey    = 40019
	ErrCodeInvalidButtonURL    = 40020
	ErrCodeInvalidSubMenuLevel = 40022
	ErrCodeInvalidSubButtons   = 40023
	ErrCodeInvalidSubType      = 40024
	ErrCodeInvalidSubName      = 40025
	ErrCodeInvalidSubKey       = 40026
	ErrCodeInvalidSubURL       = 40027
	ErrCodeInvalidCode         = 40029
	ErrCodeInvalidTemplateID   = 40037
	ErrCodeInvalidActionInfo   = 40053
	ErrCodeInvalidArgs         = 40097
	ErrCodeInvalidAppSecret    = 40125
	ErrCodeCodeBeenUsed        = 40163
	ErrCodeTokenMissing        = 41001
	ErrCodeAppIDMissing        = 41002
	ErrCodeSecretMissing       = 41004
	ErrCodeCodeMissing         = 41008
	ErrCodeOpenIDMissing       = 41009
	ErrCodeTokenExpired        = 42001
	ErrCodeRequireGET          = 43001
	ErrCodeRequirePOST         = 43002
	ErrCodeRequireSubscribe    = 43004
	ErrCodeEmptyPostData       = 44002
	ErrCodeDailyQuota          = 45009
	ErrCodeMinuteQuota         = 45011
	ErrCodeMenuNotExist        = 46003
	ErrCodeDataFormat          = 47001
	ErrCodeArgumentInvalid     = 47003
	ErrCodeAPIUnauthorized     = 48001
)

var errMessages = map[int]string{
	ErrCodeSystemBusy:          "system error",
	ErrCodeInvalidCredential:   "invalid credential, access_token is invalid or not latest",
	ErrCodeInvalidGrantType:    "invalid grant_type",
	ErrCodeInvalidOpenID:       "invalid openid",
	ErrCodeInvalidAppID:        "invalid appid",
	ErrCodeInvalidButtonSize:   "invalid button size",
	ErrCodeInvalidButtonType:   "invalid button type",
	ErrCodeInvalidButtonName:   "invalid button name size",
	ErrCodeInvalidButtonKey:    "invalid button key size",
	ErrCodeInvalidButtonURL:    "invalid button url size",
	ErrCodeInvalidSubMenuLevel: "invalid sub_menu level",
	ErrCodeInvalidSubButtons:   "invalid sub button size",
	ErrCodeInvalidSubType:      "invalid sub button type",
	ErrCodeInvalidSubName:      "invalid sub button name size",
	ErrCodeInvalidSubKey:       "invalid sub button key size",
	ErrCodeInvalidSubURL:       "invalid sub button url size",
	ErrCodeInvalidCode:         "invalid code",
	ErrCodeInvalidTemplateID:   "invalid template_id",
	ErrCodeInvalidActionInfo:   "invalid action info",
	ErrCodeInvalidArgs:         "invalid args",
	ErrCodeInvalidAppSecret:    "invalid appsecret",
	ErrCodeCodeBeenUsed:        "code been used",
	ErrCodeTokenMissing:        "access_token missing",
	ErrCodeAppIDMissing:        "appid missing",
	ErrCodeSecretMissing:       "appsecret missing",
	ErrCodeCodeMissing:         "missing code",
	ErrCodeOpenIDMissing:       "missing openid",
	ErrCodeTokenExpired:        "access_token expired",
	ErrCodeRequireGET:          "require GET method",
	ErrCodeRequirePOST:         "require POST method",
	ErrCodeRequireSubscribe:    "require subscribe",
	ErrCodeEmptyPostData:       "empty post data",
	ErrCodeDailyQuota:          "reach max api daily quota limit",
	ErrCodeMinuteQuota:         "api minute-quota reach limit mustslower retry next minute",
	ErrCodeMenuNotExist:        "menu no exist",
	ErrCodeDataFormat:          "data format error",
	ErrCodeArgumentInvalid:     "argument invalid!",
	ErrCodeAPIUnauthorized:     "api unauthorized",
}

// ErrMsg returns WeChat's errmsg text for a code ("" if the sandbox does not
// know it).
func ErrMsg(code int) string { return errMessages[code] }

type errBody struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// writeErr answers with a WeChat error. Like WeChat, the HTTP status stays
// 200 and the message ends with a request id ("rid"), which real clients log
// and must not parse.
func writeErr(w http.ResponseWriter, code int, msg string) {
	if msg == "" {
		msg = ErrMsg(code)
	}
	if msg == "" {
		msg = "error"
	}
	writeJSON(w, http.StatusOK, errBody{code, msg + " rid: " + rid()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // WeChat does not escape & in URLs
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func rid() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:16] + "-" + h[16:]
}
