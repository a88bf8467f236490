// Package booking holds verification bookings (预约, manual 五–六,
// DOMAIN.md §7–8): the booking state machine, institution calendars and
// slot capacity, the pending list, front-desk settlement and certificates.
package booking

import (
	"context"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

// Status is a booking's status (预约管理 menus).
type Status string

const (
	Creating  Status = "creating"  // instruments being reserved; never shown
	Pending   Status = "pending"   // 预约中
	Confirmed Status = "confirmed" // 已确认
	Rejected  Status = "rejected"  // 被拒绝
	Returned  Status = "returned"  // 被退回
	Completed Status = "completed" // 已完检
	Cancelled Status = "cancelled" // 已取消
)

// Name is the Chinese name.
func (s Status) Name() string {
	return map[Status]string{Creating: "创建中", Pending: "预约中", Confirmed: "已确认", Rejected: "被拒绝",
		Returned: "被退回", Completed: "已完检", Cancelled: "已取消"}[s]
}

// Open reports whether the booking still holds its instruments and slot.
func (s Status) Open() bool { return s == Creating || s == Pending || s == Confirmed }

// Outcome of one instrument at the front desk.
const (
	OutcomeVerified = "verified" // 核对无误，已检定
	OutcomeMismatch = "mismatch" // 核对不符，退单
)

// Item is one instrument of a booking with its front-desk outcome.
type Item struct {
	InstrumentID  string
	Name          string
	Model         string
	FactoryNo     string
	Code          string
	CategoryCode  string
	Outcome       string
	Result        instrument.Result
	CertificateNo string
	VerifyDate    core.Date
	ValidUntil    core.Date
	Reason        string
	SettledAt     time.Time
	SettledBy     string
}

// OutcomeName is the Chinese outcome.
func (it Item) OutcomeName() string {
	switch it.Outcome {
	case OutcomeVerified:
		return "已检定（" + it.Result.Name() + "）"
	case OutcomeMismatch:
		return "退单"
	}
	return "待检定"
}

// HistoryEntry is one transition of a booking.
type HistoryEntry struct {
	At       time.Time
	UserID   string
	UserName string
	Action   string
	Detail   string
}

// Booking is one appointment of an applicant's instruments with one
// institution, one verification method, one date and slot.
type Booking struct {
	ID            string
	Number        string // 预约单号
	ApplicantID   string
	ApplicantName string
	InstitutionID string
	Method        int
	Date          core.Date
	SlotID        string
	SlotStart     string
	SlotEnd       string
	Items         []Item
	Status        Status
	Reason        string
	// Released: a closed booking has given back its instruments and slot.
	Released  bool
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	History   []HistoryEntry
	Version   int
}

// SlotKey identifies the capacity counter of the booking's slot.
func (b *Booking) SlotKey() string { return SlotKey(b.InstitutionID, b.Date, b.SlotID) }

// SlotKey identifies the capacity counter of a slot on a date.
func SlotKey(inst string, d core.Date, slot string) string {
	return inst + "|" + string(d) + "|" + slot
}

// Unsettled counts the items without an outcome.
func (b *Booking) Unsettled() int {
	n := 0
	for _, it := range b.Items {
		if it.Outcome == "" {
			n++
		}
	}
	return n
}

// Slot is a bookable time range with its capacity (bookings per slot).
type Slot struct {
	ID       string
	Start    string
	End      string
	Capacity int
}

// Calendar is an institution's booking calendar, edited by its staff.
type Calendar struct {
	InstitutionID string
	Weekdays      []int // 1 = Monday … 7 = Sunday
	Slots         []Slot
	Closed        []core.Date
	Horizon       int // how many days ahead may be booked
	Version       int
	UpdatedAt     time.Time
	UpdatedBy     string
}

// Certificate is a verification certificate (检定证书, or 检定结果通知书
// for 不合格) issued per verified instrument.
type Certificate struct {
	ID             string
	Number         string
	InstrumentID   string
	InstrumentName string
	Model          string
	FactoryNo      string
	Code           string
	ApplicantID    string
	InstitutionID  string
	BookingID      string
	BookingNumber  string
	Result         instrument.Result
	VerifyDate     core.Date
	ValidUntil     core.Date
	IssuedAt       time.Time
}

// Query selects bookings.
type Query struct {
	ApplicantID   string
	InstitutionID string
	Statuses      []Status
	Date          core.Date
	Number        string
	Offset        int
	Limit         int
}

// CertQuery selects certificates.
type CertQuery struct {
	ApplicantID   string
	InstitutionID string
	InstrumentID  string
	Text          string // number, instrument name or factory number
	Offset        int
	Limit         int
}

// Repo is what the booking use cases need from a store.
type Repo interface {
	// Create stores a new booking; a taken number is a Conflict.
	Create(ctx context.Context, b *Booking, events []core.Event) error
	Get(ctx context.Context, id string) (*Booking, error)
	GetByNumber(ctx context.Context, number string) (*Booking, error)
	// Update saves b when the stored version is b.Version (then increments
	// it), with its events in the booking's outbox; Conflict otherwise.
	Update(ctx context.Context, b *Booking, events []core.Event) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, q Query) ([]*Booking, int, error)
	// Stale returns bookings still creating since before, and closed
	// bookings that have not released their instruments.
	Stale(ctx context.Context, before time.Time) ([]*Booking, error)

	// Reserve takes one unit of a slot's capacity; Conflict when full.
	// Concurrent reservations never exceed capacity.
	Reserve(ctx context.Context, key string, capacity int) error
	// Release gives one unit back (never below zero).
	Release(ctx context.Context, key string) error
	// Booked returns the units taken of each key.
	Booked(ctx context.Context, keys []string) (map[string]int, error)

	// GetCalendar returns NotFound until an institution saved its calendar.
	GetCalendar(ctx context.Context, institutionID string) (*Calendar, error)
	// SaveCalendar stores c when c.Version matches (0 for the first save).
	SaveCalendar(ctx context.Context, c *Calendar) error

	GetPending(ctx context.Context, userID string) ([]string, error)
	SetPending(ctx context.Context, userID string, ids []string) error

	// SaveCertificate stores c unless a certificate with its id exists.
	SaveCertificate(ctx context.Context, c *Certificate) error
	ListCertificates(ctx context.Context, q CertQuery) ([]*Certificate, int, error)
}
