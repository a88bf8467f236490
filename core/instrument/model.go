// Package instrument holds the measuring instruments of applicants (manual
// 三, DOMAIN.md §4): fields and their rules, the edit rules before and after
// filing approval, lifecycle (stop, enable, scrap, delete), history, the six
// list views computed from dates at query time, attachments and nozzles.
package instrument

import (
	"context"
	"time"

	"github.com/gdqjp/qj/core"
)

// Option is one choice of a coded field: its number and its name.
type Option struct {
	Code int
	Name string
}

// Coded is a field whose value is chosen from numbered options, as in the
// Excel template ("1.安全防护 2.医疗卫生 …").
type Coded struct {
	Field   string // Go/form field name
	Label   string // Chinese label, as in 图 23
	Options []Option
}

// Name returns the name of code, or "".
func (c Coded) Name(code int) string {
	for _, o := range c.Options {
		if o.Code == code {
			return o.Name
		}
	}
	return ""
}

// CodeOf returns the code of a name, or 0.
func (c Coded) CodeOf(name string) int {
	for _, o := range c.Options {
		if o.Name == name {
			return o.Code
		}
	}
	return 0
}

// The coded fields of an instrument.
var (
	Origins = Coded{"origin", "生产地", []Option{{1, "国产"}, {2, "进口"}}}
	States  = Coded{"state", "器具状态", []Option{{1, "新增"}, {2, "在用"}, {3, "备用"}, {4, "维修"}}}
	Usages  = Coded{"usage", "器具用途", []Option{{1, "安全防护"}, {2, "医疗卫生"}, {3, "贸易结算"}, {4, "环境监测"}}}
	Types   = Coded{"type", "器具类型", []Option{{1, "工作计量器具"}, {2, "计量标准器具"}}}
	Methods = Coded{"method", "检定方式", []Option{{1, "送检"}, {2, "现场检定"}}}
)

// Method values.
const (
	MethodDelivery = 1 // 送检
	MethodOnSite   = 2 // 现场检定
)

// FilingStatus is where an instrument is in filing (备案管理 menus).
type FilingStatus string

const (
	Unfiled    FilingStatus = "unfiled"    // 待备案
	Submitted  FilingStatus = "submitted"  // 已提交
	Returned   FilingStatus = "returned"   // 被退回
	Pending    FilingStatus = "pending"    // 待处理: a district or the province declined, back at the city
	Confirming FilingStatus = "confirming" // 待确认: dispatched to a district or transferred to the province
	Approved   FilingStatus = "approved"   // 已审核
	Revoked    FilingStatus = "revoked"    // 被撤销
)

// FilingStatuses in menu order.
var FilingStatuses = []FilingStatus{Unfiled, Submitted, Returned, Pending, Confirming, Approved, Revoked}

// Name is the Chinese name.
func (s FilingStatus) Name() string {
	switch s {
	case Unfiled:
		return "待备案"
	case Submitted:
		return "已提交"
	case Returned:
		return "被退回"
	case Pending:
		return "待处理"
	case Confirming:
		return "待确认"
	case Approved:
		return "已审核"
	case Revoked:
		return "被撤销"
	}
	return string(s)
}

// Life is an instrument's lifecycle status.
type Life string

const (
	Active   Life = "active"
	Stopped  Life = "stopped"  // 已停用: can be enabled again or scrapped
	Scrapped Life = "scrapped" // 已报废: final, read only
)

// Name is the Chinese name.
func (l Life) Name() string {
	switch l {
	case Active:
		return "正常"
	case Stopped:
		return "已停用"
	case Scrapped:
		return "已报废"
	}
	return string(l)
}

// Result is a verification result.
type Result string

const (
	Qualified   Result = "qualified"   // 合格
	Unqualified Result = "unqualified" // 不合格
)

// Name is the Chinese name.
func (r Result) Name() string {
	switch r {
	case Qualified:
		return "合格"
	case Unqualified:
		return "不合格"
	}
	return ""
}

// Nozzle is a nozzle (加油枪) of a fuel dispenser.
type Nozzle struct {
	No        string // 枪号
	Fuel      string // 油品
	FlowRange string // 流量范围
}

// FileRef is an attached file.
type FileRef struct {
	ID   string
	Name string
	Size int64
}

// Fields are what a user enters (manual 图 23).
type Fields struct {
	Name            string    // 器具名称 *
	Model           string    // 型号规格 *
	Range           string    // 测量范围
	Accuracy        string    // 准确度等级
	FactoryNo       string    // 出厂编号 *
	OwnNo           string    // 自编号
	Manufacturer    string    // 生产厂家
	Origin          int       // 生产地
	InstallLocation string    // 安装使用地点
	PurchaseDate    core.Date // 购买日期
	State           int       // 器具状态
	Usage           int       // 器具用途 *
	Type            int       // 器具类型
	Method          int       // 检定方式 *
	RegionCode      string    // 所属地 * (district level)
	CategoryCode    string    // 种别 *
	TypeApprovalNo  string    // 型式证书号
	CertificateNo   string    // 检定证书号 (before the platform's first result)
	ValidUntil      core.Date // 有效期至
	Tags            []string  // 自定义标签
	Remarks         string    // 备注
	Nozzles         []Nozzle  // 加油枪, fuel dispensers only
}

// Filing is the instrument's filing state, written by the filing use cases.
type Filing struct {
	Status        FilingStatus
	InstitutionID string // the institution it is filed with (检定机构)
	// TargetID is the district or provincial institution while Confirming.
	TargetID           string
	SubmissionID       string
	SubmittedAt        time.Time
	TransferAuthorized bool // 授权转送省院
	ReturnKind         string
	ReturnReason       string
	// ReturnedBy is the booking whose front desk returned it (退单).
	ReturnedBy string
	// BatchID is the batch that made the latest filing change; a batch
	// resumed after a crash recognises its own work by it.
	BatchID      string
	ApprovedAt   time.Time
	ApprovedDay  core.Date // date of the latest approval, for the list views
	RevokeReason string
}

// Verification is the latest verification result.
type Verification struct {
	Result        Result
	Date          core.Date
	CertificateNo string
	ValidUntil    core.Date
	InstitutionID string
	BookingID     string
	At            time.Time
}

// Instrument is one measuring instrument of an applicant.
type Instrument struct {
	ID          string
	ApplicantID string
	Fields
	ItemCode string // 类别/项别, derived from the category
	Code     string // 器具编码, assigned when a filing is approved

	Life   Life
	Filing Filing
	// Last is the latest verification result; Verified says it came after
	// the latest approval.
	Last     Verification
	Verified bool
	// BookingID is the booking the instrument is in, while one is open.
	BookingID string

	Attachments []FileRef // 相关资料
	TypeCerts   []FileRef // 型式评价证书

	// IdentityKey makes (名称, 型号规格, 出厂编号, 自编号) unique per applicant.
	IdentityKey string
	// CodeKey makes the instrument code unique in the province.
	CodeKey string

	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	// LastAction is the latest history action, for the activity feed.
	LastAction string
	LastActor  string
	Version    int
}

// Deletable: only instruments without a filing in force (待备案 or 被退回).
func (in *Instrument) Deletable() bool {
	return in.Life != Scrapped && (in.Filing.Status == Unfiled || in.Filing.Status == Returned)
}

// CurrentResult is the latest result if it came after the latest approval.
func (in *Instrument) CurrentResult() Result {
	if in.Verified {
		return in.Last.Result
	}
	return ""
}

// TraceStatus is the 溯源状态 shown for an instrument.
func (in *Instrument) TraceStatus() string {
	if r := in.CurrentResult(); r != "" {
		return r.Name()
	}
	return "未检定"
}

// Change is one field changed, for the history tab.
type Change struct {
	Field string
	Label string
	From  string
	To    string
}

// HistoryEntry is one change or status transition of an instrument.
type HistoryEntry struct {
	ID       string
	At       time.Time
	UserID   string
	UserName string
	Action   string
	Detail   string
	Changes  []Change
}

// Write is one atomic change of an instrument: the new state, its history
// entry and its events.
type Write struct {
	History *HistoryEntry
	Events  []core.Event
}

// View is one of the six list views of manual 三.1.
type View string

const (
	ViewAll         View = "all"
	ViewDue         View = "due"
	ViewOverdue     View = "overdue"
	ViewInvalid     View = "invalid"
	ViewUnqualified View = "unqualified"
	ViewScrapped    View = "scrapped"
)

// Views in menu order with their names.
var Views = []struct {
	View View
	Name string
}{
	{ViewAll, "全部仪器"}, {ViewDue, "须检仪器"}, {ViewOverdue, "超期未检"},
	{ViewInvalid, "无效仪器"}, {ViewUnqualified, "不合格"}, {ViewScrapped, "已报废"},
}

// ViewName returns the Chinese name of v.
func ViewName(v View) string {
	for _, x := range Views {
		if x.View == v {
			return x.Name
		}
	}
	return ""
}

// DateRange is an inclusive range of dates; "" is open.
type DateRange struct {
	From, To core.Date
}

// Query selects instruments. The service fills the scope and the view's
// conditions; stores apply them.
type Query struct {
	ApplicantID   string
	InstitutionID string // filed with (or targeted at) this institution

	Lives   []Life
	Filings []FilingStatus
	Results []Result
	// ByDate, when set, keeps instruments that are approved and active and
	// either have a valid-until date in ValidUntil, or have none, are not
	// verified since approval, and were approved in Approved.
	ByDate *struct{ ValidUntil, Approved DateRange }

	Name      string // contains
	FactoryNo string // contains
	// ExactFactoryNo and Code match whole values (bulk updates by file).
	ExactFactoryNo string
	Code           string
	Category       string
	ItemCode       string
	Region         string
	// Regions keeps instruments of these districts (a regulator's scope).
	Regions []string
	Usage   int
	Method  int
	Tag     string
	Text    string
	IDs     []string
	Booked  *bool

	Sort   string // one of SortFields
	Desc   bool
	Offset int
	Limit  int
}

// SortFields are the columns a list can be sorted by.
var SortFields = []string{"updatedAt", "createdAt", "name", "model", "factoryNo", "category", "region", "validUntil", "approvedDay", "code"}

// Counts are the home page figures.
type Counts struct {
	Total   int // 仪器总数 (not scrapped)
	Views   map[View]int
	Filings map[FilingStatus]int // active instruments per filing status
	Stopped int
	Booking int // in an open booking (预约中)
}

// Repo is what the instrument use cases need from a store.
type Repo interface {
	// Create stores new instruments, each with its history entry, all or
	// nothing per instrument; a taken identity key is a Conflict naming it.
	Create(ctx context.Context, in *Instrument, w Write) error
	Get(ctx context.Context, id string) (*Instrument, error)
	// GetByIdentity finds an applicant's instrument by identity key.
	GetByIdentity(ctx context.Context, applicantID, key string) (*Instrument, error)
	// Update saves in when the stored version is in.Version (then
	// increments it) together with w; Conflict otherwise.
	Update(ctx context.Context, in *Instrument, w Write) error
	// Delete removes an instrument when its version matches.
	Delete(ctx context.Context, in *Instrument) error
	List(ctx context.Context, q Query) ([]*Instrument, int, error)
	Count(ctx context.Context, q Query) (int, error)
	// IDs returns the ids matching q (no paging), for batch actions.
	IDs(ctx context.Context, q Query) ([]string, error)
	History(ctx context.Context, id string) ([]HistoryEntry, error)
	// Activity returns the applicant's most recently changed instruments.
	Activity(ctx context.Context, applicantID string, limit int) ([]*Instrument, error)
}
