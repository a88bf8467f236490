package app_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
)

// seedInstruments stores n unfiled instruments of the demo applicant
// directly (the setup is not what is measured).
func seedInstruments(b *testing.B, f *flow, prefix string, n int) []string {
	b.Helper()
	ids := make([]string, 0, n)
	now := f.e.Clock.Now()
	for i := 0; i < n; i++ {
		id := core.NewID()
		in := &instrument.Instrument{ID: id, ApplicantID: f.owner.ApplicantID,
			Fields: instrument.Fields{Name: "轨道衡", Model: "GCS", FactoryNo: fmt.Sprint(prefix, i), Usage: 3, Method: 1, RegionCode: "440106",
				CategoryCode: "012001", Origin: 1, State: 1, Type: 1},
			ItemCode: "012", Life: instrument.Active, Filing: instrument.Filing{Status: instrument.Unfiled}, CodeKey: "none#" + id,
			CreatedAt: now, UpdatedAt: now, Version: 1}
		in.IdentityKey = instrument.IdentityKey(in.Fields)
		if err := f.e.App.Store.Instruments().Create(f.ctx, in, instrument.Write{}); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func benchFlow(b *testing.B) *flow {
	e := apptest.New(b)
	f := &flow{e: e, ctx: context.Background()}
	f.owner = principalOf(b, e, "demo-applicant")
	f.gz = principalOf(b, e, "demo-gz")
	return f
}

// BenchmarkFiling10k submits 10,000 instruments and approves them
// (make bench reports instruments/s for each step).
func BenchmarkFiling10k(b *testing.B) {
	const n = 10000
	f := benchFlow(b)
	f.e.App.Filing.InlineFor = time.Hour
	var submit, approve time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ids := seedInstruments(b, f, fmt.Sprint("B", i, "-"), n)
		b.StartTimer()
		t0 := time.Now()
		sb, err := f.e.App.Filing.Start(f.ctx, f.owner, filing.Submit, ids, filing.Params{InstitutionID: "inst-440100", Statement: true})
		if err != nil || sb.Done != n {
			b.Fatalf("submit: %v %d", err, sb.Done)
		}
		t1 := time.Now()
		ab, err := f.e.App.Filing.Start(f.ctx, f.gz, filing.Approve, ids, filing.Params{})
		if err != nil || ab.Done != n {
			b.Fatalf("approve: %v %d", err, ab.Done)
		}
		submit += t1.Sub(t0)
		approve += time.Since(t1)
	}
	b.ReportMetric(float64(n*b.N)/submit.Seconds(), "submitted/s")
	b.ReportMetric(float64(n*b.N)/approve.Seconds(), "approved/s")
}

// BenchmarkBookingsOneSlotContended books single instruments on one slot
// from 16 goroutines at once.
func BenchmarkBookingsOneSlotContended(b *testing.B) {
	f := benchFlow(b)
	cal, _ := f.e.App.Bookings.Calendar(f.ctx, "inst-440100")
	if _, err := f.e.App.Bookings.SaveCalendar(f.ctx, f.gz, booking.CalendarInput{Version: cal.Version, Weekdays: []int{1, 2, 3, 4, 5, 6, 7},
		Slots: []booking.Slot{{ID: "s1", Start: "09:00", End: "11:30", Capacity: 10000}}}); err != nil {
		b.Fatal(err)
	}
	n := 2000 * b.N
	ids := seedInstruments(b, f, "BK", n)
	f.e.App.Filing.InlineFor = time.Hour
	if _, err := f.e.App.Filing.Start(f.ctx, f.owner, filing.Submit, ids, filing.Params{InstitutionID: "inst-440100", Statement: true}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.e.App.Filing.Start(f.ctx, f.gz, filing.Approve, ids, filing.Params{}); err != nil {
		b.Fatal(err)
	}
	day := f.openDayB(b)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if _, err := f.e.App.Bookings.Create(f.ctx, f.owner, booking.CreateRequest{IDs: []string{ids[i]}, Date: day, SlotID: "s1"}); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "bookings/s")
	if failed.Load() > 0 {
		b.Fatalf("%d bookings failed", failed.Load())
	}
}

func (f *flow) openDayB(b *testing.B) core.Date {
	days, err := f.e.App.Bookings.Days(f.ctx, "inst-440100", "", 14)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range days {
		if d.Open {
			return d.Date
		}
	}
	b.Fatal("no open day")
	return ""
}
