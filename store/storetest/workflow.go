package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/notify"
)

func event(typ, applicant string, at time.Time) core.Event {
	ev := core.NewEvent(typ, at, core.Principal{UserID: "u1", Name: "张三"})
	ev.ApplicantID = applicant
	ev.Data["status"] = "approved"
	return ev
}

func testRelayExactlyOnce(t *testing.T, s Store) {
	ctx := context.Background()
	// Events written with instrument and booking changes.
	in := newInstrument("app-r", "电子秤", "R-1", base)
	ev1 := event("filing.submitted", "app-r", base)
	if err := s.Instruments().Create(ctx, in, instrument.Write{Events: []core.Event{ev1}}); err != nil {
		t.Fatal(err)
	}
	ev2, ev3 := event("filing.approved", "app-r", base.Add(time.Second)), event("filing.revoked", "app-r", base.Add(2*time.Second))
	if err := s.Instruments().Update(ctx, in, instrument.Write{Events: []core.Event{ev2, ev3}}); err != nil {
		t.Fatal(err)
	}
	b := &booking.Booking{ID: core.NewID(), Number: "261125ABCDEFGH", ApplicantID: "app-r", InstitutionID: "inst-440100",
		Status: booking.Pending, Date: "2026-12-01", CreatedAt: base, UpdatedAt: base, Version: 1}
	ev4 := event("booking.created", "app-r", base.Add(3*time.Second))
	if err := s.Bookings().Create(ctx, b, []core.Event{ev4}); err != nil {
		t.Fatal(err)
	}
	relay := &notify.Relay{Repo: s.Notifications(), Clock: core.NewFixedClock(base), Batch: 2}

	// Step one only (record), then "crash" before the ack.
	pending, err := s.Notifications().PendingEvents(ctx, 10)
	if err != nil || len(pending) != 4 {
		t.Fatalf("pending: %d %v", len(pending), err)
	}
	if pending[0].ID != ev1.ID || pending[3].ID != ev4.ID {
		t.Errorf("pending events are not oldest first")
	}
	if err := s.Notifications().Record(ctx, pending[:3], base); err != nil {
		t.Fatal(err)
	}
	// A new event arrives meanwhile.
	ev5 := event("filing.returned", "app-r", base.Add(4*time.Second))
	if err := s.Instruments().Update(ctx, in, instrument.Write{Events: []core.Event{ev5}}); err != nil {
		t.Fatal(err)
	}
	// The relay runs again from scratch.
	n, err := relay.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("relayed %d events, want 5 (the 3 recorded ones again, idempotently)", n)
	}
	if left, _ := s.Notifications().PendingEvents(ctx, 10); len(left) != 0 {
		t.Fatalf("outbox not empty: %v", left)
	}
	list, total, err := s.Notifications().ListNotifications(ctx, notify.Query{ApplicantID: "app-r", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 || len(list) != 5 {
		t.Fatalf("notifications = %d, want exactly 5", total)
	}
	seen := map[string]int{}
	for _, nt := range list {
		seen[nt.ID]++
	}
	for _, ev := range []core.Event{ev1, ev2, ev3, ev4, ev5} {
		if seen[ev.ID] != 1 {
			t.Errorf("event %s recorded %d times", ev.Type, seen[ev.ID])
		}
	}
	if list[0].ID != ev5.ID || list[0].Data["status"] != "approved" || list[0].ActorName != "张三" {
		t.Errorf("newest notification: %+v", list[0])
	}
	// Running again finds nothing; the documents themselves are unharmed.
	if n, _ := relay.RunOnce(ctx); n != 0 {
		t.Errorf("second run relayed %d", n)
	}
	got, err := s.Instruments().Get(ctx, in.ID)
	if err != nil || got.Version != 3 {
		t.Errorf("instrument after relay: %v %v", got, err)
	}
	if err := s.Instruments().Update(ctx, got, instrument.Write{}); err != nil {
		t.Errorf("update after relay: %v", err)
	}
}

func testBatches(t *testing.T, s Store) {
	ctx := context.Background()
	now := base
	b := &filing.Batch{ID: core.NewID(), Action: filing.Approve, IDs: []string{"a", "b", "c"}, Status: "running",
		Owner: "p1", LeaseTill: now.Add(time.Minute), CreatedAt: now, Version: 1, Actor: core.Principal{UserID: "u"}}
	if err := s.Filing().CreateBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	stale := *b
	b.Cursor, b.Done = 2, 2
	if err := s.Filing().SaveBatch(ctx, b); err != nil || b.Version != 2 {
		t.Fatalf("save: %v %d", err, b.Version)
	}
	mustCode(t, s.Filing().SaveBatch(ctx, &stale), core.Conflict)
	got, err := s.Filing().GetBatch(ctx, b.ID)
	if err != nil || got.Cursor != 2 || got.Action != filing.Approve || len(got.IDs) != 3 {
		t.Fatalf("get: %+v %v", got, err)
	}
	// Its lease runs until now+1m: nobody may claim it before.
	_, err = s.Filing().ClaimBatch(ctx, "p2", now.Add(30*time.Second), now.Add(2*time.Minute))
	mustCode(t, err, core.NotFound)
	// After the lease, exactly one of several claimers gets it.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := s.Filing().ClaimBatch(ctx, fmt.Sprint("p", i), now.Add(2*time.Minute), now.Add(3*time.Minute))
			if err == nil && c.ID == b.ID {
				wins.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claimers won the lease, want 1", wins.Load())
	}
	b2, _ := s.Filing().GetBatch(ctx, b.ID)
	b2.Status = "done"
	if err := s.Filing().SaveBatch(ctx, b2); err != nil {
		t.Fatal(err)
	}
	_, err = s.Filing().ClaimBatch(ctx, "p9", now.Add(time.Hour), now.Add(2*time.Hour))
	mustCode(t, err, core.NotFound)
}

func testSequences(t *testing.T, s Store) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.Filing().NextSeq(ctx, "code:4401:061:2026")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, v)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("sequence values %v are not 1..20", got)
		}
	}
	if v, _ := s.Filing().NextSeq(ctx, "other"); v != 1 {
		t.Errorf("a new sequence starts at %d", v)
	}
}

func testBookings(t *testing.T, s Store) {
	ctx := context.Background()
	mk := func(number, applicant, inst string, st booking.Status, min int) *booking.Booking {
		b := &booking.Booking{ID: core.NewID(), Number: number, ApplicantID: applicant, InstitutionID: inst, Method: 1,
			Date: "2026-12-01", SlotID: "s1", SlotStart: "09:00", SlotEnd: "11:30", Status: st,
			Items:     []booking.Item{{InstrumentID: "i1", Name: "电子秤"}},
			CreatedAt: base.Add(time.Duration(min) * time.Minute), UpdatedAt: base.Add(time.Duration(min) * time.Minute), Version: 1}
		if err := s.Bookings().Create(ctx, b, nil); err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := mk("N1", "app-1", "inst-440100", booking.Pending, 1)
	mk("N2", "app-1", "inst-440100", booking.Confirmed, 2)
	mk("N3", "app-2", "inst-440300", booking.Pending, 3)
	c := mk("N4", "app-1", "inst-440100", booking.Creating, 4)
	dup := &booking.Booking{ID: core.NewID(), Number: "N1", Version: 1}
	mustCode(t, s.Bookings().Create(ctx, dup, nil), core.Conflict)

	got, err := s.Bookings().GetByNumber(ctx, "N1")
	if err != nil || got.ID != a.ID || len(got.Items) != 1 || got.SlotStart != "09:00" {
		t.Fatalf("by number: %+v %v", got, err)
	}
	stale := *got
	got.Status, got.Reason = booking.Rejected, "当天不开放"
	if err := s.Bookings().Update(ctx, got, []core.Event{event("booking.rejected", "app-1", base)}); err != nil {
		t.Fatal(err)
	}
	mustCode(t, s.Bookings().Update(ctx, &stale, nil), core.Conflict)
	list, total, err := s.Bookings().List(ctx, booking.Query{ApplicantID: "app-1", Statuses: []booking.Status{booking.Pending, booking.Confirmed, booking.Rejected}})
	if err != nil || total != 2 || list[0].Number != "N2" {
		t.Fatalf("list: %v %d %v", list, total, err)
	}
	if _, total, _ := s.Bookings().List(ctx, booking.Query{InstitutionID: "inst-440300"}); total != 1 {
		t.Errorf("institution list: %d", total)
	}
	st, err := s.Bookings().Stale(ctx, base.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range st {
		ids = append(ids, b.Number)
	}
	sort.Strings(ids)
	if fmt.Sprint(ids) != "[N1 N4]" {
		t.Errorf("stale = %v, want the creating one and the closed unreleased one", ids)
	}
	got.Released = true
	if err := s.Bookings().Update(ctx, got, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Bookings().Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Bookings().Stale(ctx, base.Add(10*time.Minute)); len(st) != 0 {
		t.Errorf("stale after repair: %d", len(st))
	}
	mustCode(t, s.Bookings().Delete(ctx, c.ID), core.NotFound)
}

func testSlotCapacity(t *testing.T, s Store) {
	ctx := context.Background()
	key := booking.SlotKey("inst-440100", "2026-12-01", "s1")
	var ok, full atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Bookings().Reserve(ctx, key, 10)
			switch {
			case err == nil:
				ok.Add(1)
			case core.IsCode(err, core.Conflict):
				full.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || full.Load() != 90 {
		t.Fatalf("%d reservations succeeded and %d were full; want 10 and 90", ok.Load(), full.Load())
	}
	booked, err := s.Bookings().Booked(ctx, []string{key, "other"})
	if err != nil || booked[key] != 10 || booked["other"] != 0 {
		t.Fatalf("booked: %v %v", booked, err)
	}
	if err := s.Bookings().Release(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.Bookings().Reserve(ctx, key, 10); err != nil {
		t.Fatalf("a released unit is free again: %v", err)
	}
	mustCode(t, s.Bookings().Reserve(ctx, key, 10), core.Conflict)
	for i := 0; i < 12; i++ {
		_ = s.Bookings().Release(ctx, key)
	}
	if b, _ := s.Bookings().Booked(ctx, []string{key}); b[key] != 0 {
		t.Errorf("release went below zero: %d", b[key])
	}
}

func testCalendars(t *testing.T, s Store) {
	ctx := context.Background()
	_, err := s.Bookings().GetCalendar(ctx, "inst-440100")
	mustCode(t, err, core.NotFound)
	c := &booking.Calendar{InstitutionID: "inst-440100", Weekdays: []int{1, 3}, Slots: []booking.Slot{{ID: "s1", Start: "09:00", End: "10:00", Capacity: 3}},
		Closed: []core.Date{"2026-12-25"}, Horizon: 20}
	if err := s.Bookings().SaveCalendar(ctx, c); err != nil || c.Version != 1 {
		t.Fatalf("first save: %v %d", err, c.Version)
	}
	again := &booking.Calendar{InstitutionID: "inst-440100"}
	mustCode(t, s.Bookings().SaveCalendar(ctx, again), core.Conflict)
	c.Horizon = 40
	if err := s.Bookings().SaveCalendar(ctx, c); err != nil || c.Version != 2 {
		t.Fatalf("second save: %v", err)
	}
	got, err := s.Bookings().GetCalendar(ctx, "inst-440100")
	if err != nil || got.Horizon != 40 || len(got.Slots) != 1 || got.Closed[0] != "2026-12-25" || got.Version != 2 {
		t.Fatalf("get: %+v %v", got, err)
	}
}

func testPendingLists(t *testing.T, s Store) {
	ctx := context.Background()
	if ids, err := s.Bookings().GetPending(ctx, "u1"); err != nil || len(ids) != 0 {
		t.Fatalf("empty: %v %v", ids, err)
	}
	if err := s.Bookings().SetPending(ctx, "u1", []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Bookings().SetPending(ctx, "u1", []string{"b", "c", "d"}); err != nil {
		t.Fatal(err)
	}
	ids, _ := s.Bookings().GetPending(ctx, "u1")
	if fmt.Sprint(ids) != "[b c d]" {
		t.Errorf("pending = %v", ids)
	}
	if ids, _ := s.Bookings().GetPending(ctx, "u2"); len(ids) != 0 {
		t.Errorf("other user's list: %v", ids)
	}
}

func testCertificates(t *testing.T, s Store) {
	ctx := context.Background()
	mk := func(id, number, applicant, inst, instrumentID string, min int) *booking.Certificate {
		return &booking.Certificate{ID: id, Number: number, InstrumentID: instrumentID, InstrumentName: "电子秤", FactoryNo: "F-" + id,
			ApplicantID: applicant, InstitutionID: inst, Result: instrument.Qualified, VerifyDate: "2026-11-20", ValidUntil: "2027-11-19",
			IssuedAt: base.Add(time.Duration(min) * time.Minute)}
	}
	for _, c := range []*booking.Certificate{
		mk("b1:i1", "GZ2026-001", "app-1", "inst-440100", "i1", 1),
		mk("b1:i2", "GZ2026-002", "app-1", "inst-440100", "i2", 2),
		mk("b2:i3", "SZ2026-001", "app-2", "inst-440300", "i3", 3),
		mk("b1:i1", "CHANGED", "app-1", "inst-440100", "i1", 9), // same id: ignored
	} {
		if err := s.Bookings().SaveCertificate(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q     booking.CertQuery
		want  string
		total int
	}{
		{booking.CertQuery{ApplicantID: "app-1"}, "GZ2026-002,GZ2026-001", 2},
		{booking.CertQuery{InstitutionID: "inst-440300"}, "SZ2026-001", 1},
		{booking.CertQuery{InstrumentID: "i1"}, "GZ2026-001", 1},
		{booking.CertQuery{ApplicantID: "app-1", Text: "gz2026-00"}, "GZ2026-002,GZ2026-001", 2},
		{booking.CertQuery{Text: "F-b2"}, "SZ2026-001", 1},
		{booking.CertQuery{ApplicantID: "app-1", Limit: 1, Offset: 1}, "GZ2026-001", 2},
	}
	for _, tt := range tests {
		list, total, err := s.Bookings().ListCertificates(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.Number)
		}
		if fmt.Sprint(got) != fmt.Sprint(splitComma(tt.want)) || total != tt.total {
			t.Errorf("%+v: %v (%d), want %s (%d)", tt.q, got, total, tt.want, tt.total)
		}
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// testConcurrentUpdates: writers racing on one instrument each retry on
// Conflict; every update must land, none overwritten by another, and the
// relay acking events meanwhile must not lose any either.
func testConcurrentUpdates(t *testing.T, s Store) {
	ctx := context.Background()
	in := newInstrument("app-c", "电子秤", "C-1", base)
	mustCreate(t, s, in)
	const writers = 12
	var wg sync.WaitGroup
	var conflicts atomic.Int32
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for {
				cur, err := s.Instruments().Get(ctx, in.ID)
				if err != nil {
					t.Error(err)
					return
				}
				cur.Remarks = fmt.Sprint(i)
				h := &instrument.HistoryEntry{ID: core.NewID(), At: base, Action: fmt.Sprint("w", i)}
				err = s.Instruments().Update(ctx, cur, instrument.Write{History: h, Events: []core.Event{event("x", "app-c", base)}})
				if err == nil {
					return
				}
				if !core.IsCode(err, core.Conflict) {
					t.Error(err)
					return
				}
				conflicts.Add(1)
			}
		}(i)
	}
	relay := &notify.Relay{Repo: s.Notifications(), Clock: core.NewFixedClock(base), Batch: 3}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			_, _ = relay.RunOnce(ctx)
		}
	}()
	wg.Wait()
	<-done
	if _, err := relay.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Instruments().Get(ctx, in.ID)
	hist, _ := s.Instruments().History(ctx, in.ID)
	if got.Version != 1+writers || len(hist) != 1+writers {
		t.Fatalf("after %d racing writers: version %d, %d history entries (conflicts retried: %d)", writers, got.Version, len(hist), conflicts.Load())
	}
	if _, total, _ := s.Notifications().ListNotifications(ctx, notify.Query{ApplicantID: "app-c"}); total != writers {
		t.Fatalf("notifications = %d, want %d", total, writers)
	}
}
