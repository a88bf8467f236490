package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
)

// TestBrowser_Journey: the applicant imports instruments → files them →
// demo-gz approves → the applicant books → the institution confirms → the
// front desk enters results → the applicant sees the certificate.
func TestBrowser_Journey(t *testing.T) {
	e := apptest.New(t)
	base := e.Serve()
	ctx := Browser(t)
	file := writeXLSX(t, t.TempDir(), "轨道衡.xlsx", importHeader,
		[]string{"轨道衡", "GCS-100", "JR-1", "3", "1", "440106", "012001", "0~100t"})

	// Import and file.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		login(app.DemoApplicant, app.DemoPassword),
		chromedp.WaitVisible(css("#home-cards")),
		chromedp.Navigate(base+"/instruments/import"),
		chromedp.SetUploadFiles(css("#f-file"), []string{file}),
		chromedp.Click(css("#import-submit")),
		chromedp.WaitVisible(css("#job-summary")),
		chromedp.Click(css(`a[data-key="filing-unfiled"]`)),
		chromedp.WaitVisible(css("#instruments")),
		chromedp.Click(`//a[contains(., "提交备案（全部）")]`),
		chromedp.WaitVisible(css("#submit-form")),
		chromedp.Click(css("#statement")),
		chromedp.Click(css("#submit-confirm")),
		chromedp.WaitVisible(css("#batch-summary")),
	))
	s, err := chromedp.Run(ctx, chromedp.Text(css("#batch-summary")))
	must(t, err)
	mustContain(t, "submit", s, "成功 1 台")
	Shot(t, ctx, "30-filed")

	// demo-gz approves in its queue.
	must(t, chromedp.Do(ctx,
		logout(),
		login(app.DemoStaff, app.DemoPassword),
		chromedp.WaitVisible(css(`a[data-key="review-submitted"]`)),
		chromedp.Click(css(`a[data-key="review-submitted"]`)),
		chromedp.WaitVisible(css("#instruments")),
		chromedp.Click(css("#select-all")),
		acceptConfirms(),
		chromedp.Click(css("#batch-approve")),
		chromedp.WaitVisible(css("#batch-summary")),
	))
	s, err = chromedp.Run(ctx, chromedp.Text(css("#batch-summary")))
	must(t, err)
	mustContain(t, "approve", s, "成功 1 台")

	// The applicant books from 须检仪器.
	must(t, chromedp.Do(ctx,
		logout(),
		login(app.DemoApplicant, app.DemoPassword),
		chromedp.WaitVisible(css("#home-cards")),
		chromedp.Click(css(`a[data-key="view-due"]`)),
		chromedp.WaitVisible(css("#instruments")),
		chromedp.Click(css("#select-all")),
		chromedp.Click(css("#batch-book")),
		chromedp.WaitVisible(css("#booking-form")),
		chromedp.Click(css(`input[name="slot"]:not([disabled])`)),
		chromedp.Click(css("#booking-submit")),
		chromedp.WaitVisible(css("#booking-status")),
	))
	st, err := chromedp.Run(ctx, chromedp.Text(css("#booking-status")))
	must(t, err)
	mustContain(t, "booking", st, "预约中")
	number, err := chromedp.Run(ctx, chromedp.Text(css("#booking-number")))
	must(t, err)
	Shot(t, ctx, "31-booked")

	// The institution confirms, and the front desk enters the result.
	must(t, chromedp.Do(ctx,
		logout(),
		login(app.DemoStaff, app.DemoPassword),
		chromedp.WaitVisible(css(`a[data-key="booking-pending"]`)),
		chromedp.Click(css(`a[data-key="booking-pending"]`)),
		chromedp.WaitVisible(css("#bookings")),
		chromedp.Click(`//tr[contains(., "`+number+`")]//a`),
		chromedp.WaitVisible(css("#confirm-booking")),
		chromedp.Click(css("#confirm-booking")),
		chromedp.WaitVisible(css("form.settle")),
		chromedp.SendKeys(css(`form.settle input[name="certificateNo"]`), "GZJL-2026-000001"),
		chromedp.SetValue(css(`form.settle input[name="validUntil"]`), "2027-11-20"),
		chromedp.Click(css(`form.settle button`)),
	))
	// The confirmed page already shows a status: wait for the new page's.
	mustContain(t, "after the front desk", waitText(ctx, "#booking-status", "已完检"), "已完检")
	Shot(t, ctx, "32-completed")

	// The applicant sees the certificate (relayed in the background).
	must(t, chromedp.Do(ctx, logout(), login(app.DemoApplicant, app.DemoPassword), chromedp.WaitVisible(css("#home-cards"))))
	deadline := time.Now().Add(15 * time.Second)
	for {
		must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/certificates"), chromedp.WaitVisible(css("#certificates"))))
		certs, err := chromedp.Run(ctx, chromedp.Text(css("#certificates")))
		must(t, err)
		if strings.Contains(certs, "GZJL-2026-000001") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("certificate not listed: %s", certs)
		}
		time.Sleep(300 * time.Millisecond)
	}
	Shot(t, ctx, "33-certificate")
}

// waitText reads sel until it contains want (a page may still be
// navigating) and returns the last text read.
func waitText(ctx context.Context, sel, want string) string {
	last := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := chromedp.Run(c, chromedp.Text(css(sel)))
		cancel()
		if err == nil {
			if last = st; strings.Contains(st, want) {
				break
			}
		}
	}
	return last
}
