package console

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/store/redisstore"
	"github.com/gdqjp/qj/web"
)

func (h *Console) loginPage(c *fiber.Ctx) error {
	if web.PrincipalOf(c).Authenticated() {
		return c.Redirect(safeNext(c.Query("next")))
	}
	return h.render(c, fiber.StatusOK, "login", &view{Title: "登录", Form: map[string]string{"next": c.Query("next")}})
}

func (h *Console) login(c *fiber.Ctx) error {
	form := formValues(c, "account", "next")
	v := &view{Title: "登录", Form: form}
	u, _, err := h.Accounts.Login(c.UserContext(), form["account"], c.FormValue("password"))
	if err != nil {
		return h.formError(c, "login", v, err)
	}
	token, err := h.Sessions.Create(c.UserContext(), u.ID, redisstore.ChannelConsole)
	if err != nil {
		return err
	}
	h.setSession(c, token)
	return c.Redirect(safeNext(form["next"]))
}

func (h *Console) logout(c *fiber.Ctx) error {
	if err := h.Sessions.Delete(c.UserContext(), c.Cookies(SessionCookie)); err != nil {
		return err
	}
	h.clearSession(c)
	return c.Redirect("/login?msg=logged-out")
}

// regionGroup is a city with its districts, for the region selector.
type regionGroup struct {
	City      refdata.Region
	Districts []refdata.Region
}

func (h *Console) regionGroups() []regionGroup {
	var out []regionGroup
	for _, city := range h.Ref.Cities() {
		out = append(out, regionGroup{City: city, Districts: h.Ref.DistrictsOf(city.Code)})
	}
	return out
}

var registrationFields = []string{"userType", "identity", "name", "address", "creditCode", "regionCode", "contactName", "contactPhone", "login"}

func (h *Console) registerPage(c *fiber.Ctx) error {
	if web.PrincipalOf(c).Authenticated() {
		return c.Redirect("/")
	}
	return h.render(c, fiber.StatusOK, "register", &view{Title: "注册账户", Data: h.regionGroups(),
		Form: map[string]string{"userType": "applicant", "identity": "organization"}})
}

func (h *Console) register(c *fiber.Ctx) error {
	form := formValues(c, registrationFields...)
	v := &view{Title: "注册账户", Data: h.regionGroups(), Form: form}
	licence, err := upload(c, "licence")
	if err != nil {
		return err
	}
	letter, err := upload(c, "letter")
	if err != nil {
		return err
	}
	a, err := h.Accounts.Register(c.UserContext(), account.RegistrationInput{
		UserType: form["userType"], Identity: form["identity"], Name: form["name"], Address: form["address"],
		CreditCode: form["creditCode"], RegionCode: form["regionCode"], ContactName: form["contactName"],
		ContactPhone: form["contactPhone"], Login: form["login"], Password: c.FormValue("password"),
		Password2: c.FormValue("password2"), Licence: licence, Letter: letter,
	})
	if err != nil {
		return h.formError(c, "register", v, err)
	}
	// Log the new applicant in so it can follow its review at once.
	token, err := h.Sessions.Create(c.UserContext(), a.ID, redisstore.ChannelConsole)
	if err != nil {
		return err
	}
	h.setSession(c, token)
	return c.Redirect("/registration?msg=registered")
}

func (h *Console) letterTemplate(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	c.Set(fiber.HeaderContentDisposition, "attachment; filename=\"authorization-letter.docx\"; filename*=UTF-8''"+url.PathEscape("授权委托书.docx"))
	return c.Send(authorizationLetterDocx)
}

func (h *Console) passwordPage(c *fiber.Ctx) error {
	return h.render(c, fiber.StatusOK, "password", &view{Title: "修改密码", Active: "password"})
}

func (h *Console) changePassword(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	err := h.Accounts.ChangePassword(c.UserContext(), p, c.FormValue("current"), c.FormValue("password"), c.FormValue("password2"), c.Cookies(SessionCookie))
	if err != nil {
		return h.formError(c, "password", &view{Title: "修改密码", Active: "password"}, err)
	}
	return c.Redirect("/account/password?msg=password")
}

// home is the landing page of every role.
func (h *Console) home(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	switch {
	case p.IsApplicant() && !p.ApplicantApproved:
		return c.Redirect("/registration")
	case p.IsApplicant():
		app, err := h.Accounts.MyApplicant(c.UserContext(), p)
		if err != nil {
			return err
		}
		counts, err := h.Instruments.Counts(c.UserContext(), p)
		if err != nil {
			return err
		}
		activity, err := h.Instruments.Activity(c.UserContext(), p, 10)
		if err != nil {
			return err
		}
		return h.render(c, fiber.StatusOK, "home_applicant", &view{Title: "首页", Active: "home", Data: struct {
			App      *account.Applicant
			Counts   instrument.Counts
			Activity []*instrument.Instrument
		}{app, counts, activity}})
	case p.IsStaff(), p.IsRegulator(), p.IsAdmin():
		_, pending, err := h.Accounts.ReviewQueue(c.UserContext(), p, account.ApplicantQuery{Statuses: []account.Status{account.StatusPending}, Limit: 1})
		if err != nil {
			return err
		}
		_, all, err := h.Accounts.ReviewQueue(c.UserContext(), p, account.ApplicantQuery{Statuses: []account.Status{account.StatusApproved}, Limit: 1})
		if err != nil {
			return err
		}
		data := struct {
			Pending, Approved int
			Institution       refdata.Institution
			Region            refdata.Region
		}{Pending: pending, Approved: all}
		data.Institution, _ = h.Ref.Institution(p.InstitutionID)
		data.Region, _ = h.Ref.Region(p.RegionCode)
		return h.render(c, fiber.StatusOK, "home_staff", &view{Title: "首页", Active: "home", Data: data})
	}
	return core.Errorf(core.Forbidden, "您没有权限访问")
}
