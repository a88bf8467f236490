package wxsandbox

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MessageMode is the official account's message encryption mode, as chosen
// on the WeChat admin page (明文模式, 安全模式, 兼容模式).
type MessageMode string

const (
	ModePlain  MessageMode = "plain"  // plaintext XML, signature only
	ModeSafe   MessageMode = "safe"   // AES-encrypted body, msg_signature
	ModeCompat MessageMode = "compat" // plaintext fields plus <Encrypt>
)

// OfficialAccount is the configuration of the one official account (服务号)
// the sandbox plays.
type OfficialAccount struct {
	AppID          string      `json:"appid"`
	Secret         string      `json:"secret"`
	Token          string      `json:"token"`            // callback signature token
	EncodingAESKey string      `json:"encoding_aes_key"` // 43 characters
	OriginalID     string      `json:"original_id"`      // gh_..., ToUserName of callbacks
	CallbackURL    string      `json:"callback_url"`     // where the phone pushes events
	MessageMode    MessageMode `json:"message_mode"`
}

// MiniProgram is the configuration of the one mini program.
type MiniProgram struct {
	AppID  string `json:"appid"`
	Secret string `json:"secret"`
}

// Template is a template message registered on the official account. Each
// keyword is the key used in "data", e.g. "thing1" or "character_string2";
// its type is the key without the trailing digits, and decides the rules the
// value must follow.
type Template struct {
	ID       string   `json:"template_id"`
	Title    string   `json:"title"`
	Keywords []string `json:"keywords"`
}

// Config configures a sandbox. Zero fields take the values of DefaultConfig.
type Config struct {
	// Addr is the listen address used by Start; empty means 127.0.0.1 on a
	// free port.
	Addr string
	// PublicURL is the base URL written into QR codes and OAuth pages; empty
	// means the listening URL, or the Host of the request.
	PublicURL string

	OfficialAccount OfficialAccount
	MiniProgram     MiniProgram
	Templates       []Template

	// DailyQuota is the number of template messages each app may send per
	// day (Beijing time); 0 means 100000.
	DailyQuota int
	// Users are created at start and again after Reset.
	Users []User

	// Clock is the sandbox's time source; nil means real time.
	Clock Clock
	// CallbackTimeout is how long the phone waits for the callback server,
	// 5 s like WeChat when zero.
	CallbackTimeout time.Duration
	// CallbackAttempts is how many times the phone sends a callback that
	// timed out or failed to connect; 0 means 3, like WeChat.
	CallbackAttempts int
	// HTTPClient sends the phone's callbacks; nil means a plain client.
	HTTPClient *http.Client
	// MaxRecordedRequests bounds the request log; 0 means 10000.
	MaxRecordedRequests int
}

// Default values, recognisable in logs and safe to publish: they only ever
// unlock the sandbox.
const (
	DefaultOAAppID      = "wx1111111111111111"
	DefaultOASecret     = "sandbox0a5ecret000000000000000001"
	DefaultOAToken      = "sandboxtoken"
	DefaultOAAESKey     = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	DefaultOAOriginalID = "gh_sandbox"
	DefaultMPAppID      = "wx2222222222222222"
	DefaultMPSecret     = "sandbox0m5ecret000000000000000002"
	DefaultDailyQuota   = 100000
)

// DefaultTemplates are the project's three notification templates with the
// keyword layout WeChat's industry library offers for them.
func DefaultTemplates() []Template {
	return []Template{
		{ID: "TPL_FILING_STATUS", Title: "备案状态变更通知", Keywords: []string{"character_string1", "thing2", "phrase3", "time4"}},
		{ID: "TPL_BOOKING_STATUS", Title: "预约状态变更通知", Keywords: []string{"character_string1", "thing2", "phrase3", "time4"}},
		{ID: "TPL_VERIFY_DONE", Title: "检定完成通知", Keywords: []string{"character_string1", "thing2", "phrase3", "time4"}},
	}
}

// DefaultConfig is a complete sandbox configuration with plain message mode
// and no callback URL.
func DefaultConfig() Config {
	return Config{
		OfficialAccount: OfficialAccount{
			AppID:          DefaultOAAppID,
			Secret:         DefaultOASecret,
			Token:          DefaultOAToken,
			EncodingAESKey: DefaultOAAESKey,
			OriginalID:     DefaultOAOriginalID,
			MessageMode:    ModePlain,
		},
		MiniProgram: MiniProgram{AppID: DefaultMPAppID, Secret: DefaultMPSecret},
		Templates:   DefaultTemplates(),
		DailyQuota:  DefaultDailyQuota,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	oa := &c.OfficialAccount
	setDefault(&oa.AppID, d.OfficialAccount.AppID)
	setDefault(&oa.Secret, d.OfficialAccount.Secret)
	setDefault(&oa.Token, d.OfficialAccount.Token)
	setDefault(&oa.EncodingAESKey, d.OfficialAccount.EncodingAESKey)
	setDefault(&oa.OriginalID, d.OfficialAccount.OriginalID)
	if oa.MessageMode == "" {
		oa.MessageMode = ModePlain
	}
	setDefault(&c.MiniProgram.AppID, d.MiniProgram.AppID)
	setDefault(&c.MiniProgram.Secret, d.MiniProgram.Secret)
	if c.Templates == nil {
		c.Templates = d.Templates
	}
	if c.DailyQuota <= 0 {
		c.DailyQuota = DefaultDailyQuota
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = 5 * time.Second
	}
	if c.CallbackAttempts <= 0 {
		c.CallbackAttempts = 3
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.MaxRecordedRequests <= 0 {
		c.MaxRecordedRequests = 10000
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func (c Config) validate() error {
	var errs []error
	if err := checkMode(c.OfficialAccount.MessageMode); err != nil {
		errs = append(errs, err)
	}
	if _, err := decodeAESKey(c.OfficialAccount.EncodingAESKey); err != nil {
		errs = append(errs, err)
	}
	if c.OfficialAccount.AppID == c.MiniProgram.AppID {
		errs = append(errs, errors.New("wxsandbox: official account and mini program need different appids"))
	}
	seen := map[string]bool{}
	for _, t := range c.Templates {
		if t.ID == "" || seen[t.ID] {
			errs = append(errs, fmt.Errorf("wxsandbox: template id %q is empty or repeated", t.ID))
		}
		seen[t.ID] = true
		if len(t.Keywords) == 0 {
			errs = append(errs, fmt.Errorf("wxsandbox: template %s has no keywords", t.ID))
		}
	}
	return errors.Join(errs...)
}

func checkMode(m MessageMode) error {
	switch m {
	case ModePlain, ModeSafe, ModeCompat:
		return nil
	}
	return fmt.Errorf("wxsandbox: message mode %q is not plain, safe or compat", m)
}

func decodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wxsandbox: EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("wxsandbox: EncodingAESKey is not base64 of 32 bytes")
	}
	return key, nil
}
