package app_test

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core/account"
)

// fixture is the data of the victim, applicant A, that the matrix addresses.
type fixture struct {
	applicantID string // A (approved, Guangzhou)
	subUserID   string // a sub-user of A
	staffID     string // a Guangzhou staff user
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
	// Addressed by the session, never by another applicant's id.
	"GET /registration/files/:which": nil,
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
	f := fixture{applicantID: victim.ApplicantID, subUserID: sub.ID, staffID: staff.ID}

	// Foreign principals: an approved applicant of the same city, its
	// sub-user, and staff of another city's institution.
	e.RegisterApplicant("foreign-co", "440106", 500, true)
	foreignMain := account.Principal(mustUser(t, e, "foreign-co"), &account.Applicant{Status: account.StatusApproved})
	if _, err := e.App.Accounts.CreateSubUser(ctx, foreignMain, account.SubUserInput{Name: "外部子用户", Phone: "13700137000", Password: "Passw0rd!", Password2: "Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	e.StaffOf("440306") // creates staff-440300
	principals := []struct{ login, password string }{
		{"foreign-co", "Passw0rd!"},
		{"13700137000", "Passw0rd!"},
		{"staff-440300", "Passw0rd!"},
	}
	for _, pr := range principals {
		b := e.Browser()
		b.Login(pr.login, pr.password)
		for route, build := range scoped {
			if build == nil {
				continue
			}
			method, _, _ := strings.Cut(route, " ")
			path := build(f)
			var r *apptest.Resp
			if method == "GET" {
				r = b.Get(path)
			} else {
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
	if a.Status != account.StatusApproved || s.Disabled || st.Disabled {
		t.Fatalf("a foreign request changed data: %v %v %v", a.Status, s.Disabled, st.Disabled)
	}
}

func mustUser(t *testing.T, e *apptest.Env, login string) *account.User {
	u, err := e.App.Store.Accounts().GetUserByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
