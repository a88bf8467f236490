// Package account holds applicant registration and review, users, login,
// sub-users and password rules (DOMAIN.md §1, §3; manual 一, 七).
package account

import (
	"context"
	"strings"
	"time"

	"github.com/gdqjp/qj/core"
)

// Status is the registration status of an applicant.
type Status string

const (
	StatusPending   Status = "pending"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusCancelled Status = "cancelled"
)

// Name is the Chinese status shown to users.
func (s Status) Name() string {
	switch s {
	case StatusPending:
		return "待审核"
	case StatusApproved:
		return "已通过"
	case StatusRejected:
		return "被拒绝"
	case StatusCancelled:
		return "已注销"
	}
	return string(s)
}

// HistoryEntry records who did what to a record, and when.
type HistoryEntry struct {
	At       time.Time
	UserID   string
	UserName string
	Action   string
	Detail   string
}

// Applicant is a registered enterprise or organisation (申请方).
// Its ID equals the ID of its main account.
type Applicant struct {
	ID           string
	Name         string // 申请方名称, as on the licence
	Address      string // 详细地址, as on the licence
	CreditCode   string // 统一社会信用代码
	RegionCode   string // 所属区域, district level
	CityCode     string // derived from RegionCode: the review queue is per city
	ContactName  string
	ContactPhone string
	LicenceFile  string // file id of the licence scan
	LetterFile   string // file id of the signed authorisation letter

	Status       Status
	RejectReason string
	SubmittedAt  time.Time
	ReviewedAt   time.Time
	ReviewedBy   string // user id
	ReviewerName string

	// CreditKey is unique among applicants: the credit code while the
	// registration is alive, released when it is cancelled.
	CreditKey string

	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
	History   []HistoryEntry
}

// User is anybody who logs in.
type User struct {
	ID string
	// Login is what the user types: the account name, or the phone number
	// for a sub-user. LoginKey is its unique, normalized form.
	Login    string
	LoginKey string
	Name     string
	Phone    string
	Role     core.Role
	SubUser  bool

	ApplicantID   string // applicant users
	InstitutionID string // staff
	RegionCode    string // regulators

	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	CreatedBy    string
	Version      int
}

// Principal builds the acting principal of u; app is the applicant of an
// applicant user (nil otherwise).
func Principal(u *User, app *Applicant) core.Principal {
	p := core.Principal{
		UserID:        u.ID,
		Name:          u.Name,
		Role:          u.Role,
		SubUser:       u.SubUser,
		ApplicantID:   u.ApplicantID,
		InstitutionID: u.InstitutionID,
		RegionCode:    u.RegionCode,
	}
	if app != nil && u.Role == core.RoleApplicant {
		p.ApplicantApproved = app.Status == StatusApproved
	}
	return p
}

// NormalizeLogin gives the unique key of a login name: logins are
// case-insensitive and full-width characters are folded.
func NormalizeLogin(s string) string {
	return strings.ToLower(strings.TrimSpace(core.NormalizeWidth(s)))
}

// ApplicantQuery selects applicants; the service fills the scope part.
type ApplicantQuery struct {
	Statuses   []Status
	CityCode   string
	RegionCode string
	CreditCode string
	Text       string // matches name, credit code or contact
	Offset     int
	Limit      int
}

// UserQuery selects users.
type UserQuery struct {
	ApplicantID   string
	SubUsersOnly  bool
	Roles         []core.Role
	InstitutionID string
	Offset        int
	Limit         int
}

// Repo is what the account use cases need from a store.
type Repo interface {
	// CreateApplicant stores a registration and its main account together:
	// either both exist afterwards or neither. A taken login key or credit
	// key is a Conflict.
	CreateApplicant(ctx context.Context, a *Applicant, main *User) error
	GetApplicant(ctx context.Context, id string) (*Applicant, error)
	// UpdateApplicant saves a when the stored version is a.Version, and
	// increments a.Version; otherwise Conflict.
	UpdateApplicant(ctx context.Context, a *Applicant) error
	ListApplicants(ctx context.Context, q ApplicantQuery) ([]*Applicant, int, error)

	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	GetUserByLogin(ctx context.Context, loginKey string) (*User, error)
	// UpdateUser saves u when the stored version is u.Version, and
	// increments u.Version; otherwise Conflict.
	UpdateUser(ctx context.Context, u *User) error
	ListUsers(ctx context.Context, q UserQuery) ([]*User, int, error)
}

// LoginLimiter counts wrong passwords per account and locks it.
type LoginLimiter interface {
	// LockedFor returns how long key stays locked (0 when it is not).
	LockedFor(ctx context.Context, key string) (time.Duration, error)
	// Fail records a wrong password; once max failures happened within
	// lock, key is locked for lock. It returns the failures so far and the
	// lock duration if the account is now locked.
	Fail(ctx context.Context, key string, max int, lock time.Duration) (int, time.Duration, error)
	Reset(ctx context.Context, key string) error
}

// SessionKiller ends the sessions of a user (disabled, cancelled, password changed).
type SessionKiller interface {
	KillUserSessions(ctx context.Context, userID string, except string) error
}
