package app

import (
	"context"
	"fmt"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
)

// Demo logins (documented in the README).
const (
	DemoPassword     = "Demo@12345"
	DemoApplicant    = "demo-applicant"
	DemoSubUserPhone = "13800138001"
	DemoStaff        = "demo-gz"
	DemoRegulator    = "demo-reg"
	DemoAdmin        = "admin"
)

// demoPDF is a one-page blank PDF standing in for scanned documents.
var demoPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// LoadDemo creates the demo accounts that do not exist yet, so it is safe on
// every start.
func (a *App) LoadDemo(ctx context.Context) error {
	exists := func(login string) (bool, error) {
		_, err := a.Store.Accounts().GetUserByLogin(ctx, account.NormalizeLogin(login))
		if err == nil {
			return true, nil
		}
		if core.IsCode(err, core.NotFound) {
			return false, nil
		}
		return false, err
	}
	users := []account.UserInput{
		{Role: core.RoleAdmin, Login: DemoAdmin, Name: "平台管理员", Password: DemoPassword},
		{Role: core.RoleStaff, Login: DemoStaff, Name: "王审核", Phone: "020-38888888", Password: DemoPassword, InstitutionID: "inst-440100"},
		{Role: core.RoleRegulator, Login: DemoRegulator, Name: "陈监管", Password: DemoPassword, RegionCode: "440100"},
	}
	for _, in := range users {
		ok, err := exists(in.Login)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if _, err := a.Accounts.CreateUser(ctx, account.System, in); err != nil {
			return fmt.Errorf("demo user %s: %w", in.Login, err)
		}
	}
	ok, err := exists(DemoApplicant)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := a.Accounts.Register(ctx, account.RegistrationInput{
			UserType: "applicant", Identity: "organization",
			Name: "广州示例计量器具使用有限公司", Address: "广州市天河区天河路 100 号示例大厦 8 楼",
			CreditCode: core.CompleteCreditCode("91440106MA5DK8Q01"), RegionCode: "440106",
			ContactName: "张经理", ContactPhone: "13800138000", Login: DemoApplicant,
			Password: DemoPassword, Password2: DemoPassword,
			Licence: core.Upload{Name: "营业执照.pdf", Data: demoPDF},
			Letter:  core.Upload{Name: "授权委托书.pdf", Data: demoPDF},
		}); err != nil {
			return fmt.Errorf("demo applicant: %w", err)
		}
	}
	// Each later step checks its own state, so a start interrupted half-way
	// through is completed by the next one.
	main, err := a.Store.Accounts().GetUserByLogin(ctx, DemoApplicant)
	if err != nil {
		return err
	}
	app, err := a.Store.Accounts().GetApplicant(ctx, main.ApplicantID)
	if err != nil {
		return err
	}
	if app.Status == account.StatusPending {
		staff, err := a.Store.Accounts().GetUserByLogin(ctx, DemoStaff)
		if err != nil {
			return err
		}
		if app, err = a.Accounts.Approve(ctx, account.Principal(staff, nil), app.ID, 0); err != nil {
			return fmt.Errorf("approve demo applicant: %w", err)
		}
	}
	if ok, err := exists(DemoSubUserPhone); err != nil {
		return err
	} else if !ok {
		if _, err := a.Accounts.CreateSubUser(ctx, account.Principal(main, app), account.SubUserInput{
			Name: "李专员", Phone: DemoSubUserPhone, Password: DemoPassword, Password2: DemoPassword,
		}); err != nil {
			return fmt.Errorf("demo sub-user: %w", err)
		}
		a.Log.Info("demo data loaded")
	}
	return nil
}
