package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
)

type css = chromedp.CSS

func mustContain(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: %q does not contain %q", what, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// login fills the console login form.
func login(account, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(css("#login-submit")),
		chromedp.SendKeys(css("#f-account"), account),
		chromedp.SendKeys(css("#f-password"), password),
		chromedp.Click(css("#login-submit")),
	)
}

func logout() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(css(".user-menu > button")),
		chromedp.Click(css("#logout")),
		chromedp.WaitVisible(css("#login-submit")),
	)
}

// acceptConfirms makes window.confirm answer yes, as a user clicking OK.
func acceptConfirms() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("(window.confirm = () => true, true)"))
		return err
	})
}

// TestBrowser_RegisterReviewLogin: a newcomer registers, demo-gz approves,
// the newcomer logs in.
func TestBrowser_RegisterReviewLogin(t *testing.T) {
	e := apptest.New(t)
	base := e.Serve()
	ctx := Browser(t)

	dir := t.TempDir()
	licence := filepath.Join(dir, "licence.png")
	letter := filepath.Join(dir, "letter.pdf")
	must(t, os.WriteFile(licence, []byte("\x89PNG\r\n\x1a\n0000"), 0o644))
	must(t, os.WriteFile(letter, apptest.PDF.Data, 0o644))
	files := chromedp.Steps(
		chromedp.SetUploadFiles(css("#f-licence"), []string{licence}),
		chromedp.SetUploadFiles(css("#f-letter"), []string{letter}),
	)

	// First attempt with a mistyped credit code: the form comes back with the
	// message beside the field and what was typed kept.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.Click(css("#to-register")),
		chromedp.WaitVisible(css("#register-form")),
		chromedp.SendKeys(css("#f-name"), "浏览器测试计量有限公司"),
		chromedp.SendKeys(css("#f-creditCode"), "914403001922038217"),
		chromedp.SetValue(css("#f-regionCode"), "440113"),
		chromedp.SendKeys(css("#f-address"), "广州市番禺区市桥街 1 号"),
		chromedp.SendKeys(css("#f-contactName"), "赵六"),
		chromedp.SendKeys(css("#f-contactPhone"), "13512345678"),
		chromedp.SendKeys(css("#f-login"), "browser-co"),
		chromedp.SendKeys(css("#f-password"), "Browser123"),
		chromedp.SendKeys(css("#f-password2"), "Browser123"),
		files,
		chromedp.Click(css("#register-submit")),
		chromedp.WaitVisible(css(`[data-field="creditCode"]`)),
	))
	msg, err := chromedp.Run(ctx, chromedp.Text(css(`[data-field="creditCode"]`)))
	must(t, err)
	mustContain(t, "credit code error", msg, "统一社会信用代码校验位不正确")
	Shot(t, ctx, "01-register-error")
	name, err := chromedp.Run(ctx, chromedp.Value(css("#f-name")))
	must(t, err)
	if name != "浏览器测试计量有限公司" {
		t.Fatalf("typed name lost: %q", name)
	}

	must(t, chromedp.Do(ctx,
		chromedp.Clear(css("#f-creditCode")),
		chromedp.SendKeys(css("#f-creditCode"), apptest.CreditCode(4242)),
		chromedp.SendKeys(css("#f-password"), "Browser123"),
		chromedp.SendKeys(css("#f-password2"), "Browser123"),
		files,
		chromedp.Click(css("#register-submit")),
		chromedp.WaitVisible(css("#reg-status")),
	))
	status, err := chromedp.Run(ctx, chromedp.Text(css("#reg-status")))
	must(t, err)
	mustContain(t, "status after registering", status, "待审核")
	Shot(t, ctx, "02-registration-pending")

	// demo-gz reviews and approves.
	must(t, chromedp.Do(ctx,
		logout(),
		login(app.DemoStaff, app.DemoPassword),
		chromedp.WaitVisible(css("#card-pending")),
		chromedp.Click(css(`a[data-key="review-registrations"]`)),
		chromedp.WaitVisible(css("#registrations")),
	))
	queue, err := chromedp.Run(ctx, chromedp.Text(css("#registrations")))
	must(t, err)
	mustContain(t, "review queue", queue, "浏览器测试计量有限公司")
	Shot(t, ctx, "03-review-queue")
	must(t, chromedp.Do(ctx,
		chromedp.Click(`//tr[contains(., "浏览器测试计量有限公司")]//a[contains(., "审核")]`),
		chromedp.WaitVisible(css("#approve")),
	))
	Shot(t, ctx, "04-review-detail")
	must(t, chromedp.Do(ctx, acceptConfirms(), chromedp.Click(css("#approve")), chromedp.WaitVisible(css(".alert-ok"))))
	done, err := chromedp.Run(ctx, chromedp.Text(css(".alert-ok")))
	must(t, err)
	mustContain(t, "after approving", done, "已审核通过")

	// The newcomer logs in and has the applicant console.
	must(t, chromedp.Do(ctx,
		logout(),
		login("browser-co", "Browser123"),
		chromedp.WaitVisible(css(`a[data-key="subusers"]`)),
	))
	home, err := chromedp.Run(ctx, chromedp.Text(css(".content")))
	must(t, err)
	mustContain(t, "applicant home", home, "浏览器测试计量有限公司")
	mustContain(t, "applicant home", home, "广东省/广州市/番禺区")
	Shot(t, ctx, "05-applicant-home")
}
