package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/excelio"
	"github.com/gdqjp/qj/web"
)

// Import kinds (manual 三.3: 导入, 更新地址, 更换加油枪).
const (
	kindInstruments = "instruments"
	kindLocations   = "locations"
	kindNozzles     = "nozzles"
)

var kindNames = map[string]string{kindInstruments: "导入仪器", kindLocations: "更新地址（三表）", kindNozzles: "更换加油枪"}

// importJob is the progress and outcome of one uploaded file. It lives in
// Redis for a day: the instruments it saved and its error report are in the
// store, so losing the job record loses nothing but the progress bar.
type importJob struct {
	ID          string
	Kind        string
	ApplicantID string
	UserID      string
	FileName    string
	Status      string // running, done, failed
	Error       string
	Total       int
	Done        int
	Succeeded   int
	Failed      int
	Failures    []excelio.ReportRow // the first ones, for the page
	ReportFile  string
	StartedAt   time.Time
	FinishedAt  time.Time
}

func (j *importJob) Percent() int {
	if j.Total == 0 {
		if j.Status == "running" {
			return 0
		}
		return 100
	}
	return j.Done * 100 / j.Total
}

// Jobs runs imports in the background and lets the server wait for them on
// shutdown.
type Jobs struct {
	Ctx context.Context
	WG  sync.WaitGroup
}

const maxShownFailures = 50

func (h *Console) jobKey(id string) string { return h.Redis.Key("importjob", id) }

func (h *Console) saveJob(ctx context.Context, j *importJob) error {
	b, _ := json.Marshal(j)
	return h.Redis.RDB.Set(ctx, h.jobKey(j.ID), b, 24*time.Hour).Err()
}

// job returns a job of p's applicant; anybody else's is not found.
func (h *Console) job(ctx context.Context, p core.Principal, id string) (*importJob, error) {
	b, err := h.Redis.RDB.Get(ctx, h.jobKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, core.Errorf(core.NotFound, "导入记录不存在或已过期")
	}
	if err != nil {
		return nil, core.Wrap(core.Unavailable, err, "服务暂时不可用，请稍后再试")
	}
	var j importJob
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	if !p.OwnsApplicantData(j.ApplicantID) {
		return nil, core.Errorf(core.NotFound, "导入记录不存在或已过期")
	}
	return &j, nil
}

// ---------------------------------------------------------------- templates and export

func sendXLSX(c *fiber.Ctx, name string, data []byte) error {
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, "attachment; filename=\"export.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(data)
}

func (h *Console) importTemplate(c *fiber.Ctx) error {
	if err := web.PrincipalOf(c).RequireApprovedApplicant(); err != nil {
		return err
	}
	var buf bytes.Buffer
	var err error
	switch c.Params("kind") {
	case kindLocations:
		err = excelio.LocationTemplate(&buf)
	case kindNozzles:
		err = excelio.NozzleTemplate(&buf)
	default:
		err = excelio.Template(&buf, h.Ref)
	}
	if err != nil {
		return err
	}
	names := map[string]string{kindLocations: "更新地址模板.xlsx", kindNozzles: "更换加油枪模板.xlsx"}
	name, ok := names[c.Params("kind")]
	if !ok {
		name = "仪器导入模板.xlsx"
	}
	return sendXLSX(c, name, buf.Bytes())
}

// exportInstruments writes every instrument of the current query (all
// pages) as .xlsx.
func (h *Console) exportInstruments(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	r := listRequestOf(c)
	if st := c.Query("status"); st != "" {
		r.Filing, r.FilingFilter = st, ""
	}
	r.Size, r.Page = 100, 1
	var page []*instrument.Instrument
	i, done := 0, false
	next := func() (*instrument.Instrument, error) {
		if i >= len(page) {
			if done {
				return nil, nil
			}
			var err error
			page, _, err = h.Instruments.List(c.UserContext(), p, r)
			if err != nil {
				return nil, err
			}
			i, r.Page = 0, r.Page+1
			done = len(page) < r.Size
			if len(page) == 0 {
				return nil, nil
			}
		}
		i++
		return page[i-1], nil
	}
	if _, err := h.Instruments.Query(p, r); err != nil {
		return err
	}
	var buf bytes.Buffer
	instName := func(id string) string {
		inst, _ := h.Ref.Institution(id)
		return inst.Name
	}
	if err := excelio.Export(&buf, h.Ref, instName, next); err != nil {
		return err
	}
	return sendXLSX(c, "仪器导出-"+core.Today(h.Instruments.Clock).String()+".xlsx", buf.Bytes())
}

// ---------------------------------------------------------------- upload and run

type importPage struct {
	Kind, Name string
}

func (h *Console) importPage(c *fiber.Ctx) error {
	if err := web.PrincipalOf(c).RequireApprovedApplicant(); err != nil {
		return err
	}
	kind := c.Params("kind", kindInstruments)
	if _, ok := kindNames[kind]; !ok {
		return core.Errorf(core.NotFound, "页面不存在")
	}
	return h.render(c, fiber.StatusOK, "import", &view{Title: kindNames[kind], Active: "view-all", Data: importPage{Kind: kind, Name: kindNames[kind]}})
}

// startImport checks the upload, starts its job and shows its progress.
func (h *Console) startImport(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	if err := p.RequireApprovedApplicant(); err != nil {
		return err
	}
	kind := strings.Clone(c.Params("kind", kindInstruments))
	if _, ok := kindNames[kind]; !ok {
		return core.Errorf(core.NotFound, "页面不存在")
	}
	v := &view{Title: kindNames[kind], Active: "view-all", Data: importPage{Kind: kind, Name: kindNames[kind]}}
	up, err := upload(c, "file")
	if err != nil {
		return err
	}
	if up.Empty() {
		return h.formError(c, "import", v, fieldErr("file", "请选择要导入的 Excel 文件"))
	}
	wb, err := excelio.Open(up.Data, excelio.DefaultLimits)
	if err != nil {
		return h.formError(c, "import", v, fieldErr("file", core.ErrorMessage(err)))
	}
	total, err := wb.Count()
	if err != nil {
		wb.Close()
		return h.formError(c, "import", v, fieldErr("file", core.ErrorMessage(err)))
	}
	j := &importJob{ID: core.NewID(), Kind: kind, ApplicantID: p.ApplicantID, UserID: p.UserID, FileName: up.Name,
		Status: "running", Total: total, StartedAt: time.Now()}
	if err := h.saveJob(c.UserContext(), j); err != nil {
		wb.Close()
		return core.Wrap(core.Unavailable, err, "服务暂时不可用，请稍后再试")
	}
	finished := make(chan struct{})
	h.Jobs.WG.Add(1)
	go func() {
		defer h.Jobs.WG.Done()
		defer close(finished)
		defer wb.Close()
		h.runImport(h.Jobs.Ctx, p, j, wb)
	}()
	// Small files finish while the user waits; big ones show progress.
	select {
	case <-finished:
	case <-time.After(2 * time.Second):
	}
	return c.Redirect("/instruments/import/jobs/" + j.ID)
}

func fieldErr(field, msg string) error {
	f := &core.Fields{}
	f.Add(field, "%s", msg)
	return f.Err()
}

func (h *Console) runImport(ctx context.Context, p core.Principal, j *importJob, wb *excelio.Workbook) {
	var failures []excelio.ReportRow
	last := time.Now()
	progress := func() {
		if time.Since(last) > 300*time.Millisecond {
			last = time.Now()
			_ = h.saveJob(ctx, j)
		}
	}
	fail := func(number int, cells []string, msg string) {
		j.Failed++
		failures = append(failures, excelio.ReportRow{Number: number, Cells: cells, Message: msg})
	}
	var err error
	switch j.Kind {
	case kindInstruments:
		var im *instrument.Importer
		if im, err = h.Instruments.NewImporter(p, false); err != nil {
			break
		}
		err = wb.Instruments(func(row excelio.Row) error {
			res, err := im.Row(ctx, row.Number, row.Input)
			if err != nil {
				return err
			}
			j.Done++
			if res.Status == instrument.RowFailed {
				fail(row.Number, row.Cells, res.Message())
			} else {
				j.Succeeded++
			}
			progress()
			return ctx.Err()
		})
	case kindLocations:
		err = wb.LocationUpdates(func(row excelio.LocationRow) error {
			in, err := h.Instruments.Match(ctx, p, row.Code, row.FactoryNo, row.Name, row.Model, instrument.ThreeMeters)
			if err == nil {
				_, err = h.Instruments.UpdateLocation(ctx, p, in.ID, row.Location)
			}
			j.Done++
			if err != nil {
				if !userError(err) {
					return err
				}
				fail(row.Number, row.Cells, core.ErrorMessage(err))
			} else {
				j.Succeeded++
			}
			progress()
			return ctx.Err()
		})
	case kindNozzles:
		err = h.runNozzles(ctx, p, j, wb, fail, progress)
	}
	j.FinishedAt = time.Now()
	if err != nil {
		j.Status = "failed"
		j.Error = core.ErrorMessage(err)
		if userError(err) {
			j.Error = core.ErrorMessage(err)
		} else {
			h.Log.Error("import failed", "job", j.ID, "err", err)
		}
	} else {
		j.Status = "done"
	}
	if len(failures) > 0 {
		if id, rerr := h.saveReport(ctx, p, j, wb.Header(), failures); rerr != nil {
			h.Log.Error("save import error report", "job", j.ID, "err", rerr)
		} else {
			j.ReportFile = id
		}
		j.Failures = failures[:min(len(failures), maxShownFailures)]
	}
	_ = h.saveJob(context.WithoutCancel(ctx), j)
}

func userError(err error) bool {
	switch core.ErrorCode(err) {
	case core.Invalid, core.NotFound, core.Conflict:
		return true
	}
	return false
}

// runNozzles groups the nozzle rows per dispenser, then replaces each
// dispenser's nozzles at once.
func (h *Console) runNozzles(ctx context.Context, p core.Principal, j *importJob, wb *excelio.Workbook,
	fail func(int, []string, string), progress func()) error {
	type group struct {
		code, factoryNo string
		rows            []excelio.NozzleRow
	}
	var order []string
	groups := map[string]*group{}
	err := wb.NozzleRows(func(row excelio.NozzleRow) error {
		key := "code:" + row.Code
		if row.Code == "" {
			key = "factory:" + row.FactoryNo
		}
		g, ok := groups[key]
		if !ok {
			g = &group{code: row.Code, factoryNo: row.FactoryNo}
			groups[key] = g
			order = append(order, key)
		}
		g.rows = append(g.rows, row)
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range order {
		g := groups[key]
		in, err := h.Instruments.Match(ctx, p, g.code, g.factoryNo, "", "", []string{instrument.FuelDispenser})
		if err == nil {
			var nz []instrument.Nozzle
			for _, r := range g.rows {
				nz = append(nz, r.Nozzle)
			}
			_, err = h.Instruments.ReplaceNozzles(ctx, p, in.ID, nz)
		}
		for _, r := range g.rows {
			j.Done++
			if err != nil {
				fail(r.Number, r.Cells, core.ErrorMessage(err))
			} else {
				j.Succeeded++
			}
		}
		if err != nil && !userError(err) {
			return err
		}
		progress()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func (h *Console) saveReport(ctx context.Context, p core.Principal, j *importJob, header []string, rows []excelio.ReportRow) (string, error) {
	var buf bytes.Buffer
	if err := excelio.ErrorReport(&buf, header, rows); err != nil {
		return "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	f := &core.File{ID: core.NewID(), Name: "错误报告-" + strings.TrimSuffix(j.FileName, ".xlsx") + ".xlsx",
		ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Size: int64(buf.Len()),
		SHA256: hex.EncodeToString(sum[:]), ApplicantID: j.ApplicantID, Purpose: "import-report", CreatedAt: time.Now().UTC(), CreatedBy: p.UserID}
	if err := h.Files.PutFile(context.WithoutCancel(ctx), f, buf.Bytes()); err != nil {
		return "", err
	}
	return f.ID, nil
}

func (h *Console) jobPage(c *fiber.Ctx) error {
	j, err := h.job(c.UserContext(), web.PrincipalOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "import_job", &view{Title: kindNames[j.Kind], Active: "view-all", Data: j})
}

func (h *Console) jobStatus(c *fiber.Ctx) error {
	j, err := h.job(c.UserContext(), web.PrincipalOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": j.Status, "total": j.Total, "done": j.Done, "succeeded": j.Succeeded, "failed": j.Failed, "percent": j.Percent()})
}

func (h *Console) jobReport(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	j, err := h.job(c.UserContext(), p, c.Params("id"))
	if err != nil {
		return err
	}
	if j.ReportFile == "" {
		return core.ErrNotFound("错误报告")
	}
	f, rc, err := h.Files.OpenFile(c.UserContext(), j.ReportFile)
	if err != nil {
		return err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		return err
	}
	return sendXLSX(c, f.Name, buf.Bytes())
}

// ---------------------------------------------------------------- row by row

func (h *Console) rowImportPage(c *fiber.Ctx) error {
	if err := web.PrincipalOf(c).RequireApprovedApplicant(); err != nil {
		return err
	}
	var labels []string
	for _, col := range instrument.Columns {
		labels = append(labels, col.Label)
	}
	return h.render(c, fiber.StatusOK, "import_rows", &view{Title: "逐行导入", Active: "view-all", Data: labels})
}

type rowRequest struct {
	Row    int               `json:"row"`
	Values map[string]string `json:"values"` // by column key or by Excel header label
}

// importRow is the idempotent one-row endpoint of 逐行导入: sending the
// same row again returns the instrument created the first time.
func (h *Console) importRow(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	var req rowRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil || req.Values == nil {
		return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"code": "INVALID", "message": "请求格式有误"})
	}
	var in instrument.Input
	for _, col := range instrument.Columns {
		v, ok := req.Values[col.Key]
		if !ok {
			v = req.Values[col.Label]
		}
		*col.Get(&in) = v
	}
	im, err := h.Instruments.NewImporter(p, true)
	if err != nil {
		return web.WriteJSONError(c, err)
	}
	res, err := im.Row(c.UserContext(), req.Row, in)
	if err != nil {
		return web.WriteJSONError(c, err)
	}
	out := fiber.Map{"row": req.Row, "status": string(res.Status), "id": res.ID, "message": res.Message()}
	fields := []fiber.Map{}
	for _, e := range res.Errors {
		fields = append(fields, fiber.Map{"field": e.Field, "message": e.Message})
	}
	out["fields"] = fields
	if res.Status == instrument.RowFailed {
		return c.Status(fiber.StatusUnprocessableEntity).JSON(out)
	}
	if res.Status == instrument.RowCreated {
		return c.Status(fiber.StatusCreated).JSON(out)
	}
	return c.JSON(out)
}
