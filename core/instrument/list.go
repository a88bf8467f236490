package instrument

import (
	"context"
	"slices"
	"strings"

	"github.com/gdqjp/qj/core"
)

// PageSizes are the page sizes a table offers (manual 图 14).
var PageSizes = []int{15, 30, 50, 100}

// StoppedMenu is the 备案管理 → 已停用 menu, which lists by lifecycle.
const StoppedMenu = "stopped"

// ListRequest is a list as a user asks for it: a view (仪器管理 menus) or a
// filing menu (备案管理), filters, sort and page.
type ListRequest struct {
	View   View
	Filing string // a FilingStatus, or StoppedMenu
	// FilingFilter narrows a view to one filing status.
	FilingFilter string
	Name         string
	FactoryNo    string
	Category     string
	Region       string
	Usage        int
	Method       int
	Tag          string
	Text         string
	Sort         string
	Desc         bool
	Page         int
	Size         int
}

// ApplyView adds the conditions of view v on date today to q. The date
// rules of manual 三.1 live here and nowhere else:
//
//	须检 due:      valid-until within the next 30 days, or (no valid-until,
//	               not verified since approval) approved ≤ 10 days ago
//	超期未检 overdue: expired ≤ 30 days ago, or approved 11–30 days ago
//	无效 invalid:   expired > 30 days ago, or approved > 30 days ago
func ApplyView(q *Query, v View, today core.Date) error {
	byDate := func(vuFrom, vuTo, apFrom, apTo core.Date) {
		q.Lives, q.Filings = []Life{Active}, []FilingStatus{Approved}
		q.ByDate = &struct{ ValidUntil, Approved DateRange }{
			ValidUntil: DateRange{vuFrom, vuTo}, Approved: DateRange{apFrom, apTo},
		}
	}
	switch v {
	case ViewAll, "":
		q.Lives = []Life{Active, Stopped}
	case ViewScrapped:
		q.Lives = []Life{Scrapped}
	case ViewUnqualified:
		q.Lives, q.Results = []Life{Active}, []Result{Unqualified}
	case ViewDue:
		byDate(today, today.AddDays(30), today.AddDays(-10), today)
	case ViewOverdue:
		byDate(today.AddDays(-30), today.AddDays(-1), today.AddDays(-30), today.AddDays(-11))
	case ViewInvalid:
		byDate("", today.AddDays(-31), "", today.AddDays(-31))
	default:
		return core.Errorf(core.Invalid, "未知的仪器列表：%s", v)
	}
	return nil
}

// Query builds the scoped store query of a list request.
func (s *Service) Query(p core.Principal, r ListRequest) (Query, error) {
	var q Query
	if !scope(s.Ref, p, &q) {
		return q, core.Errorf(core.Forbidden, "您没有权限查看仪器")
	}
	if p.IsApplicant() {
		if err := p.RequireApprovedApplicant(); err != nil {
			return q, err
		}
	}
	switch {
	case r.Filing == StoppedMenu:
		q.Lives = []Life{Stopped}
	case r.Filing != "":
		st := FilingStatus(r.Filing)
		if !slices.Contains(FilingStatuses, st) {
			return q, core.Errorf(core.Invalid, "未知的备案状态：%s", r.Filing)
		}
		q.Lives, q.Filings = []Life{Active}, []FilingStatus{st}
	default:
		if err := ApplyView(&q, r.View, s.today()); err != nil {
			return q, err
		}
	}
	if ff := FilingStatus(r.FilingFilter); ff != "" {
		if !slices.Contains(FilingStatuses, ff) {
			return q, core.Errorf(core.Invalid, "未知的备案状态：%s", r.FilingFilter)
		}
		if len(q.Filings) == 0 || slices.Contains(q.Filings, ff) {
			q.Filings = []FilingStatus{ff}
		} else {
			q.IDs = []string{"\x00none"} // the view and the filter exclude each other
		}
	}
	q.Name, q.FactoryNo, q.Tag = strings.TrimSpace(r.Name), strings.TrimSpace(r.FactoryNo), strings.TrimSpace(r.Tag)
	q.Category, q.Region = NormalizeNumber(r.Category), NormalizeNumber(r.Region)
	if len(q.Category) == 3 {
		q.ItemCode, q.Category = q.Category, ""
	}
	q.Usage, q.Method, q.Text = r.Usage, r.Method, strings.TrimSpace(r.Text)
	q.Sort, q.Desc = r.Sort, r.Desc
	if q.Sort == "" {
		q.Sort, q.Desc = "updatedAt", true
	}
	if !slices.Contains(SortFields, q.Sort) {
		return q, core.Errorf(core.Invalid, "不支持按 %s 排序", r.Sort)
	}
	size := r.Size
	if size == 0 {
		size = PageSizes[0]
	}
	if !slices.Contains(PageSizes, size) {
		return q, core.Errorf(core.Invalid, "每页条数只能为 15、30、50 或 100")
	}
	page := max(r.Page, 1)
	q.Limit, q.Offset = size, (page-1)*size
	return q, nil
}

// List returns a page of instruments and the total.
func (s *Service) List(ctx context.Context, p core.Principal, r ListRequest) ([]*Instrument, int, error) {
	q, err := s.Query(p, r)
	if err != nil {
		return nil, 0, err
	}
	return s.Repo.List(ctx, q)
}

// AllIDs returns every id matching a list request (submit by query, export).
func (s *Service) AllIDs(ctx context.Context, p core.Principal, r ListRequest) ([]string, error) {
	r.Size, r.Page = PageSizes[0], 1
	q, err := s.Query(p, r)
	if err != nil {
		return nil, err
	}
	q.Limit, q.Offset = 0, 0
	return s.Repo.IDs(ctx, q)
}

// Counts returns the home page figures of p's applicant.
func (s *Service) Counts(ctx context.Context, p core.Principal) (Counts, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return Counts{}, err
	}
	today := s.today()
	c := Counts{Views: map[View]int{}, Filings: map[FilingStatus]int{}}
	count := func(q Query) (int, error) {
		q.ApplicantID = p.ApplicantID
		return s.Repo.Count(ctx, q)
	}
	for _, v := range Views {
		var q Query
		if err := ApplyView(&q, v.View, today); err != nil {
			return c, err
		}
		n, err := count(q)
		if err != nil {
			return c, err
		}
		c.Views[v.View] = n
	}
	c.Total = c.Views[ViewAll]
	for _, st := range FilingStatuses {
		n, err := count(Query{Lives: []Life{Active}, Filings: []FilingStatus{st}})
		if err != nil {
			return c, err
		}
		c.Filings[st] = n
	}
	var err error
	if c.Stopped, err = count(Query{Lives: []Life{Stopped}}); err != nil {
		return c, err
	}
	yes := true
	if c.Booking, err = count(Query{Lives: []Life{Active, Stopped}, Booked: &yes}); err != nil {
		return c, err
	}
	return c, nil
}

// Activity returns p's most recently changed instruments (首页 最新仪器动态).
func (s *Service) Activity(ctx context.Context, p core.Principal, n int) ([]*Instrument, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	return s.Repo.Activity(ctx, p.ApplicantID, n)
}

// View returns the count of view v (for templates, which key by string).
func (c Counts) View(v string) int { return c.Views[View(v)] }

// Filing returns the count of active instruments in filing status s.
func (c Counts) Filing(s string) int { return c.Filings[FilingStatus(s)] }

// Matches evaluates the list conditions of q that views use (lifecycle,
// filing, result, dates) on one instrument in memory, so a single
// instrument is judged by exactly the rule the lists use.
func (q *Query) Matches(in *Instrument) bool {
	if len(q.Lives) > 0 && !slices.Contains(q.Lives, in.Life) {
		return false
	}
	if len(q.Filings) > 0 && !slices.Contains(q.Filings, in.Filing.Status) {
		return false
	}
	if len(q.Results) > 0 && !slices.Contains(q.Results, in.CurrentResult()) {
		return false
	}
	if d := q.ByDate; d != nil {
		if vu := in.ValidUntil; vu != "" {
			return inRange(vu, d.ValidUntil)
		}
		return !in.Verified && inRange(in.Filing.ApprovedDay, d.Approved)
	}
	return true
}

func inRange(v core.Date, r DateRange) bool {
	return (r.From == "" || v >= r.From) && (r.To == "" || v <= r.To)
}

// InView reports whether in is in view v on date today.
func InView(in *Instrument, v View, today core.Date) bool {
	var q Query
	if err := ApplyView(&q, v, today); err != nil {
		return false
	}
	return q.Matches(in)
}
