package console

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/web"
)

type adminUsersData struct {
	Users        []*account.User
	Pager        pager
	Institutions []refdata.Institution
	Regions      []refdata.Region
}

const adminPageSize = 30

func (h *Console) adminUsersView(c *fiber.Ctx) (*view, error) {
	p := web.PrincipalOf(c)
	users, total, err := h.Accounts.PlatformUsers(c.UserContext(), p, (page(c)-1)*adminPageSize, adminPageSize)
	if err != nil {
		return nil, err
	}
	return &view{Title: "用户管理", Active: "admin-users", Data: adminUsersData{
		Users: users, Pager: newPager(c, adminPageSize, total), Institutions: h.Ref.Institutions(), Regions: h.Ref.Regions(),
	}}, nil
}

func (h *Console) adminUsers(c *fiber.Ctx) error {
	v, err := h.adminUsersView(c)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "admin_users", v)
}

func (h *Console) adminCreateUser(c *fiber.Ctx) error {
	form := formValues(c, "role", "login", "name", "phone", "institution", "region")
	_, err := h.Accounts.CreateUser(c.UserContext(), web.PrincipalOf(c), account.UserInput{
		Role: core.Role(form["role"]), Login: form["login"], Name: form["name"], Phone: form["phone"],
		Password: c.FormValue("password"), InstitutionID: form["institution"], RegionCode: form["region"],
	})
	if err != nil {
		v, verr := h.adminUsersView(c)
		if verr != nil {
			return verr
		}
		v.Form = form
		return h.formError(c, "admin_users", v, err)
	}
	return c.Redirect("/admin/users?msg=user-created")
}

func (h *Console) adminDisableUser(c *fiber.Ctx) error {
	if err := h.Accounts.SetUserDisabled(c.UserContext(), web.PrincipalOf(c), strings.Clone(c.Params("id")), true); err != nil {
		return err
	}
	return c.Redirect("/admin/users?msg=user-disabled")
}

func (h *Console) adminEnableUser(c *fiber.Ctx) error {
	if err := h.Accounts.SetUserDisabled(c.UserContext(), web.PrincipalOf(c), strings.Clone(c.Params("id")), false); err != nil {
		return err
	}
	return c.Redirect("/admin/users?msg=user-enabled")
}

func (h *Console) adminRefdata(c *fiber.Ctx) error {
	if err := web.PrincipalOf(c).RequireRole(core.RoleAdmin); err != nil {
		return err
	}
	tab := c.Query("tab", "catalog")
	return h.render(c, fiber.StatusOK, "admin_refdata", &view{Title: "参考数据", Active: "admin-refdata", Data: struct {
		Tab          string
		Ref          *refdata.Data
		Institutions []refdata.Institution
	}{Tab: tab, Ref: h.Ref, Institutions: h.Ref.Institutions()}})
}
