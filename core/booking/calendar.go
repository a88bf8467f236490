package booking

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/refdata"
)

// DefaultHorizon is how many days ahead a calendar may be booked.
const DefaultHorizon = 30

// Calendar returns an institution's calendar: the saved one, or the default
// of the reference data until its staff edit it.
func (s *Service) Calendar(ctx context.Context, institutionID string) (*Calendar, error) {
	c, err := s.Repo.GetCalendar(ctx, institutionID)
	if err == nil {
		return c, nil
	}
	if !core.IsCode(err, core.NotFound) {
		return nil, err
	}
	inst, ok := s.Ref.Institution(institutionID)
	if !ok {
		return nil, core.ErrNotFound("技术机构")
	}
	return defaultCalendar(inst), nil
}

func defaultCalendar(inst refdata.Institution) *Calendar {
	c := &Calendar{InstitutionID: inst.ID, Weekdays: append([]int(nil), inst.Calendar.Weekdays...), Horizon: DefaultHorizon}
	for i, sl := range inst.Calendar.Slots {
		c.Slots = append(c.Slots, Slot{ID: fmt.Sprintf("s%d", i+1), Start: sl.Start, End: sl.End, Capacity: sl.Capacity})
	}
	for _, d := range inst.Calendar.Closed {
		c.Closed = append(c.Closed, core.Date(d))
	}
	return c
}

var reHHMM = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

// CalendarInput is the calendar editor's form.
type CalendarInput struct {
	Version  int
	Weekdays []int
	Slots    []Slot // ID empty for new slots
	Closed   string // dates separated by blanks, commas or new lines
	Horizon  int
}

// SaveCalendar lets an institution's staff edit its calendar.
func (s *Service) SaveCalendar(ctx context.Context, p core.Principal, in CalendarInput) (*Calendar, error) {
	if err := p.RequireRole(core.RoleStaff); err != nil {
		return nil, err
	}
	cur, err := s.Calendar(ctx, p.InstitutionID)
	if err != nil {
		return nil, err
	}
	if in.Version != cur.Version {
		return nil, core.Errorf(core.Conflict, "预约日历已被其他人修改，请刷新后重试")
	}
	f := &core.Fields{}
	days := []int{}
	for _, d := range in.Weekdays {
		if d < 1 || d > 7 {
			f.Add("weekdays", "开放日只能为周一至周日")
		} else if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	sort.Ints(days)
	if len(days) == 0 {
		f.Add("weekdays", "请至少选择一个开放日")
	}
	var slots []Slot
	used := map[string]bool{}
	for _, sl := range cur.Slots {
		used[sl.ID] = true
	}
	next := len(cur.Slots) + 1
	for i, sl := range in.Slots {
		sl.Start, sl.End = strings.TrimSpace(sl.Start), strings.TrimSpace(sl.End)
		if sl.Start == "" && sl.End == "" {
			continue
		}
		switch {
		case !reHHMM.MatchString(sl.Start) || !reHHMM.MatchString(sl.End) || sl.Start >= sl.End:
			f.Add("slots", "第 %d 个时间段的起止时间无效（格式 09:00，结束须晚于开始）", i+1)
		case sl.Capacity < 1 || sl.Capacity > 10000:
			f.Add("slots", "第 %d 个时间段的容量应为 1–10000", i+1)
		}
		if sl.ID == "" || !used[sl.ID] {
			for used[fmt.Sprintf("s%d", next)] {
				next++
			}
			sl.ID = fmt.Sprintf("s%d", next)
			used[sl.ID] = true
		}
		slots = append(slots, sl)
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Start < slots[j].Start })
	for i := 1; i < len(slots); i++ {
		if slots[i].Start < slots[i-1].End {
			f.Add("slots", "时间段 %s–%s 与 %s–%s 重叠", slots[i-1].Start, slots[i-1].End, slots[i].Start, slots[i].End)
		}
	}
	if len(slots) == 0 {
		f.Add("slots", "请至少设置一个时间段")
	}
	var closed []core.Date
	for _, t := range strings.FieldsFunc(in.Closed, func(r rune) bool {
		return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\r' || r == '；' || r == ';'
	}) {
		d, err := core.ParseDate(t)
		if err != nil || d == "" {
			f.Add("closed", "休息日“%s”不是有效日期", t)
			continue
		}
		if !slices.Contains(closed, d) {
			closed = append(closed, d)
		}
	}
	slices.Sort(closed)
	if in.Horizon == 0 {
		in.Horizon = DefaultHorizon
	}
	if in.Horizon < 1 || in.Horizon > 180 {
		f.Add("horizon", "可预约天数应为 1–180")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	c := &Calendar{InstitutionID: p.InstitutionID, Weekdays: days, Slots: slots, Closed: closed, Horizon: in.Horizon,
		Version: cur.Version, UpdatedAt: s.Clock.Now(), UpdatedBy: p.Name}
	if err := s.Repo.SaveCalendar(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// DaySlot is one slot of a day with what is left of it.
type DaySlot struct {
	Slot
	Remaining int
}

// Day is one day of a calendar as the booking page shows it.
type Day struct {
	Date    core.Date
	Weekday string
	Open    bool
	Slots   []DaySlot
}

var weekdayNames = []string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// isoWeekday returns 1 (Monday) … 7 (Sunday).
func isoWeekday(t time.Time) int {
	wd := int(t.Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// Days returns the bookable days of an institution from from (at the
// earliest tomorrow) for n days, with the remaining capacity of each slot.
func (s *Service) Days(ctx context.Context, institutionID string, from core.Date, n int) ([]Day, error) {
	c, err := s.Calendar(ctx, institutionID)
	if err != nil {
		return nil, err
	}
	today := core.Today(s.Clock)
	first := today.AddDays(1)
	if from > first {
		first = from
	}
	last := today.AddDays(c.Horizon)
	n = min(max(n, 1), 62)
	var days []Day
	var keys []string
	for d := first; d <= last && len(days) < n; d = d.AddDays(1) {
		t := d.Time()
		day := Day{Date: d, Weekday: weekdayNames[t.Weekday()]}
		day.Open = slices.Contains(c.Weekdays, isoWeekday(t)) && !slices.Contains(c.Closed, d)
		if day.Open {
			for _, sl := range c.Slots {
				day.Slots = append(day.Slots, DaySlot{Slot: sl})
				keys = append(keys, SlotKey(institutionID, d, sl.ID))
			}
		}
		days = append(days, day)
	}
	booked, err := s.Repo.Booked(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i := range days {
		for j := range days[i].Slots {
			sl := &days[i].Slots[j]
			sl.Remaining = max(sl.Capacity-booked[SlotKey(institutionID, days[i].Date, sl.ID)], 0)
		}
	}
	return days, nil
}

// slotOn checks that slot is open on date and returns it.
func (s *Service) slotOn(ctx context.Context, institutionID string, d core.Date, slotID string) (Slot, error) {
	c, err := s.Calendar(ctx, institutionID)
	if err != nil {
		return Slot{}, err
	}
	today := core.Today(s.Clock)
	switch {
	case !d.Valid() || d == "":
		return Slot{}, core.Errorf(core.Invalid, "请选择预约日期")
	case d <= today:
		return Slot{}, core.Errorf(core.Invalid, "预约日期须晚于今天")
	case d > today.AddDays(c.Horizon):
		return Slot{}, core.Errorf(core.Invalid, "只能预约 %d 天内的日期", c.Horizon)
	case !slices.Contains(c.Weekdays, isoWeekday(d.Time())) || slices.Contains(c.Closed, d):
		return Slot{}, core.Errorf(core.Invalid, "%s（%s）该机构不开放预约", d, weekdayNames[d.Time().Weekday()])
	}
	for _, sl := range c.Slots {
		if sl.ID == slotID {
			return sl, nil
		}
	}
	return Slot{}, core.Errorf(core.Invalid, "请选择预约时间段")
}
