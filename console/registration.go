package console

import (
	"io"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/web"
)

type registrationData struct {
	App      *account.Applicant
	Regions  []regionGroup
	Editable bool
}

func applicantForm(a *account.Applicant) map[string]string {
	return map[string]string{
		"name": a.Name, "address": a.Address, "creditCode": a.CreditCode, "regionCode": a.RegionCode,
		"contactName": a.ContactName, "contactPhone": a.ContactPhone, "version": strconv.Itoa(a.Version),
	}
}

func (h *Console) registrationPage(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	app, err := h.Accounts.MyApplicant(c.UserContext(), p)
	if err != nil {
		return err
	}
	d := registrationData{App: app, Regions: h.regionGroups(),
		Editable: p.MainApplicant() && (app.Status == account.StatusPending || app.Status == account.StatusRejected)}
	return h.render(c, fiber.StatusOK, "registration", &view{Title: "注册信息", Active: "registration", Data: d, Form: applicantForm(app)})
}

func (h *Console) updateRegistration(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	app, err := h.Accounts.MyApplicant(c.UserContext(), p)
	if err != nil {
		return err
	}
	form := formValues(c, "name", "address", "creditCode", "regionCode", "contactName", "contactPhone", "version")
	v := &view{Title: "注册信息", Active: "registration", Form: form,
		Data: registrationData{App: app, Regions: h.regionGroups(), Editable: true}}
	licence, err := upload(c, "licence")
	if err != nil {
		return err
	}
	letter, err := upload(c, "letter")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(form["version"])
	wasRejected := app.Status == account.StatusRejected
	_, err = h.Accounts.UpdateRegistration(c.UserContext(), p, version, account.RegistrationInput{
		Name: form["name"], Address: form["address"], CreditCode: form["creditCode"], RegionCode: form["regionCode"],
		ContactName: form["contactName"], ContactPhone: form["contactPhone"], Licence: licence, Letter: letter,
	})
	if err != nil {
		return h.formError(c, "registration", v, err)
	}
	if wasRejected {
		return c.Redirect("/registration?msg=resubmitted")
	}
	return c.Redirect("/registration?msg=updated")
}

func (h *Console) cancelRegistration(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	if err := h.Accounts.CancelRegistration(c.UserContext(), p); err != nil {
		return err
	}
	h.clearSession(c)
	return c.Redirect("/login?msg=cancelled")
}

// sendFile streams a stored file inline (images, PDF) for viewing.
func sendFile(c *fiber.Ctx, f *core.File, rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderContentDisposition, "inline; filename*=UTF-8''"+url.PathEscape(f.Name))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(data)
}

func (h *Console) ownRegistrationFile(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	if !p.IsApplicant() {
		return core.ErrNotFound("文件")
	}
	f, rc, err := h.Accounts.OpenRegistrationFile(c.UserContext(), p, p.ApplicantID, c.Params("which"))
	if err != nil {
		return err
	}
	return sendFile(c, f, rc)
}
