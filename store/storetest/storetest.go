// Package storetest is the contract every store adapter must pass: the same
// behaviour from SQLite and from MongoDB (or FerretDB), proven by one suite.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/notify"
	"github.com/gdqjp/qj/core/wechat"
)

// Store is what the suite exercises.
type Store interface {
	Accounts() account.Repo
	Files() core.FileRepo
	Instruments() instrument.Repo
	Notifications() notify.Repo
	Filing() filing.Repo
	Bookings() booking.Repo
	WeChat() wechat.Repo
	Ping(ctx context.Context) error
}

// Run runs every contract test; open returns a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"CreateApplicant_RoundTrip", testCreateApplicantRoundTrip},
		{"CreateApplicant_DuplicateLoginStoresNothing", testDuplicateLogin},
		{"CreateApplicant_DuplicateCreditCodeStoresNothing", testDuplicateCredit},
		{"UpdateApplicant_VersionPrecondition", testUpdateApplicantVersion},
		{"UpdateApplicant_CreditKeyUniqueAndReleasable", testCreditKeyRelease},
		{"ListApplicants_FiltersOrderAndPaging", testListApplicants},
		{"Users_CreateUniqueUpdateList", testUsers},
		{"Files_RoundTripAndDelete", testFiles},
		{"Instruments_RoundTrip", testInstrumentRoundTrip},
		{"Instruments_IdentityUniquePerApplicant", testInstrumentIdentity},
		{"Instruments_UpdateVersionAndHistory", testInstrumentUpdate},
		{"Instruments_Delete", testInstrumentDelete},
		{"Instruments_FiltersSortPaging", testInstrumentFilters},
		{"Instruments_DateViewsAtTheirBoundaries", testInstrumentViews},
		{"Instruments_InstitutionScopeAndActivity", testInstrumentScope},
		{"Instruments_ConcurrentVersionedUpdatesAreNotLost", testConcurrentUpdates},
		{"Outbox_RelayedExactlyOnceEvenWhenStoppedBetweenSteps", testRelayExactlyOnce},
		{"Batches_VersionAndLeases", testBatches},
		{"Sequences_UniqueUnderConcurrency", testSequences},
		{"Bookings_RoundTripNumberListAndStale", testBookings},
		{"Slots_CapacityNeverExceededUnderConcurrency", testSlotCapacity},
		{"Calendars_Versioned", testCalendars},
		{"PendingLists", testPendingLists},
		{"Certificates_IdempotentAndFiltered", testCertificates},
		{"WeChat_Bindings", testBindings},
		{"WeChat_DeliveriesLeasedToOneClaimer", testDeliveries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("ping: %v", err)
			}
			tt.fn(t, s)
		})
	}
}

var base = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

var seq int

func newApplicant(login, credit, region string, at time.Time) (*account.Applicant, *account.User) {
	seq++
	id := core.NewID()
	a := &account.Applicant{
		ID: id, Name: fmt.Sprintf("测试企业%d有限公司", seq), Address: "广州市天河区测试路1号", CreditCode: credit,
		RegionCode: region, CityCode: region[:4] + "00", ContactName: "张三", ContactPhone: "13800138000",
		LicenceFile: "f1", LetterFile: "f2", Status: account.StatusPending, SubmittedAt: at, CreditKey: credit,
		CreatedAt: at, UpdatedAt: at, Version: 1,
		History: []account.HistoryEntry{{At: at, UserID: id, UserName: "张三", Action: "提交注册申请"}},
	}
	u := &account.User{
		ID: id, Login: login, LoginKey: account.NormalizeLogin(login), Name: "张三", Phone: "13800138000",
		Role: core.RoleApplicant, ApplicantID: id, PasswordHash: "$2a$04$x", CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	return a, u
}

func credit(n int) string { return core.CompleteCreditCode(fmt.Sprintf("914401017%08dX", n)[:17]) }

func mustCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func testCreateApplicantRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	a, u := newApplicant("Company-One", credit(1), "440106", base)
	if err := s.Accounts().CreateApplicant(ctx, a, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.Accounts().GetApplicant(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != a.Name || got.CreditCode != a.CreditCode || got.Status != account.StatusPending ||
		got.CityCode != "440100" || got.Version != 1 || !got.SubmittedAt.Equal(base) || len(got.History) != 1 ||
		got.History[0].Action != "提交注册申请" || !got.History[0].At.Equal(base) {
		t.Errorf("applicant round trip: %+v", got)
	}
	gu, err := s.Accounts().GetUserByLogin(ctx, "company-one")
	if err != nil {
		t.Fatal(err)
	}
	if gu.ID != u.ID || gu.Login != "Company-One" || gu.Role != core.RoleApplicant || gu.ApplicantID != a.ID || gu.PasswordHash != u.PasswordHash {
		t.Errorf("user round trip: %+v", gu)
	}
	if _, err := s.Accounts().GetUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Accounts().GetApplicant(ctx, "nope")
	mustCode(t, err, core.NotFound)
	_, err = s.Accounts().GetUser(ctx, "nope")
	mustCode(t, err, core.NotFound)
	_, err = s.Accounts().GetUserByLogin(ctx, "nope")
	mustCode(t, err, core.NotFound)
}

func testDuplicateLogin(t *testing.T, s Store) {
	ctx := context.Background()
	a, u := newApplicant("dup-login", credit(2), "440106", base)
	if err := s.Accounts().CreateApplicant(ctx, a, u); err != nil {
		t.Fatal(err)
	}
	a2, u2 := newApplicant("DUP-LOGIN", credit(3), "440106", base)
	err := s.Accounts().CreateApplicant(ctx, a2, u2)
	mustCode(t, err, core.Conflict)
	if _, err := s.Accounts().GetApplicant(ctx, a2.ID); !core.IsCode(err, core.NotFound) {
		t.Errorf("a refused registration left an applicant behind: %v", err)
	}
	list, _, err := s.Accounts().ListApplicants(ctx, account.ApplicantQuery{CreditCode: credit(3)})
	if err != nil || len(list) != 0 {
		t.Errorf("a refused registration is listed: %v %v", list, err)
	}
}

func testDuplicateCredit(t *testing.T, s Store) {
	ctx := context.Background()
	a, u := newApplicant("credit-a", credit(4), "440106", base)
	if err := s.Accounts().CreateApplicant(ctx, a, u); err != nil {
		t.Fatal(err)
	}
	a2, u2 := newApplicant("credit-b", credit(4), "440111", base)
	err := s.Accounts().CreateApplicant(ctx, a2, u2)
	mustCode(t, err, core.Conflict)
	if msg := core.ErrorMessage(err); msg != "该统一社会信用代码已注册" {
		t.Errorf("message = %q", msg)
	}
	if _, err := s.Accounts().GetUserByLogin(ctx, "credit-b"); !core.IsCode(err, core.NotFound) {
		t.Errorf("a refused registration left its user behind: %v", err)
	}
}

func testUpdateApplicantVersion(t *testing.T, s Store) {
	ctx := context.Background()
	a, u := newApplicant("upd-ver", credit(5), "440106", base)
	if err := s.Accounts().CreateApplicant(ctx, a, u); err != nil {
		t.Fatal(err)
	}
	first, _ := s.Accounts().GetApplicant(ctx, a.ID)
	second, _ := s.Accounts().GetApplicant(ctx, a.ID)
	first.Status = account.StatusApproved
	first.History = append(first.History, account.HistoryEntry{At: base.Add(time.Hour), Action: "审核通过"})
	if err := s.Accounts().UpdateApplicant(ctx, first); err != nil {
		t.Fatal(err)
	}
	if first.Version != 2 {
		t.Errorf("version after update = %d, want 2", first.Version)
	}
	second.Status = account.StatusRejected
	mustCode(t, s.Accounts().UpdateApplicant(ctx, second), core.Conflict)
	got, _ := s.Accounts().GetApplicant(ctx, a.ID)
	if got.Status != account.StatusApproved || got.Version != 2 || len(got.History) != 2 {
		t.Errorf("after race: %+v", got)
	}
	list, _, _ := s.Accounts().ListApplicants(ctx, account.ApplicantQuery{Statuses: []account.Status{account.StatusApproved}, CreditCode: credit(5)})
	if len(list) != 1 {
		t.Errorf("indexed status not updated: %d", len(list))
	}
}

func testCreditKeyRelease(t *testing.T, s Store) {
	ctx := context.Background()
	a, u := newApplicant("key-a", credit(6), "440106", base)
	b, ub := newApplicant("key-b", credit(7), "440106", base)
	for _, p := range []struct {
		a *account.Applicant
		u *account.User
	}{{a, u}, {b, ub}} {
		if err := s.Accounts().CreateApplicant(ctx, p.a, p.u); err != nil {
			t.Fatal(err)
		}
	}
	b.CreditCode, b.CreditKey = credit(6), credit(6)
	mustCode(t, s.Accounts().UpdateApplicant(ctx, b), core.Conflict)
	a.Status, a.CreditKey = account.StatusCancelled, credit(6)+"#cancelled#"+a.ID
	if err := s.Accounts().UpdateApplicant(ctx, a); err != nil {
		t.Fatal(err)
	}
	b, _ = s.Accounts().GetApplicant(ctx, b.ID)
	b.CreditCode, b.CreditKey = credit(6), credit(6)
	if err := s.Accounts().UpdateApplicant(ctx, b); err != nil {
		t.Fatalf("released credit key not reusable: %v", err)
	}
}

func testListApplicants(t *testing.T, s Store) {
	ctx := context.Background()
	type row struct {
		login, region string
		status        account.Status
		minutes       int
	}
	rows := []row{
		{"list-a", "440106", account.StatusPending, 1},
		{"list-b", "440111", account.StatusPending, 2},
		{"list-c", "440306", account.StatusPending, 3},
		{"list-d", "440106", account.StatusApproved, 4},
		{"list-e", "440106", account.StatusRejected, 5},
	}
	ids := map[string]string{}
	for i, r := range rows {
		a, u := newApplicant(r.login, credit(100+i), r.region, base.Add(time.Duration(r.minutes)*time.Minute))
		a.Status = r.status
		a.ContactName = "联系人" + r.login
		if err := s.Accounts().CreateApplicant(ctx, a, u); err != nil {
			t.Fatal(err)
		}
		ids[r.login] = a.ID
	}
	tests := []struct {
		name  string
		q     account.ApplicantQuery
		want  []string
		total int
	}{
		{"city pending newest first", account.ApplicantQuery{CityCode: "440100", Statuses: []account.Status{account.StatusPending}}, []string{"list-b", "list-a"}, 2},
		{"region all statuses", account.ApplicantQuery{RegionCode: "440106"}, []string{"list-e", "list-d", "list-a"}, 3},
		{"other city", account.ApplicantQuery{CityCode: "440300"}, []string{"list-c"}, 1},
		{"paging", account.ApplicantQuery{CityCode: "440100", Limit: 2, Offset: 1}, []string{"list-d", "list-b"}, 4},
		{"text on contact", account.ApplicantQuery{Text: "联系人LIST-D"}, []string{"list-d"}, 1},
		{"text is literal", account.ApplicantQuery{Text: "list-%"}, nil, 0},
		{"credit code", account.ApplicantQuery{CreditCode: credit(102)}, []string{"list-c"}, 1},
	}
	for _, tt := range tests {
		list, total, err := s.Accounts().ListApplicants(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range list {
			for l, id := range ids {
				if id == a.ID {
					got = append(got, l)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || total != tt.total {
			t.Errorf("%s: got %v total %d, want %v total %d", tt.name, got, total, tt.want, tt.total)
		}
	}
}

func testUsers(t *testing.T, s Store) {
	ctx := context.Background()
	a, main := newApplicant("users-main", credit(8), "440106", base)
	if err := s.Accounts().CreateApplicant(ctx, a, main); err != nil {
		t.Fatal(err)
	}
	mk := func(login string, role core.Role, sub bool, min int) *account.User {
		return &account.User{ID: core.NewID(), Login: login, LoginKey: account.NormalizeLogin(login), Name: login, Role: role,
			SubUser: sub, ApplicantID: map[bool]string{true: a.ID}[sub], InstitutionID: map[core.Role]string{core.RoleStaff: "inst-440100"}[role],
			CreatedAt: base.Add(time.Duration(min) * time.Minute), Version: 1}
	}
	users := []*account.User{
		mk("13900000001", core.RoleApplicant, true, 1),
		mk("13900000002", core.RoleApplicant, true, 2),
		mk("staff-one", core.RoleStaff, false, 3),
		mk("admin-one", core.RoleAdmin, false, 4),
	}
	for _, u := range users {
		if err := s.Accounts().CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	mustCode(t, s.Accounts().CreateUser(ctx, mk("STAFF-ONE", core.RoleStaff, false, 5)), core.Conflict)

	subs, total, err := s.Accounts().ListUsers(ctx, account.UserQuery{ApplicantID: a.ID, SubUsersOnly: true})
	if err != nil || total != 2 || len(subs) != 2 || subs[0].Login != "13900000001" {
		t.Errorf("sub-users: %v %d %v", subs, total, err)
	}
	all, total, _ := s.Accounts().ListUsers(ctx, account.UserQuery{ApplicantID: a.ID})
	if total != 3 || len(all) != 3 {
		t.Errorf("applicant users: %d", total)
	}
	plat, total, _ := s.Accounts().ListUsers(ctx, account.UserQuery{Roles: []core.Role{core.RoleStaff, core.RoleAdmin}, Limit: 1, Offset: 1})
	if total != 2 || len(plat) != 1 || plat[0].Login != "admin-one" {
		t.Errorf("platform users page 2: %v %d", plat, total)
	}
	staff, _, _ := s.Accounts().ListUsers(ctx, account.UserQuery{InstitutionID: "inst-440100"})
	if len(staff) != 1 || staff[0].Login != "staff-one" {
		t.Errorf("institution users: %v", staff)
	}

	u := users[0]
	stale := *u
	u.Disabled = true
	if err := s.Accounts().UpdateUser(ctx, u); err != nil || u.Version != 2 {
		t.Fatalf("update user: %v version %d", err, u.Version)
	}
	stale.Name = "x"
	mustCode(t, s.Accounts().UpdateUser(ctx, &stale), core.Conflict)
	got, _ := s.Accounts().GetUser(ctx, u.ID)
	if !got.Disabled || got.Name != u.Name {
		t.Errorf("after update: %+v", got)
	}
	got.LoginKey = "staff-one"
	mustCode(t, s.Accounts().UpdateUser(ctx, got), core.Conflict)
	got, _ = s.Accounts().GetUser(ctx, u.ID)
	got.LoginKey = "13900000001#cancelled#x"
	if err := s.Accounts().UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accounts().GetUserByLogin(ctx, "13900000001"); !core.IsCode(err, core.NotFound) {
		t.Errorf("old login key still resolves: %v", err)
	}
	// The main account's applicant part is untouched by user updates.
	m, _ := s.Accounts().GetUser(ctx, main.ID)
	m.Name = "李四"
	if err := s.Accounts().UpdateUser(ctx, m); err != nil {
		t.Fatal(err)
	}
	if ga, err := s.Accounts().GetApplicant(ctx, a.ID); err != nil || ga.Name != a.Name {
		t.Errorf("applicant after user update: %v %v", ga, err)
	}
}

func testFiles(t *testing.T, s Store) {
	ctx := context.Background()
	data := make([]byte, 9<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	f := &core.File{ID: core.NewID(), Name: "营业执照.pdf", ContentType: "application/pdf", Size: int64(len(data)),
		ApplicantID: "app1", Purpose: "licence", CreatedAt: base}
	if err := s.Files().PutFile(ctx, f, data); err != nil {
		t.Fatal(err)
	}
	meta, err := s.Files().GetFile(ctx, f.ID)
	if err != nil || meta.Name != f.Name || meta.Size != f.Size || meta.ApplicantID != "app1" || !meta.CreatedAt.Equal(base) {
		t.Fatalf("meta: %+v %v", meta, err)
	}
	_, rc, err := s.Files().OpenFile(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("9 MB file did not round-trip intact (%d bytes, %v)", len(got), err)
	}
	if err := s.Files().DeleteFile(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Files().GetFile(ctx, f.ID)
	mustCode(t, err, core.NotFound)
	_, _, err = s.Files().OpenFile(ctx, f.ID)
	mustCode(t, err, core.NotFound)
	mustCode(t, s.Files().DeleteFile(ctx, f.ID), core.NotFound)
}
