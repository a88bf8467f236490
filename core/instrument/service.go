package instrument

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/refdata"
)

// MaxGroupSize is the limit of each attachment group (manual 图 23: 10M).
const MaxGroupSize = 10 << 20

// AttachmentKinds are the file types attachments may have.
var AttachmentKinds = []core.FileKind{core.KindJPEG, core.KindPNG, core.KindPDF, core.KindZIP, core.KindRAR}

// Service holds the instrument use cases.
type Service struct {
	Repo  Repo
	Files core.FileRepo
	Ref   *refdata.Data
	Clock core.Clock
	Log   *slog.Logger
}

func (s *Service) today() core.Date { return core.Today(s.Clock) }

func history(p core.Principal, now time.Time, action, detail string, changes []Change) *HistoryEntry {
	return &HistoryEntry{ID: core.NewID(), At: now, UserID: p.UserID, UserName: p.Name, Action: action, Detail: detail, Changes: changes}
}

// stamp records the latest action on the instrument for the activity feed.
func stamp(in *Instrument, h *HistoryEntry) {
	in.UpdatedAt, in.LastAction, in.LastActor = h.At, h.Action, h.UserName
}

// Get returns an instrument p may see; NotFound otherwise.
func (s *Service) Get(ctx context.Context, p core.Principal, id string) (*Instrument, error) {
	in, err := s.Repo.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSee(s.Ref, p, in) {
		return nil, core.ErrNotFound("仪器")
	}
	return in, nil
}

// History returns the history of an instrument p may see, newest first.
func (s *Service) History(ctx context.Context, p core.Principal, id string) ([]HistoryEntry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.Repo.History(ctx, id)
}

// own returns an instrument of p's applicant for a change.
func (s *Service) own(ctx context.Context, p core.Principal, id string) (*Instrument, error) {
	in, err := s.Repo.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.OwnsApplicantData(in.ApplicantID) {
		return nil, core.ErrNotFound("仪器")
	}
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	return in, nil
}

func fieldsErr(errs []core.FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	f := &core.Fields{}
	for _, e := range errs {
		f.Add(e.Field, "%s", e.Message)
	}
	return f.Err()
}

// duplicateMessage names the instrument that already has the identity.
func duplicateMessage(f Fields) string {
	return fmt.Sprintf("已存在器具名称、型号规格、出厂编号、自编号都相同的仪器（%s / %s / %s / %s），不能重复保存",
		f.Name, f.Model, f.FactoryNo, dash(f.OwnNo))
}

func dash(s string) string {
	if s == "" {
		return "无自编号"
	}
	return s
}

func (s *Service) checkUnique(ctx context.Context, applicantID string, f Fields, except string) error {
	other, err := s.Repo.GetByIdentity(ctx, applicantID, IdentityKey(f))
	if core.IsCode(err, core.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if other.ID == except {
		return nil
	}
	fe := &core.Fields{}
	fe.Add("factoryNo", "%s", duplicateMessage(f))
	return fe.Err()
}

// New builds (without saving) an unfiled instrument of p's applicant.
func (s *Service) newInstrument(p core.Principal, f Fields) *Instrument {
	now := s.Clock.Now()
	cat, _ := s.Ref.Category(f.CategoryCode)
	id := core.NewID()
	return &Instrument{
		ID: id, ApplicantID: p.ApplicantID, Fields: f, ItemCode: cat.ItemCode,
		Life: Active, Filing: Filing{Status: Unfiled},
		IdentityKey: IdentityKey(f), CodeKey: "none#" + id,
		CreatedAt: now, UpdatedAt: now, CreatedBy: p.UserID, Version: 1,
	}
}

// Create adds an instrument (添加). action names how it came (添加仪器,
// 导入, 复制…) in its history.
func (s *Service) Create(ctx context.Context, p core.Principal, raw Input, action string) (*Instrument, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	f, errs := Parse(s.Ref, s.today(), raw)
	if err := fieldsErr(errs); err != nil {
		return nil, err
	}
	if err := s.checkUnique(ctx, p.ApplicantID, f, ""); err != nil {
		return nil, err
	}
	in := s.newInstrument(p, f)
	if action == "" {
		action = "添加仪器"
	}
	h := history(p, in.CreatedAt, action, "", nil)
	stamp(in, h)
	if err := s.Repo.Create(ctx, in, Write{History: h}); err != nil {
		if core.IsCode(err, core.Conflict) {
			fe := &core.Fields{}
			fe.Add("factoryNo", "%s", duplicateMessage(f))
			return nil, fe.Err()
		}
		return nil, err
	}
	return in, nil
}

// Copy adds a new unfiled instrument from another one with the changes of
// raw; its identity must differ from every existing instrument.
func (s *Service) Copy(ctx context.Context, p core.Principal, id string, raw Input) (*Instrument, error) {
	src, err := s.own(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.Create(ctx, p, raw, fmt.Sprintf("复制自仪器 %s（%s）", src.Name, src.FactoryNo))
}

// editable reports which columns of in may change now.
func editable(in *Instrument, key string) (bool, string) {
	switch {
	case in.Life == Scrapped:
		return false, "已报废的仪器只能查看，不能修改"
	case in.BookingID != "" && !afterApproval(key):
		return false, "仪器已在预约单中，只能修改自编号、安装使用地点、购买日期、自定义标签和备注"
	}
	switch in.Filing.Status {
	case Unfiled, Returned:
		return true, ""
	case Submitted, Pending, Confirming:
		if afterApproval(key) {
			return true, ""
		}
		return false, "仪器正在备案审核中，不能修改该项；如需修改请先撤销备案"
	}
	if afterApproval(key) {
		return true, ""
	}
	return false, "备案通过后只能修改自编号、安装使用地点、购买日期、自定义标签、备注和相关资料"
}

func afterApproval(key string) bool {
	c, ok := ColumnByKey(key)
	return ok && c.AfterApproval
}

// Update edits an instrument (编辑): every field before filing approval,
// only some afterwards.
func (s *Service) Update(ctx context.Context, p core.Principal, id string, version int, raw Input) (*Instrument, error) {
	in, err := s.own(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if version != 0 && version != in.Version {
		return nil, core.Errorf(core.Conflict, "该仪器已在别处被修改，请刷新后重试")
	}
	f, errs := Parse(s.Ref, s.today(), raw)
	fe := &core.Fields{}
	for _, e := range errs {
		fe.Add(e.Field, "%s", e.Message)
	}
	changes := Diff(in.Fields, f)
	for _, c := range changes {
		if ok, msg := editable(in, c.Field); !ok && !fe.Has(c.Field) {
			fe.Add(c.Field, "%s", msg)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return in, nil
	}
	if IdentityKey(f) != in.IdentityKey {
		if err := s.checkUnique(ctx, in.ApplicantID, f, in.ID); err != nil {
			return nil, err
		}
	}
	cat, _ := s.Ref.Category(f.CategoryCode)
	in.Fields, in.ItemCode, in.IdentityKey = f, cat.ItemCode, IdentityKey(f)
	h := history(p, s.Clock.Now(), "编辑仪器", "", changes)
	stamp(in, h)
	if err := s.Repo.Update(ctx, in, Write{History: h}); err != nil {
		if core.IsCode(err, core.Conflict) && strings.Contains(core.ErrorMessage(err), "相同") {
			fe.Add("factoryNo", "%s", duplicateMessage(f))
			return nil, fe.Err()
		}
		return nil, err
	}
	return in, nil
}

// ---------------------------------------------------------------- batch actions

// Action is a batch lifecycle action.
type Action string

const (
	ActStop   Action = "stop"
	ActEnable Action = "enable"
	ActScrap  Action = "scrap"
	ActDelete Action = "delete"
)

// Name is the Chinese name.
func (a Action) Name() string {
	return map[Action]string{ActStop: "停用", ActEnable: "启用", ActScrap: "报废", ActDelete: "删除"}[a]
}

// ItemError is why one instrument of a batch was not changed.
type ItemError struct {
	ID      string
	Label   string
	Message string
}

// BatchResult reports a batch action per instrument.
type BatchResult struct {
	Done   int
	Failed []ItemError
}

// MaxBatch is the most ids one batch request may name.
const MaxBatch = 5000

// check says why a cannot apply to in, or "".
func check(a Action, in *Instrument) string {
	underReview := in.Filing.Status == Submitted || in.Filing.Status == Pending || in.Filing.Status == Confirming
	switch {
	case in.Life == Scrapped:
		return "已报废的仪器不能再操作"
	case in.BookingID != "" && a != ActEnable:
		return "仪器已在预约单中，请先取消预约"
	}
	switch a {
	case ActStop:
		if in.Life == Stopped {
			return "仪器已是停用状态"
		}
		if underReview {
			return "仪器正在备案审核中，不能停用；请先撤销备案"
		}
	case ActEnable:
		if in.Life != Stopped {
			return "只有已停用的仪器可以启用"
		}
	case ActScrap:
		if underReview {
			return "仪器正在备案审核中，不能报废；请先撤销备案"
		}
	case ActDelete:
		if !in.Deletable() {
			return "已备案或备案审核中的仪器不能删除"
		}
	default:
		return "不支持的操作"
	}
	return ""
}

// Apply runs a lifecycle action on each of ids; each instrument changes
// atomically on its own, and the result says which did not and why.
func (s *Service) Apply(ctx context.Context, p core.Principal, a Action, ids []string) (BatchResult, error) {
	var res BatchResult
	if err := p.RequireApprovedApplicant(); err != nil {
		return res, err
	}
	if a.Name() == "" {
		return res, core.Errorf(core.Invalid, "不支持的操作：%s", a)
	}
	if len(ids) == 0 {
		return res, core.Errorf(core.Invalid, "请先选择仪器")
	}
	if len(ids) > MaxBatch {
		return res, core.Errorf(core.Invalid, "一次最多操作 %d 台仪器", MaxBatch)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := s.applyOne(ctx, p, a, id); err != nil {
			if !core.IsCode(err, core.Invalid) && !core.IsCode(err, core.NotFound) && !core.IsCode(err, core.Conflict) {
				return res, err
			}
			label := id
			if in, gerr := s.Repo.Get(ctx, id); gerr == nil && p.OwnsApplicantData(in.ApplicantID) {
				label = in.Name + "（" + in.FactoryNo + "）"
			}
			res.Failed = append(res.Failed, ItemError{ID: id, Label: label, Message: core.ErrorMessage(err)})
			continue
		}
		res.Done++
	}
	return res, nil
}

func (s *Service) applyOne(ctx context.Context, p core.Principal, a Action, id string) error {
	for attempt := 0; ; attempt++ {
		in, err := s.own(ctx, p, id)
		if err != nil {
			return err
		}
		if msg := check(a, in); msg != "" {
			return core.Errorf(core.Invalid, "%s", msg)
		}
		if a == ActDelete {
			err = s.Repo.Delete(ctx, in)
			if err == nil {
				s.deleteFiles(ctx, in)
			}
		} else {
			switch a {
			case ActStop:
				in.Life = Stopped
			case ActEnable:
				in.Life = Active
			case ActScrap:
				in.Life = Scrapped
			}
			h := history(p, s.Clock.Now(), a.Name(), "", nil)
			stamp(in, h)
			err = s.Repo.Update(ctx, in, Write{History: h})
		}
		// Someone changed it between read and write: re-read and re-check.
		if core.IsCode(err, core.Conflict) && attempt < 3 {
			continue
		}
		return err
	}
}

func (s *Service) deleteFiles(ctx context.Context, in *Instrument) {
	for _, f := range append(append([]FileRef(nil), in.Attachments...), in.TypeCerts...) {
		if err := s.Files.DeleteFile(ctx, f.ID); err != nil && !core.IsCode(err, core.NotFound) {
			s.Log.Warn("delete instrument file", "file", f.ID, "err", err)
		}
	}
}

// Clear (清空) deletes every deletable instrument of p's applicant.
func (s *Service) Clear(ctx context.Context, p core.Principal) (BatchResult, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return BatchResult{}, err
	}
	no := false
	ids, err := s.Repo.IDs(ctx, Query{ApplicantID: p.ApplicantID, Lives: []Life{Active, Stopped}, Filings: []FilingStatus{Unfiled, Returned}, Booked: &no})
	if err != nil {
		return BatchResult{}, err
	}
	if len(ids) == 0 {
		return BatchResult{}, nil
	}
	var res BatchResult
	for start := 0; start < len(ids); start += MaxBatch {
		end := min(start+MaxBatch, len(ids))
		r, err := s.Apply(ctx, p, ActDelete, ids[start:end])
		if err != nil {
			return res, err
		}
		res.Done += r.Done
		res.Failed = append(res.Failed, r.Failed...)
	}
	return res, nil
}

// ---------------------------------------------------------------- attachments

// Group is an attachment group.
type Group string

const (
	GroupAttachments Group = "attachments" // 相关资料
	GroupTypeCerts   Group = "typecerts"   // 型式评价证书
)

// Name is the Chinese name.
func (g Group) Name() string {
	switch g {
	case GroupAttachments:
		return "相关资料"
	case GroupTypeCerts:
		return "型式评价证书"
	}
	return ""
}

func (in *Instrument) group(g Group) *[]FileRef {
	switch g {
	case GroupAttachments:
		return &in.Attachments
	case GroupTypeCerts:
		return &in.TypeCerts
	}
	return nil
}

// AddFiles uploads files into a group; each group stays within 10M.
func (s *Service) AddFiles(ctx context.Context, p core.Principal, id string, g Group, uploads []core.Upload) (*Instrument, error) {
	in, err := s.own(ctx, p, id)
	if err != nil {
		return nil, err
	}
	list := in.group(g)
	if list == nil {
		return nil, core.Errorf(core.Invalid, "未知的资料类别")
	}
	if in.Life == Scrapped {
		return nil, core.Errorf(core.Invalid, "已报废的仪器只能查看，不能修改")
	}
	if len(uploads) == 0 {
		return nil, core.Errorf(core.Invalid, "请选择要上传的文件")
	}
	var existing int64
	for _, r := range *list {
		existing += r.Size
	}
	if msg := CheckUploads(g, uploads, existing); msg != "" {
		f := &core.Fields{}
		f.Add(string(g), "%s", msg)
		return nil, f.Err()
	}
	types := make([]string, len(uploads))
	for i, u := range uploads {
		types[i], _ = core.Sniff(u.Name, u.Data, AttachmentKinds...)
	}
	var added []FileRef
	var names []string
	for i, u := range uploads {
		sum := sha256.Sum256(u.Data)
		file := &core.File{ID: core.NewID(), Name: u.Name, ContentType: types[i], Size: int64(len(u.Data)),
			SHA256: hex.EncodeToString(sum[:]), ApplicantID: in.ApplicantID, Purpose: string(g), CreatedAt: s.Clock.Now(), CreatedBy: p.UserID}
		if err := s.Files.PutFile(ctx, file, u.Data); err != nil {
			s.dropFiles(ctx, added)
			return nil, err
		}
		added = append(added, FileRef{ID: file.ID, Name: file.Name, Size: file.Size})
		names = append(names, file.Name)
	}
	*list = append(*list, added...)
	h := history(p, s.Clock.Now(), "上传"+g.Name(), strings.Join(names, "、"), nil)
	stamp(in, h)
	if err := s.Repo.Update(ctx, in, Write{History: h}); err != nil {
		s.dropFiles(ctx, added)
		return nil, err
	}
	return in, nil
}

func (s *Service) dropFiles(ctx context.Context, refs []FileRef) {
	for _, r := range refs {
		_ = s.Files.DeleteFile(context.WithoutCancel(ctx), r.ID)
	}
}

// RemoveFile removes one attached file.
func (s *Service) RemoveFile(ctx context.Context, p core.Principal, id string, g Group, fileID string) (*Instrument, error) {
	in, err := s.own(ctx, p, id)
	if err != nil {
		return nil, err
	}
	list := in.group(g)
	if list == nil {
		return nil, core.ErrNotFound("文件")
	}
	if in.Life == Scrapped {
		return nil, core.Errorf(core.Invalid, "已报废的仪器只能查看，不能修改")
	}
	idx := -1
	for i, r := range *list {
		if r.ID == fileID {
			idx = i
		}
	}
	if idx < 0 {
		return nil, core.ErrNotFound("文件")
	}
	removed := (*list)[idx]
	*list = append((*list)[:idx:idx], (*list)[idx+1:]...)
	h := history(p, s.Clock.Now(), "删除"+g.Name(), removed.Name, nil)
	stamp(in, h)
	if err := s.Repo.Update(ctx, in, Write{History: h}); err != nil {
		return nil, err
	}
	if err := s.Files.DeleteFile(ctx, removed.ID); err != nil && !core.IsCode(err, core.NotFound) {
		s.Log.Warn("delete removed attachment", "file", removed.ID, "err", err)
	}
	return in, nil
}

// OpenFile opens a file of an instrument p may see.
func (s *Service) OpenFile(ctx context.Context, p core.Principal, id, fileID string) (*core.File, io.ReadCloser, error) {
	in, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range append(append([]FileRef(nil), in.Attachments...), in.TypeCerts...) {
		if r.ID == fileID {
			return s.Files.OpenFile(ctx, fileID)
		}
	}
	return nil, nil, core.ErrNotFound("文件")
}

// Editable reports whether column key of in may be changed now, and why not.
func Editable(in *Instrument, key string) (bool, string) { return editable(in, key) }

// CheckUploads checks files for a group before anything is saved, given the
// size already in the group; it returns the first problem or "".
func CheckUploads(g Group, uploads []core.Upload, existing int64) string {
	total := existing
	for _, u := range uploads {
		if len(u.Data) == 0 {
			return "文件“" + u.Name + "”是空文件"
		}
		if _, err := core.Sniff(u.Name, u.Data, AttachmentKinds...); err != nil {
			return core.ErrorMessage(err)
		}
		total += int64(len(u.Data))
	}
	if total > MaxGroupSize {
		return g.Name() + "总文件大小不可超过10M"
	}
	return ""
}
