package app_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/notify"
)

// skipVolumeOnFerretDB skips tests that push hundreds of writes through the
// API: FerretDB takes minutes for them. The store behaviour they rely on
// (leases, capacity under concurrency) is in the contract suite, which runs
// on FerretDB too.
func skipVolumeOnFerretDB(t *testing.T) {
	if os.Getenv("QJ_TEST_STORE") == "mongo" && os.Getenv("QJ_TEST_MONGO_URI") == "" {
		t.Skip("volume test skipped on FerretDB (see the contract suite)")
	}
}

type flow struct {
	t     *testing.T
	e     *apptest.Env
	tok   string
	owner core.Principal
	gz    core.Principal // demo-gz, Guangzhou city institution
	ctx   context.Context
}

func newFlow(t *testing.T) *flow { return newFlowOn(t, apptest.New(t)) }

func newFlowOn(t *testing.T, e *apptest.Env) *flow {
	f := &flow{t: t, e: e, tok: e.MPLogin(app.DemoApplicant, app.DemoPassword), ctx: context.Background()}
	f.owner = f.principal(app.DemoApplicant)
	f.gz = f.principal(app.DemoStaff)
	return f
}

func (f *flow) principal(login string) core.Principal { return principalOf(f.t, f.e, login) }

func principalOf(t testing.TB, e *apptest.Env, login string) core.Principal {
	u, err := e.App.Store.Accounts().GetUserByLogin(context.Background(), account.NormalizeLogin(login))
	if err != nil {
		t.Fatal(err)
	}
	p, _, _, err := e.App.Accounts.Resolve(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// instrument creates an instrument over the API; P+V categories get a
// type-evaluation certificate unless noCert.
func (f *flow) instrument(factory, category string, noCert bool) string {
	return f.instrumentIn(factory, category, "440106", noCert)
}

func (f *flow) instrumentIn(factory, category, region string, noCert bool) string {
	var d struct{ Instrument struct{ ID string } }
	r := f.e.API("POST", "/api/mp/v1/instruments", f.tok, map[string]any{"name": "仪器" + factory, "model": "M", "factoryNo": factory,
		"usage": 3, "method": 1, "region": region, "category": category})
	if r.Status != 201 {
		f.t.Fatalf("create %s: %d %s", factory, r.Status, r.Body)
	}
	r.JSON(f.t, &d)
	cat, _ := f.e.App.Ref.Category(category)
	if cat.NeedsTypeCertificate() && !noCert {
		if _, err := f.e.App.Instruments.AddFiles(f.ctx, f.owner, d.Instrument.ID, instrument.GroupTypeCerts, []core.Upload{apptest.PDF}); err != nil {
			f.t.Fatal(err)
		}
	}
	return d.Instrument.ID
}

func (f *flow) get(id string) *instrument.Instrument {
	in, err := f.e.App.Store.Instruments().Get(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return in
}

func (f *flow) act(p core.Principal, a filing.Action, params filing.Params, ids ...string) *filing.Batch {
	f.t.Helper()
	b, err := f.e.App.Filing.Start(f.ctx, p, a, ids, params)
	if err != nil {
		f.t.Fatalf("%s: %v", a, err)
	}
	return b
}

type batchOut struct {
	BatchID, Status string
	Total, Done     int
	Failed          []struct{ ID, Label, Message string }
}

func (f *flow) submit(ids ...string) batchOut {
	var out batchOut
	r := f.e.API("POST", "/api/mp/v1/filings", f.tok, map[string]any{"ids": ids, "institutionId": "inst-440100", "statement": true})
	if r.Status != 200 {
		f.t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	r.JSON(f.t, &out)
	return out
}

// approved makes n instruments filed and approved by the Guangzhou institution.
func (f *flow) approved(prefix string, n int) []string {
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, f.instrument(fmt.Sprint(prefix, i), "012001", false))
	}
	if out := f.submit(ids...); out.Done != n {
		f.t.Fatalf("submit: %+v", out)
	}
	if b := f.act(f.gz, filing.Approve, filing.Params{}, ids...); b.Done != n {
		f.t.Fatalf("approve: %+v", b.Failed)
	}
	return ids
}

var codePattern = regexp.MustCompile(`^4401-\d{3}-26-\d{6}$`)

func TestFilingJourney(t *testing.T) {
	f := newFlow(t)
	a := f.instrument("A", "061001", false)
	b := f.instrument("B", "061001", true)              // P+V without its certificate
	c := f.instrumentIn("C", "061001", "440111", false) // 白云区: the district institution covers it

	var opts struct {
		Count        int
		Institutions []struct {
			ID           string
			CanVerifyAll bool
		}
		NeedTypeCert []struct{ ID string }
	}
	f.e.API("POST", "/api/mp/v1/filings/options", f.tok, map[string]any{"ids": []string{a, b, c}}).JSON(t, &opts)
	if opts.Count != 3 || len(opts.Institutions) != 1 || opts.Institutions[0].ID != "inst-440100" || !opts.Institutions[0].CanVerifyAll ||
		len(opts.NeedTypeCert) != 1 || opts.NeedTypeCert[0].ID != b {
		t.Fatalf("options: %+v", opts)
	}
	r := f.e.API("POST", "/api/mp/v1/filings", f.tok, map[string]any{"ids": []string{a}, "institutionId": "inst-440100"})
	if r.Status != 422 || !strings.Contains(r.Body, "请阅读并确认责任声明") {
		t.Fatalf("submit without the statement: %d %s", r.Status, r.Body)
	}
	out := f.submit(a, b, c)
	if out.Status != "done" || out.Total != 3 || out.Done != 2 || len(out.Failed) != 1 || out.Failed[0].ID != b ||
		out.Failed[0].Message != "该种别监管方式为 P+V，提交备案前须上传型式评价证书" {
		t.Fatalf("submit: %+v", out)
	}
	if st := f.get(a).Filing; st.Status != instrument.Submitted || st.InstitutionID != "inst-440100" {
		t.Fatalf("submitted: %+v", st)
	}
	// Withdraw while 已提交, then submit again.
	var w batchOut
	f.e.API("POST", "/api/mp/v1/filings/withdraw", f.tok, map[string]any{"ids": []string{c}}).JSON(t, &w)
	if w.Done != 1 || f.get(c).Filing.Status != instrument.Unfiled || f.get(c).Filing.InstitutionID != "" {
		t.Fatalf("withdraw: %+v", w)
	}
	f.submit(c)

	// The institution approves A: an instrument code is assigned.
	f.act(f.gz, filing.Approve, filing.Params{}, a)
	ia := f.get(a)
	if ia.Filing.Status != instrument.Approved || !codePattern.MatchString(ia.Code) || ia.Filing.ApprovedDay != core.Today(f.e.Clock) {
		t.Fatalf("approved: %+v code %q", ia.Filing, ia.Code)
	}
	// The same approval again is one transition, not two.
	again := f.act(f.gz, filing.Approve, filing.Params{}, a)
	if again.Done != 0 || again.Failed[0].Message != "仪器当前备案状态为“已审核”，不能审核通过" || f.get(a).Code != ia.Code {
		t.Fatalf("approve twice: %+v", again.Failed)
	}
	// C is returned as incomplete, corrected and resubmitted, dispatched to
	// the Baiyun district institution, declined there, approved by the city.
	if _, err := f.e.App.Filing.Start(f.ctx, f.gz, filing.Return, []string{c}, filing.Params{}); !core.IsCode(err, core.Invalid) {
		t.Fatalf("return without a reason kind: %v", err)
	}
	f.act(f.gz, filing.Return, filing.Params{ReturnKind: "资料不完整", Reason: "请补充型号规格"}, c)
	if st := f.get(c).Filing; st.Status != instrument.Returned || st.ReturnReason != "请补充型号规格" {
		t.Fatalf("returned: %+v", st)
	}
	f.submit(c)
	f.act(f.gz, filing.Dispatch, filing.Params{TargetID: "inst-440111"}, c)
	if st := f.get(c).Filing; st.Status != instrument.Confirming || st.TargetID != "inst-440111" {
		t.Fatalf("dispatched: %+v", st)
	}
	district := f.districtStaff()
	f.act(district, filing.Decline, filing.Params{Reason: "本所不具备该项目检定能力"}, c)
	if st := f.get(c).Filing; st.Status != instrument.Pending || st.TargetID != "" {
		t.Fatalf("declined: %+v", st)
	}
	// Transfer needs the applicant's authorisation.
	tr := f.act(f.gz, filing.Transfer, filing.Params{}, c)
	if tr.Done != 0 || tr.Failed[0].Message != "申请方未授权转送省院" {
		t.Fatalf("transfer without authorisation: %+v", tr.Failed)
	}
	f.act(f.gz, filing.Approve, filing.Params{}, c)
	if f.get(c).Filing.Status != instrument.Approved {
		t.Fatal("city approves a pending filing")
	}
	// Staff of another city see nothing.
	sz := f.e.StaffOf("440306")
	if bsz := f.act(sz, filing.Revoke, filing.Params{Reason: "x"}, a); bsz.Failed[0].Message != "仪器不存在" {
		t.Fatalf("foreign staff: %+v", bsz.Failed)
	}
	// Revoke by the institution with a reason.
	f.act(f.gz, filing.Revoke, filing.Params{Reason: "仪器已迁出本市"}, c)
	if st := f.get(c).Filing; st.Status != instrument.Revoked || st.RevokeReason != "仪器已迁出本市" {
		t.Fatalf("revoked: %+v", st)
	}
	// History and events.
	hist, _ := f.e.App.Store.Instruments().History(f.ctx, c)
	var actions []string
	for i := len(hist) - 1; i >= 0; i-- {
		actions = append(actions, hist[i].Action)
	}
	want := "添加仪器,上传型式评价证书,提交备案,撤销备案,提交备案,退回,提交备案,分派,退回市级机构,审核通过,撤销备案"
	if strings.Join(actions, ",") != want {
		t.Fatalf("history:\n got  %s\n want %s", strings.Join(actions, ","), want)
	}
	if _, err := f.e.App.Relay.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	list, total, _ := f.e.App.Store.Notifications().ListNotifications(f.ctx, notify.Query{ApplicantID: f.owner.ApplicantID, Limit: 100})
	if total != 11 { // A: submitted, approved; C: nine transitions
		var types []string
		for _, n := range list {
			types = append(types, n.Type)
		}
		t.Fatalf("notifications = %d: %v", total, types)
	}
}

func (f *flow) districtStaff() core.Principal {
	u, err := f.e.App.Accounts.CreateUser(f.ctx, account.System, account.UserInput{Role: core.RoleStaff, Login: "baiyun-01",
		Name: "白云区审核员", Password: "Passw0rd!", InstitutionID: "inst-440111"})
	if err != nil {
		f.t.Fatal(err)
	}
	return account.Principal(u, nil)
}

func TestBookingJourneyAndFrontDesk(t *testing.T) {
	f := newFlow(t)
	ids := f.approved("BK", 3)
	var due struct{ Total int }
	f.e.API("GET", "/api/mp/v1/instruments?view=due", f.tok, nil).JSON(t, &due)
	if due.Total != 3 {
		t.Fatalf("due after approval: %d", due.Total)
	}
	// 待处理列表 across pages.
	var pend struct{ Failed []struct{ Message string } }
	f.e.API("POST", "/api/mp/v1/booking/pending", f.tok, map[string]any{"ids": ids}).JSON(t, &pend)
	var pl struct{ Items []struct{ ID string } }
	f.e.API("GET", "/api/mp/v1/booking/pending", f.tok, nil).JSON(t, &pl)
	if len(pend.Failed) != 0 || len(pl.Items) != 3 {
		t.Fatalf("pending list: %+v %+v", pend, pl)
	}
	var slots struct {
		Days []struct {
			Date  string
			Open  bool
			Slots []struct {
				ID                  string
				Capacity, Remaining int
			}
		}
	}
	f.e.API("GET", "/api/mp/v1/booking/slots?institutionId=inst-440100&days=10", f.tok, nil).JSON(t, &slots)
	day := ""
	for _, d := range slots.Days {
		if d.Open {
			day = d.Date
			break
		}
	}
	if day == "" || slots.Days[0].Date != string(core.Today(f.e.Clock).AddDays(1)) {
		t.Fatalf("slots: %+v", slots)
	}
	r := f.e.API("POST", "/api/mp/v1/bookings", f.tok, map[string]any{"ids": ids[:2], "date": day, "slotId": "s1"})
	if r.Status != 201 {
		t.Fatalf("book: %d %s", r.Status, r.Body)
	}
	var created struct {
		Booking struct {
			ID, Number, Status string
			Count              int
		}
	}
	r.JSON(t, &created)
	bk := created.Booking
	if bk.Status != "pending" || bk.Count != 2 || len(bk.Number) != 14 {
		t.Fatalf("booking: %+v", bk)
	}
	// Booked instruments cannot be booked again; the pending list lost them.
	r = f.e.API("POST", "/api/mp/v1/bookings", f.tok, map[string]any{"ids": ids[:1], "date": day, "slotId": "s1"})
	if r.Status != 422 || !strings.Contains(r.Body, "仪器已在预约单中") {
		t.Fatalf("book again: %d %s", r.Status, r.Body)
	}
	f.e.API("GET", "/api/mp/v1/booking/pending", f.tok, nil).JSON(t, &pl)
	if len(pl.Items) != 1 {
		t.Fatalf("pending list after booking: %d", len(pl.Items))
	}
	var me struct{ Counts struct{ Booking int } }
	f.e.API("GET", "/api/mp/v1/me", f.tok, nil).JSON(t, &me)
	if me.Counts.Booking != 2 {
		t.Fatalf("booking count: %d", me.Counts.Booking)
	}
	f.e.App.Bookings.Days(f.ctx, "inst-440100", core.Date(day), 1)

	// The institution confirms; the front desk settles each instrument.
	if _, err := f.e.App.Bookings.Act(f.ctx, f.gz, bk.ID, booking.Confirm, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.App.Bookings.Act(f.ctx, f.owner, bk.ID, booking.Cancel, 0, ""); !core.IsCode(err, core.Conflict) ||
		core.ErrorMessage(err) != "预约单当前状态为“已确认”，不能取消预约" {
		t.Fatalf("cancel after confirmation: %v", err)
	}
	today := string(core.Today(f.e.Clock))
	_, err := f.e.App.Bookings.Settle(f.ctx, f.gz, bk.ID, ids[0], booking.Settlement{Outcome: booking.OutcomeVerified,
		Result: instrument.Qualified, VerifyDate: today})
	if fe := core.FieldErrors(err); len(fe) != 2 {
		t.Fatalf("qualified without certificate and valid-until: %v", err)
	}
	if _, err := f.e.App.Bookings.Settle(f.ctx, f.gz, bk.ID, ids[0], booking.Settlement{Outcome: booking.OutcomeVerified,
		Result: instrument.Qualified, CertificateNo: "GZJL2026-0001", VerifyDate: today, ValidUntil: "2027-11-24"}); err != nil {
		t.Fatal(err)
	}
	done, err := f.e.App.Bookings.Settle(f.ctx, f.gz, bk.ID, ids[1], booking.Settlement{Outcome: booking.OutcomeMismatch, Reason: "出厂编号与备案不符"})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != booking.Completed {
		t.Fatalf("booking after settling everything: %s", done.Status)
	}
	verified, returned := f.get(ids[0]), f.get(ids[1])
	if verified.ValidUntil != "2027-11-24" || verified.TraceStatus() != "合格" || verified.BookingID != "" || !verified.Verified {
		t.Fatalf("verified instrument: %+v", verified)
	}
	if returned.Filing.Status != instrument.Returned || returned.Filing.ReturnReason != "出厂编号与备案不符" || returned.BookingID != "" {
		t.Fatalf("returned instrument: %+v", returned.Filing)
	}
	if _, err := f.e.App.Relay.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	var certs struct {
		Items []struct{ Number, ResultName, InstitutionName string }
		Total int
	}
	f.e.API("GET", "/api/mp/v1/certificates", f.tok, nil).JSON(t, &certs)
	if certs.Total != 1 || certs.Items[0].Number != "GZJL2026-0001" || certs.Items[0].InstitutionName != "广州计量检测技术研究院" {
		t.Fatalf("certificates: %+v", certs)
	}
	var detail struct{ Certificates []struct{ Number string } }
	f.e.API("GET", "/api/mp/v1/instruments/"+ids[0], f.tok, nil).JSON(t, &detail)
	if len(detail.Certificates) != 1 {
		t.Fatalf("instrument certificates: %+v", detail)
	}
	var bl struct {
		Items []struct{ Status string }
		Total int
	}
	f.e.API("GET", "/api/mp/v1/bookings?status=completed", f.tok, nil).JSON(t, &bl)
	if bl.Total != 1 {
		t.Fatalf("completed list: %+v", bl)
	}
	f.e.API("GET", "/api/mp/v1/booking/slots?institutionId=inst-440100&days=10", f.tok, nil).JSON(t, &slots)
	for _, d := range slots.Days {
		if d.Date == day && d.Slots[0].Remaining != d.Slots[0].Capacity-1 {
			t.Fatalf("a completed booking keeps its slot: %+v", d)
		}
	}
}

func TestBooking_RejectAndCancelReleaseEverything(t *testing.T) {
	f := newFlow(t)
	ids := f.approved("RJ", 2)
	day := f.openDay("inst-440100")
	mk := func(id string) *booking.Booking {
		b, err := f.e.App.Bookings.Create(f.ctx, f.owner, booking.CreateRequest{IDs: []string{id}, Date: day, SlotID: "s2"})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b1, b2 := mk(ids[0]), mk(ids[1])
	if _, err := f.e.App.Bookings.Act(f.ctx, f.gz, b1.ID, booking.Reject, 0, ""); !core.IsCode(err, core.Invalid) {
		t.Fatalf("reject without reason: %v", err)
	}
	if _, err := f.e.App.Bookings.Act(f.ctx, f.gz, b1.ID, booking.Reject, 0, "当日检定人员外出"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.App.Bookings.Act(f.ctx, f.owner, b2.ID, booking.Cancel, 0, ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if in := f.get(id); in.BookingID != "" {
			t.Fatalf("instrument still booked after reject/cancel")
		}
	}
	booked, _ := f.e.App.Store.Bookings().Booked(f.ctx, []string{booking.SlotKey("inst-440100", day, "s2")})
	if n := booked[booking.SlotKey("inst-440100", day, "s2")]; n != 0 {
		t.Fatalf("slot still holds %d", n)
	}
	// They can be booked again.
	mk(ids[0])
	var rej struct {
		Items []struct{ Reason string }
	}
	f.e.API("GET", "/api/mp/v1/bookings?status=rejected", f.tok, nil).JSON(t, &rej)
	if len(rej.Items) != 1 || rej.Items[0].Reason != "当日检定人员外出" {
		t.Fatalf("rejected list: %+v", rej)
	}
}

func (f *flow) openDay(inst string) core.Date {
	days, err := f.e.App.Bookings.Days(f.ctx, inst, "", 14)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range days {
		if d.Open {
			return d.Date
		}
	}
	f.t.Fatal("no open day")
	return ""
}

func TestBooking_OneInstitutionAndMethodPerBooking(t *testing.T) {
	f := newFlow(t)
	ids := f.approved("MX", 2)
	in := f.get(ids[1])
	in.Method = instrument.MethodOnSite
	if err := f.e.App.Store.Instruments().Update(f.ctx, in, instrument.Write{}); err != nil {
		t.Fatal(err)
	}
	_, err := f.e.App.Bookings.Create(f.ctx, f.owner, booking.CreateRequest{IDs: ids, Date: f.openDay("inst-440100"), SlotID: "s1"})
	if core.ErrorMessage(err) != "不同机构、不同检定方式的仪器须分开预约" {
		t.Fatalf("mixed methods: %v", err)
	}
	unapproved := f.instrument("UN", "012001", false)
	_, err = f.e.App.Bookings.Create(f.ctx, f.owner, booking.CreateRequest{IDs: []string{unapproved}, Date: f.openDay("inst-440100"), SlotID: "s1"})
	if !strings.Contains(core.ErrorMessage(err), "只有备案已审核的仪器可以预约") {
		t.Fatalf("unapproved: %v", err)
	}
}

// TestConcurrency_HundredBookingsOnASlotOfTen: exactly the capacity wins.
func TestConcurrency_HundredBookingsOnASlotOfTen(t *testing.T) {
	skipVolumeOnFerretDB(t)
	f := newFlow(t)
	cal, _ := f.e.App.Bookings.Calendar(f.ctx, "inst-440100")
	if _, err := f.e.App.Bookings.SaveCalendar(f.ctx, f.gz, booking.CalendarInput{Version: cal.Version, Weekdays: []int{1, 2, 3, 4, 5, 6, 7},
		Slots: []booking.Slot{{ID: "s1", Start: "09:00", End: "11:30", Capacity: 10}}}); err != nil {
		t.Fatal(err)
	}
	ids := f.approved("CC", 100)
	day := f.openDay("inst-440100")
	var ok, full atomic.Int32
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			_, err := f.e.App.Bookings.Create(f.ctx, f.owner, booking.CreateRequest{IDs: []string{id}, Date: day, SlotID: "s1"})
			switch {
			case err == nil:
				ok.Add(1)
			case core.IsCode(err, core.Conflict) && strings.Contains(core.ErrorMessage(err), "已约满"):
				full.Add(1)
			default:
				t.Error(err)
			}
		}(id)
	}
	wg.Wait()
	if ok.Load() != 10 || full.Load() != 90 {
		t.Fatalf("%d bookings succeeded, %d were full; want 10 and 90", ok.Load(), full.Load())
	}
	yes := true
	n, _ := f.e.App.Store.Instruments().Count(f.ctx, instrument.Query{ApplicantID: f.owner.ApplicantID, Booked: &yes})
	if n != 10 {
		t.Fatalf("%d instruments are booked, want 10", n)
	}
}

// TestConcurrency_TwoStaffOnOneFiling: one wins, the other is told why.
func TestConcurrency_TwoStaffOnOneFiling(t *testing.T) {
	f := newFlow(t)
	id := f.instrument("TS", "012001", false)
	f.submit(id)
	second, err := f.e.App.Accounts.CreateUser(f.ctx, account.System, account.UserInput{Role: core.RoleStaff, Login: "gz-02",
		Name: "李审核", Password: "Passw0rd!", InstitutionID: "inst-440100"})
	if err != nil {
		t.Fatal(err)
	}
	other := account.Principal(second, nil)
	var results [2]*filing.Batch
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); results[0] = f.act(f.gz, filing.Approve, filing.Params{}, id) }()
	go func() {
		defer wg.Done()
		results[1] = f.act(other, filing.Return, filing.Params{ReturnKind: "不属于强检目录"}, id)
	}()
	wg.Wait()
	if results[0].Done+results[1].Done != 1 {
		t.Fatalf("both or neither won: %+v %+v", results[0], results[1])
	}
	loser := results[0]
	if loser.Done == 1 {
		loser = results[1]
	}
	msg := loser.Failed[0].Message
	if !strings.HasPrefix(msg, "仪器当前备案状态为“") && msg != "仪器正被其他人处理，请稍后重试" {
		t.Fatalf("loser's message: %q", msg)
	}
	hist, _ := f.e.App.Store.Instruments().History(f.ctx, id)
	if len(hist) != 3 {
		t.Fatalf("history has %d entries, want 3 (add, submit, one review)", len(hist))
	}
}

// TestFilingBatch_ResumedAfterACrash: a batch whose process died half-way
// is finished by a worker, without doing any instrument twice.
func TestFilingBatch_ResumedAfterACrash(t *testing.T) {
	skipVolumeOnFerretDB(t)
	f := newFlow(t)
	var ids []string
	for i := 0; i < 150; i++ {
		ids = append(ids, f.instrument(fmt.Sprint("RS", i), "012001", false))
	}
	f.submit(ids...)
	// A batch as a crashed process left it: recorded, 100 done, lease running.
	now := f.e.Clock.Now()
	b := &filing.Batch{ID: core.NewID(), Action: filing.Approve, Actor: f.gz, IDs: ids, Status: "running", Owner: "dead",
		LeaseTill: now.Add(time.Minute), CreatedAt: now, Version: 1}
	if err := f.e.App.Store.Filing().CreateBatch(f.ctx, b); err != nil {
		t.Fatal(err)
	}
	// Apply the first 100 items the way the dead process did, and one more
	// it applied without saving its progress.
	partial := *b
	partial.IDs = ids[:101]
	f.e.App.Filing.Owner = "dead"
	if err := f.e.App.Filing.Run(f.ctx, &partial); err != nil {
		t.Fatal(err)
	}
	saved, _ := f.e.App.Store.Filing().GetBatch(f.ctx, b.ID)
	saved.IDs, saved.Cursor, saved.Done, saved.Status, saved.Failed = ids, 100, 100, "running", nil
	saved.Version = partial.Version
	if err := f.e.App.Store.Filing().SaveBatch(f.ctx, saved); err != nil {
		t.Fatal(err)
	}
	// Before its lease ends nobody takes it over; after, a worker does.
	f.e.App.Filing.Owner = "worker"
	if n, _ := f.e.App.Filing.ResumeStale(f.ctx); n != 0 {
		t.Fatal("resumed a batch whose lease runs")
	}
	f.e.Clock.Advance(2 * time.Minute)
	if n, err := f.e.App.Filing.ResumeStale(f.ctx); n != 1 || err != nil {
		t.Fatalf("resume: %d %v", n, err)
	}
	final, _ := f.e.App.Store.Filing().GetBatch(f.ctx, b.ID)
	if final.Status != "done" || final.Done != 150 || len(final.Failed) != 0 {
		t.Fatalf("resumed batch: status %s done %d failed %v", final.Status, final.Done, final.Failed)
	}
	codes := map[string]bool{}
	for _, id := range ids {
		in := f.get(id)
		if in.Filing.Status != instrument.Approved || codes[in.Code] {
			t.Fatalf("instrument %s: %s %s", id, in.Filing.Status, in.Code)
		}
		codes[in.Code] = true
		hist, _ := f.e.App.Store.Instruments().History(f.ctx, id)
		if hist[0].Action != "审核通过" || hist[1].Action != "提交备案" {
			t.Fatalf("history of %s: %v, %v", id, hist[0].Action, hist[1].Action)
		}
	}
}

func TestRegulatorRevokesInItsRegionOnly(t *testing.T) {
	f := newFlow(t)
	ids := f.approved("RG", 1)
	sz, err := f.e.App.Accounts.CreateUser(f.ctx, account.System, account.UserInput{Role: core.RoleRegulator, Login: "sz-reg",
		Name: "深圳监管", Password: "Passw0rd!", RegionCode: "440300"})
	if err != nil {
		t.Fatal(err)
	}
	if b := f.act(account.Principal(sz, nil), filing.Revoke, filing.Params{Reason: "x"}, ids...); b.Failed[0].Message != "仪器不存在" {
		t.Fatalf("foreign regulator: %+v", b.Failed)
	}
	if _, err := f.e.App.Filing.Start(f.ctx, f.principal(app.DemoRegulator), filing.Revoke, ids, filing.Params{}); !core.IsCode(err, core.Invalid) {
		t.Fatalf("revoke without a reason: %v", err)
	}
	b := f.act(f.principal(app.DemoRegulator), filing.Revoke, filing.Params{Reason: "现场检查发现未按规定使用"}, ids...)
	if b.Done != 1 || f.get(ids[0]).Filing.Status != instrument.Revoked {
		t.Fatalf("regulator revoke: %+v", b.Failed)
	}
	reg := f.e.Browser()
	reg.Login(app.DemoRegulator, app.DemoPassword)
	if r := reg.Get("/review/filings?status=approved"); r.Status != 200 || !strings.Contains(r.Body, "辖区已备案仪器") {
		t.Fatalf("regulator list: %d", r.Status)
	}
}
