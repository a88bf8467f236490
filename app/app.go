package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/gdqjp/qj/configs"
	"github.com/gdqjp/qj/console"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/notify"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/core/wechat"
	mpapi "github.com/gdqjp/qj/miniprogram-api"
	"github.com/gdqjp/qj/officialaccount"
	"github.com/gdqjp/qj/store"
	"github.com/gdqjp/qj/store/redisstore"
	"github.com/gdqjp/qj/wxsandbox"
)

// App is one running server: stores, services and the HTTP front doors.
type App struct {
	Cfg         Config
	Log         *slog.Logger
	Clock       core.Clock
	Ref         *refdata.Data
	Store       store.Store
	Redis       *redisstore.Client
	Sessions    *redisstore.Sessions
	Accounts    *account.Service
	Instruments *instrument.Service
	Filing      *filing.Service
	Bookings    *booking.Service
	Relay       *notify.Relay
	WeChat      *wechat.Service
	Sender      *wechat.Worker
	WX          *officialaccount.Client
	WeChatFile  WeChatFile
	// Sandbox is the in-process WeChat API sandbox (nil with real WeChat).
	Sandbox    *wxsandbox.Server
	ownSandbox bool
	OA         *officialaccount.Handler
	HTTP       *fiber.App

	jobs     *console.Jobs
	stopJobs context.CancelFunc
}

// Options are what tests may replace.
type Options struct {
	Clock core.Clock
	// Sandbox, when set, is the WeChat API sandbox to use instead of
	// starting one (several instances in one test share one).
	Sandbox *wxsandbox.Server
	// ManualWorkers leaves the outbox relay and the notification sender to
	// the caller (tests drive their RunOnce step by step).
	ManualWorkers bool
}

// LoadRefdata reads the reference data from dir, or the embedded copy.
func LoadRefdata(dir string) (*refdata.Data, error) {
	if dir == "" {
		return refdata.Load(configs.FS, "configs")
	}
	return refdata.Load(os.DirFS(dir), dir)
}

// New opens the stores and builds the server; Close releases everything.
func New(ctx context.Context, cfg Config, log *slog.Logger, opt Options) (_ *App, err error) {
	a := &App{Cfg: cfg, Log: log, Clock: opt.Clock}
	if a.Clock == nil {
		a.Clock = core.SystemClock{}
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.Ref, err = LoadRefdata(cfg.RefdataDir); err != nil {
		return nil, err
	}
	if a.Store, err = store.Open(ctx, cfg.Mongo.URI, cfg.Mongo.Database, cfg.DataDir, log); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if a.Redis, err = redisstore.Open(ctx, cfg.Redis.URL, cfg.Redis.Prefix); err != nil {
		return nil, fmt.Errorf("open redis: %w", err)
	}
	a.Sessions = redisstore.NewSessions(a.Redis, cfg.Security.SessionTTL)
	a.Accounts = &account.Service{
		Repo: a.Store.Accounts(), Files: a.Store.Files(), Ref: a.Ref, Limiter: redisstore.NewLoginLimiter(a.Redis),
		Sessions: a.Sessions, Clock: a.Clock, Log: log, BcryptCost: cfg.Security.BcryptCost,
		MaxFailures: cfg.Security.MaxLoginFailures, LockDuration: cfg.Security.LockDuration,
	}
	jobCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.jobs, a.stopJobs = &console.Jobs{Ctx: jobCtx}, stop
	a.Instruments = &instrument.Service{Repo: a.Store.Instruments(), Files: a.Store.Files(), Ref: a.Ref, Clock: a.Clock, Log: log}
	a.Bookings = &booking.Service{Repo: a.Store.Bookings(), Instruments: a.Store.Instruments(), Ref: a.Ref, Clock: a.Clock, Log: log}
	a.Relay = &notify.Relay{Repo: a.Store.Notifications(), Projectors: []notify.Projector{a.Bookings}, Clock: a.Clock, Log: log}
	a.Relay.Init()
	a.Bookings.Relay = a.Relay
	a.Filing = &filing.Service{Instruments: a.Store.Instruments(), Repo: a.Store.Filing(), Ref: a.Ref, Clock: a.Clock, Log: log,
		Relay: a.Relay, Owner: core.NewID(), Background: jobCtx}
	if err := a.setupWeChat(opt); err != nil {
		return nil, err
	}
	if a.HTTP, err = a.router(); err != nil {
		return nil, err
	}
	if cfg.Demo {
		if err := a.LoadDemo(ctx); err != nil {
			return nil, fmt.Errorf("load demo data: %w", err)
		}
	}
	a.startWorkers(jobCtx, !opt.ManualWorkers)
	return a, nil
}

// startWorkers runs the background work of a server: the outbox relay, and
// the repair of batches and bookings a crashed process left half-done.
func (a *App) startWorkers(ctx context.Context, delivery bool) {
	if delivery {
		a.jobs.WG.Add(2)
		go func() {
			defer a.jobs.WG.Done()
			a.Sender.Loop(ctx, 2*time.Second)
		}()
		go func() {
			defer a.jobs.WG.Done()
			a.Relay.Loop(ctx, time.Second)
		}()
	}
	a.jobs.WG.Add(1)
	go func() {
		defer a.jobs.WG.Done()
		t := time.NewTicker(20 * time.Second)
		defer t.Stop()
		for {
			if _, err := a.Filing.ResumeStale(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("resume filing batches", "err", err)
			}
			if err := a.Bookings.Repair(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("repair bookings", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

func (a *App) router() (*fiber.App, error) {
	f := fiber.New(fiber.Config{
		AppName:               "qj",
		DisableStartupMessage: true,
		// The largest upload any route accepts; routes set their own limits.
		BodyLimit:    32 << 20,
		ReadTimeout:  60 * time.Second,
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			a.Log.Error("unhandled error", "path", c.Path(), "err", err)
			return c.Status(fiber.StatusInternalServerError).SendString("系统内部错误")
		},
	})
	f.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		a.Log.Error("panic", "path", c.Path(), "panic", e)
	}}))
	f.Use(func(c *fiber.Ctx) error {
		c.Set("X-Frame-Options", "DENY")
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "same-origin")
		return c.Next()
	})
	f.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	f.Get("/readyz", a.readyz)
	a.OA = &officialaccount.Handler{WX: a.WX, WeChat: a.WeChat, Accounts: a.Accounts, Instruments: a.Instruments,
		Bookings: a.Bookings, Ref: a.Ref, Redis: a.Redis, Log: a.Log}
	a.OA.Mount(f)
	(&mpapi.API{Accounts: a.Accounts, WeChat: a.WeChat, WX: a.WX, Instruments: a.Instruments, Filing: a.Filing, Bookings: a.Bookings, Sessions: a.Sessions,
		Ref: a.Ref, Log: a.Log}).Mount(f)
	con := &console.Console{Accounts: a.Accounts, Instruments: a.Instruments, Filing: a.Filing, Bookings: a.Bookings,
		WeChat: a.WeChat, OA: a.OA, SandboxURL: a.sandboxURL(),
		Files: a.Store.Files(), Jobs: a.jobs,
		Sessions: a.Sessions, Ref: a.Ref, Log: a.Log, Redis: a.Redis, CookieSecure: a.Cfg.HTTP.CookieSecure}
	if err := con.Mount(f); err != nil {
		return nil, err
	}
	return f, nil
}

func (a *App) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ok := true
	if err := a.Store.Ping(ctx); err != nil {
		checks["store"], ok = err.Error(), false
	} else {
		checks["store"] = "ok"
	}
	if err := a.Redis.Ping(ctx); err != nil {
		checks["redis"], ok = err.Error(), false
	} else {
		checks["redis"] = "ok"
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}

// Serve answers HTTP on ln until Shutdown.
func (a *App) Serve(ln net.Listener) error {
	a.SandboxCallback("http://" + ln.Addr().String())
	return a.HTTP.Listener(ln)
}

// Shutdown stops accepting requests, waits for the running ones, then lets
// background imports stop at their next row (each row is saved whole).
func (a *App) Shutdown(ctx context.Context) error {
	err := a.HTTP.ShutdownWithContext(ctx)
	a.stopBackground()
	return err
}

func (a *App) stopBackground() {
	if a.stopJobs != nil {
		a.stopJobs()
		a.jobs.WG.Wait()
	}
}

// Close releases the stores.
func (a *App) Close() error {
	a.stopBackground()
	var errs []error
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	if a.Redis != nil {
		errs = append(errs, a.Redis.Close())
	}
	if a.Sandbox != nil && a.ownSandbox {
		errs = append(errs, a.Sandbox.Close())
	}
	return errors.Join(errs...)
}

// Describe prints which stores are used, for the start-up banner.
func (a *App) Describe(w io.Writer) {
	if a.Store.Kind() == "sqlite" {
		fmt.Fprintf(w, "store: embedded SQLite at %s (set QJ_MONGO_URI for MongoDB)\n", a.Cfg.DataDir+"/qj.db")
	} else {
		fmt.Fprintf(w, "store: MongoDB %s, database %s\n", MaskURL(a.Cfg.Mongo.URI), a.Cfg.Mongo.Database)
	}
	if a.Redis.Embedded {
		fmt.Fprintf(w, "redis: embedded in-process server at %s (sessions are lost on restart; set QJ_REDIS_URL)\n", a.Redis.Addr())
	} else {
		fmt.Fprintf(w, "redis: %s\n", MaskURL(a.Cfg.Redis.URL))
	}
	if a.Sandbox != nil {
		fmt.Fprintf(w, "wechat: no official account credentials, using the in-process WeChat API sandbox at %s (users and QR scans: %s/sandbox/)\n", a.Sandbox.URL(), a.Sandbox.URL())
	} else {
		fmt.Fprintf(w, "wechat: official account %s, mini program %s\n", a.Cfg.WeChat.OA.AppID, a.Cfg.WeChat.MP.AppID)
	}
	fmt.Fprintf(w, "reference data: %d catalog categories, %d regions, %d institutions\n",
		len(a.Ref.Catalog()), len(a.Ref.Regions()), len(a.Ref.Institutions()))
}

func (a *App) sandboxURL() string {
	if a.Sandbox == nil {
		return ""
	}
	return a.Sandbox.URL()
}
