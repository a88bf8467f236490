// Package wechat holds what the platform keeps about WeChat: which WeChat
// users (openids) are bound to which platform users, and the delivery of
// notifications as official-account template messages (DOMAIN.md §9–11).
// It imports no SDK: the official account front door adapts WeChat to it.
package wechat

import (
	"context"
	"time"
)

// App is the WeChat app an openid belongs to.
type App string

const (
	AppOA  App = "oa"  // the official account 广东计量强检
	AppMP  App = "mp"  // the mini program
	AppWeb App = "web" // WeChat login on the web (scanned with the official account)
)

// Binding links a WeChat user of an app to a platform user.
type Binding struct {
	App         App
	OpenID      string
	UnionID     string
	UserID      string
	ApplicantID string // set for applicant users (their notifications)
	CreatedAt   time.Time
}

// Delivery statuses.
const (
	Pending   = "pending"   // waiting to be sent (or retried at NextAt)
	Sent      = "sent"      // WeChat accepted it
	Failed    = "failed"    // permanently refused (not subscribed, bad openid, bad data)
	Abandoned = "abandoned" // still failing after every retry
)

// Delivery is one template message to one WeChat user: for one event, or
// a digest of one batch's events.
type Delivery struct {
	ID          string // deterministic, so planning twice creates it once
	ApplicantID string
	UserID      string
	OpenID      string
	EventType   string
	EventID     string // the event (single deliveries)
	BatchID     string // the batch (digests)
	Data        map[string]string
	Status      string
	Attempts    int
	NextAt      time.Time
	Owner       string
	LeaseTill   time.Time
	ErrCode     int
	ErrMsg      string
	MsgID       int64
	SentAt      time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int
}

// Repo stores bindings and deliveries.
type Repo interface {
	// Bind creates or replaces the binding of (app, openid).
	Bind(ctx context.Context, b *Binding) error
	Unbind(ctx context.Context, app App, openID string) error
	Binding(ctx context.Context, app App, openID string) (*Binding, error)
	BindingsByUnionID(ctx context.Context, unionID string) ([]*Binding, error)
	BindingsOfUser(ctx context.Context, userID string) ([]*Binding, error)
	BindingsOfApplicant(ctx context.Context, applicantID string, app App) ([]*Binding, error)

	// AddDelivery stores d unless a delivery with its id exists (then nil).
	AddDelivery(ctx context.Context, d *Delivery) error
	// ClaimDeliveries leases up to limit pending deliveries due at now whose
	// lease ended, to owner until till. Two claimers never get the same one.
	ClaimDeliveries(ctx context.Context, owner string, now, till time.Time, limit int) ([]*Delivery, error)
	// SaveDelivery saves d when its version matches (then increments it).
	SaveDelivery(ctx context.Context, d *Delivery) error
	ListDeliveries(ctx context.Context, applicantID string, offset, limit int) ([]*Delivery, int, error)
}

// Notifiable event types and the templates they use.
const (
	TemplateFiling    = "filing"
	TemplateBooking   = "booking"
	TemplateCompleted = "completed"
)

// TemplateOf returns the template kind of an event type, or "".
func TemplateOf(eventType string) string {
	switch eventType {
	case "filing.submitted", "filing.withdrawn", "filing.approved", "filing.returned", "filing.dispatched",
		"filing.transferred", "filing.declined", "filing.revoked":
		return TemplateFiling
	case "booking.created", "booking.confirmed", "booking.rejected", "booking.returned", "booking.cancelled":
		return TemplateBooking
	case "booking.completed":
		return TemplateCompleted
	}
	return ""
}
