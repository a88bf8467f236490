// Package mpapi is the JSON API of the WeChat mini program, under
// /api/mp/v1. Only applicant accounts (main or sub-user) may use it.
// The contract is miniprogram-api/openapi.yaml; keep both in step.
package mpapi

import (
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/store/redisstore"
	"github.com/gdqjp/qj/web"
)

// Prefix is where the API is mounted.
const Prefix = "/api/mp/v1"

// API holds the handlers' dependencies.
type API struct {
	Accounts    *account.Service
	Instruments *instrument.Service
	Filing      *filing.Service
	Bookings    *booking.Service
	WeChat      *wechat.Service
	WX          WeChatMP
	Sessions    *redisstore.Sessions
	Ref         *refdata.Data
	Log         *slog.Logger
}

// Mount registers the API's routes on app.
func (a *API) Mount(app *fiber.App) {
	g := app.Group(Prefix, a.errors, func(c *fiber.Ctx) error {
		// JSON bodies are small; only file uploads may be larger.
		if strings.Contains(c.Path(), "/files/") {
			return web.LimitBody(instrument.MaxGroupSize + (1 << 20))(c)
		}
		return web.LimitBody(1 << 20)(c)
	})
	g.Post("/login/password", a.loginPassword)
	g.Post("/login/wechat", a.loginWeChat)
	g.Post("/login/phone", a.loginPhone)
	g.Get("/me", a.auth, a.me)
	g.Post("/logout", a.auth, a.logout)
	g.Get("/instruments", a.auth, a.listInstruments)
	g.Post("/instruments", a.auth, a.createInstrument)
	g.Post("/instruments/batch", a.auth, a.batchInstruments)
	g.Get("/instruments/:id", a.auth, a.getInstrument)
	g.Put("/instruments/:id", a.auth, a.updateInstrument)
	g.Post("/instruments/:id/copy", a.auth, a.copyInstrument)
	g.Post("/instruments/:id/files/:group", a.auth, a.uploadFiles)
	g.Post("/filings/options", a.auth, a.filingOptions)
	g.Post("/filings", a.auth, a.submitFiling)
	g.Post("/filings/withdraw", a.auth, a.withdrawFiling)
	g.Get("/filings/batches/:id", a.auth, a.filingBatch)
	g.Get("/booking/pending", a.auth, a.pendingList)
	g.Post("/booking/pending", a.auth, a.addPending)
	g.Post("/booking/pending/remove", a.auth, a.removePending)
	g.Get("/booking/slots", a.auth, a.slots)
	g.Post("/bookings", a.auth, a.createBooking)
	g.Get("/bookings", a.auth, a.listBookings)
	g.Get("/bookings/:id", a.auth, a.getBooking)
	g.Post("/bookings/:id/cancel", a.auth, a.cancelBooking)
	g.Get("/certificates", a.auth, a.certificates)
	g.Use(func(c *fiber.Ctx) error { return core.Errorf(core.NotFound, "接口不存在") })
}

// errors answers every failure of the API as {"code","message"} with the
// matching status.
func (a *API) errors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	err = web.Classify(err)
	web.LogIfInternal(a.Log, c, err)
	return web.WriteJSONError(c, err)
}

func errNotApplicant() error {
	return core.Errorf(core.Forbidden, "小程序仅供“申请方”账号使用，技术机构、行政管理部门及管理员请使用网页端")
}

func errNotApproved() error {
	return core.Errorf(core.Forbidden, "您的注册申请尚未审核通过，请在网页端查看审核进度")
}

// auth resolves the bearer token into the acting principal.
func (a *API) auth(c *fiber.Ctx) error {
	sess, err := a.Sessions.Get(c.UserContext(), web.BearerToken(c), redisstore.ChannelMP)
	if err != nil {
		return err
	}
	p, _, _, err := a.Accounts.Resolve(c.UserContext(), sess.UserID)
	if err != nil {
		return err
	}
	if p.Role != core.RoleApplicant {
		return errNotApplicant()
	}
	if !p.ApplicantApproved {
		return errNotApproved()
	}
	web.SetPrincipal(c, p)
	return c.Next()
}

// decode parses a JSON body into v with a Chinese error for malformed input.
func decode(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return core.Errorf(core.Invalid, "请求内容不能为空")
	}
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return core.Errorf(core.Invalid, "请求格式有误，应为 JSON")
	}
	return nil
}

// UserJSON is the user as the mini program sees it.
type UserJSON struct {
	ID        string         `json:"id"`
	Account   string         `json:"account"`
	Name      string         `json:"name"`
	Phone     string         `json:"phone"`
	SubUser   bool           `json:"subUser"`
	Applicant *ApplicantJSON `json:"applicant"`
}

// ApplicantJSON is the applicant summary.
type ApplicantJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreditCode string `json:"creditCode"`
	RegionCode string `json:"regionCode"`
	RegionName string `json:"regionName"`
	Status     string `json:"status"`
	StatusName string `json:"statusName"`
}

func (a *API) userJSON(u *account.User, app *account.Applicant) UserJSON {
	out := UserJSON{ID: u.ID, Account: u.Login, Name: u.Name, Phone: u.Phone, SubUser: u.SubUser}
	if app != nil {
		out.Applicant = &ApplicantJSON{
			ID: app.ID, Name: app.Name, CreditCode: app.CreditCode, RegionCode: app.RegionCode,
			RegionName: a.Ref.RegionPath(app.RegionCode), Status: string(app.Status), StatusName: app.Status.Name(),
		}
	}
	return out
}

type loginRequest struct {
	Account   string `json:"account"`
	Password  string `json:"password"`
	LoginCode string `json:"loginCode"` // optional wx.login code: binds this WeChat to the account
}

type loginResponse struct {
	Token     string   `json:"token"`
	ExpiresIn int      `json:"expiresIn"`
	User      UserJSON `json:"user"`
}

func (a *API) loginPassword(c *fiber.Ctx) error {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	u, app, err := a.Accounts.Login(c.UserContext(), req.Account, req.Password)
	if err != nil {
		return err
	}
	if u.Role != core.RoleApplicant {
		return errNotApplicant()
	}
	if app == nil || app.Status != account.StatusApproved {
		return errNotApproved()
	}
	a.bindLoginCode(c.UserContext(), req.LoginCode, u.ID)
	return a.session(c, u)
}

type meResponse struct {
	User   UserJSON   `json:"user"`
	Counts CountsJSON `json:"counts"`
}

func (a *API) me(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	_, u, app, err := a.Accounts.Resolve(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	counts, err := a.Instruments.Counts(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(meResponse{User: a.userJSON(u, app), Counts: countsJSON(counts)})
}

func (a *API) logout(c *fiber.Ctx) error {
	if err := a.Sessions.Delete(c.UserContext(), web.BearerToken(c)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": true})
}
