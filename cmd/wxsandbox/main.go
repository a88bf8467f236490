// Command wxsandbox runs the WeChat API sandbox on its own, for the mini
// program developer and for demos. Point the WeChat SDK's HTTP client at it
// (every *.weixin.qq.com host rewritten to the printed URL) and open
// /sandbox/ in a browser to play the WeChat users.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gdqjp/qj/wxsandbox"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wxsandbox:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	d := wxsandbox.DefaultConfig()
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("wxsandbox", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", env("QJ_SANDBOX_ADDR", "127.0.0.1:9100"), "listen address (env QJ_SANDBOX_ADDR)")
	publicURL := fs.String("public-url", env("QJ_SANDBOX_PUBLIC_URL", ""), "base URL put into QR codes, when people reach the sandbox by another address (env QJ_SANDBOX_PUBLIC_URL)")
	oaAppID := fs.String("oa-appid", env("QJ_OA_APPID", d.OfficialAccount.AppID), "official account appid (env QJ_OA_APPID)")
	oaSecret := fs.String("oa-secret", env("QJ_OA_SECRET", d.OfficialAccount.Secret), "official account secret (env QJ_OA_SECRET)")
	oaToken := fs.String("oa-token", env("QJ_OA_TOKEN", d.OfficialAccount.Token), "callback signature token (env QJ_OA_TOKEN)")
	oaAESKey := fs.String("oa-aeskey", env("QJ_OA_AESKEY", d.OfficialAccount.EncodingAESKey), "EncodingAESKey, 43 characters (env QJ_OA_AESKEY)")
	oaOriginal := fs.String("oa-original-id", env("QJ_OA_ORIGINAL_ID", d.OfficialAccount.OriginalID), "original id gh_..., ToUserName of callbacks (env QJ_OA_ORIGINAL_ID)")
	mode := fs.String("mode", env("QJ_SANDBOX_MODE", string(wxsandbox.ModePlain)), "message mode: plain, safe or compat (env QJ_SANDBOX_MODE)")
	mpAppID := fs.String("mp-appid", env("QJ_MP_APPID", d.MiniProgram.AppID), "mini program appid (env QJ_MP_APPID)")
	mpSecret := fs.String("mp-secret", env("QJ_MP_SECRET", d.MiniProgram.Secret), "mini program secret (env QJ_MP_SECRET)")
	callback := fs.String("callback", env("QJ_SANDBOX_CALLBACK", "http://127.0.0.1:8080/wechat/oa"), "official account server URL the phone pushes events to (env QJ_SANDBOX_CALLBACK)")
	users := fs.Int("users", 2, "number of simulated users to create at start (the first one follows the official account)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg := d
	cfg.Addr = *addr
	cfg.PublicURL = *publicURL
	cfg.OfficialAccount = wxsandbox.OfficialAccount{
		AppID: *oaAppID, Secret: *oaSecret, Token: *oaToken, EncodingAESKey: *oaAESKey,
		OriginalID: *oaOriginal, CallbackURL: *callback, MessageMode: wxsandbox.MessageMode(*mode),
	}
	cfg.MiniProgram = wxsandbox.MiniProgram{AppID: *mpAppID, Secret: *mpSecret}
	for i := range *users {
		cfg.Users = append(cfg.Users, wxsandbox.User{
			ID: fmt.Sprintf("u%d", i+1), Nickname: fmt.Sprintf("测试用户%d", i+1), Subscribed: i == 0,
		})
	}

	srv, err := wxsandbox.Start(cfg)
	if err != nil {
		return err
	}
	c := srv.Config()
	fmt.Fprintf(out, "WeChat API sandbox listening on %s\n", srv.URL())
	fmt.Fprintf(out, "  pages:            %s/sandbox/\n", srv.BaseURL())
	fmt.Fprintf(out, "  official account: appid=%s secret=%s token=%s original_id=%s mode=%s\n",
		c.OfficialAccount.AppID, c.OfficialAccount.Secret, c.OfficialAccount.Token, c.OfficialAccount.OriginalID, c.OfficialAccount.MessageMode)
	fmt.Fprintf(out, "  EncodingAESKey:   %s\n", c.OfficialAccount.EncodingAESKey)
	fmt.Fprintf(out, "  mini program:     appid=%s secret=%s\n", c.MiniProgram.AppID, c.MiniProgram.Secret)
	fmt.Fprintf(out, "  callback URL:     %s\n", c.OfficialAccount.CallbackURL)
	for _, u := range srv.Users() {
		fmt.Fprintf(out, "  user %-4s %s oa_openid=%s mp_openid=%s phone=%s subscribed=%v\n", u.ID, u.Nickname, u.OAOpenID, u.MPOpenID, u.Phone, u.Subscribed)
	}
	fmt.Fprintf(out, "  serves: /cgi-bin/token /cgi-bin/stable_token /sns/jscode2session /wxa/business/getuserphonenumber\n")
	fmt.Fprintf(out, "          /cgi-bin/message/template/send /cgi-bin/qrcode/create /cgi-bin/showqrcode /cgi-bin/menu/{create,get,delete}\n")
	fmt.Fprintf(out, "          /cgi-bin/user/info /connect/oauth2/authorize /sns/oauth2/access_token /sns/userinfo\n")

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(out, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
