package console

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/web"
)

// button is an action a list menu offers on the selected instruments (or,
// with NoSelection, on the current query).
type button struct {
	Label       string
	Action      string // the form's "action" value
	To          string // where the batch form posts (or the link's target)
	Style       string // "", "danger", "primary"
	Confirm     string
	NoSelection bool
}

// menuDef is one instrument list menu: a view of 仪器管理, a status of
// 备案管理, or an institution's review queue.
type menuDef struct {
	Key     string // view or filing status
	Label   string
	Buttons []button
	// Panel names the parameter inputs the buttons need: "review",
	// "confirm", "revoke".
	Panel string
}

var (
	btnDelete  = button{Label: "删除", Action: "delete", To: "/instruments/batch", Style: "danger", Confirm: "删除选中的仪器？删除后不能恢复。"}
	btnStop    = button{Label: "停用", Action: "stop", To: "/instruments/batch", Confirm: "停用选中的仪器？"}
	btnScrap   = button{Label: "报废", Action: "scrap", To: "/instruments/batch", Style: "danger", Confirm: "报废选中的仪器？报废后只能查看。"}
	btnEnable  = button{Label: "启用", Action: "enable", To: "/instruments/batch", Confirm: "启用选中的仪器？"}
	btnPending = button{Label: "加入待处理", Action: "add", To: "/booking/pending/add"}
	btnBook    = button{Label: "预约检定", Action: "book", To: "/booking/new", Style: "primary"}
)

var viewMenus = []menuDef{
	{Key: "all", Label: "全部仪器", Buttons: []button{btnDelete, btnStop, btnScrap}},
	{Key: "due", Label: "须检仪器", Buttons: []button{btnBook, btnPending}},
	{Key: "overdue", Label: "超期未检", Buttons: []button{btnBook, btnPending, btnStop}},
	{Key: "invalid", Label: "无效仪器", Buttons: []button{btnStop}},
	{Key: "unqualified", Label: "不合格", Buttons: []button{btnBook, btnPending, btnStop}},
	{Key: "scrapped", Label: "已报废"},
}

var submitButtons = []button{
	{Label: "提交备案（选中）", Action: "selected", To: "/filings/submit", Style: "primary"},
	{Label: "提交备案（查询结果）", To: "/filings/submit?mode=query", NoSelection: true},
	{Label: "提交备案（全部）", To: "/filings/submit?mode=all", NoSelection: true},
}

var filingMenus = []menuDef{
	{Key: "unfiled", Label: "待备案", Buttons: append(append([]button{}, submitButtons...), btnDelete)},
	{Key: "submitted", Label: "已提交", Buttons: []button{{Label: "撤销备案", Action: "withdraw", To: "/filings/act", Confirm: "撤销选中仪器的备案申请？"}}},
	{Key: "returned", Label: "被退回", Buttons: []button{{Label: "重新提交（选中）", Action: "selected", To: "/filings/submit", Style: "primary"}, btnDelete}},
	{Key: "pending", Label: "待处理"},
	{Key: "confirming", Label: "待确认"},
	{Key: "approved", Label: "已审核"},
	{Key: "revoked", Label: "被撤销", Buttons: []button{btnStop, btnScrap}},
	{Key: "stopped", Label: "已停用", Buttons: []button{btnEnable, btnScrap}},
}

// reviewMenus are an institution's filing queues.
var reviewMenus = []menuDef{
	{Key: "submitted", Label: "待审核", Panel: "review", Buttons: []button{
		{Label: "审核通过", Action: "approve", To: "/filings/act", Style: "primary", Confirm: "审核通过选中的仪器？将分配器具编码。"},
		{Label: "退回", Action: "return", To: "/filings/act", Style: "danger", Confirm: "退回选中的仪器？"},
		{Label: "分派至区县", Action: "dispatch", To: "/filings/act", Confirm: "分派选中的仪器？"},
		{Label: "转送省院", Action: "transfer", To: "/filings/act", Confirm: "转送选中的仪器至省院？"}}},
	{Key: "pending", Label: "待处理", Panel: "review", Buttons: []button{
		{Label: "审核通过", Action: "approve", To: "/filings/act", Style: "primary", Confirm: "审核通过选中的仪器？"},
		{Label: "退回", Action: "return", To: "/filings/act", Style: "danger", Confirm: "退回选中的仪器？"},
		{Label: "分派至区县", Action: "dispatch", To: "/filings/act", Confirm: "分派选中的仪器？"},
		{Label: "转送省院", Action: "transfer", To: "/filings/act", Confirm: "转送选中的仪器至省院？"}}},
	{Key: "confirming", Label: "待确认", Panel: "confirm", Buttons: []button{
		{Label: "确认备案", Action: "confirm", To: "/filings/act", Style: "primary", Confirm: "确认选中仪器的备案？"},
		{Label: "退回市级机构", Action: "decline", To: "/filings/act", Style: "danger", Confirm: "无能力检定，退回市级机构？"}}},
	{Key: "approved", Label: "已审核", Panel: "revoke", Buttons: []button{
		{Label: "撤销备案", Action: "revoke", To: "/filings/act", Style: "danger", Confirm: "撤销选中仪器的备案？"}}},
	{Key: "returned", Label: "已退回"},
	{Key: "revoked", Label: "已撤销"},
}

func findMenu(list []menuDef, key string) (menuDef, bool) {
	for _, m := range list {
		if m.Key == key {
			return m, true
		}
	}
	return menuDef{}, false
}

// column is a table column the user can show or hide (manual 图 15).
type column struct {
	Key, Label string
	Hidden     bool // hidden until chosen
	Sort       string
}

var listColumns = []column{
	{"name", "器具名称", false, "name"},
	{"model", "型号规格", false, "model"},
	{"factoryNo", "出厂编号", false, "factoryNo"},
	{"ownNo", "自编号", true, ""},
	{"category", "种别", false, "category"},
	{"region", "所属地", false, "region"},
	{"usage", "器具用途", true, ""},
	{"method", "检定方式", false, ""},
	{"filing", "备案状态", false, ""},
	{"code", "器具编码", false, "code"},
	{"institution", "检定机构", true, ""},
	{"validUntil", "有效期至", false, "validUntil"},
	{"trace", "溯源状态", true, ""},
	{"tags", "自定义标签", true, ""},
	{"location", "安装使用地点", true, ""},
	{"updatedAt", "更新时间", false, "updatedAt"},
}

type listPage struct {
	Mode       string // "view" or "filing"
	Menu       menuDef
	Items      []*instrument.Instrument
	Pager      pager
	Req        instrument.ListRequest
	Query      string // the current filters, for export and sort links
	Columns    []column
	Sizes      []int
	Ref        *refdata.Data
	Usages     []instrument.Option
	Methods    []instrument.Option
	Filings    []menuDef
	Back       string
	IsAllView  bool
	Importable bool
	Review     bool // an institution's or regulator's list
	Districts  []refdata.Institution
	Kinds      []string
}

func listRequestOf(c *fiber.Ctx) instrument.ListRequest {
	r := instrument.ListRequest{
		View: instrument.View(c.Query("view", "all")), FilingFilter: c.Query("filingFilter"),
		Name: c.Query("name"), FactoryNo: c.Query("factoryNo"), Category: c.Query("category"), Region: c.Query("region"),
		Tag: c.Query("tag"), Text: c.Query("q"), Sort: c.Query("sort"), Desc: c.Query("desc") == "1",
		Page: page(c), Size: c.QueryInt("size", 15),
	}
	r.Usage, _ = strconv.Atoi(c.Query("usage"))
	r.Method, _ = strconv.Atoi(c.Query("method"))
	return r
}

// filterQuery is the query string of the filters without paging.
func filterQuery(c *fiber.Ctx, drop ...string) string {
	vals := url.Values{}
	for k, v := range c.Queries() {
		vals.Set(k, v)
	}
	for _, d := range append(drop, "page", "msg") {
		vals.Del(d)
	}
	return vals.Encode()
}

func (h *Console) instrumentList(c *fiber.Ctx) error {
	return h.renderList(c, "view", c.Query("view", "all"))
}

func (h *Console) filingList(c *fiber.Ctx) error {
	return h.renderList(c, "filing", c.Query("status", "unfiled"))
}

func (h *Console) filingReviewList(c *fiber.Ctx) error {
	return h.renderList(c, "review", c.Query("status", "submitted"))
}

func (h *Console) renderList(c *fiber.Ctx, mode, key string) error {
	p := web.PrincipalOf(c)
	r := listRequestOf(c)
	var menu menuDef
	var ok bool
	switch mode {
	case "view":
		menu, ok = findMenu(viewMenus, key)
		r.View = instrument.View(key)
	case "review":
		if err := p.RequireRole(core.RoleStaff, core.RoleRegulator); err != nil {
			return err
		}
		menu, ok = findMenu(reviewMenus, key)
		if p.IsRegulator() {
			menu, ok = menuDef{Key: "approved", Label: "辖区已备案仪器", Panel: "revoke", Buttons: reviewMenus[3].Buttons}, key == "approved"
		}
		r.Filing, r.FilingFilter = key, ""
	default:
		menu, ok = findMenu(filingMenus, key)
		r.Filing, r.FilingFilter = key, ""
	}
	if !ok {
		return core.Errorf(core.NotFound, "页面不存在")
	}
	items, total, err := h.Instruments.List(c.UserContext(), p, r)
	if err != nil {
		return err
	}
	size := r.Size
	if size == 0 {
		size = 15
	}
	d := listPage{
		Mode: mode, Menu: menu, Items: items, Pager: newPager(c, size, total), Req: r,
		Query: filterQuery(c), Columns: listColumns, Sizes: instrument.PageSizes, Ref: h.Ref,
		Usages: instrument.Usages.Options, Methods: instrument.Methods.Options, Filings: filingMenus,
		Back: c.OriginalURL(), IsAllView: mode == "view" && key == "all",
		Importable: mode == "view" && key == "all" || mode == "filing" && key == "unfiled",
	}
	active := "view-" + key
	switch mode {
	case "filing":
		active = "filing-" + key
	case "review":
		active = "review-" + key
		d.Review, d.Kinds = true, filing.ReturnKinds
		for _, i := range h.Ref.Institutions() {
			if i.Level == refdata.LevelDistrict && i.ParentID == p.InstitutionID {
				d.Districts = append(d.Districts, i)
			}
		}
	}
	return h.render(c, fiber.StatusOK, "instruments", &view{Title: menu.Label, Active: active, Data: d})
}

// ---------------------------------------------------------------- forms

type formPage struct {
	In        *instrument.Instrument // nil when adding
	Columns   []instrument.Column
	Ref       *refdata.Data
	Regions   []regionGroup
	Locked    map[string]bool
	Nozzles   []instrument.Nozzle
	CopyOf    string
	Action    string
	MaxUpload int
}

func (h *Console) formPage(in *instrument.Instrument) formPage {
	d := formPage{In: in, Columns: instrument.Columns, Ref: h.Ref, Regions: h.regionGroups(), Locked: map[string]bool{}, MaxUpload: instrument.MaxGroupSize >> 20}
	if in != nil {
		for _, c := range instrument.Columns {
			if ok, _ := instrument.Editable(in, c.Key); !ok {
				d.Locked[c.Key] = true
			}
		}
		if ok, _ := instrument.Editable(in, "nozzles"); !ok {
			d.Locked["nozzles"] = true
		}
	}
	return d
}

// inputForm is an Input as the form's values.
func inputForm(in instrument.Input) map[string]string {
	m := map[string]string{}
	for _, c := range instrument.Columns {
		m[c.Key] = *c.Get(&in)
	}
	return m
}

// readInput reads the instrument form (nozzle rows are nozzleNo/nozzleFuel/nozzleFlow lists).
func readInput(c *fiber.Ctx) (instrument.Input, map[string]string) {
	var in instrument.Input
	form := map[string]string{}
	for _, col := range instrument.Columns {
		v := strings.Clone(c.FormValue(col.Key))
		*col.Get(&in) = v
		form[col.Key] = v
	}
	args := c.Request().PostArgs()
	var nos, fuels, flows []string
	if mf, err := c.MultipartForm(); err == nil {
		nos, fuels, flows = mf.Value["nozzleNo"], mf.Value["nozzleFuel"], mf.Value["nozzleFlow"]
	} else {
		for _, b := range args.PeekMulti("nozzleNo") {
			nos = append(nos, string(b))
		}
		for _, b := range args.PeekMulti("nozzleFuel") {
			fuels = append(fuels, string(b))
		}
		for _, b := range args.PeekMulti("nozzleFlow") {
			flows = append(flows, string(b))
		}
	}
	at := func(list []string, i int) string {
		if i < len(list) {
			return strings.TrimSpace(list[i])
		}
		return ""
	}
	for i := range nos {
		n := instrument.Nozzle{No: at(nos, i), Fuel: at(fuels, i), FlowRange: at(flows, i)}
		if n.No == "" && n.Fuel == "" && n.FlowRange == "" {
			continue
		}
		in.Nozzles = append(in.Nozzles, n)
	}
	return in, form
}

func uploads(c *fiber.Ctx, field string) ([]core.Upload, error) {
	mf, err := c.MultipartForm()
	if err != nil {
		return nil, nil
	}
	var out []core.Upload
	for _, fh := range mf.File[field] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		buf := make([]byte, fh.Size)
		_, err = f.Read(buf)
		f.Close()
		if err != nil && fh.Size > 0 {
			return nil, err
		}
		out = append(out, core.Upload{Name: strings.Clone(fh.Filename), Data: buf})
	}
	return out, nil
}

func (h *Console) newInstrumentPage(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	if err := p.RequireApprovedApplicant(); err != nil {
		return err
	}
	d := h.formPage(nil)
	form := map[string]string{"origin": "1", "state": "1", "type": "1"}
	var nozzles []instrument.Nozzle
	if from := c.Query("from"); from != "" {
		src, err := h.Instruments.Get(c.UserContext(), p, from)
		if err != nil {
			return err
		}
		in := instrument.InputOf(src.Fields)
		form, nozzles, d.CopyOf = inputForm(in), in.Nozzles, src.Name+"（"+src.FactoryNo+"）"
		form["from"] = src.ID
	}
	d.Nozzles = nozzles
	d.Action = "/instruments"
	return h.render(c, fiber.StatusOK, "instrument_form", &view{Title: "添加仪器", Active: "view-all", Data: d, Form: form})
}

func (h *Console) createInstrument(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	raw, form := readInput(c)
	from := strings.Clone(c.FormValue("from"))
	form["from"] = from
	atts, err := uploads(c, "attachments")
	if err != nil {
		return err
	}
	certs, err := uploads(c, "typecerts")
	if err != nil {
		return err
	}
	d := h.formPage(nil)
	d.Nozzles, d.Action = raw.Nozzles, "/instruments"
	v := &view{Title: "添加仪器", Active: "view-all", Data: d, Form: form}
	// Files are checked with the fields so one submit shows every problem.
	fe := &core.Fields{}
	for g, list := range map[instrument.Group][]core.Upload{instrument.GroupAttachments: atts, instrument.GroupTypeCerts: certs} {
		if msg := instrument.CheckUploads(g, list, 0); msg != "" {
			fe.Add(string(g), "%s", msg)
		}
	}
	var in *instrument.Instrument
	if from != "" {
		in, err = h.Instruments.Copy(c.UserContext(), p, from, raw)
	} else {
		in, err = h.Instruments.Create(c.UserContext(), p, raw, "")
	}
	if err != nil || !fe.Empty() {
		for _, f := range core.FieldErrors(err) {
			fe.Add(f.Field, "%s", f.Message)
		}
		if err == nil {
			// The fields were fine but a file was not: undo the instrument.
			_, _ = h.Instruments.Apply(c.UserContext(), p, instrument.ActDelete, []string{in.ID})
		} else if len(core.FieldErrors(err)) == 0 {
			return err
		}
		return h.formError(c, "instrument_form", v, fe.Err())
	}
	if err := h.attach(c.UserContext(), p, in.ID, atts, certs); err != nil {
		_, _ = h.Instruments.Apply(c.UserContext(), p, instrument.ActDelete, []string{in.ID})
		return err
	}
	return c.Redirect("/instruments/" + in.ID + "?msg=instrument-created")
}

func (h *Console) attach(ctx context.Context, p core.Principal, id string, atts, certs []core.Upload) error {
	if len(atts) > 0 {
		if _, err := h.Instruments.AddFiles(ctx, p, id, instrument.GroupAttachments, atts); err != nil {
			return err
		}
	}
	if len(certs) > 0 {
		if _, err := h.Instruments.AddFiles(ctx, p, id, instrument.GroupTypeCerts, certs); err != nil {
			return err
		}
	}
	return nil
}

func (h *Console) editInstrumentPage(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	in, err := h.Instruments.Get(c.UserContext(), p, c.Params("id"))
	if err != nil {
		return err
	}
	if !p.OwnsApplicantData(in.ApplicantID) {
		return core.ErrNotFound("仪器")
	}
	d := h.formPage(in)
	d.Nozzles, d.Action = in.Nozzles, "/instruments/"+in.ID
	form := inputForm(instrument.InputOf(in.Fields))
	form["version"] = strconv.Itoa(in.Version)
	return h.render(c, fiber.StatusOK, "instrument_form", &view{Title: "编辑仪器", Active: "view-all", Data: d, Form: form})
}

func (h *Console) updateInstrument(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	cur, err := h.Instruments.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	raw, form := readInput(c)
	form["version"] = strings.Clone(c.FormValue("version"))
	version, _ := strconv.Atoi(form["version"])
	atts, err := uploads(c, "attachments")
	if err != nil {
		return err
	}
	certs, err := uploads(c, "typecerts")
	if err != nil {
		return err
	}
	d := h.formPage(cur)
	d.Nozzles, d.Action = raw.Nozzles, "/instruments/"+id
	v := &view{Title: "编辑仪器", Active: "view-all", Data: d, Form: form}
	fe := &core.Fields{}
	sizes := map[instrument.Group]int64{}
	for _, r := range cur.Attachments {
		sizes[instrument.GroupAttachments] += r.Size
	}
	for _, r := range cur.TypeCerts {
		sizes[instrument.GroupTypeCerts] += r.Size
	}
	for g, list := range map[instrument.Group][]core.Upload{instrument.GroupAttachments: atts, instrument.GroupTypeCerts: certs} {
		if msg := instrument.CheckUploads(g, list, sizes[g]); msg != "" {
			fe.Add(string(g), "%s", msg)
		}
	}
	if !fe.Empty() {
		// Check the fields too, without saving, so every problem shows at once.
		_, errs := instrument.Parse(h.Ref, core.Today(h.Instruments.Clock), raw)
		for _, e := range errs {
			fe.Add(e.Field, "%s", e.Message)
		}
		return h.formError(c, "instrument_form", v, fe.Err())
	}
	if _, err := h.Instruments.Update(c.UserContext(), p, id, version, raw); err != nil {
		return h.formError(c, "instrument_form", v, err)
	}
	if err := h.attach(c.UserContext(), p, id, atts, certs); err != nil {
		return err
	}
	return c.Redirect("/instruments/" + id + "?msg=instrument-updated")
}

// ---------------------------------------------------------------- detail

type detailPage struct {
	In      *instrument.Instrument
	Tab     string
	History []instrument.HistoryEntry
	Ref     *refdata.Data
	Columns []instrument.Column
	Owner   bool
	Groups  []instrument.Group
}

func (h *Console) instrumentDetail(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	in, err := h.Instruments.Get(c.UserContext(), p, c.Params("id"))
	if err != nil {
		return err
	}
	d := detailPage{In: in, Tab: c.Query("tab", "detail"), Ref: h.Ref, Columns: instrument.Columns,
		Owner: p.OwnsApplicantData(in.ApplicantID), Groups: []instrument.Group{instrument.GroupAttachments, instrument.GroupTypeCerts}}
	if d.Tab == "history" {
		if d.History, err = h.Instruments.History(c.UserContext(), p, in.ID); err != nil {
			return err
		}
	}
	return h.render(c, fiber.StatusOK, "instrument_detail", &view{Title: "仪器详情", Active: "view-all", Data: d})
}

func (h *Console) uploadFiles(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	g := instrument.Group(c.Params("group"))
	list, err := uploads(c, "files")
	if err != nil {
		return err
	}
	if _, err := h.Instruments.AddFiles(c.UserContext(), p, id, g, list); err != nil {
		if fe := core.FieldErrors(err); len(fe) > 0 {
			return core.Errorf(core.Invalid, "%s", fe[0].Message)
		}
		return err
	}
	return c.Redirect("/instruments/" + id + "?msg=files-uploaded")
}

func (h *Console) removeFile(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	if _, err := h.Instruments.RemoveFile(c.UserContext(), p, id, instrument.Group(c.Params("group")), c.Params("file")); err != nil {
		return err
	}
	return c.Redirect("/instruments/" + id + "?msg=file-removed")
}

func (h *Console) instrumentFile(c *fiber.Ctx) error {
	f, rc, err := h.Instruments.OpenFile(c.UserContext(), web.PrincipalOf(c), c.Params("id"), c.Params("file"))
	if err != nil {
		return err
	}
	return sendFile(c, f, rc)
}

// ---------------------------------------------------------------- batch

type batchPage struct {
	Action string
	Result instrument.BatchResult
	Back   string
}

func (h *Console) batchInstruments(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	action := instrument.Action(c.FormValue("action"))
	var ids []string
	if mf, err := c.MultipartForm(); err == nil {
		ids = mf.Value["ids"]
	} else {
		for _, b := range c.Request().PostArgs().PeekMulti("ids") {
			ids = append(ids, string(b))
		}
	}
	res, err := h.Instruments.Apply(c.UserContext(), p, action, ids)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "batch_result", &view{Title: action.Name() + "结果", Active: "view-all",
		Data: batchPage{Action: action.Name(), Result: res, Back: safeNext(c.FormValue("back"))}})
}

func (h *Console) clearInstruments(c *fiber.Ctx) error {
	res, err := h.Instruments.Clear(c.UserContext(), web.PrincipalOf(c))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "batch_result", &view{Title: "清空结果", Active: "view-all",
		Data: batchPage{Action: "清空", Result: res, Back: safeNext(c.FormValue("back"))}})
}
