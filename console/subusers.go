package console

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/web"
)

func (h *Console) subUsersView(c *fiber.Ctx) (*view, error) {
	list, err := h.Accounts.SubUsers(c.UserContext(), web.PrincipalOf(c))
	if err != nil {
		return nil, err
	}
	return &view{Title: "子用户", Active: "subusers", Data: list}, nil
}

func (h *Console) subUsersPage(c *fiber.Ctx) error {
	v, err := h.subUsersView(c)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "subusers", v)
}

func (h *Console) createSubUser(c *fiber.Ctx) error {
	form := formValues(c, "name", "phone")
	_, err := h.Accounts.CreateSubUser(c.UserContext(), web.PrincipalOf(c), account.SubUserInput{
		Name: form["name"], Phone: form["phone"], Password: c.FormValue("password"), Password2: c.FormValue("password2"),
	})
	if err != nil {
		v, verr := h.subUsersView(c)
		if verr != nil {
			return verr
		}
		v.Form = form
		return h.formError(c, "subusers", v, err)
	}
	return c.Redirect("/subusers?msg=subuser-created")
}

func (h *Console) disableSubUser(c *fiber.Ctx) error {
	if err := h.Accounts.SetSubUserDisabled(c.UserContext(), web.PrincipalOf(c), strings.Clone(c.Params("id")), true); err != nil {
		return err
	}
	return c.Redirect("/subusers?msg=subuser-disabled")
}

func (h *Console) enableSubUser(c *fiber.Ctx) error {
	if err := h.Accounts.SetSubUserDisabled(c.UserContext(), web.PrincipalOf(c), strings.Clone(c.Params("id")), false); err != nil {
		return err
	}
	return c.Redirect("/subusers?msg=subuser-enabled")
}

func (h *Console) resetSubUserPassword(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	err := h.Accounts.ResetSubUserPassword(c.UserContext(), web.PrincipalOf(c), id, c.FormValue("password"), c.FormValue("password2"))
	if err != nil {
		if !core.IsCode(err, core.Invalid) {
			return err
		}
		v, verr := h.subUsersView(c)
		if verr != nil {
			return verr
		}
		msg := core.ErrorMessage(err)
		if fe := core.FieldErrors(err); len(fe) > 0 {
			msg = fe[0].Message
		}
		v.Error = "重置密码失败：" + msg
		return h.render(c, fiber.StatusUnprocessableEntity, "subusers", v)
	}
	return c.Redirect("/subusers?msg=subuser-password")
}
