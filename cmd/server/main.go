// Command server is the one server binary of the platform: the web console,
// the mini program API and the WeChat official account callbacks, plus
// subcommands for administrative tasks.
//
//	server                  run the server (same as "server serve")
//	server user create …    create an institution staff member, regulator or admin
//	server demo             load the demo data and exit
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run is main without globals, so tests boot the real server in-process.
// ready, when not nil, receives the listening address once the server serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	cfg, err := app.LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stdout, ready)
	case "user":
		if len(args) == 0 || args[0] != "create" {
			return errors.New("usage: server user create --role staff|regulator|admin --login NAME --name 姓名 --password PW [--institution ID] [--region CODE] [--phone PHONE]")
		}
		return createUser(ctx, cfg, log, args[1:], stdout)
	case "demo":
		cfg.Demo = true
		a, err := app.New(ctx, cfg, log, app.Options{})
		if err != nil {
			return err
		}
		defer a.Close()
		fmt.Fprintln(stdout, "demo data loaded")
		return nil
	case "wechat":
		if len(args) == 0 || args[0] != "menu" {
			return errors.New("usage: server wechat menu   (creates the official account's menu from configs/wechat.yaml)")
		}
		return pushMenu(ctx, cfg, log, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: server [serve | user create … | demo | wechat menu]")
		return nil
	}
	return fmt.Errorf("unknown command %q (serve, user create, demo, wechat menu)", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, cfg app.Config, log *slog.Logger, stdout io.Writer, ready chan<- string) error {
	start := time.Now()
	cfg.Print(stdout)
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	a.Describe(stdout)
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTP.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- a.Serve(ln) }()
	fmt.Fprintf(stdout, "ready in %d ms: console %s (listening on %s)\n", time.Since(start).Milliseconds(), cfg.HTTP.PublicURL, ln.Addr())
	if cfg.Demo {
		fmt.Fprintf(stdout, "demo logins (password %s): %s, sub-user %s, %s, %s, %s\n", app.DemoPassword,
			app.DemoApplicant, app.DemoSubUserPhone, app.DemoStaff, app.DemoRegulator, app.DemoAdmin)
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "shutting down: finishing requests")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// pushMenu creates the official account's menu (WeChat replaces the whole
// menu; users see it within minutes).
func pushMenu(ctx context.Context, cfg app.Config, log *slog.Logger, stdout io.Writer) error {
	if cfg.WeChat.OA.AppID == "" {
		return errors.New("set QJ_OA_APPID and QJ_OA_SECRET (and QJ_WECHAT_API_BASE for a sandbox) to push the menu")
	}
	a, err := app.New(ctx, cfg, log, app.Options{ManualWorkers: true})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.WX.PushMenu(a.WeChatFile.Menu); err != nil {
		return fmt.Errorf("push the menu: %w", err)
	}
	fmt.Fprintf(stdout, "menu pushed to %s: %d buttons\n", cfg.WeChat.OA.AppID, len(a.WeChatFile.Menu))
	return nil
}

func createUser(ctx context.Context, cfg app.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	role := fs.String("role", "", "staff | regulator | admin")
	login := fs.String("login", "", "account name")
	name := fs.String("name", "", "person's name")
	password := fs.String("password", "", "initial password")
	inst := fs.String("institution", "", "institution id (staff), e.g. inst-440100")
	region := fs.String("region", "", "region code (regulator), e.g. 440100")
	phone := fs.String("phone", "", "phone (optional)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Demo = false
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.CreateUser(ctx, account.System, account.UserInput{
		Role: core.Role(*role), Login: *login, Name: *name, Password: *password,
		InstitutionID: *inst, RegionCode: *region, Phone: *phone,
	})
	if err != nil {
		var msgs []string
		for _, f := range core.FieldErrors(err) {
			msgs = append(msgs, "--"+f.Field+": "+f.Message)
		}
		if len(msgs) == 0 {
			msgs = append(msgs, core.ErrorMessage(err))
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", u.Role.Name(), u.Login, u.ID)
	return nil
}
