package booking

import (
	"strings"
	"testing"
	"time"

	"github.com/gdqjp/qj/core"
)

func TestTable(t *testing.T) {
	rows := []struct {
		from   Status
		action Action
		actor  Actor
		to     Status
		event  string
	}{
		{Pending, Cancel, ActorApplicant, Cancelled, "booking.cancelled"},
		{Pending, Confirm, ActorInstitution, Confirmed, "booking.confirmed"},
		{Pending, Reject, ActorInstitution, Rejected, "booking.rejected"},
		{Confirmed, Return, ActorInstitution, Returned, "booking.returned"},
		{Confirmed, Complete, ActorSystem, Completed, "booking.completed"},
	}
	if len(rows) != len(Table) {
		t.Fatalf("the test lists %d rows, the table has %d", len(rows), len(Table))
	}
	allowed := map[[2]string]bool{}
	for _, r := range rows {
		tr, err := Lookup(r.from, r.action, r.actor)
		if err != nil || tr.To != r.to || tr.Event != r.event {
			t.Errorf("%s %s: %+v %v", r.from, r.action, tr, err)
		}
		allowed[[2]string{string(r.from), string(r.action)}] = true
	}
	for _, a := range []Action{Cancel, Confirm, Reject, Return, Complete} {
		for _, from := range []Status{Pending, Confirmed, Rejected, Returned, Completed, Cancelled} {
			if allowed[[2]string{string(from), string(a)}] {
				continue
			}
			_, err := Lookup(from, a, ActorInstitution)
			if !core.IsCode(err, core.Conflict) || !strings.Contains(core.ErrorMessage(err), "“"+from.Name()+"”") {
				t.Errorf("%s from %s: %v", a, from, err)
			}
		}
	}
	if _, err := Lookup(Pending, Confirm, ActorApplicant); !core.IsCode(err, core.Forbidden) {
		t.Errorf("applicant confirms: %v", err)
	}
	if _, err := Lookup(Pending, Cancel, ActorInstitution); !core.IsCode(err, core.Forbidden) {
		t.Errorf("institution cancels: %v", err)
	}
}

func TestBookingNumbers(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		n := NewNumber(now)
		if len(n) != 14 || !strings.HasPrefix(n, "261125") || strings.ContainsAny(n[6:], "01ILOU") {
			t.Fatalf("number %q", n)
		}
		if seen[n] {
			t.Fatalf("duplicate number %s", n)
		}
		seen[n] = true
	}
	if NormalizeNumber(" ２６１１２５ab cd ") != "261125ABCD" {
		t.Error("NormalizeNumber")
	}
}
