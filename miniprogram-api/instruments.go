package mpapi

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/web"
)

// CountsJSON are the home page figures (manual 八: "我" mirrors the home page).
type CountsJSON struct {
	Total       int            `json:"total"`
	Due         int            `json:"due"`
	Overdue     int            `json:"overdue"`
	Invalid     int            `json:"invalid"`
	Unqualified int            `json:"unqualified"`
	Scrapped    int            `json:"scrapped"`
	Stopped     int            `json:"stopped"`
	Booking     int            `json:"booking"`
	Filing      map[string]int `json:"filing"`
}

func countsJSON(c instrument.Counts) CountsJSON {
	out := CountsJSON{Total: c.Total, Due: c.Views[instrument.ViewDue], Overdue: c.Views[instrument.ViewOverdue],
		Invalid: c.Views[instrument.ViewInvalid], Unqualified: c.Views[instrument.ViewUnqualified],
		Scrapped: c.Views[instrument.ViewScrapped], Stopped: c.Stopped, Booking: c.Booking, Filing: map[string]int{}}
	for st, n := range c.Filings {
		out.Filing[string(st)] = n
	}
	return out
}

// NozzleJSON is a nozzle of a fuel dispenser.
type NozzleJSON struct {
	No        string `json:"no"`
	Fuel      string `json:"fuel"`
	FlowRange string `json:"flowRange"`
}

// FileJSON is an attached file.
type FileJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// InstrumentJSON is an instrument as the mini program shows it.
type InstrumentJSON struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	Model            string       `json:"model"`
	Range            string       `json:"range"`
	Accuracy         string       `json:"accuracy"`
	FactoryNo        string       `json:"factoryNo"`
	OwnNo            string       `json:"ownNo"`
	Manufacturer     string       `json:"manufacturer"`
	Origin           int          `json:"origin"`
	OriginName       string       `json:"originName"`
	InstallLocation  string       `json:"installLocation"`
	PurchaseDate     string       `json:"purchaseDate"`
	State            int          `json:"state"`
	StateName        string       `json:"stateName"`
	Usage            int          `json:"usage"`
	UsageName        string       `json:"usageName"`
	Type             int          `json:"type"`
	TypeName         string       `json:"typeName"`
	Method           int          `json:"method"`
	MethodName       string       `json:"methodName"`
	Region           string       `json:"region"`
	RegionName       string       `json:"regionName"`
	Category         string       `json:"category"`
	CategoryName     string       `json:"categoryName"`
	ItemCode         string       `json:"itemCode"`
	ItemName         string       `json:"itemName"`
	InstitutionID    string       `json:"institutionId"`
	InstitutionName  string       `json:"institutionName"`
	Code             string       `json:"code"`
	TypeApprovalNo   string       `json:"typeApprovalNo"`
	FilingStatus     string       `json:"filingStatus"`
	FilingStatusName string       `json:"filingStatusName"`
	ReturnReason     string       `json:"returnReason"`
	Life             string       `json:"life"`
	LifeName         string       `json:"lifeName"`
	TraceStatus      string       `json:"traceStatus"`
	CertificateNo    string       `json:"certificateNo"`
	ValidUntil       string       `json:"validUntil"`
	Tags             []string     `json:"tags"`
	Remarks          string       `json:"remarks"`
	Nozzles          []NozzleJSON `json:"nozzles"`
	Attachments      []FileJSON   `json:"attachments"`
	TypeCerts        []FileJSON   `json:"typeCerts"`
	Deletable        bool         `json:"deletable"`
	Booked           bool         `json:"booked"`
	Version          int          `json:"version"`
	CreatedAt        time.Time    `json:"createdAt"`
	UpdatedAt        time.Time    `json:"updatedAt"`
}

func files(refs []instrument.FileRef) []FileJSON {
	out := []FileJSON{}
	for _, r := range refs {
		out = append(out, FileJSON{ID: r.ID, Name: r.Name, Size: r.Size})
	}
	return out
}

func (a *API) instrumentJSON(in *instrument.Instrument) InstrumentJSON {
	cat, _ := a.Ref.Category(in.CategoryCode)
	inst, _ := a.Ref.Institution(in.Filing.InstitutionID)
	out := InstrumentJSON{
		ID: in.ID, Name: in.Name, Model: in.Model, Range: in.Range, Accuracy: in.Accuracy, FactoryNo: in.FactoryNo,
		OwnNo: in.OwnNo, Manufacturer: in.Manufacturer, Origin: in.Origin, OriginName: instrument.Origins.Name(in.Origin),
		InstallLocation: in.InstallLocation, PurchaseDate: string(in.PurchaseDate), State: in.State,
		StateName: instrument.States.Name(in.State), Usage: in.Usage, UsageName: instrument.Usages.Name(in.Usage),
		Type: in.Type, TypeName: instrument.Types.Name(in.Type), Method: in.Method, MethodName: instrument.Methods.Name(in.Method),
		Region: in.RegionCode, RegionName: a.Ref.RegionPath(in.RegionCode), Category: in.CategoryCode, CategoryName: cat.Name,
		ItemCode: in.ItemCode, ItemName: cat.ItemName, InstitutionID: inst.ID, InstitutionName: inst.Name, Code: in.Code,
		TypeApprovalNo: in.TypeApprovalNo, FilingStatus: string(in.Filing.Status), FilingStatusName: in.Filing.Status.Name(),
		ReturnReason: in.Filing.ReturnReason, Life: string(in.Life), LifeName: in.Life.Name(), TraceStatus: in.TraceStatus(),
		CertificateNo: in.CertificateNo, ValidUntil: string(in.ValidUntil), Tags: append([]string{}, in.Tags...),
		Remarks: in.Remarks, Nozzles: []NozzleJSON{}, Attachments: files(in.Attachments), TypeCerts: files(in.TypeCerts),
		Deletable: in.Deletable(), Booked: in.BookingID != "", Version: in.Version, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
	}
	for _, n := range in.Nozzles {
		out.Nozzles = append(out.Nozzles, NozzleJSON{No: n.No, Fuel: n.Fuel, FlowRange: n.FlowRange})
	}
	return out
}

// listRequest reads the list query parameters; unknown values are refused
// by the service with a Chinese message.
func listRequest(c *fiber.Ctx) (instrument.ListRequest, error) {
	r := instrument.ListRequest{
		View: instrument.View(c.Query("view", "all")), Filing: c.Query("filing"), Name: c.Query("name"),
		FactoryNo: c.Query("factoryNo"), Category: c.Query("category"), Region: c.Query("region"), Tag: c.Query("tag"),
		Text: c.Query("q"), Sort: c.Query("sort"), Desc: c.Query("desc") == "1" || c.Query("desc") == "true",
	}
	ints := map[string]*int{"page": &r.Page, "size": &r.Size, "usage": &r.Usage, "method": &r.Method}
	for k, p := range ints {
		if v := c.Query(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return r, core.Errorf(core.Invalid, "参数 %s 应为正整数", k)
			}
			*p = n
		}
	}
	return r, nil
}

type listResponse struct {
	Items []InstrumentJSON `json:"items"`
	Total int              `json:"total"`
	Page  int              `json:"page"`
	Size  int              `json:"size"`
}

func (a *API) listInstruments(c *fiber.Ctx) error {
	r, err := listRequest(c)
	if err != nil {
		return err
	}
	list, total, err := a.Instruments.List(c.UserContext(), web.PrincipalOf(c), r)
	if err != nil {
		return err
	}
	out := listResponse{Items: []InstrumentJSON{}, Total: total, Page: max(r.Page, 1), Size: r.Size}
	if out.Size == 0 {
		out.Size = instrument.PageSizes[0]
	}
	for _, in := range list {
		out.Items = append(out.Items, a.instrumentJSON(in))
	}
	return c.JSON(out)
}

// HistoryJSON is one history entry.
type HistoryJSON struct {
	At      time.Time    `json:"at"`
	User    string       `json:"user"`
	Action  string       `json:"action"`
	Detail  string       `json:"detail"`
	Changes []ChangeJSON `json:"changes"`
}

// ChangeJSON is one changed field.
type ChangeJSON struct {
	Field string `json:"field"`
	Label string `json:"label"`
	From  string `json:"from"`
	To    string `json:"to"`
}

type detailResponse struct {
	Instrument   InstrumentJSON    `json:"instrument"`
	History      []HistoryJSON     `json:"history"`
	Certificates []CertificateJSON `json:"certificates"`
}

func (a *API) detail(c *fiber.Ctx, in *instrument.Instrument, status int) error {
	hist, err := a.Instruments.History(c.UserContext(), web.PrincipalOf(c), in.ID)
	if err != nil {
		return err
	}
	certs, err := a.Bookings.CertificatesOf(c.UserContext(), in)
	if err != nil {
		return err
	}
	out := detailResponse{Instrument: a.instrumentJSON(in), History: []HistoryJSON{}, Certificates: []CertificateJSON{}}
	for _, cert := range certs {
		out.Certificates = append(out.Certificates, a.certJSON(cert))
	}
	for _, h := range hist {
		hj := HistoryJSON{At: h.At, User: h.UserName, Action: h.Action, Detail: h.Detail, Changes: []ChangeJSON{}}
		for _, ch := range h.Changes {
			hj.Changes = append(hj.Changes, ChangeJSON{Field: ch.Field, Label: ch.Label, From: ch.From, To: ch.To})
		}
		out.History = append(out.History, hj)
	}
	return c.Status(status).JSON(out)
}

func (a *API) getInstrument(c *fiber.Ctx) error {
	in, err := a.Instruments.Get(c.UserContext(), web.PrincipalOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return a.detail(c, in, fiber.StatusOK)
}

// decodeInstrument reads an instrument body over base: every field a string
// or a number (codes may be sent as 3 or "3"), tags a string or a list;
// fields left out keep base's value.
func decodeInstrument(c *fiber.Ctx, base *instrument.Input) (instrument.Input, int, error) {
	var raw map[string]json.RawMessage
	if err := decode(c, &raw); err != nil {
		return instrument.Input{}, 0, err
	}
	in := instrument.Input{}
	if base != nil {
		in = *base
	}
	f := &core.Fields{}
	for _, col := range instrument.Columns {
		v, ok := raw[col.Key]
		if !ok {
			continue
		}
		s, err := jsonText(v)
		if err != nil {
			f.Add(col.Key, "%s应为文字或数字", col.Label)
			continue
		}
		*col.Get(&in) = s
	}
	if v, ok := raw["nozzles"]; ok {
		var nz []NozzleJSON
		if err := json.Unmarshal(v, &nz); err != nil {
			f.Add("nozzles", "加油枪格式有误，应为 [{\"no\",\"fuel\",\"flowRange\"}]")
		}
		in.Nozzles = nil
		for _, n := range nz {
			in.Nozzles = append(in.Nozzles, instrument.Nozzle{No: n.No, Fuel: n.Fuel, FlowRange: n.FlowRange})
		}
	}
	version := 0
	if v, ok := raw["version"]; ok {
		if err := json.Unmarshal(v, &version); err != nil {
			f.Add("version", "version 应为整数")
		}
	}
	return in, version, f.Err()
}

// jsonText accepts a JSON string, number, null or list of strings (tags).
func jsonText(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		return n.String(), nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err == nil {
		return strings.Join(list, " "), nil
	}
	if string(v) == "null" {
		return "", nil
	}
	return "", core.Errorf(core.Invalid, "invalid")
}

func (a *API) createInstrument(c *fiber.Ctx) error {
	in, _, err := decodeInstrument(c, nil)
	if err != nil {
		return err
	}
	created, err := a.Instruments.Create(c.UserContext(), web.PrincipalOf(c), in, "")
	if err != nil {
		return err
	}
	return a.detail(c, created, fiber.StatusCreated)
}

func (a *API) updateInstrument(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	cur, err := a.Instruments.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	base := instrument.InputOf(cur.Fields)
	in, version, err := decodeInstrument(c, &base)
	if err != nil {
		return err
	}
	updated, err := a.Instruments.Update(c.UserContext(), p, id, version, in)
	if err != nil {
		return err
	}
	return a.detail(c, updated, fiber.StatusOK)
}

func (a *API) copyInstrument(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	src, err := a.Instruments.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	base := instrument.InputOf(src.Fields)
	in := base
	if len(c.Body()) > 0 {
		if in, _, err = decodeInstrument(c, &base); err != nil {
			return err
		}
	}
	created, err := a.Instruments.Copy(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return a.detail(c, created, fiber.StatusCreated)
}

type batchRequest struct {
	Action string   `json:"action"`
	IDs    []string `json:"ids"`
}

// BatchJSON reports a batch action.
type BatchJSON struct {
	Done   int             `json:"done"`
	Failed []BatchItemJSON `json:"failed"`
}

// BatchItemJSON is one instrument a batch action did not change.
type BatchItemJSON struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Message string `json:"message"`
}

func (a *API) batchInstruments(c *fiber.Ctx) error {
	var req batchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	res, err := a.Instruments.Apply(c.UserContext(), web.PrincipalOf(c), instrument.Action(req.Action), req.IDs)
	if err != nil {
		return err
	}
	out := BatchJSON{Done: res.Done, Failed: []BatchItemJSON{}}
	for _, f := range res.Failed {
		out.Failed = append(out.Failed, BatchItemJSON{ID: f.ID, Label: f.Label, Message: f.Message})
	}
	return c.JSON(out)
}

// uploadFiles adds files (multipart field "file", wx.uploadFile's default)
// to an attachment group: attachments (相关资料) or typecerts (型式评价证书).
func (a *API) uploadFiles(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	var ups []core.Upload
	if mf, err := c.MultipartForm(); err == nil {
		for _, field := range []string{"file", "files"} {
			for _, fh := range mf.File[field] {
				f, err := fh.Open()
				if err != nil {
					return err
				}
				buf := make([]byte, fh.Size)
				_, err = io.ReadFull(f, buf)
				f.Close()
				if err != nil {
					return err
				}
				ups = append(ups, core.Upload{Name: strings.Clone(fh.Filename), Data: buf})
			}
		}
	}
	in, err := a.Instruments.AddFiles(c.UserContext(), p, id, instrument.Group(c.Params("group")), ups)
	if err != nil {
		return err
	}
	return a.detail(c, in, fiber.StatusOK)
}
