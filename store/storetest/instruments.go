package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

func newInstrument(applicant, name, factoryNo string, at time.Time) *instrument.Instrument {
	id := core.NewID()
	in := &instrument.Instrument{
		ID: id, ApplicantID: applicant,
		Fields: instrument.Fields{Name: name, Model: "TCS-150", FactoryNo: factoryNo, Usage: 3, Method: 1,
			RegionCode: "440106", CategoryCode: "061001", Origin: 1, State: 1, Type: 1},
		ItemCode: "061", Life: instrument.Active, Filing: instrument.Filing{Status: instrument.Unfiled},
		CodeKey: "none#" + id, CreatedAt: at, UpdatedAt: at, Version: 1, LastAction: "添加仪器",
	}
	in.IdentityKey = instrument.IdentityKey(in.Fields)
	return in
}

func mustCreate(t *testing.T, s Store, in *instrument.Instrument) {
	t.Helper()
	h := &instrument.HistoryEntry{ID: core.NewID(), At: in.CreatedAt, UserName: "张三", Action: "添加仪器"}
	if err := s.Instruments().Create(context.Background(), in, instrument.Write{History: h}); err != nil {
		t.Fatalf("create %s: %v", in.Name, err)
	}
}

func testInstrumentRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	in := newInstrument("app-1", "燃油加油机", "F-001", base)
	in.CategoryCode, in.ItemCode = "015001", "015"
	in.Tags = []string{"一号站", "东区"}
	in.PurchaseDate, in.ValidUntil = "2021-03-05", "2027-01-10"
	in.Nozzles = []instrument.Nozzle{{No: "1", Fuel: "92#汽油", FlowRange: "5-50L/min"}, {No: "2", Fuel: "0#柴油"}}
	in.Attachments = []instrument.FileRef{{ID: "f1", Name: "说明书.pdf", Size: 10}}
	mustCreate(t, s, in)
	got, err := s.Instruments().Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "燃油加油机" || got.CategoryCode != "015001" || len(got.Nozzles) != 2 || got.Nozzles[0].Fuel != "92#汽油" ||
		strings.Join(got.Tags, ",") != "一号站,东区" || got.ValidUntil != "2027-01-10" || got.PurchaseDate != "2021-03-05" ||
		got.Filing.Status != instrument.Unfiled || got.Life != instrument.Active || !got.CreatedAt.Equal(base) ||
		len(got.Attachments) != 1 || got.Version != 1 {
		t.Errorf("round trip: %+v", got)
	}
	if g, err := s.Instruments().GetByIdentity(ctx, "app-1", in.IdentityKey); err != nil || g.ID != in.ID {
		t.Errorf("by identity: %v %v", g, err)
	}
	_, err = s.Instruments().GetByIdentity(ctx, "app-2", in.IdentityKey)
	mustCode(t, err, core.NotFound)
	_, err = s.Instruments().Get(ctx, "nope")
	mustCode(t, err, core.NotFound)
}

func testInstrumentIdentity(t *testing.T, s Store) {
	ctx := context.Background()
	mustCreate(t, s, newInstrument("app-1", "电子秤", "S-1", base))
	dup := newInstrument("app-1", "电子秤", "S-1", base)
	err := s.Instruments().Create(ctx, dup, instrument.Write{})
	mustCode(t, err, core.Conflict)
	if _, err := s.Instruments().Get(ctx, dup.ID); !core.IsCode(err, core.NotFound) {
		t.Errorf("refused instrument stored: %v", err)
	}
	mustCreate(t, s, newInstrument("app-2", "电子秤", "S-1", base)) // another applicant may
	other := newInstrument("app-1", "电子秤", "S-2", base)
	mustCreate(t, s, other)
	other.FactoryNo = "S-1"
	other.IdentityKey = instrument.IdentityKey(other.Fields)
	mustCode(t, s.Instruments().Update(ctx, other, instrument.Write{}), core.Conflict)

	a := newInstrument("app-1", "电子秤", "S-3", base)
	a.Code, a.CodeKey = "GD4401000001", "GD4401000001"
	mustCreate(t, s, a)
	b := newInstrument("app-2", "电子秤", "S-3", base)
	mustCreate(t, s, b)
	b.Code, b.CodeKey = "GD4401000001", "GD4401000001"
	mustCode(t, s.Instruments().Update(ctx, b, instrument.Write{}), core.Conflict)
}

func testInstrumentUpdate(t *testing.T, s Store) {
	ctx := context.Background()
	in := newInstrument("app-1", "血压计", "B-1", base)
	mustCreate(t, s, in)
	stale := *in
	in.Remarks = "已更换袖带"
	in.UpdatedAt = base.Add(time.Minute)
	h := &instrument.HistoryEntry{ID: core.NewID(), At: base.Add(time.Minute), UserName: "李四", Action: "编辑仪器",
		Changes: []instrument.Change{{Field: "remarks", Label: "备注", From: "", To: "已更换袖带"}}}
	ev := core.Event{ID: core.NewID(), Type: "instrument.updated", ApplicantID: "app-1", InstrumentID: in.ID, At: base}
	if err := s.Instruments().Update(ctx, in, instrument.Write{History: h, Events: []core.Event{ev}}); err != nil {
		t.Fatal(err)
	}
	if in.Version != 2 {
		t.Errorf("version = %d", in.Version)
	}
	stale.Remarks = "x"
	mustCode(t, s.Instruments().Update(ctx, &stale, instrument.Write{History: h}), core.Conflict)
	got, _ := s.Instruments().Get(ctx, in.ID)
	if got.Remarks != "已更换袖带" || got.Version != 2 {
		t.Errorf("after update: %+v", got)
	}
	hist, err := s.Instruments().History(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Action != "编辑仪器" || hist[1].Action != "添加仪器" || len(hist[0].Changes) != 1 || hist[0].Changes[0].To != "已更换袖带" {
		t.Errorf("history (newest first): %+v", hist)
	}
	// Entries with the same time keep their order.
	for i := 0; i < 3; i++ {
		in.Remarks = fmt.Sprint(i)
		if err := s.Instruments().Update(ctx, in, instrument.Write{History: &instrument.HistoryEntry{ID: core.NewID(), At: base.Add(time.Hour), Action: fmt.Sprint("step", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	hist, _ = s.Instruments().History(ctx, in.ID)
	if hist[0].Action != "step2" || hist[1].Action != "step1" || hist[2].Action != "step0" {
		t.Errorf("same-time order: %v %v %v", hist[0].Action, hist[1].Action, hist[2].Action)
	}
}

func testInstrumentDelete(t *testing.T, s Store) {
	ctx := context.Background()
	in := newInstrument("app-1", "电子秤", "D-1", base)
	mustCreate(t, s, in)
	stale := *in
	stale.Version = 9
	mustCode(t, s.Instruments().Delete(ctx, &stale), core.Conflict)
	if err := s.Instruments().Delete(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err := s.Instruments().Get(ctx, in.ID)
	mustCode(t, err, core.NotFound)
	mustCreate(t, s, newInstrument("app-1", "电子秤", "D-1", base)) // its identity is free again
}

func names(list []*instrument.Instrument) string {
	var out []string
	for _, in := range list {
		out = append(out, in.Name)
	}
	return strings.Join(out, ",")
}

func testInstrumentFilters(t *testing.T, s Store) {
	ctx := context.Background()
	mk := func(name, factory, cat string, usage, method int, region string, tags []string, min int, remarks string) {
		in := newInstrument("app-1", name, factory, base.Add(time.Duration(min)*time.Minute))
		in.CategoryCode, in.ItemCode, in.Usage, in.Method, in.RegionCode, in.Tags, in.Remarks = cat, cat[:3], usage, method, region, tags, remarks
		in.IdentityKey = instrument.IdentityKey(in.Fields)
		mustCreate(t, s, in)
	}
	mk("A电子秤", "SC-100", "061001", 3, 1, "440106", []string{"一号库"}, 1, "")
	mk("B电子秤", "SC-200", "061001", 3, 2, "440111", []string{"二号库", "一号库"}, 2, "")
	mk("C血压计", "BP_01", "065001", 2, 1, "440106", nil, 3, "门诊部 100% 使用")
	mk("D加油机", "FD-01", "015001", 3, 2, "440113", []string{"东站"}, 4, "")
	mk("E其他人的", "SC-100", "061001", 3, 1, "440106", nil, 5, "")
	other := newInstrument("app-2", "Z外单位", "SC-999", base)
	mustCreate(t, s, other)
	mine := func(q instrument.Query) instrument.Query { q.ApplicantID = "app-1"; return q }
	tests := []struct {
		name  string
		q     instrument.Query
		want  string
		total int
	}{
		{"all of the applicant, newest first", mine(instrument.Query{Sort: "updatedAt", Desc: true}), "E其他人的,D加油机,C血压计,B电子秤,A电子秤", 5},
		{"name contains", mine(instrument.Query{Name: "电子秤", Sort: "name"}), "A电子秤,B电子秤", 2},
		{"factory number contains, case-insensitive", mine(instrument.Query{FactoryNo: "sc-", Sort: "name"}), "A电子秤,B电子秤,E其他人的", 3},
		{"factory number literal underscore", mine(instrument.Query{FactoryNo: "P_0", Sort: "name"}), "C血压计", 1},
		{"category", mine(instrument.Query{Category: "065001"}), "C血压计", 1},
		{"item", mine(instrument.Query{ItemCode: "061", Sort: "name"}), "A电子秤,B电子秤,E其他人的", 3},
		{"region", mine(instrument.Query{Region: "440106", Sort: "name"}), "A电子秤,C血压计,E其他人的", 3},
		{"usage", mine(instrument.Query{Usage: 2}), "C血压计", 1},
		{"method", mine(instrument.Query{Method: 2, Sort: "name"}), "B电子秤,D加油机", 2},
		{"tag", mine(instrument.Query{Tag: "一号库", Sort: "name"}), "A电子秤,B电子秤", 2},
		{"tag is whole", mine(instrument.Query{Tag: "一号"}), "", 0},
		{"free text in remarks", mine(instrument.Query{Text: "100%"}), "C血压计", 1},
		{"free text case-insensitive", mine(instrument.Query{Text: "fd-01"}), "D加油机", 1},
		{"paging sorted by name desc", mine(instrument.Query{Sort: "name", Desc: true, Limit: 2, Offset: 1}), "D加油机,C血压计", 5},
		{"sorted by factory number", mine(instrument.Query{Sort: "factoryNo", Limit: 2}), "C血压计,D加油机", 5},
		{"life", mine(instrument.Query{Lives: []instrument.Life{instrument.Stopped}}), "", 0},
		{"filing", mine(instrument.Query{Filings: []instrument.FilingStatus{instrument.Unfiled}, Sort: "name", Limit: 1}), "A电子秤", 5},
		{"other applicant", instrument.Query{ApplicantID: "app-2"}, "Z外单位", 1},
	}
	for _, tt := range tests {
		list, total, err := s.Instruments().List(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if names(list) != tt.want || total != tt.total {
			t.Errorf("%s: got %q (%d), want %q (%d)", tt.name, names(list), total, tt.want, tt.total)
		}
		n, err := s.Instruments().Count(ctx, tt.q)
		if err != nil || n != tt.total {
			t.Errorf("%s: count %d %v", tt.name, n, err)
		}
	}
	ids, err := s.Instruments().IDs(ctx, mine(instrument.Query{Tag: "一号库"}))
	if err != nil || len(ids) != 2 {
		t.Errorf("ids: %v %v", ids, err)
	}
	list, _, _ := s.Instruments().List(ctx, mine(instrument.Query{Name: "电子秤"}))
	q := mine(instrument.Query{IDs: []string{list[0].ID, other.ID}})
	if n, _ := s.Instruments().Count(ctx, q); n != 1 {
		t.Errorf("ids filter keeps the applicant scope: %d", n)
	}
}

// testInstrumentViews checks the list views of manual 三.1 at every boundary.
func testInstrumentViews(t *testing.T, s Store) {
	ctx := context.Background()
	today := core.Date("2026-11-25")
	type row struct {
		name        string
		life        instrument.Life
		filing      instrument.FilingStatus
		approvedAgo int // days; -1 = never approved
		validIn     *int
		verified    bool
		result      instrument.Result
		want        instrument.View // the date/result view it belongs to, "" for none
	}
	days := func(n int) *int { return &n }
	rows := []row{
		{"approved today", instrument.Active, instrument.Approved, 0, nil, false, "", instrument.ViewDue},
		{"approved 10 days ago", instrument.Active, instrument.Approved, 10, nil, false, "", instrument.ViewDue},
		{"approved 11 days ago", instrument.Active, instrument.Approved, 11, nil, false, "", instrument.ViewOverdue},
		{"approved 30 days ago", instrument.Active, instrument.Approved, 30, nil, false, "", instrument.ViewOverdue},
		{"approved 31 days ago", instrument.Active, instrument.Approved, 31, nil, false, "", instrument.ViewInvalid},
		{"valid until today", instrument.Active, instrument.Approved, 400, days(0), true, instrument.Qualified, instrument.ViewDue},
		{"valid 30 more days", instrument.Active, instrument.Approved, 400, days(30), true, instrument.Qualified, instrument.ViewDue},
		{"valid 31 more days", instrument.Active, instrument.Approved, 400, days(31), true, instrument.Qualified, ""},
		{"expired yesterday", instrument.Active, instrument.Approved, 400, days(-1), true, instrument.Qualified, instrument.ViewOverdue},
		{"expired 30 days ago", instrument.Active, instrument.Approved, 400, days(-30), true, instrument.Qualified, instrument.ViewOverdue},
		{"expired 31 days ago", instrument.Active, instrument.Approved, 400, days(-31), true, instrument.Qualified, instrument.ViewInvalid},
		{"valid-until wins over approval", instrument.Active, instrument.Approved, 2, days(-40), false, "", instrument.ViewInvalid},
		{"verified without valid-until", instrument.Active, instrument.Approved, 5, nil, true, instrument.Unqualified, instrument.ViewUnqualified},
		{"not approved", instrument.Active, instrument.Submitted, -1, days(5), false, "", ""},
		{"stopped", instrument.Stopped, instrument.Approved, 5, nil, false, "", ""},
		{"scrapped", instrument.Scrapped, instrument.Approved, 5, nil, false, "", instrument.ViewScrapped},
	}
	for i, r := range rows {
		in := newInstrument("app-v", r.name, fmt.Sprint("V-", i), base)
		in.Life, in.Filing.Status, in.Verified = r.life, r.filing, r.verified
		if r.approvedAgo >= 0 {
			in.Filing.ApprovedDay = today.AddDays(-r.approvedAgo)
		}
		if r.validIn != nil {
			in.ValidUntil = today.AddDays(*r.validIn)
		}
		in.Last.Result = r.result
		mustCreate(t, s, in)
	}
	for _, v := range []instrument.View{instrument.ViewDue, instrument.ViewOverdue, instrument.ViewInvalid, instrument.ViewUnqualified, instrument.ViewScrapped, instrument.ViewAll} {
		q := instrument.Query{ApplicantID: "app-v", Limit: 100, Sort: "name"}
		if err := instrument.ApplyView(&q, v, today); err != nil {
			t.Fatal(err)
		}
		list, total, err := s.Instruments().List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []string
		for _, in := range list {
			got = append(got, in.Name)
		}
		for _, r := range rows {
			if r.want == v || (v == instrument.ViewAll && r.life != instrument.Scrapped) {
				want = append(want, r.name)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "|") != strings.Join(want, "|") || total != len(want) {
			t.Errorf("view %s:\n got  %v\n want %v", v, got, want)
		}
	}
}

func testInstrumentScope(t *testing.T, s Store) {
	ctx := context.Background()
	a := newInstrument("app-1", "甲", "S-1", base)
	a.Filing = instrument.Filing{Status: instrument.Approved, InstitutionID: "inst-440100"}
	b := newInstrument("app-2", "乙", "S-1", base.Add(time.Minute))
	b.Filing = instrument.Filing{Status: instrument.Confirming, InstitutionID: "inst-440100", TargetID: "inst-440111"}
	c := newInstrument("app-1", "丙", "S-2", base.Add(2*time.Minute))
	c.BookingID = "bk-1"
	for _, in := range []*instrument.Instrument{a, b, c} {
		mustCreate(t, s, in)
	}
	got := func(q instrument.Query) string {
		q.Sort = "name"
		list, _, err := s.Instruments().List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return names(list)
	}
	if g := got(instrument.Query{InstitutionID: "inst-440100"}); g != "乙,甲" {
		t.Errorf("city institution: %s", g)
	}
	if g := got(instrument.Query{InstitutionID: "inst-440111"}); g != "乙" {
		t.Errorf("target institution: %s", g)
	}
	yes, no := true, false
	if g := got(instrument.Query{ApplicantID: "app-1", Booked: &yes}); g != "丙" {
		t.Errorf("booked: %s", g)
	}
	if g := got(instrument.Query{ApplicantID: "app-1", Booked: &no}); g != "甲" {
		t.Errorf("not booked: %s", g)
	}
	q := instrument.Query{InstitutionID: "inst-440100", ByDate: &struct{ ValidUntil, Approved instrument.DateRange }{}}
	if _, err := s.Instruments().Count(ctx, q); err != nil {
		t.Errorf("institution scope with a date view: %v", err)
	}
	act, err := s.Instruments().Activity(ctx, "app-1", 10)
	if err != nil || names(act) != "丙,甲" {
		t.Errorf("activity: %s %v", names(act), err)
	}
}
