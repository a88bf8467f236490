package app_test

import (
	"bytes"
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/xuri/excelize/v2"
)

// fixture is the data of the victim, applicant A, that the matrix addresses.
type fixture struct {
	applicantID  string // A (approved, Guangzhou)
	subUserID    string // a sub-user of A
	staffID      string // a Guangzhou staff user
	instrumentID string // an instrument of A
	fileID       string // an attachment of that instrument
	bookingID    string // a booking of A
	batchID      string // a filing batch of A
	jobID        string // an import job of A
}

// scoped lists every route that addresses a record by a path parameter, with
// how to point it at A's data. A route with a parameter that is missing here
// fails TestDataScopeMatrix_CoversEveryRoute: add it when you add the route.
var scoped = map[string]func(f fixture) string{
	"GET /review/registrations/:id":              func(f fixture) string { return "/review/registrations/" + f.applicantID },
	"GET /review/registrations/:id/files/:which": func(f fixture) string { return "/review/registrations/" + f.applicantID + "/files/licence" },
	"POST /review/registrations/:id/approve":     func(f fixture) string { return "/review/registrations/" + f.applicantID + "/approve" },
	"POST /review/registrations/:id/reject":      func(f fixture) string { return "/review/registrations/" + f.applicantID + "/reject" },
	"POST /subusers/:id/disable":                 func(f fixture) string { return "/subusers/" + f.subUserID + "/disable" },
	"POST /subusers/:id/enable":                  func(f fixture) string { return "/subusers/" + f.subUserID + "/enable" },
	"POST /subusers/:id/password":                func(f fixture) string { return "/subusers/" + f.subUserID + "/password" },
	"POST /admin/users/:id/disable":              func(f fixture) string { return "/admin/users/" + f.staffID + "/disable" },
	"POST /admin/users/:id/enable":               func(f fixture) string { return "/admin/users/" + f.staffID + "/enable" },
	"GET /api/mp/v1/instruments/:id":             func(f fixture) string { return "/api/mp/v1/instruments/" + f.instrumentID },
	"PUT /api/mp/v1/instruments/:id":             func(f fixture) string { return "/api/mp/v1/instruments/" + f.instrumentID },
	"POST /api/mp/v1/instruments/:id/copy":       func(f fixture) string { return "/api/mp/v1/instruments/" + f.instrumentID + "/copy" },
	"GET /instruments/:id":                       func(f fixture) string { return "/instruments/" + f.instrumentID },
	"GET /instruments/:id/edit":                  func(f fixture) string { return "/instruments/" + f.instrumentID + "/edit" },
	"POST /instruments/:id":                      func(f fixture) string { return "/instruments/" + f.instrumentID },
	"GET /instruments/:id/files/:file":           func(f fixture) string { return "/instruments/" + f.instrumentID + "/files/" + f.fileID },
	"POST /instruments/:id/files/:group":         func(f fixture) string { return "/instruments/" + f.instrumentID + "/files/attachments" },
	"POST /instruments/:id/files/:group/:file/delete": func(f fixture) string {
		return "/instruments/" + f.instrumentID + "/files/attachments/" + f.fileID + "/delete"
	},
	"POST /api/mp/v1/instruments/:id/files/:group": func(f fixture) string { return "/api/mp/v1/instruments/" + f.instrumentID + "/files/attachments" },
	"GET /bookings/:id":                            func(f fixture) string { return "/bookings/" + f.bookingID },
	"POST /bookings/:id/:action":                   func(f fixture) string { return "/bookings/" + f.bookingID + "/cancel" },
	"POST /bookings/:id/items/:instrument/settle":  func(f fixture) string { return "/bookings/" + f.bookingID + "/items/" + f.instrumentID + "/settle" },
	"GET /filings/batches/:id":                     func(f fixture) string { return "/filings/batches/" + f.batchID },
	"GET /filings/batches/:id/status":              func(f fixture) string { return "/filings/batches/" + f.batchID + "/status" },
	"GET /api/mp/v1/bookings/:id":                  func(f fixture) string { return "/api/mp/v1/bookings/" + f.bookingID },
	"POST /api/mp/v1/bookings/:id/cancel":          func(f fixture) string { return "/api/mp/v1/bookings/" + f.bookingID + "/cancel" },
	"GET /api/mp/v1/filings/batches/:id":           func(f fixture) string { return "/api/mp/v1/filings/batches/" + f.batchID },
	"GET /instruments/import/jobs/:id":             func(f fixture) string { return "/instruments/import/jobs/" + f.jobID },
	"GET /instruments/import/jobs/:id/status":      func(f fixture) string { return "/instruments/import/jobs/" + f.jobID + "/status" },
	"GET /instruments/import/jobs/:id/report.xlsx": func(f fixture) string { return "/instruments/import/jobs/" + f.jobID + "/report.xlsx" },
	// A QR image is public by design: its ticket is unguessable and short-lived.
	"GET /wechat/qr/:ticket": nil,
	// Addressed by the session, never by another applicant's id.
	"GET /instruments/import/:kind":         nil,
	"POST /instruments/import/:kind":        nil,
	"GET /instruments/templates/:kind.xlsx": nil,
	"GET /registration/files/:which":        nil,
}

func routesWithParams(a *app.App) []string {
	var out []string
	for _, r := range a.HTTP.GetRoutes(true) {
		if r.Method == "HEAD" || !strings.Contains(r.Path, ":") {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	sort.Strings(out)
	return out
}

func TestDataScopeMatrix_CoversEveryRoute(t *testing.T) {
	e := apptest.New(t)
	for _, r := range routesWithParams(e.App) {
		if _, ok := scoped[r]; !ok {
			t.Errorf("route %s addresses a record but is not in the data-scope matrix", r)
		}
	}
}

func TestDataScopeMatrix_ForeignPrincipalGetsNotFound(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	victim, err := e.App.Store.Accounts().GetUserByLogin(ctx, app.DemoApplicant)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := e.App.Store.Accounts().GetUserByLogin(ctx, app.DemoSubUserPhone)
	staff, _ := e.App.Store.Accounts().GetUserByLogin(ctx, app.DemoStaff)
	owner := e.MPLogin(app.DemoApplicant, app.DemoPassword)
	var created struct{ Instrument struct{ ID string } }
	e.API("POST", "/api/mp/v1/instruments", owner, map[string]any{"name": "电子秤", "model": "A", "factoryNo": "1", "usage": 3,
		"method": 1, "region": "440106", "category": "061001"}).JSON(t, &created)
	ownerP, _, _, _ := e.App.Accounts.Resolve(ctx, victim.ID)
	withFile, err := e.App.Instruments.AddFiles(ctx, ownerP, created.Instrument.ID, instrument.GroupAttachments, []core.Upload{apptest.PDF})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{applicantID: victim.ApplicantID, subUserID: sub.ID, staffID: staff.ID, instrumentID: created.Instrument.ID,
		fileID: withFile.Attachments[0].ID}
	f.batchID, f.bookingID = victimBooking(t, e, owner, ownerP)
	f.jobID = victimImport(t, e)

	// Foreign principals: an approved applicant of the same city, its
	// sub-user, and staff of another city's institution.
	e.RegisterApplicant("foreign-co", "440106", 500, true)
	foreignMain := account.Principal(mustUser(t, e, "foreign-co"), &account.Applicant{Status: account.StatusApproved})
	if _, err := e.App.Accounts.CreateSubUser(ctx, foreignMain, account.SubUserInput{Name: "外部子用户", Phone: "13700137000", Password: "Passw0rd!", Password2: "Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	e.StaffOf("440306") // creates staff-440300
	principals := []struct {
		login, password string
		applicant       bool // may use the mini program API
	}{
		{"foreign-co", "Passw0rd!", true},
		{"13700137000", "Passw0rd!", true},
		{"staff-440300", "Passw0rd!", false},
	}
	for _, pr := range principals {
		b := e.Browser()
		b.Login(pr.login, pr.password)
		token := ""
		if pr.applicant {
			token = e.MPLogin(pr.login, pr.password)
		}
		for route, build := range scoped {
			if build == nil {
				continue
			}
			method, pattern, _ := strings.Cut(route, " ")
			path := build(f)
			var r *apptest.Resp
			switch {
			case strings.HasPrefix(pattern, "/api/mp/"):
				if !pr.applicant {
					continue // the mini program API refuses every non-applicant before any lookup
				}
				r = e.API(method, path, token, map[string]any{"version": 1, "remarks": "x", "factoryNo": "9"})
			case method == "GET":
				r = b.Get(path)
			default:
				r = b.Post(path, url.Values{"version": {"2"}, "reason": {"x"}, "password": {"Abcd1234"}, "password2": {"Abcd1234"}})
			}
			if r.Status != 404 {
				t.Errorf("%s as %s: status %d, want 404", route, pr.login, r.Status)
			}
		}
	}
	// Nothing changed for the victim.
	a, _ := e.App.Store.Accounts().GetApplicant(ctx, f.applicantID)
	s, _ := e.App.Store.Accounts().GetUser(ctx, f.subUserID)
	st, _ := e.App.Store.Accounts().GetUser(ctx, f.staffID)
	in, _ := e.App.Store.Instruments().Get(ctx, f.instrumentID)
	bk, _ := e.App.Store.Bookings().Get(ctx, f.bookingID)
	if a.Status != account.StatusApproved || s.Disabled || st.Disabled || in.Remarks != "" || in.Version != 2 || len(in.Attachments) != 1 ||
		bk.Status != booking.Pending {
		t.Fatalf("a foreign request changed data: %v %v %v %+v", a.Status, s.Disabled, st.Disabled, in)
	}
	var list struct{ Total int }
	e.API("GET", "/api/mp/v1/instruments", e.MPLogin("foreign-co", "Passw0rd!"), nil).JSON(t, &list)
	if list.Total != 0 {
		t.Fatalf("a foreign applicant lists %d instruments of others", list.Total)
	}
}

func mustUser(t *testing.T, e *apptest.Env, login string) *account.User {
	u, err := e.App.Store.Accounts().GetUserByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// victimBooking files, approves and books a V-category instrument of the
// victim; it returns the filing batch and the booking.
func victimBooking(t *testing.T, e *apptest.Env, token string, owner core.Principal) (string, string) {
	ctx := context.Background()
	var d struct{ Instrument struct{ ID string } }
	e.API("POST", "/api/mp/v1/instruments", token, map[string]any{"name": "轨道衡", "model": "GCS-100", "factoryNo": "T-1", "usage": 3,
		"method": 1, "region": "440106", "category": "012001"}).JSON(t, &d)
	var b struct{ BatchID string }
	e.API("POST", "/api/mp/v1/filings", token, map[string]any{"ids": []string{d.Instrument.ID}, "institutionId": "inst-440100", "statement": true}).JSON(t, &b)
	if _, err := e.App.Filing.Start(ctx, e.StaffOf("440106"), filing.Approve, []string{d.Instrument.ID}, filing.Params{}); err != nil {
		t.Fatal(err)
	}
	days, _ := e.App.Bookings.Days(ctx, "inst-440100", "", 14)
	var day core.Date
	for _, dd := range days {
		if dd.Open && day == "" {
			day = dd.Date
		}
	}
	bk, err := e.App.Bookings.Create(ctx, owner, booking.CreateRequest{IDs: []string{d.Instrument.ID}, Date: day, SlotID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	return b.BatchID, bk.ID
}

// victimImport uploads a file with a bad row as the victim: its job has an
// error report.
func victimImport(t *testing.T, e *apptest.Env) string {
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	_ = f.SetSheetRow(sheet, "A1", &[]string{"器具名称", "型号规格", "出厂编号", "器具用途", "检定方式", "所属地", "种别"})
	_ = f.SetSheetRow(sheet, "A2", &[]string{"电子秤", "A", "X-1", "9", "1", "440106", "061001"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	r := b.PostMultipart("/instruments/import", nil, map[string]core.Upload{"file": {Name: "a.xlsx", Data: buf.Bytes()}})
	if r.Status != 302 || !strings.HasPrefix(r.Location, "/instruments/import/jobs/") {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	return strings.TrimPrefix(r.Location, "/instruments/import/jobs/")
}
