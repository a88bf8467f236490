package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gdqjp/qj/configs"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/officialaccount"
	"github.com/gdqjp/qj/wxsandbox"
)

// WeChatFile is configs/wechat.yaml: the menu and the template mapping.
type WeChatFile struct {
	Menu      []officialaccount.MenuButton `yaml:"menu"`
	Templates map[string]struct {
		ID      string `yaml:"id"`
		Number  string `yaml:"number"`
		Subject string `yaml:"subject"`
		Status  string `yaml:"status"`
		Time    string `yaml:"time"`
	} `yaml:"templates"`
}

// LoadWeChatFile reads and checks configs/wechat.yaml.
func LoadWeChatFile() (WeChatFile, error) {
	var f WeChatFile
	raw, err := configs.FS.ReadFile("wechat.yaml")
	if err != nil {
		return f, err
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("configs/wechat.yaml: %w", err)
	}
	for _, kind := range []string{wechat.TemplateFiling, wechat.TemplateBooking, wechat.TemplateCompleted} {
		t, ok := f.Templates[kind]
		if !ok || t.ID == "" || t.Number == "" || t.Subject == "" || t.Status == "" || t.Time == "" {
			return f, fmt.Errorf("configs/wechat.yaml: templates.%s needs id, number, subject, status and time", kind)
		}
	}
	return f, nil
}

// templates converts the file's mapping for the sending worker.
func (f WeChatFile) templates() map[string]wechat.Template {
	out := map[string]wechat.Template{}
	for k, t := range f.Templates {
		out[k] = wechat.Template{ID: t.ID, Number: t.Number, Subject: t.Subject, Status: t.Status, Time: t.Time}
	}
	return out
}

// setupWeChat configures the SDK: real WeChat with real credentials, or the
// in-process API sandbox when none are configured.
func (a *App) setupWeChat(opt Options) error {
	file, err := LoadWeChatFile()
	if err != nil {
		return err
	}
	a.WeChatFile = file
	s := officialaccount.Settings{APIBase: a.Cfg.WeChat.APIBase, OAAppID: a.Cfg.WeChat.OA.AppID, OASecret: a.Cfg.WeChat.OA.Secret,
		OAToken: a.Cfg.WeChat.OA.Token, OAAESKey: a.Cfg.WeChat.OA.AESKey, MPAppID: a.Cfg.WeChat.MP.AppID,
		MPSecret: a.Cfg.WeChat.MP.Secret, PublicURL: a.Cfg.HTTP.PublicURL}
	if s.OAAppID == "" {
		sb := opt.Sandbox
		if sb == nil {
			cfg := wxsandbox.DefaultConfig()
			cfg.PublicURL = ""
			if sb, err = wxsandbox.Start(cfg); err != nil {
				return fmt.Errorf("start the WeChat API sandbox: %w", err)
			}
			a.ownSandbox = true
		}
		a.Sandbox = sb
		c := sb.Config()
		s.APIBase, s.OAAppID, s.OASecret, s.OAToken, s.OAAESKey = sb.URL(), c.OfficialAccount.AppID, c.OfficialAccount.Secret,
			c.OfficialAccount.Token, c.OfficialAccount.EncodingAESKey
		s.MPAppID, s.MPSecret = c.MiniProgram.AppID, c.MiniProgram.Secret
	}
	hc, err := officialaccount.HTTPClient(s.APIBase, 10*time.Second)
	if err != nil {
		return err
	}
	officialaccount.UseHTTPClient(hc)
	a.WX = officialaccount.NewClient(s, a.Redis, hc)
	if a.ownSandbox {
		// The sandbox phone shows the menu at once; with real WeChat the menu
		// is pushed on purpose (server wechat menu).
		if err := a.WX.PushMenu(file.Menu); err != nil {
			a.Log.Warn("push the menu to the WeChat sandbox", "err", err)
		}
	}
	a.WeChat = &wechat.Service{Repo: a.Store.WeChat(), Accounts: a.Store.Accounts(), Clock: a.Clock, Log: a.Log}
	a.Sender = &wechat.Worker{Repo: a.Store.WeChat(), Sender: a.WX, Pauser: officialaccount.NewPauser(a.Redis),
		Batches: batchProgress{a}, Templates: file.templates(), Clock: a.Clock, Owner: core.NewID(), Log: a.Log,
		Link: func(*wechat.Delivery) string { return a.Cfg.HTTP.PublicURL + "/" }}
	a.Sender.Init()
	a.WeChat.Kick = a.Sender.Kick
	a.Relay.Projectors = append(a.Relay.Projectors, a.WeChat)
	return nil
}

// batchProgress tells the digest sender how a filing batch is doing.
type batchProgress struct{ a *App }

func (b batchProgress) BatchProgress(ctx context.Context, id string) (bool, int, error) {
	batch, err := b.a.Store.Filing().GetBatch(ctx, id)
	if err != nil {
		return false, 0, err
	}
	return batch.Running(), batch.Done, nil
}

// SandboxCallback points the in-process sandbox's phone at this server.
func (a *App) SandboxCallback(base string) {
	if a.Sandbox == nil || !a.ownSandbox {
		return
	}
	// Safe mode (AES) is what a real account should use; the sandbox plays it.
	mode := wxsandbox.ModeSafe
	if a.Sandbox.Config().OfficialAccount.EncodingAESKey == "" {
		mode = wxsandbox.ModePlain
	}
	_ = a.Sandbox.SetCallback(strings.TrimSuffix(base, "/")+"/wechat/oa", mode)
}
