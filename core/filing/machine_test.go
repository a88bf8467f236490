package filing

import (
	"strings"
	"testing"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

// TestTable checks every row of the state machine, and that each action
// is refused from every other state with a message naming the state.
func TestTable(t *testing.T) {
	rows := []struct {
		from   instrument.FilingStatus
		action Action
		actor  Actor
		to     instrument.FilingStatus
		event  string
	}{
		{instrument.Unfiled, Submit, ActorApplicant, instrument.Submitted, "filing.submitted"},
		{instrument.Returned, Submit, ActorApplicant, instrument.Submitted, "filing.submitted"},
		{instrument.Submitted, Withdraw, ActorApplicant, instrument.Unfiled, "filing.withdrawn"},
		{instrument.Submitted, Approve, ActorFiled, instrument.Approved, "filing.approved"},
		{instrument.Pending, Approve, ActorFiled, instrument.Approved, "filing.approved"},
		{instrument.Submitted, Return, ActorFiled, instrument.Returned, "filing.returned"},
		{instrument.Pending, Return, ActorFiled, instrument.Returned, "filing.returned"},
		{instrument.Submitted, Dispatch, ActorFiled, instrument.Confirming, "filing.dispatched"},
		{instrument.Pending, Dispatch, ActorFiled, instrument.Confirming, "filing.dispatched"},
		{instrument.Submitted, Transfer, ActorFiled, instrument.Confirming, "filing.transferred"},
		{instrument.Pending, Transfer, ActorFiled, instrument.Confirming, "filing.transferred"},
		{instrument.Confirming, Confirm, ActorTarget, instrument.Approved, "filing.approved"},
		{instrument.Confirming, Decline, ActorTarget, instrument.Pending, "filing.declined"},
		{instrument.Approved, Revoke, ActorFiled, instrument.Revoked, "filing.revoked"},
		{instrument.Approved, Revoke, ActorRegulator, instrument.Revoked, "filing.revoked"},
	}
	allowed := map[[2]string]bool{}
	for _, r := range rows {
		t.Run(string(r.from)+"/"+string(r.action)+"/"+string(r.actor), func(t *testing.T) {
			tr, err := Lookup(r.from, r.action, r.actor)
			if err != nil || tr.To != r.to || tr.Event != r.event {
				t.Fatalf("Lookup = %+v, %v", tr, err)
			}
		})
		allowed[[2]string{string(r.from), string(r.action)}] = true
	}
	if len(rows) != countRows() {
		t.Fatalf("the test lists %d transitions, the table has %d", len(rows), countRows())
	}
	for _, a := range []Action{Submit, Withdraw, Approve, Return, Dispatch, Transfer, Confirm, Decline, Revoke} {
		for _, from := range instrument.FilingStatuses {
			if allowed[[2]string{string(from), string(a)}] {
				continue
			}
			_, err := Lookup(from, a, ActorFiled)
			if !core.IsCode(err, core.Conflict) || !strings.Contains(core.ErrorMessage(err), "“"+from.Name()+"”") {
				t.Errorf("%s from %s: %v, want a conflict naming the state", a, from, err)
			}
		}
	}
}

func countRows() int {
	n := 0
	for _, t := range Table {
		n += len(t.From) * len(t.Actors)
	}
	return n
}

func TestWrongActorIsForbidden(t *testing.T) {
	tests := []struct {
		from   instrument.FilingStatus
		action Action
		actor  Actor
	}{
		{instrument.Unfiled, Submit, ActorFiled},
		{instrument.Submitted, Approve, ActorApplicant},
		{instrument.Submitted, Approve, ActorTarget},
		{instrument.Confirming, Confirm, ActorFiled},
		{instrument.Approved, Revoke, ActorApplicant},
	}
	for _, tt := range tests {
		if _, err := Lookup(tt.from, tt.action, tt.actor); !core.IsCode(err, core.Forbidden) {
			t.Errorf("%s by %s: %v", tt.action, tt.actor, err)
		}
	}
	if _, err := Lookup(instrument.Unfiled, "explode", ActorApplicant); !core.IsCode(err, core.Invalid) {
		t.Errorf("unknown action: %v", err)
	}
}

func TestCodeFormat(t *testing.T) {
	if got := Code("440106", "061", 2026, 123); got != "4401-061-26-000123" {
		t.Errorf("Code = %s", got)
	}
}
