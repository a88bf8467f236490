package mpapi

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/store/redisstore"
)

// WeChatMP is the mini program side of WeChat the login needs.
type WeChatMP interface {
	// Code2Session exchanges a wx.login code (the session key stays there).
	Code2Session(ctx context.Context, code string) (openID, unionID string, errcode int, err error)
	// PhoneNumber exchanges a getPhoneNumber code for the phone number.
	PhoneNumber(ctx context.Context, code string) (phone string, errcode int, err error)
}

func wxError(errcode int, err error) error {
	switch errcode {
	case 40029, 40163, 40226, 41008:
		return core.Errorf(core.Invalid, "微信登录凭证无效或已过期，请重试")
	}
	return core.Wrap(core.Unavailable, err, "微信服务暂时不可用，请稍后再试或使用账号密码登录")
}

// session opens a mini program session for u after checking it may use the
// mini program.
func (a *API) session(c *fiber.Ctx, u *account.User) error {
	_, _, app, err := a.Accounts.Resolve(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	if u.Role != core.RoleApplicant {
		return errNotApplicant()
	}
	if app == nil || app.Status != account.StatusApproved {
		return errNotApproved()
	}
	token, err := a.Sessions.Create(c.UserContext(), u.ID, redisstore.ChannelMP)
	if err != nil {
		return err
	}
	return c.JSON(loginResponse{Token: token, ExpiresIn: int(a.Sessions.TTL.Seconds()), User: a.userJSON(u, app)})
}

type codeRequest struct {
	Code      string `json:"code"`
	LoginCode string `json:"loginCode"`
}

// loginWeChat: 使用当前微信号登录 — the openid (or unionid) must already be
// bound, through the mini program, the official account or WeChat login.
func (a *API) loginWeChat(c *fiber.Ctx) error {
	var req codeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Code) == "" {
		return core.Errorf(core.Invalid, "缺少微信登录凭证 code")
	}
	openID, unionID, code, err := a.WX.Code2Session(c.UserContext(), req.Code)
	if err != nil {
		return wxError(code, err)
	}
	b, err := a.WeChat.Lookup(c.UserContext(), wechat.AppMP, openID, unionID)
	if core.IsCode(err, core.NotFound) {
		return &core.Error{Code: core.NotFound, Detail: "NOT_BOUND",
			Message: "该微信尚未绑定平台账号，请使用手机号或账号密码登录，登录后将自动绑定"}
	}
	if err != nil {
		return err
	}
	u, err := a.Accounts.Repo.GetUser(c.UserContext(), b.UserID)
	if err != nil {
		return err
	}
	return a.session(c, u)
}

// loginPhone: 使用当前手机号登录 — the phone WeChat gives must be a sub-user's
// login or an approved applicant's contact phone; the openid gets bound.
func (a *API) loginPhone(c *fiber.Ctx) error {
	var req codeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Code) == "" {
		return core.Errorf(core.Invalid, "缺少手机号授权凭证 code")
	}
	phone, code, err := a.WX.PhoneNumber(c.UserContext(), req.Code)
	if err != nil {
		return wxError(code, err)
	}
	u, err := a.userByPhone(c.UserContext(), phone)
	if err != nil {
		return err
	}
	a.bindLoginCode(c.UserContext(), req.LoginCode, u.ID)
	return a.session(c, u)
}

func (a *API) userByPhone(ctx context.Context, phone string) (*account.User, error) {
	if u, err := a.Accounts.Repo.GetUserByLogin(ctx, phone); err == nil {
		return u, nil
	}
	list, _, err := a.Accounts.Repo.ListApplicants(ctx, account.ApplicantQuery{Text: phone, Statuses: []account.Status{account.StatusApproved}, Limit: 5})
	if err != nil {
		return nil, err
	}
	var hits []*account.Applicant
	for _, app := range list {
		if app.ContactPhone == phone {
			hits = append(hits, app)
		}
	}
	switch len(hits) {
	case 0:
		return nil, core.Errorf(core.NotFound, "手机号 %s 不能登录平台：请使用主账号联系人或子用户的手机号", phone)
	case 1:
		return a.Accounts.Repo.GetUser(ctx, hits[0].ID)
	}
	return nil, core.Errorf(core.Conflict, "手机号 %s 是多个单位的联系电话，请使用账号密码登录", phone)
}

// bindLoginCode binds the mini program openid behind a wx.login code to a
// user who just logged in another way; failures only cost the binding.
func (a *API) bindLoginCode(ctx context.Context, loginCode, userID string) {
	if strings.TrimSpace(loginCode) == "" {
		return
	}
	openID, unionID, _, err := a.WX.Code2Session(ctx, loginCode)
	if err != nil {
		a.Log.Warn("mini program binding skipped", "err", err)
		return
	}
	if _, err := a.WeChat.Bind(ctx, wechat.AppMP, openID, unionID, userID); err != nil {
		a.Log.Warn("mini program binding failed", "err", err)
	}
}
