// Package notify relays domain events from the outboxes of the documents
// that produced them into the notifications collection, exactly once, and
// lists an applicant's notifications. Sending them over WeChat is done by
// the official account's worker, which reads the notifications.
package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/gdqjp/qj/core"
)

// Notification is a relayed event addressed to an applicant.
type Notification struct {
	core.Event
	RelayedAt time.Time
}

// Query selects notifications.
type Query struct {
	ApplicantID string
	BatchID     string
	Offset      int
	Limit       int
}

// Repo is the outbox and the notifications.
type Repo interface {
	// PendingEvents returns up to limit events still in outboxes, oldest first.
	PendingEvents(ctx context.Context, limit int) ([]core.Event, error)
	// Record copies events into notifications; an event already recorded is
	// ignored (its id is the notification's id), so a re-run is safe.
	Record(ctx context.Context, events []core.Event, at time.Time) error
	// Ack removes recorded events from their outboxes.
	Ack(ctx context.Context, events []core.Event) error
	ListNotifications(ctx context.Context, q Query) ([]Notification, int, error)
}

// Projector turns some events into read models (certificates) as they are
// relayed; it must be idempotent.
type Projector interface {
	Project(ctx context.Context, events []core.Event) error
}

// Relay moves events from outboxes to notifications. Each step is
// idempotent, so stopping between steps and running again never loses or
// duplicates a notification.
type Relay struct {
	Repo       Repo
	Projectors []Projector
	Clock      core.Clock
	Log        *slog.Logger
	Batch      int

	// Kick makes the loop run now instead of at its next tick.
	kick chan struct{}
}

// RunOnce relays everything pending, batch by batch, and returns how many
// events it relayed.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	n := 0
	for {
		events, err := r.Repo.PendingEvents(ctx, r.batch())
		if err != nil {
			return n, err
		}
		if len(events) == 0 {
			return n, nil
		}
		if err := r.Step(ctx, events); err != nil {
			return n, err
		}
		n += len(events)
		if len(events) < r.batch() {
			return n, nil
		}
	}
}

// Step relays one batch of events: record (and project), then ack.
func (r *Relay) Step(ctx context.Context, events []core.Event) error {
	if err := r.Repo.Record(ctx, events, r.Clock.Now()); err != nil {
		return err
	}
	for _, p := range r.Projectors {
		if err := p.Project(ctx, events); err != nil {
			return err
		}
	}
	return r.Repo.Ack(ctx, events)
}

func (r *Relay) batch() int {
	if r.Batch <= 0 {
		return 500
	}
	return r.Batch
}

// Kick asks a running loop to relay now (after a write the user waits on).
func (r *Relay) Kick() {
	if r.kick == nil {
		return
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Init prepares Kick before Loop starts.
func (r *Relay) Init() { r.kick = make(chan struct{}, 1) }

// Loop relays until ctx ends: at every tick and whenever kicked.
func (r *Relay) Loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.Log.Error("relay events", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}
