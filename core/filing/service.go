package filing

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
)

// Params are what an action needs besides the instruments.
type Params struct {
	InstitutionID string // submit: the chosen (city) institution
	Statement     bool   // submit: 责任声明 confirmed
	Transfer      bool   // submit: authorise transfer to the provincial institute
	TargetID      string // dispatch: the district institution
	ReturnKind    string // return: one of ReturnKinds
	Reason        string // return, decline, revoke
}

// Batch is one action on many instruments. It is stored before any
// instrument changes and records its progress, so a batch left half-done by
// a crash is finished by a worker.
type Batch struct {
	ID        string
	Action    Action
	Actor     core.Principal
	Params    Params
	IDs       []string
	Cursor    int // IDs[:Cursor] are processed
	Done      int
	Failed    []instrument.ItemError
	Status    string // running, done
	Owner     string // the process holding the lease
	LeaseTill time.Time
	CreatedAt time.Time
	EndedAt   time.Time
	Version   int
}

// Running reports whether the batch still has work.
func (b *Batch) Running() bool { return b.Status == "running" }

// Repo stores batches and sequences.
type Repo interface {
	CreateBatch(ctx context.Context, b *Batch) error
	GetBatch(ctx context.Context, id string) (*Batch, error)
	// SaveBatch saves progress when b.Version matches (then increments it).
	SaveBatch(ctx context.Context, b *Batch) error
	// ClaimBatch leases a running batch whose lease ended before now to
	// owner until till; NotFound when there is none.
	ClaimBatch(ctx context.Context, owner string, now, till time.Time) (*Batch, error)
	// NextSeq returns the next value (1, 2, …) of a named sequence.
	NextSeq(ctx context.Context, key string) (int64, error)
}

// Kicker is told when events were written (the outbox relay).
type Kicker interface{ Kick() }

// Service holds the filing use cases.
type Service struct {
	Instruments instrument.Repo
	Repo        Repo
	Ref         *refdata.Data
	Clock       core.Clock
	Log         *slog.Logger
	Relay       Kicker
	// Owner identifies this process in batch leases.
	Owner string
	// Background runs batches that outlive their request.
	Background context.Context
	// InlineFor is how long a request waits for its batch (default 15 s).
	InlineFor time.Duration
}

const lease = time.Minute

// MaxIDs is the most instruments one batch may name.
const MaxIDs = 100000

// ---------------------------------------------------------------- submit options

// InstitutionOption is an institution the applicant may file a selection with.
type InstitutionOption struct {
	ID                string
	Name              string
	CanVerifyAll      bool
	MissingCategories []string // categories it cannot verify (transfer needed)
}

// Options are what the submit dialog offers for a selection.
type Options struct {
	Count        int
	Institutions []InstitutionOption
	NeedTypeCert []instrument.ItemError // P+V instruments without a 型式评价证书
	Province     string                 // the provincial institute's name
}

// Options returns the institutions a selection of p's instruments may be
// filed with: the city institutions covering every instrument's region.
func (s *Service) Options(ctx context.Context, p core.Principal, ids []string) (Options, error) {
	var o Options
	if err := p.RequireApprovedApplicant(); err != nil {
		return o, err
	}
	if len(ids) == 0 {
		return o, core.Errorf(core.Invalid, "请先选择要提交备案的仪器")
	}
	cities := map[string]bool{}
	cats := map[string]bool{}
	for _, id := range ids {
		in, err := s.Instruments.Get(ctx, id)
		if err != nil || !p.OwnsApplicantData(in.ApplicantID) {
			continue
		}
		o.Count++
		r, _ := s.Ref.Region(in.RegionCode)
		cities[r.CityCode()] = true
		cats[in.CategoryCode] = true
		if c, _ := s.Ref.Category(in.CategoryCode); c.NeedsTypeCertificate() && len(in.TypeCerts) == 0 {
			o.NeedTypeCert = append(o.NeedTypeCert, instrument.ItemError{ID: in.ID, Label: in.Name + "（" + in.FactoryNo + "）",
				Message: "该种别监管方式为 P+V，提交备案前须上传型式评价证书"})
		}
	}
	if o.Count == 0 {
		return o, core.Errorf(core.Invalid, "请先选择要提交备案的仪器")
	}
	if len(cities) > 1 {
		return o, core.Errorf(core.Invalid, "所选仪器属于不同城市，请按城市分开提交备案")
	}
	for city := range cities {
		inst, ok := s.Ref.CityInstitutionOf(city)
		if !ok {
			continue
		}
		opt := InstitutionOption{ID: inst.ID, Name: inst.Name, CanVerifyAll: true}
		for c := range cats {
			if !inst.CanVerify(c) {
				opt.CanVerifyAll = false
				opt.MissingCategories = append(opt.MissingCategories, c)
			}
		}
		sort.Strings(opt.MissingCategories)
		o.Institutions = append(o.Institutions, opt)
	}
	if prov, ok := s.province(); ok {
		o.Province = prov.Name
	}
	return o, nil
}

func (s *Service) province() (refdata.Institution, bool) {
	for _, i := range s.Ref.Institutions() {
		if i.Level == refdata.LevelProvince {
			return i, true
		}
	}
	return refdata.Institution{}, false
}

// ---------------------------------------------------------------- starting batches

// Start records a batch for p and runs it: inline for up to InlineFor,
// then in the background. The returned batch tells how far it got.
func (s *Service) Start(ctx context.Context, p core.Principal, a Action, ids []string, params Params) (*Batch, error) {
	if err := s.checkRequest(p, a, &params); err != nil {
		return nil, err
	}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, core.Errorf(core.Invalid, "请先选择仪器")
	}
	if len(ids) > MaxIDs {
		return nil, core.Errorf(core.Invalid, "一次最多处理 %d 台仪器", MaxIDs)
	}
	now := s.Clock.Now()
	b := &Batch{ID: core.NewID(), Action: a, Actor: p, Params: params, IDs: ids, Status: "running",
		Owner: s.Owner, LeaseTill: now.Add(lease), CreatedAt: now, Version: 1}
	if err := s.Repo.CreateBatch(ctx, b); err != nil {
		return nil, err
	}
	inline := s.InlineFor
	if inline <= 0 {
		inline = 15 * time.Second
	}
	done := make(chan error, 1)
	bg := s.Background
	if bg == nil {
		bg = context.WithoutCancel(ctx)
	}
	go func() { done <- s.Run(bg, b) }()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-time.After(inline):
		// Still running: the caller polls the batch.
	case <-ctx.Done():
	}
	return s.Repo.GetBatch(context.WithoutCancel(ctx), b.ID)
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// checkRequest validates what applies to the whole batch.
func (s *Service) checkRequest(p core.Principal, a Action, params *Params) error {
	params.Reason = strings.TrimSpace(params.Reason)
	f := &core.Fields{}
	if utf8.RuneCountInString(params.Reason) > 500 {
		f.Add("reason", "原因不能超过 500 个字")
	}
	switch a {
	case Submit:
		if err := p.RequireApprovedApplicant(); err != nil {
			return err
		}
		inst, ok := s.Ref.Institution(params.InstitutionID)
		if !ok || inst.Level != refdata.LevelCity {
			f.Add("institutionId", "请选择备案的技术机构（市级）")
		}
		if !params.Statement {
			f.Add("statement", "请阅读并确认责任声明")
		}
	case Withdraw:
		if err := p.RequireApprovedApplicant(); err != nil {
			return err
		}
	case Approve, Confirm:
		if err := p.RequireRole(core.RoleStaff); err != nil {
			return err
		}
	case Return:
		if err := p.RequireRole(core.RoleStaff); err != nil {
			return err
		}
		if !ValidReturnKind(params.ReturnKind) {
			f.Add("returnKind", "请选择退回原因：资料不完整、不属于强检目录或其他")
		} else if params.ReturnKind == "其他" && params.Reason == "" {
			f.Add("reason", "请填写退回原因")
		}
	case Dispatch:
		if err := p.RequireRole(core.RoleStaff); err != nil {
			return err
		}
		if t, ok := s.Ref.Institution(params.TargetID); !ok || t.Level != refdata.LevelDistrict || t.ParentID != p.InstitutionID {
			f.Add("targetId", "请选择本市的区县级技术机构")
		}
	case Transfer, Decline:
		if err := p.RequireRole(core.RoleStaff); err != nil {
			return err
		}
	case Revoke:
		if err := p.RequireRole(core.RoleStaff, core.RoleRegulator); err != nil {
			return err
		}
		if params.Reason == "" {
			f.Add("reason", "请填写撤销原因")
		}
	default:
		return core.Errorf(core.Invalid, "未知的备案操作：%s", a)
	}
	return f.Err()
}

// ---------------------------------------------------------------- running batches

// Run processes a batch to its end, saving progress as it goes. It is safe
// to run again on a batch a crash interrupted.
func (s *Service) Run(ctx context.Context, b *Batch) error {
	const chunk = 100
	for b.Cursor < len(b.IDs) {
		end := min(b.Cursor+chunk, len(b.IDs))
		for _, id := range b.IDs[b.Cursor:end] {
			msg, err := s.applyItem(ctx, b, id)
			if err != nil {
				return err
			}
			if msg != "" {
				b.Failed = append(b.Failed, instrument.ItemError{ID: id, Label: s.label(ctx, b, id), Message: msg})
			} else {
				b.Done++
			}
		}
		b.Cursor = end
		b.LeaseTill = s.Clock.Now().Add(lease)
		if b.Cursor == len(b.IDs) {
			b.Status, b.EndedAt = "done", s.Clock.Now()
		}
		if err := s.Repo.SaveBatch(ctx, b); err != nil {
			return err
		}
		if s.Relay != nil {
			s.Relay.Kick()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if b.Status != "done" {
		b.Status, b.EndedAt = "done", s.Clock.Now()
		return s.Repo.SaveBatch(ctx, b)
	}
	return nil
}

func (s *Service) label(ctx context.Context, b *Batch, id string) string {
	in, err := s.Instruments.Get(ctx, id)
	if err != nil || actorOf(s.Ref, b.Actor, in) == "" {
		return id
	}
	return in.Name + "（" + in.FactoryNo + "）"
}

// ResumeStale finishes batches whose process died (their lease ran out).
func (s *Service) ResumeStale(ctx context.Context) (int, error) {
	n := 0
	for {
		now := s.Clock.Now()
		b, err := s.Repo.ClaimBatch(ctx, s.Owner, now, now.Add(lease))
		if core.IsCode(err, core.NotFound) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		s.Log.Info("resuming filing batch", "batch", b.ID, "action", b.Action, "cursor", b.Cursor, "of", len(b.IDs))
		if err := s.Run(ctx, b); err != nil {
			return n, err
		}
		n++
	}
}

// actorOf says how p relates to in, or "" when p may not see it.
func actorOf(ref *refdata.Data, p core.Principal, in *instrument.Instrument) Actor {
	switch {
	case p.IsApplicant():
		if p.ApplicantID == in.ApplicantID {
			return ActorApplicant
		}
	case p.IsStaff():
		if in.Filing.Status == instrument.Unfiled {
			return ""
		}
		if in.Filing.TargetID != "" && in.Filing.TargetID == p.InstitutionID {
			return ActorTarget
		}
		if in.Filing.InstitutionID == p.InstitutionID {
			return ActorFiled
		}
	case p.IsRegulator():
		s, ok1 := ref.Region(p.RegionCode)
		r, ok2 := ref.Region(in.RegionCode)
		if ok1 && ok2 && (s.IsProvince() || (s.IsCity() && r.CityCode() == s.Code) || r.Code == s.Code) {
			return ActorRegulator
		}
	}
	return ""
}

// applyItem applies the batch's action to one instrument; it returns the
// user-facing reason when the instrument cannot take it.
func (s *Service) applyItem(ctx context.Context, b *Batch, id string) (string, error) {
	for attempt := 0; ; attempt++ {
		in, err := s.Instruments.Get(ctx, id)
		if core.IsCode(err, core.NotFound) {
			return "仪器不存在", nil
		}
		if err != nil {
			return "", err
		}
		actor := actorOf(s.Ref, b.Actor, in)
		if actor == "" {
			return "仪器不存在", nil
		}
		t, lerr := Lookup(in.Filing.Status, b.Action, actor)
		if lerr == nil && in.Filing.BatchID == b.ID {
			return "", nil
		}
		if lerr != nil {
			if in.Filing.BatchID == b.ID {
				return "", nil // this batch already moved it (resumed after a crash)
			}
			return core.ErrorMessage(lerr), nil
		}
		if msg := s.guard(b, t, in); msg != "" {
			return msg, nil
		}
		w, err := s.transition(ctx, b, t, in)
		if err != nil {
			return "", err
		}
		err = s.Instruments.Update(ctx, in, w)
		if core.IsCode(err, core.Conflict) && attempt < 3 {
			continue
		}
		if core.IsCode(err, core.Conflict) {
			return "仪器正被其他人处理，请稍后重试", nil
		}
		return "", err
	}
}

// guard checks the rules of one transition besides the state machine.
func (s *Service) guard(b *Batch, t Transition, in *instrument.Instrument) string {
	switch b.Action {
	case Submit:
		switch {
		case in.Life != instrument.Active:
			return "仪器已" + in.Life.Name() + "，不能提交备案"
		case in.BookingID != "":
			return "仪器已在预约单中"
		}
		inst, _ := s.Ref.Institution(b.Params.InstitutionID)
		if !s.Ref.Covers(inst, in.RegionCode) {
			return "仪器所属地不在" + inst.Name + "的服务范围内，请选择仪器所属城市的技术机构"
		}
		cat, _ := s.Ref.Category(in.CategoryCode)
		if cat.NeedsTypeCertificate() && len(in.TypeCerts) == 0 {
			return "该种别监管方式为 P+V，提交备案前须上传型式评价证书"
		}
		if !inst.CanVerify(in.CategoryCode) && !b.Params.Transfer {
			return inst.Name + "不能检定该种别（" + cat.Name + "），请勾选授权转送省院后再提交"
		}
	case Dispatch:
		target, _ := s.Ref.Institution(b.Params.TargetID)
		if !s.Ref.Covers(target, in.RegionCode) {
			return target.Name + "不负责该仪器所属地"
		}
	case Transfer:
		if !in.Filing.TransferAuthorized {
			return "申请方未授权转送省院"
		}
	case Revoke:
		if in.BookingID != "" {
			return "仪器在预约单中，请先处理预约单"
		}
	}
	return ""
}

// transition changes in as t says and returns its history entry and event.
func (s *Service) transition(ctx context.Context, b *Batch, t Transition, in *instrument.Instrument) (instrument.Write, error) {
	now := s.Clock.Now()
	p := b.Actor
	f := &in.Filing
	detail := ""
	instName := func(id string) string {
		i, _ := s.Ref.Institution(id)
		return i.Name
	}
	switch b.Action {
	case Submit:
		f.InstitutionID, f.TargetID, f.SubmissionID, f.SubmittedAt = b.Params.InstitutionID, "", b.ID, now
		f.TransferAuthorized, f.ReturnKind, f.ReturnReason, f.ReturnedBy, f.RevokeReason = b.Params.Transfer, "", "", "", ""
		detail = "备案至" + instName(f.InstitutionID)
		if f.TransferAuthorized {
			detail += "，授权无能力检定时转送省院"
		}
	case Withdraw:
		detail = "撤回对" + instName(f.InstitutionID) + "的备案申请"
		f.InstitutionID, f.TargetID = "", ""
	case Approve, Confirm:
		if b.Action == Confirm {
			f.InstitutionID, f.TargetID = f.TargetID, ""
		}
		if in.Code == "" {
			cat, _ := s.Ref.Category(in.CategoryCode)
			year := now.In(core.China).Year()
			key := fmt.Sprintf("code:%s:%s:%d", in.RegionCode[:4], cat.ItemCode, year)
			seq, err := s.Repo.NextSeq(ctx, key)
			if err != nil {
				return instrument.Write{}, err
			}
			in.Code = Code(in.RegionCode, cat.ItemCode, year, int(seq))
			in.CodeKey = in.Code
		}
		f.ApprovedAt, f.ApprovedDay = now, core.DateOf(now)
		f.ReturnKind, f.ReturnReason, f.RevokeReason = "", "", ""
		in.Verified = false
		detail = instName(f.InstitutionID) + "，器具编码 " + in.Code
	case Return:
		f.ReturnKind, f.ReturnReason, f.TargetID = b.Params.ReturnKind, b.Params.Reason, ""
		if f.ReturnReason == "" {
			f.ReturnReason = f.ReturnKind
		}
		detail = f.ReturnKind
		if b.Params.Reason != "" && b.Params.Reason != f.ReturnKind {
			detail += "：" + b.Params.Reason
		}
	case Dispatch:
		f.TargetID = b.Params.TargetID
		detail = "分派至" + instName(f.TargetID)
	case Transfer:
		prov, _ := s.province()
		f.TargetID = prov.ID
		detail = "转送至" + prov.Name
	case Decline:
		detail = instName(f.TargetID) + "无能力检定，退回" + instName(f.InstitutionID)
		if b.Params.Reason != "" {
			detail += "：" + b.Params.Reason
		}
		f.TargetID = ""
	case Revoke:
		f.RevokeReason = b.Params.Reason
		detail = b.Params.Reason
	}
	f.Status, f.BatchID = t.To, b.ID
	h := &instrument.HistoryEntry{ID: core.NewID(), At: now, UserID: p.UserID, UserName: p.Name, Action: b.Action.Name(), Detail: detail}
	in.UpdatedAt, in.LastAction, in.LastActor = now, h.Action, p.Name
	ev := core.NewEvent(t.Event, now, p)
	ev.ApplicantID, ev.InstitutionID, ev.InstrumentID, ev.BatchID = in.ApplicantID, f.InstitutionID, in.ID, b.ID
	ev.Data["status"], ev.Data["statusName"] = string(t.To), t.To.Name()
	ev.Data["instrument"], ev.Data["factoryNo"], ev.Data["code"] = in.Name, in.FactoryNo, in.Code
	ev.Data["detail"] = detail
	return instrument.Write{History: h, Events: []core.Event{ev}}, nil
}

// Batch returns a batch p started; anybody else's is not found.
func (s *Service) Batch(ctx context.Context, p core.Principal, id string) (*Batch, error) {
	b, err := s.Repo.GetBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	same := b.Actor.UserID == p.UserID || (p.IsApplicant() && b.Actor.ApplicantID == p.ApplicantID) ||
		(p.IsStaff() && b.Actor.InstitutionID == p.InstitutionID)
	if !same {
		return nil, core.ErrNotFound("批次")
	}
	return b, nil
}
