package console

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/officialaccount"
	"github.com/gdqjp/qj/store/redisstore"
	"github.com/gdqjp/qj/web"
)

type qrView struct {
	Ticket     *officialaccount.Ticket
	SandboxURL string // the sandbox's scan page, when WeChat is simulated
	Error      string
	Bindings   []*wechat.Binding
}

func (h *Console) newQR(c *fiber.Ctx, purpose, userID string) qrView {
	t, err := h.OA.NewTicket(c.UserContext(), purpose, userID)
	v := qrView{Ticket: t}
	if err != nil {
		v.Error = core.ErrorMessage(err)
		return v
	}
	if h.SandboxURL != "" {
		v.SandboxURL = h.SandboxURL + "/sandbox/scan?ticket=" + t.Ticket
	}
	return v
}

// wechatLoginPage shows the QR code of 微信扫码登录 (manual 一.3).
func (h *Console) wechatLoginPage(c *fiber.Ctx) error {
	if web.PrincipalOf(c).Authenticated() {
		return c.Redirect("/")
	}
	return h.render(c, fiber.StatusOK, "wechat_login", &view{Title: "微信扫码登录", Data: h.newQR(c, officialaccount.PurposeLogin, "")})
}

// qrStatus is polled by the QR pages; a finished login opens the session.
func (h *Console) qrStatus(c *fiber.Ctx) error {
	t, err := h.OA.TicketOf(c.UserContext(), c.Query("scene"))
	if err != nil {
		return c.JSON(fiber.Map{"status": "expired", "message": core.ErrorMessage(err)})
	}
	if t.Purpose == officialaccount.PurposeBind && t.UserID != web.PrincipalOf(c).UserID {
		return c.JSON(fiber.Map{"status": "expired", "message": "二维码已过期，请刷新"})
	}
	out := fiber.Map{"status": t.Status, "message": t.Message}
	if t.Purpose == officialaccount.PurposeLogin && t.Status == "done" {
		if _, _, _, err := h.Accounts.Resolve(c.UserContext(), t.Result); err != nil {
			return c.JSON(fiber.Map{"status": "failed", "message": core.ErrorMessage(err)})
		}
		token, err := h.Sessions.Create(c.UserContext(), t.Result, redisstore.ChannelConsole)
		if err != nil {
			return err
		}
		// One scan logs in once.
		t.Status = "used"
		_ = h.Redis.RDB.Del(c.UserContext(), h.Redis.Key("wxqr", t.Scene)).Err()
		h.setSession(c, token)
		out["status"], out["next"] = "done", "/"
	}
	return c.JSON(out)
}

// wechatSettings lists p's WeChat bindings and offers a QR code to bind.
func (h *Console) wechatSettings(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	v := h.newQR(c, officialaccount.PurposeBind, p.UserID)
	list, err := h.WeChat.BindingsOf(c.UserContext(), p)
	if err != nil {
		return err
	}
	v.Bindings = list
	return h.render(c, fiber.StatusOK, "wechat_settings", &view{Title: "微信绑定", Active: "wechat", Data: v})
}

func (h *Console) wechatUnbind(c *fiber.Ctx) error {
	app, openID, _ := strings.Cut(c.FormValue("binding"), "/")
	if err := h.WeChat.UnbindUser(c.UserContext(), web.PrincipalOf(c), wechat.App(app), strings.Clone(openID)); err != nil {
		return err
	}
	return c.Redirect("/account/wechat?msg=wechat-unbound")
}

// deliveriesPage is the applicant's log of WeChat notifications.
func (h *Console) deliveriesPage(c *fiber.Ctx) error {
	list, total, err := h.WeChat.Deliveries(c.UserContext(), web.PrincipalOf(c), (page(c)-1)*30, 30)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, d := range list {
		if _, ok := names[d.UserID]; !ok {
			if u, err := h.Accounts.Repo.GetUser(c.UserContext(), d.UserID); err == nil {
				names[d.UserID] = u.Name
			}
		}
	}
	return h.render(c, fiber.StatusOK, "deliveries", &view{Title: "消息推送记录", Active: "deliveries", Data: struct {
		Items []*wechat.Delivery
		Names map[string]string
		Pager pager
	}{list, names, newPager(c, 30, total)}})
}
