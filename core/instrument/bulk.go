package instrument

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gdqjp/qj/core"
)

// RowStatus is the outcome of one imported row.
type RowStatus string

const (
	RowCreated RowStatus = "created"
	RowExists  RowStatus = "exists" // the same row was imported before (idempotent row import)
	RowFailed  RowStatus = "failed"
)

// RowResult is the outcome of one imported row.
type RowResult struct {
	Number int
	Status RowStatus
	ID     string
	Errors []core.FieldError
}

// Message renders the row's problems as "列名：消息；…" for reports.
func (r RowResult) Message() string {
	var parts []string
	for _, e := range r.Errors {
		label := e.Field
		if c, ok := ColumnByKey(e.Field); ok {
			label = c.Label
		} else if e.Field == "nozzles" {
			label = "加油枪"
		} else if e.Field == "" {
			label = "整行"
		}
		parts = append(parts, label+"："+e.Message)
	}
	return strings.Join(parts, "；")
}

// Importer imports the rows of one file (or one row-by-row session). Each
// row is saved whole or not at all.
type Importer struct {
	s    *Service
	p    core.Principal
	seen map[string]int // identity key → first row number in this file
	// Idempotent: a row whose instrument already exists with the very same
	// values counts as imported (row-by-row import may send a row twice).
	Idempotent bool
}

// NewImporter starts an import for p.
func (s *Service) NewImporter(p core.Principal, idempotent bool) (*Importer, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	return &Importer{s: s, p: p, seen: map[string]int{}, Idempotent: idempotent}, nil
}

func failed(n int, field, msg string) RowResult {
	return RowResult{Number: n, Status: RowFailed, Errors: []core.FieldError{{Field: field, Message: msg}}}
}

// Row validates and saves one row. Infrastructure failures are returned as
// errors; everything the user can fix is in the result.
func (im *Importer) Row(ctx context.Context, number int, raw Input) (RowResult, error) {
	f, errs := Parse(im.s.Ref, im.s.today(), raw)
	if len(errs) > 0 {
		return RowResult{Number: number, Status: RowFailed, Errors: errs}, nil
	}
	key := IdentityKey(f)
	if first, ok := im.seen[key]; ok && !im.Idempotent {
		return failed(number, "factoryNo", fmt.Sprintf("与第 %d 行的器具名称、型号规格、出厂编号、自编号都相同", first)), nil
	}
	im.seen[key] = number
	existing, err := im.s.Repo.GetByIdentity(ctx, im.p.ApplicantID, key)
	switch {
	case err == nil:
		if im.Idempotent && len(Diff(existing.Fields, f)) == 0 {
			return RowResult{Number: number, Status: RowExists, ID: existing.ID}, nil
		}
		return failed(number, "factoryNo", duplicateMessage(f)), nil
	case !core.IsCode(err, core.NotFound):
		return RowResult{}, err
	}
	in, err := im.s.Create(ctx, im.p, raw, "导入仪器")
	if err != nil {
		if fe := core.FieldErrors(err); len(fe) > 0 {
			// Lost a race with another import of the same instrument.
			if im.Idempotent {
				if ex, gerr := im.s.Repo.GetByIdentity(ctx, im.p.ApplicantID, key); gerr == nil && len(Diff(ex.Fields, f)) == 0 {
					return RowResult{Number: number, Status: RowExists, ID: ex.ID}, nil
				}
			}
			return RowResult{Number: number, Status: RowFailed, Errors: fe}, nil
		}
		return RowResult{}, err
	}
	return RowResult{Number: number, Status: RowCreated, ID: in.ID}, nil
}

// Match finds the instrument a bulk-update row names: by 器具编码, else by
// 出厂编号 (narrowed by name and model when given), among categories.
func (s *Service) Match(ctx context.Context, p core.Principal, code, factoryNo, name, model string, categories []string) (*Instrument, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, err
	}
	code, factoryNo = strings.TrimSpace(core.NormalizeWidth(code)), strings.TrimSpace(core.NormalizeWidth(factoryNo))
	q := Query{ApplicantID: p.ApplicantID, Lives: []Life{Active, Stopped}, Limit: 3}
	switch {
	case code != "":
		q.Code = code
	case factoryNo != "":
		q.ExactFactoryNo = factoryNo
	default:
		return nil, core.Errorf(core.Invalid, "请填写器具编码或出厂编号")
	}
	list, _, err := s.Repo.List(ctx, q)
	if err != nil {
		return nil, err
	}
	var hits []*Instrument
	for _, in := range list {
		if name = strings.TrimSpace(name); name != "" && in.Name != name {
			continue
		}
		if model = strings.TrimSpace(core.NormalizeWidth(model)); model != "" && !strings.EqualFold(in.Model, model) {
			continue
		}
		hits = append(hits, in)
	}
	what := "器具编码为 " + code + " "
	if code == "" {
		what = "出厂编号为 " + factoryNo + " "
	}
	switch {
	case len(hits) == 0:
		return nil, core.Errorf(core.NotFound, "未找到%s的仪器", what)
	case len(hits) > 1:
		return nil, core.Errorf(core.Invalid, "%s的仪器有多台，请填写器具编码，或同时填写器具名称和型号规格", what)
	case !slices.Contains(categories, hits[0].CategoryCode):
		return nil, core.Errorf(core.Invalid, "%s的仪器（%s）不属于本功能适用的种别", what, hits[0].Name)
	}
	return hits[0], nil
}

// UpdateLocation (更新地址) sets the install location of an instrument.
func (s *Service) UpdateLocation(ctx context.Context, p core.Principal, id, location string) (*Instrument, error) {
	location = cleanText(location)
	switch n := len([]rune(location)); {
	case n == 0:
		return nil, core.Errorf(core.Invalid, "安装使用地点不能为空")
	case n > maxLen["installLocation"]:
		return nil, core.Errorf(core.Invalid, "安装使用地点不能超过 %d 个字", maxLen["installLocation"])
	}
	return s.change(ctx, p, id, "更新地址", func(in *Instrument) ([]Change, error) {
		if ok, msg := editable(in, "installLocation"); !ok {
			return nil, core.Errorf(core.Invalid, "%s", msg)
		}
		if in.InstallLocation == location {
			return nil, nil
		}
		c := Change{Field: "installLocation", Label: "安装使用地点", From: in.InstallLocation, To: location}
		in.InstallLocation = location
		return []Change{c}, nil
	})
}

// ReplaceNozzles (更换加油枪) replaces the nozzles of a fuel dispenser.
func (s *Service) ReplaceNozzles(ctx context.Context, p core.Principal, id string, nozzles []Nozzle) (*Instrument, error) {
	return s.change(ctx, p, id, "更换加油枪", func(in *Instrument) ([]Change, error) {
		if in.CategoryCode != FuelDispenser {
			return nil, core.Errorf(core.Invalid, "只有燃油加油机（%s）可以更换加油枪", FuelDispenser)
		}
		if in.Life == Scrapped {
			return nil, core.Errorf(core.Invalid, "已报废的仪器只能查看，不能修改")
		}
		raw := InputOf(in.Fields)
		raw.Nozzles = nozzles
		f, errs := Parse(s.Ref, s.today(), raw)
		for _, e := range errs {
			if e.Field == "nozzles" {
				return nil, core.Errorf(core.Invalid, "%s", e.Message)
			}
		}
		if len(nozzles) == 0 {
			return nil, core.Errorf(core.Invalid, "请至少填写一把加油枪")
		}
		old := in.Fields
		in.Nozzles = f.Nozzles
		return Diff(old, in.Fields), nil
	})
}

// change applies fn to an own instrument and saves it with a history entry,
// retrying when someone else changed it in between.
func (s *Service) change(ctx context.Context, p core.Principal, id, action string, fn func(*Instrument) ([]Change, error)) (*Instrument, error) {
	for attempt := 0; ; attempt++ {
		in, err := s.own(ctx, p, id)
		if err != nil {
			return nil, err
		}
		changes, err := fn(in)
		if err != nil || len(changes) == 0 {
			return in, err
		}
		h := history(p, s.Clock.Now(), action, "", changes)
		stamp(in, h)
		err = s.Repo.Update(ctx, in, Write{History: h})
		if core.IsCode(err, core.Conflict) && attempt < 3 {
			continue
		}
		return in, err
	}
}
