package booking

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
)

// Kicker is told when events were written (the outbox relay).
type Kicker interface{ Kick() }

// Service holds the booking use cases.
type Service struct {
	Repo        Repo
	Instruments instrument.Repo
	Ref         *refdata.Data
	Clock       core.Clock
	Log         *slog.Logger
	Relay       Kicker
}

// MaxItems is the most instruments one booking may hold.
const MaxItems = 500

// BookableViews are where instruments may be booked from (manual 三.1).
var BookableViews = []instrument.View{instrument.ViewDue, instrument.ViewOverdue, instrument.ViewUnqualified}

func (s *Service) kick() {
	if s.Relay != nil {
		s.Relay.Kick()
	}
}

// Bookable says why in cannot be booked now, or "".
func (s *Service) Bookable(ctx context.Context, in *instrument.Instrument) string {
	today := core.Today(s.Clock)
	if in.BookingID != "" {
		if b, err := s.Repo.Get(ctx, in.BookingID); err != nil || b.Status.Open() {
			return "仪器已在预约单中"
		}
		// The booking closed but had not yet given the instrument back.
	}
	for _, v := range BookableViews {
		if instrument.InView(in, v, today) {
			return ""
		}
	}
	switch {
	case in.Filing.Status != instrument.Approved:
		return "只有备案已审核的仪器可以预约（当前：" + in.Filing.Status.Name() + "）"
	case in.Life != instrument.Active:
		return "仪器" + in.Life.Name() + "，不能预约"
	}
	return "只能预约须检仪器、超期未检或不合格的仪器"
}

// ---------------------------------------------------------------- pending list (待处理列表)

// Pending returns p's pending list (instruments still bookable, in order).
func (s *Service) Pending(ctx context.Context, p core.Principal) ([]*instrument.Instrument, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	ids, err := s.Repo.GetPending(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	var out []*instrument.Instrument
	for _, id := range ids {
		in, err := s.Instruments.Get(ctx, id)
		if err != nil || !p.OwnsApplicantData(in.ApplicantID) {
			continue
		}
		out = append(out, in)
	}
	return out, nil
}

// AddPending adds instruments to p's pending list; instruments that cannot
// be booked are refused with the reason.
func (s *Service) AddPending(ctx context.Context, p core.Principal, ids []string) ([]instrument.ItemError, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	cur, err := s.Repo.GetPending(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	var failed []instrument.ItemError
	for _, id := range ids {
		if slices.Contains(cur, id) {
			continue
		}
		in, err := s.Instruments.Get(ctx, id)
		if err != nil || !p.OwnsApplicantData(in.ApplicantID) {
			failed = append(failed, instrument.ItemError{ID: id, Label: id, Message: "仪器不存在"})
			continue
		}
		if msg := s.Bookable(ctx, in); msg != "" {
			failed = append(failed, instrument.ItemError{ID: id, Label: in.Name + "（" + in.FactoryNo + "）", Message: msg})
			continue
		}
		cur = append(cur, id)
	}
	if len(cur) > MaxItems {
		return nil, core.Errorf(core.Invalid, "待处理列表最多 %d 台仪器", MaxItems)
	}
	return failed, s.Repo.SetPending(ctx, p.UserID, cur)
}

// RemovePending removes instruments from p's pending list.
func (s *Service) RemovePending(ctx context.Context, p core.Principal, ids []string) error {
	if err := p.RequireApprovedApplicant(); err != nil {
		return err
	}
	cur, err := s.Repo.GetPending(ctx, p.UserID)
	if err != nil {
		return err
	}
	cur = slices.DeleteFunc(cur, func(id string) bool { return slices.Contains(ids, id) })
	return s.Repo.SetPending(ctx, p.UserID, cur)
}

// ---------------------------------------------------------------- create

// numberAlphabet leaves out characters people confuse (0/O, 1/I/L, U).
const numberAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewNumber returns a booking number: the date and 8 random characters,
// 14 characters in all — typed easily into the official account, and not
// guessable (30^8 ≈ 6.6e11 per day).
func NewNumber(now time.Time) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	out := []byte(now.In(core.China).Format("060102"))
	for _, c := range b {
		out = append(out, numberAlphabet[int(c)%len(numberAlphabet)])
	}
	return string(out)
}

// NormalizeNumber folds what people type into a booking number.
func NormalizeNumber(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(core.NormalizeWidth(s)), " ", ""))
}

// CreateRequest is a new booking.
type CreateRequest struct {
	IDs    []string
	Date   core.Date
	SlotID string
}

// Create books instruments for a date and slot. Instruments of one booking
// share one institution and one verification method. The slot's capacity
// is taken atomically; a booking that cannot be completed is undone.
func (s *Service) Create(ctx context.Context, p core.Principal, req CreateRequest) (*Booking, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	ids := slices.Compact(slices.Clone(req.IDs))
	switch {
	case len(ids) == 0:
		return nil, core.Errorf(core.Invalid, "请先选择要预约的仪器")
	case len(ids) > MaxItems:
		return nil, core.Errorf(core.Invalid, "一张预约单最多 %d 台仪器", MaxItems)
	}
	var ins []*instrument.Instrument
	f := &core.Fields{}
	for _, id := range ids {
		in, err := s.Instruments.Get(ctx, id)
		if err != nil || !p.OwnsApplicantData(in.ApplicantID) {
			return nil, core.ErrNotFound("仪器")
		}
		if msg := s.Bookable(ctx, in); msg != "" {
			f.Add("ids", "%s（%s）：%s", in.Name, in.FactoryNo, msg)
			continue
		}
		ins = append(ins, in)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	inst, method := ins[0].Filing.InstitutionID, ins[0].Method
	for _, in := range ins[1:] {
		if in.Filing.InstitutionID != inst || in.Method != method {
			return nil, core.Errorf(core.Invalid, "不同机构、不同检定方式的仪器须分开预约")
		}
	}
	slot, err := s.slotOn(ctx, inst, req.Date, req.SlotID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	b := &Booking{ID: core.NewID(), Number: NewNumber(now), ApplicantID: p.ApplicantID, InstitutionID: inst, Method: method,
		Date: req.Date, SlotID: slot.ID, SlotStart: slot.Start, SlotEnd: slot.End, Status: Creating,
		CreatedAt: now, UpdatedAt: now, CreatedBy: p.UserID, Version: 1}
	for _, in := range ins {
		b.Items = append(b.Items, Item{InstrumentID: in.ID, Name: in.Name, Model: in.Model, FactoryNo: in.FactoryNo, Code: in.Code, CategoryCode: in.CategoryCode})
	}
	if err := s.Repo.Reserve(ctx, b.SlotKey(), slot.Capacity); err != nil {
		if core.IsCode(err, core.Conflict) {
			return nil, core.Errorf(core.Conflict, "%s %s–%s 已约满，请选择其他时间段", req.Date, slot.Start, slot.End)
		}
		return nil, err
	}
	// The booking exists as "creating" before any instrument points at it,
	// so a crash leaves something the repair worker can undo.
	if err := s.Repo.Create(ctx, b, nil); err != nil {
		_ = s.Repo.Release(context.WithoutCancel(ctx), b.SlotKey())
		return nil, err
	}
	var taken []*instrument.Instrument
	undo := func(cause error) (*Booking, error) {
		s.release(context.WithoutCancel(ctx), b, taken)
		_ = s.Repo.Delete(context.WithoutCancel(ctx), b.ID)
		return nil, cause
	}
	for _, in := range ins {
		in.BookingID = b.ID
		h := &instrument.HistoryEntry{ID: core.NewID(), At: now, UserID: p.UserID, UserName: p.Name, Action: "预约检定",
			Detail: fmt.Sprintf("预约单 %s，%s %s–%s", b.Number, b.Date, slot.Start, slot.End)}
		in.UpdatedAt, in.LastAction, in.LastActor = now, h.Action, p.Name
		if err := s.Instruments.Update(ctx, in, instrument.Write{History: h}); err != nil {
			if core.IsCode(err, core.Conflict) {
				return undo(core.Errorf(core.Conflict, "仪器 %s（%s）刚被修改或预约，请刷新后重试", in.Name, in.FactoryNo))
			}
			return undo(err)
		}
		taken = append(taken, in)
	}
	b.Status = Pending
	b.History = append(b.History, HistoryEntry{At: now, UserID: p.UserID, UserName: p.Name, Action: "提交预约",
		Detail: fmt.Sprintf("%d 台仪器，%s %s–%s", len(b.Items), b.Date, slot.Start, slot.End)})
	ev := s.event("booking.created", b, p, now)
	if err := s.Repo.Update(ctx, b, []core.Event{ev}); err != nil {
		return undo(err)
	}
	_ = s.RemovePending(ctx, p, ids)
	s.kick()
	return b, nil
}

func (s *Service) event(typ string, b *Booking, p core.Principal, now time.Time) core.Event {
	ev := core.NewEvent(typ, now, p)
	ev.ApplicantID, ev.InstitutionID, ev.BookingID = b.ApplicantID, b.InstitutionID, b.ID
	inst, _ := s.Ref.Institution(b.InstitutionID)
	ev.Data["number"], ev.Data["status"], ev.Data["statusName"] = b.Number, string(b.Status), b.Status.Name()
	ev.Data["date"], ev.Data["slot"], ev.Data["institution"] = string(b.Date), b.SlotStart+"-"+b.SlotEnd, inst.Name
	ev.Data["count"], ev.Data["reason"] = fmt.Sprint(len(b.Items)), b.Reason
	return ev
}

// release gives the slot and the instruments back (idempotent).
func (s *Service) release(ctx context.Context, b *Booking, ins []*instrument.Instrument) {
	for _, in := range ins {
		s.unbook(ctx, in.ID, b.ID)
	}
	if err := s.Repo.Release(ctx, b.SlotKey()); err != nil {
		s.Log.Warn("release slot", "booking", b.ID, "err", err)
	}
}

// unbook frees an instrument still pointing at booking id.
func (s *Service) unbook(ctx context.Context, instrumentID, bookingID string) {
	for attempt := 0; attempt < 4; attempt++ {
		in, err := s.Instruments.Get(ctx, instrumentID)
		if err != nil || in.BookingID != bookingID {
			return
		}
		in.BookingID = ""
		if err := s.Instruments.Update(ctx, in, instrument.Write{}); err == nil || !core.IsCode(err, core.Conflict) {
			return
		}
	}
}

// ---------------------------------------------------------------- transitions

// scope: an applicant sees its bookings, staff those of their institution,
// a regulator those of its region's applicants (by institution region).
func (s *Service) canSee(p core.Principal, b *Booking) bool {
	switch {
	case p.IsApplicant():
		return p.ApplicantID == b.ApplicantID
	case p.IsStaff():
		return p.InstitutionID == b.InstitutionID
	case p.IsRegulator():
		inst, ok := s.Ref.Institution(b.InstitutionID)
		scope, ok2 := s.Ref.Region(p.RegionCode)
		r, ok3 := s.Ref.Region(inst.RegionCode)
		if !ok || !ok2 || !ok3 {
			return false
		}
		switch {
		case scope.IsProvince():
			return true
		case scope.IsCity():
			return r.CityCode() == scope.Code
		default:
			return r.Code == scope.Code
		}
	}
	return false
}

// Get returns a booking p may see (never one still being created).
func (s *Service) Get(ctx context.Context, p core.Principal, id string) (*Booking, error) {
	b, err := s.Repo.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.Status == Creating || !s.canSee(p, b) {
		return nil, core.ErrNotFound("预约单")
	}
	return b, nil
}

func actorOf(p core.Principal, b *Booking) Actor {
	switch {
	case p.IsApplicant() && p.ApplicantID == b.ApplicantID:
		return ActorApplicant
	case p.IsStaff() && p.InstitutionID == b.InstitutionID:
		return ActorInstitution
	}
	return ""
}

// Act applies a booking action: cancel (applicant), confirm, reject and
// return (institution). version 0 skips the stale-page check.
func (s *Service) Act(ctx context.Context, p core.Principal, id string, a Action, version int, reason string) (*Booking, error) {
	reason = strings.TrimSpace(reason)
	if (a == Reject || a == Return) && reason == "" {
		f := &core.Fields{}
		f.Add("reason", "请填写%s原因", map[Action]string{Reject: "拒绝", Return: "退回"}[a])
		return nil, f.Err()
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, core.Errorf(core.Invalid, "原因不能超过 500 个字")
	}
	b, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	actor := actorOf(p, b)
	if actor == "" {
		return nil, core.Errorf(core.Forbidden, "您不能%s", a.Name())
	}
	if a == Complete {
		return nil, core.Errorf(core.Invalid, "预约单在全部仪器检定后自动完检")
	}
	t, err := Lookup(b.Status, a, actor)
	if err != nil {
		return nil, err
	}
	if version != 0 && version != b.Version {
		return nil, core.Errorf(core.Conflict, "预约单已被其他人处理，当前状态为“%s”，请刷新", b.Status.Name())
	}
	if err := s.apply(ctx, p, b, t, reason); err != nil {
		return nil, err
	}
	return b, nil
}

// apply moves b along t and, when it closes, gives back what it held.
func (s *Service) apply(ctx context.Context, p core.Principal, b *Booking, t Transition, reason string) error {
	now := s.Clock.Now()
	b.Status, b.UpdatedAt = t.To, now
	if reason != "" {
		b.Reason = reason
	}
	b.History = append(b.History, HistoryEntry{At: now, UserID: p.UserID, UserName: p.Name, Action: t.Action.Name(), Detail: reason})
	if err := s.Repo.Update(ctx, b, []core.Event{s.event(t.Event, b, p, now)}); err != nil {
		if core.IsCode(err, core.Conflict) {
			if cur, gerr := s.Repo.Get(ctx, b.ID); gerr == nil {
				return core.Errorf(core.Conflict, "预约单已被其他人处理，当前状态为“%s”", cur.Status.Name())
			}
		}
		return err
	}
	s.kick()
	if !b.Status.Open() {
		s.finish(ctx, b)
	}
	return nil
}

// finish releases a closed booking's instruments and slot, then marks it
// released; the repair worker redoes this if a crash cut it short.
func (s *Service) finish(ctx context.Context, b *Booking) {
	for _, it := range b.Items {
		s.unbook(ctx, it.InstrumentID, b.ID)
	}
	if b.Status != Completed {
		if err := s.Repo.Release(ctx, b.SlotKey()); err != nil {
			s.Log.Warn("release slot", "booking", b.ID, "err", err)
			return
		}
	}
	for attempt := 0; attempt < 4; attempt++ {
		b.Released = true
		err := s.Repo.Update(ctx, b, nil)
		if err == nil || !core.IsCode(err, core.Conflict) {
			return
		}
		cur, gerr := s.Repo.Get(ctx, b.ID)
		if gerr != nil || cur.Released {
			return
		}
		*b = *cur
	}
}

// Repair undoes bookings left "creating" by a crash and finishes closed
// bookings that did not release what they held.
func (s *Service) Repair(ctx context.Context) error {
	list, err := s.Repo.Stale(ctx, s.Clock.Now().Add(-2*time.Minute))
	if err != nil {
		return err
	}
	for _, b := range list {
		if b.Status == Creating {
			s.Log.Warn("undoing a booking left half-created", "booking", b.ID)
			for _, it := range b.Items {
				s.unbook(ctx, it.InstrumentID, b.ID)
			}
			if err := s.Repo.Release(ctx, b.SlotKey()); err != nil {
				return err
			}
			if err := s.Repo.Delete(ctx, b.ID); err != nil && !core.IsCode(err, core.NotFound) {
				return err
			}
			continue
		}
		s.finish(ctx, b)
	}
	return nil
}

// ---------------------------------------------------------------- front desk (manual 六)

// Settlement is the front desk's outcome for one instrument.
type Settlement struct {
	Outcome       string // OutcomeVerified or OutcomeMismatch
	Result        instrument.Result
	CertificateNo string
	VerifyDate    string
	ValidUntil    string
	Reason        string // mismatch: why the instrument does not match its filing
}

// Settle records the outcome of one instrument of a confirmed booking.
// Verified: the result goes on the instrument and a certificate is issued.
// Mismatch (退单): the instrument's filing goes back to 被退回. When every
// instrument is settled the booking is 已完检.
func (s *Service) Settle(ctx context.Context, p core.Principal, bookingID, instrumentID string, st Settlement) (*Booking, error) {
	b, err := s.Get(ctx, p, bookingID)
	if err != nil {
		return nil, err
	}
	if actorOf(p, b) != ActorInstitution {
		return nil, core.Errorf(core.Forbidden, "只有预约的技术机构可以登记检定结果")
	}
	if b.Status != Confirmed {
		return nil, core.Errorf(core.Conflict, "预约单当前状态为“%s”，不能登记检定结果", b.Status.Name())
	}
	idx := slices.IndexFunc(b.Items, func(it Item) bool { return it.InstrumentID == instrumentID })
	if idx < 0 {
		return nil, core.ErrNotFound("预约单中的仪器")
	}
	if b.Items[idx].Outcome != "" {
		return nil, core.Errorf(core.Conflict, "该仪器已登记：%s", b.Items[idx].OutcomeName())
	}
	item, err := s.checkSettlement(ctx, p, b, st)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	item.SettledAt, item.SettledBy = now, p.Name
	// The instrument first: it carries the result or the return, and its
	// event. If the booking update below is lost, settling again finds the
	// instrument done (by this booking) and only updates the booking.
	if err := s.settleInstrument(ctx, p, b, instrumentID, item, now); err != nil {
		return nil, err
	}
	it := &b.Items[idx]
	*it = Item{InstrumentID: it.InstrumentID, Name: it.Name, Model: it.Model, FactoryNo: it.FactoryNo, Code: it.Code, CategoryCode: it.CategoryCode,
		Outcome: item.Outcome, Result: item.Result, CertificateNo: item.CertificateNo, VerifyDate: item.VerifyDate,
		ValidUntil: item.ValidUntil, Reason: item.Reason, SettledAt: now, SettledBy: p.Name}
	b.UpdatedAt = now
	detail := it.Name + "（" + it.FactoryNo + "）：" + it.OutcomeName()
	if it.Reason != "" {
		detail += "，" + it.Reason
	}
	b.History = append(b.History, HistoryEntry{At: now, UserID: p.UserID, UserName: p.Name, Action: "登记检定结果", Detail: detail})
	var events []core.Event
	if b.Unsettled() == 0 {
		t, _ := Lookup(Confirmed, Complete, ActorSystem)
		b.Status = t.To
		b.History = append(b.History, HistoryEntry{At: now, UserName: "系统", Action: "完检"})
		events = append(events, s.event(t.Event, b, p, now))
	}
	if err := s.Repo.Update(ctx, b, events); err != nil {
		if core.IsCode(err, core.Conflict) {
			return nil, core.Errorf(core.Conflict, "预约单已被其他人修改，请刷新后重试")
		}
		return nil, err
	}
	s.kick()
	if b.Status == Completed {
		s.finish(ctx, b)
	}
	return b, nil
}

func (s *Service) checkSettlement(ctx context.Context, p core.Principal, b *Booking, st Settlement) (Item, error) {
	f := &core.Fields{}
	it := Item{Outcome: st.Outcome}
	today := core.Today(s.Clock)
	switch st.Outcome {
	case OutcomeVerified:
		it.Result = st.Result
		if st.Result != instrument.Qualified && st.Result != instrument.Unqualified {
			f.Add("result", "请选择检定结果：合格或不合格")
		}
		vd, err := core.ParseDate(st.VerifyDate)
		switch {
		case err != nil || vd == "":
			f.Add("verifyDate", "请填写检定日期")
		case vd > today:
			f.Add("verifyDate", "检定日期不能晚于今天")
		}
		it.VerifyDate = vd
		it.CertificateNo = strings.TrimSpace(core.NormalizeWidth(st.CertificateNo))
		if it.Result == instrument.Qualified {
			if it.CertificateNo == "" {
				f.Add("certificateNo", "请填写检定证书编号")
			} else if utf8.RuneCountInString(it.CertificateNo) > 64 {
				f.Add("certificateNo", "证书编号不能超过 64 个字")
			} else if list, _, err := s.Repo.ListCertificates(ctx, CertQuery{InstitutionID: b.InstitutionID, Text: it.CertificateNo, Limit: 5}); err == nil {
				for _, c := range list {
					if c.Number == it.CertificateNo {
						f.Add("certificateNo", "证书编号 %s 已被使用", it.CertificateNo)
					}
				}
			}
			vu, err := core.ParseDate(st.ValidUntil)
			switch {
			case err != nil || vu == "":
				f.Add("validUntil", "请填写有效期至")
			case vd != "" && vu <= vd:
				f.Add("validUntil", "有效期至须晚于检定日期")
			}
			it.ValidUntil = vu
		}
	case OutcomeMismatch:
		it.Reason = strings.TrimSpace(st.Reason)
		if it.Reason == "" {
			f.Add("reason", "请填写退单原因（仪器与备案信息不符之处）")
		}
	default:
		f.Add("outcome", "请选择核对结果：核对无误或退单")
	}
	return it, f.Err()
}

func (s *Service) settleInstrument(ctx context.Context, p core.Principal, b *Booking, id string, it Item, now time.Time) error {
	for attempt := 0; ; attempt++ {
		in, err := s.Instruments.Get(ctx, id)
		if err != nil {
			return err
		}
		if in.BookingID != b.ID {
			if in.Last.BookingID == b.ID || in.Filing.ReturnedBy == b.ID {
				return nil // settled before a lost booking update
			}
			return core.Errorf(core.Conflict, "仪器已不在该预约单中")
		}
		h := &instrument.HistoryEntry{ID: core.NewID(), At: now, UserID: p.UserID, UserName: p.Name}
		ev := core.NewEvent("", now, p)
		ev.ApplicantID, ev.InstitutionID, ev.InstrumentID, ev.BookingID = in.ApplicantID, b.InstitutionID, in.ID, b.ID
		ev.Data["instrument"], ev.Data["factoryNo"], ev.Data["model"], ev.Data["code"] = in.Name, in.FactoryNo, in.Model, in.Code
		ev.Data["number"] = b.Number
		in.BookingID = ""
		if it.Outcome == OutcomeVerified {
			in.Last = instrument.Verification{Result: it.Result, Date: it.VerifyDate, CertificateNo: it.CertificateNo,
				ValidUntil: it.ValidUntil, InstitutionID: b.InstitutionID, BookingID: b.ID, At: now}
			in.Verified = true
			in.ValidUntil, in.CertificateNo = it.ValidUntil, it.CertificateNo
			h.Action = "检定" + it.Result.Name()
			h.Detail = fmt.Sprintf("预约单 %s，检定日期 %s", b.Number, it.VerifyDate)
			if it.Result == instrument.Qualified {
				h.Detail += fmt.Sprintf("，证书编号 %s，有效期至 %s", it.CertificateNo, it.ValidUntil)
			}
			ev.Type = "certificate.issued"
			ev.Data["result"], ev.Data["resultName"] = string(it.Result), it.Result.Name()
			ev.Data["certificateNo"], ev.Data["verifyDate"], ev.Data["validUntil"] = it.CertificateNo, string(it.VerifyDate), string(it.ValidUntil)
		} else {
			in.Filing.Status, in.Filing.ReturnKind, in.Filing.ReturnReason, in.Filing.ReturnedBy = instrument.Returned, "前台退单", it.Reason, b.ID
			h.Action, h.Detail = "前台退单", fmt.Sprintf("预约单 %s：%s", b.Number, it.Reason)
			ev.Type = "filing.returned"
			ev.Data["status"], ev.Data["statusName"], ev.Data["detail"] = string(instrument.Returned), instrument.Returned.Name(), "前台退单："+it.Reason
		}
		in.UpdatedAt, in.LastAction, in.LastActor = now, h.Action, p.Name
		err = s.Instruments.Update(ctx, in, instrument.Write{History: h, Events: []core.Event{ev}})
		if core.IsCode(err, core.Conflict) && attempt < 3 {
			continue
		}
		return err
	}
}

// ---------------------------------------------------------------- lists

// Menus of 预约管理 (manual 五.3) and their statuses; history is everything.
var Menus = []struct {
	Key      string
	Label    string
	Statuses []Status
}{
	{"pending", "预约中", []Status{Pending}},
	{"confirmed", "已确认", []Status{Confirmed}},
	{"rejected", "被拒绝", []Status{Rejected}},
	{"returned", "被退回", []Status{Returned}},
	{"completed", "已完检", []Status{Completed}},
	{"history", "历史查询", []Status{Pending, Confirmed, Rejected, Returned, Completed, Cancelled}},
}

// List returns p's bookings of a menu.
func (s *Service) List(ctx context.Context, p core.Principal, menu string, page, size int) ([]*Booking, int, error) {
	q := Query{Limit: min(max(size, 1), 100), Offset: (max(page, 1) - 1) * min(max(size, 1), 100)}
	found := false
	for _, m := range Menus {
		if m.Key == menu {
			q.Statuses, found = m.Statuses, true
		}
	}
	if !found {
		return nil, 0, core.Errorf(core.Invalid, "未知的预约列表：%s", menu)
	}
	switch {
	case p.IsApplicant():
		if err := p.RequireApprovedApplicant(); err != nil {
			return nil, 0, err
		}
		q.ApplicantID = p.ApplicantID
	case p.IsStaff():
		q.InstitutionID = p.InstitutionID
	default:
		return nil, 0, core.Errorf(core.Forbidden, "您没有权限查看预约单")
	}
	return s.Repo.List(ctx, q)
}

// Latest returns the latest bookings of an applicant (检定查询).
func (s *Service) Latest(ctx context.Context, applicantID string, n int) ([]*Booking, error) {
	list, _, err := s.Repo.List(ctx, Query{ApplicantID: applicantID, Limit: n,
		Statuses: []Status{Pending, Confirmed, Rejected, Returned, Completed, Cancelled}})
	return list, err
}

// ByNumber returns the booking with a number (the official account's public
// query; callers show no private details).
func (s *Service) ByNumber(ctx context.Context, number string) (*Booking, error) {
	b, err := s.Repo.GetByNumber(ctx, NormalizeNumber(number))
	if err != nil || b.Status == Creating {
		return nil, core.ErrNotFound("预约单")
	}
	return b, nil
}

// Certificates lists the certificates p may see.
func (s *Service) Certificates(ctx context.Context, p core.Principal, q CertQuery) ([]*Certificate, int, error) {
	switch {
	case p.IsApplicant():
		if err := p.RequireApprovedApplicant(); err != nil {
			return nil, 0, err
		}
		q.ApplicantID, q.InstitutionID = p.ApplicantID, ""
	case p.IsStaff():
		q.ApplicantID, q.InstitutionID = "", p.InstitutionID
	default:
		return nil, 0, core.Errorf(core.Forbidden, "您没有权限查看证书")
	}
	q.Limit = min(max(q.Limit, 1), 100)
	return s.Repo.ListCertificates(ctx, q)
}

// CertificatesOf lists the certificates of an instrument the caller has
// already been allowed to see.
func (s *Service) CertificatesOf(ctx context.Context, in *instrument.Instrument) ([]*Certificate, error) {
	list, _, err := s.Repo.ListCertificates(ctx, CertQuery{InstrumentID: in.ID, Limit: 100})
	return list, err
}

// Project is the relay's projector: certificate.issued events become
// certificates (idempotently: the id is the booking and the instrument).
func (s *Service) Project(ctx context.Context, events []core.Event) error {
	for _, ev := range events {
		if ev.Type != "certificate.issued" {
			continue
		}
		d := ev.Data
		c := &Certificate{ID: ev.BookingID + ":" + ev.InstrumentID, Number: d["certificateNo"], InstrumentID: ev.InstrumentID,
			InstrumentName: d["instrument"], Model: d["model"], FactoryNo: d["factoryNo"], Code: d["code"], ApplicantID: ev.ApplicantID,
			InstitutionID: ev.InstitutionID, BookingID: ev.BookingID, BookingNumber: d["number"], Result: instrument.Result(d["result"]),
			VerifyDate: core.Date(d["verifyDate"]), ValidUntil: core.Date(d["validUntil"]), IssuedAt: ev.At}
		if err := s.Repo.SaveCertificate(ctx, c); err != nil {
			return err
		}
	}
	return nil
}
