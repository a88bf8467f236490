package console_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/instrument"
)

var batchLocation = regexp.MustCompile(`^/filings/batches/([0-9a-v]+)`)

// TestConsoleWorkflow: the applicant files in the console, demo-gz
// approves in its queue, the applicant books, the institution confirms and
// settles at the front desk, the applicant sees the certificate.
func TestConsoleWorkflow(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	applicant, staff := e.Browser(), e.Browser()
	applicant.Login(app.DemoApplicant, app.DemoPassword)
	staff.Login(app.DemoStaff, app.DemoPassword)
	for _, f := range []string{"W-1", "W-2"} {
		form := instrumentForm(f)
		form.Set("category", "012001")
		if r := applicant.PostMultipart("/instruments", form, nil); r.Status != 302 {
			t.Fatalf("create: %d", r.Status)
		}
	}
	one, two := onlyInstrument(t, e, "W-1"), onlyInstrument(t, e, "W-2")

	// 提交备案（全部）: the dialog of manual 图 26, then the batch result.
	r := applicant.Get("/filings/submit?mode=all")
	if r.Status != 200 || !strings.Contains(r.Body, `<b id="submit-count">2</b>`) || !strings.Contains(r.Body, "广州计量检测技术研究院") ||
		!strings.Contains(r.Body, "本次申报的计量器具确实属于强制检定工作计量器具") {
		t.Fatalf("submit dialog: %d", r.Status)
	}
	r = applicant.Post("/filings/submit/confirm", url.Values{"mode": {"all"}, "institutionId": {"inst-440100"}})
	if r.Status != 422 || !strings.Contains(r.Body, "请阅读并确认责任声明") {
		t.Fatalf("submit without the statement: %d", r.Status)
	}
	r = applicant.Post("/filings/submit/confirm", url.Values{"mode": {"all"}, "institutionId": {"inst-440100"}, "statement": {"1"}})
	if r.Status != 302 || !batchLocation.MatchString(r.Location) {
		t.Fatalf("submit: %d %s", r.Status, r.Location)
	}
	r = applicant.Get(r.Location)
	if !strings.Contains(r.Body, `成功 <b id="batch-done">2</b> 台`) {
		t.Fatal("batch result page")
	}

	// The institution's queue and its actions.
	r = staff.Get("/review/filings?status=submitted")
	if strings.Count(r.Body, `name="ids"`) != 2 || !strings.Contains(r.Body, "广州示例计量器具使用有限公司") || !strings.Contains(r.Body, `value="approve"`) {
		t.Fatal("review queue")
	}
	r = staff.Post("/filings/act", url.Values{"action": {"return"}, "ids": {two.ID}})
	if r.Status != 422 || !strings.Contains(r.Body, "请选择退回原因") {
		t.Fatalf("return without kind: %d", r.Status)
	}
	staff.Post("/filings/act", url.Values{"action": {"return"}, "ids": {two.ID}, "returnKind": {"不属于强检目录"}})
	r = staff.Post("/filings/act", url.Values{"action": {"approve"}, "ids": {one.ID}, "back": {"/review/filings?status=submitted"}})
	if r.Status != 302 {
		t.Fatalf("approve: %d", r.Status)
	}
	if in := onlyInstrument(t, e, "W-1"); in.Filing.Status != instrument.Approved || in.Code == "" {
		t.Fatalf("approved: %+v", in.Filing)
	}
	if r := applicant.Get("/filings?status=returned"); !strings.Contains(r.Body, "退回：不属于强检目录") {
		t.Fatal("returned list shows the reason")
	}

	// Booking: from 须检仪器 to the pending list, then a date and slot.
	if r := applicant.Post("/booking/pending/add", url.Values{"ids": {one.ID}}); r.Status != 302 {
		t.Fatalf("pending add: %d %s", r.Status, r.Body)
	}
	r = applicant.Post("/booking/new", url.Values{"ids": {one.ID}})
	if r.Status != 200 || !strings.Contains(r.Body, `name="slot"`) {
		t.Fatalf("booking form: %d", r.Status)
	}
	slot := regexp.MustCompile(`name="slot" value="([^"]+)" >`).FindStringSubmatch(r.Body)
	if slot == nil {
		t.Fatal("no open slot")
	}
	r = applicant.Post("/booking/create", url.Values{"ids": {one.ID}, "slot": {slot[1]}})
	if r.Status != 302 || !strings.HasPrefix(r.Location, "/bookings/") {
		t.Fatalf("book: %d %s", r.Status, r.Body)
	}
	bookingID := strings.TrimPrefix(strings.Split(r.Location, "?")[0], "/bookings/")
	if r := applicant.Get("/bookings?status=pending"); !strings.Contains(r.Body, bookingID) {
		t.Fatal("预约中 list")
	}
	b, _ := e.App.Store.Bookings().Get(ctx, bookingID)

	// The institution confirms and settles at the front desk.
	if r := staff.Post("/bookings/"+bookingID+"/confirm", url.Values{"version": {"1"}}); r.Status != 409 {
		t.Fatalf("stale confirm: %d", r.Status)
	}
	if r := staff.Post("/bookings/"+bookingID+"/confirm", url.Values{"version": {itoa(b.Version)}}); r.Status != 302 {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	r = staff.Get("/bookings/" + bookingID)
	if !strings.Contains(r.Body, "核对无误，登记") {
		t.Fatal("front desk form")
	}
	today := string(core.Today(e.Clock))
	r = staff.Post("/bookings/"+bookingID+"/items/"+one.ID+"/settle", url.Values{"outcome": {"verified"}, "result": {"qualified"},
		"certificateNo": {"GZ-2026-88"}, "verifyDate": {today}, "validUntil": {"2027-11-20"}})
	if r.Status != 302 {
		t.Fatalf("settle: %d %s", r.Status, r.Body)
	}
	if b, _ := e.App.Store.Bookings().Get(ctx, bookingID); b.Status != booking.Completed {
		t.Fatalf("booking: %s", b.Status)
	}
	if _, err := e.App.Relay.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if r := applicant.Get("/certificates"); !strings.Contains(r.Body, "GZ-2026-88") {
		t.Fatal("certificate list")
	}
	if r := applicant.Get("/instruments/" + one.ID + "?tab=certs"); !strings.Contains(r.Body, "GZ-2026-88") {
		t.Fatal("certificate tab")
	}
	// The calendar editor.
	r = staff.Get("/institution/calendar")
	if r.Status != 200 || !strings.Contains(r.Body, `name="slotStart" value="09:00"`) {
		t.Fatalf("calendar: %d", r.Status)
	}
	r = staff.Post("/institution/calendar", url.Values{"version": {"0"}, "weekdays": {"1", "2"}, "slotId": {"s1", ""},
		"slotStart": {"09:00", "10:00"}, "slotEnd": {"11:00", "12:00"}, "slotCapacity": {"5", "5"}})
	if r.Status != 422 || !strings.Contains(r.Body, "重叠") {
		t.Fatalf("overlapping slots: %d", r.Status)
	}
	r = staff.Post("/institution/calendar", url.Values{"version": {"0"}, "weekdays": {"1", "3"}, "slotId": {"s1"},
		"slotStart": {"09:00"}, "slotEnd": {"11:00"}, "slotCapacity": {"5"}, "closed": {"2026/12/2"}, "horizon": {"20"}})
	if r.Status != 302 {
		t.Fatalf("save calendar: %d %s", r.Status, r.Body)
	}
	cal, _ := e.App.Bookings.Calendar(ctx, "inst-440100")
	if len(cal.Slots) != 1 || cal.Slots[0].Capacity != 5 || cal.Closed[0] != "2026-12-02" || cal.Horizon != 20 {
		t.Fatalf("calendar: %+v", cal)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
