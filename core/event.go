package core

import "time"

// Event is a domain event. It is written atomically with the state change
// that caused it, into the changed document's outbox, and relayed later
// into notifications exactly once (ARCHITECTURE.md "Outbox in the document").
type Event struct {
	ID            string
	Type          string
	ApplicantID   string
	InstitutionID string
	InstrumentID  string
	BookingID     string
	BatchID       string
	At            time.Time
	ActorID       string
	ActorName     string
	Data          map[string]string
	// Source names the document whose outbox holds the event ("instruments/<id>"
	// or "bookings/<id>"); the store sets it when it writes the event.
	Source string
}

// NewEvent returns an event with a fresh id.
func NewEvent(typ string, at time.Time, p Principal) Event {
	return Event{ID: NewID(), Type: typ, At: at, ActorID: p.UserID, ActorName: p.Name, Data: map[string]string{}}
}
