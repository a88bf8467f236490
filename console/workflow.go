package console

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/web"
)

// formIDs reads the selected ids of a batch form.
func formIDs(c *fiber.Ctx) []string {
	var ids []string
	if mf, err := c.MultipartForm(); err == nil {
		return append(ids, mf.Value["ids"]...)
	}
	for _, b := range c.Request().PostArgs().PeekMulti("ids") {
		ids = append(ids, string(b))
	}
	return ids
}

// ---------------------------------------------------------------- filing (applicant)

type submitPage struct {
	Mode    string // selected, query, all
	IDs     []string
	Query   string
	Options filing.Options
	Ref     *refdata.Data
}

// submitIDs resolves what a submission covers: the selected instruments,
// every unfiled (or returned) instrument of the current query, or all.
func (h *Console) submitIDs(c *fiber.Ctx, mode, query string) ([]string, error) {
	p := web.PrincipalOf(c)
	switch mode {
	case "selected":
		return formIDs(c), nil
	case "query":
		vals, _ := url.ParseQuery(query)
		r := instrument.ListRequest{Filing: vals.Get("status"), Name: vals.Get("name"), FactoryNo: vals.Get("factoryNo"),
			Category: vals.Get("category"), Region: vals.Get("region"), Tag: vals.Get("tag"), Text: vals.Get("q")}
		r.Usage, _ = strconv.Atoi(vals.Get("usage"))
		r.Method, _ = strconv.Atoi(vals.Get("method"))
		if r.Filing != string(instrument.Returned) {
			r.Filing = string(instrument.Unfiled)
		}
		return h.Instruments.AllIDs(c.UserContext(), p, r)
	case "all":
		return h.Instruments.AllIDs(c.UserContext(), p, instrument.ListRequest{Filing: string(instrument.Unfiled)})
	}
	return nil, core.Errorf(core.Invalid, "未知的提交方式")
}

// submitForm shows the submit dialog (manual 图 26).
func (h *Console) submitForm(c *fiber.Ctx) error {
	mode := c.Query("mode", "selected")
	query := filterQuery(c, "mode")
	if c.Method() == fiber.MethodPost {
		mode = "selected"
	}
	ids, err := h.submitIDs(c, mode, query)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return core.Errorf(core.Invalid, "没有可提交备案的仪器，请先勾选或调整查询条件")
	}
	o, err := h.Filing.Options(c.UserContext(), web.PrincipalOf(c), ids)
	if err != nil {
		return err
	}
	d := submitPage{Mode: mode, Query: query, Options: o, Ref: h.Ref}
	if mode == "selected" {
		d.IDs = ids
	}
	return h.render(c, fiber.StatusOK, "filing_submit", &view{Title: "提交备案", Active: "filing-unfiled", Data: d})
}

func (h *Console) submitFiling(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	mode := c.FormValue("mode")
	ids, err := h.submitIDs(c, mode, c.FormValue("query"))
	if err != nil {
		return err
	}
	b, err := h.Filing.Start(c.UserContext(), p, filing.Submit, ids, filing.Params{
		InstitutionID: strings.Clone(c.FormValue("institutionId")), Statement: c.FormValue("statement") == "1",
		Transfer: c.FormValue("transfer") == "1"})
	if err != nil {
		if fe := core.FieldErrors(err); len(fe) > 0 {
			return core.Errorf(core.Invalid, "%s", fe[0].Message)
		}
		return err
	}
	return c.Redirect("/filings/batches/" + b.ID)
}

// act runs a filing action on the selected instruments: withdraw for
// applicants, reviews for staff, revoke for staff and regulators.
func (h *Console) filingAct(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	a := filing.Action(c.FormValue("action"))
	b, err := h.Filing.Start(c.UserContext(), p, a, formIDs(c), filing.Params{
		ReturnKind: strings.Clone(c.FormValue("returnKind")), Reason: strings.Clone(c.FormValue("reason")),
		TargetID: strings.Clone(c.FormValue("targetId"))})
	if err != nil {
		if fe := core.FieldErrors(err); len(fe) > 0 {
			var msgs []string
			for _, f := range fe {
				msgs = append(msgs, f.Message)
			}
			return core.Errorf(core.Invalid, "%s", strings.Join(msgs, "；"))
		}
		return err
	}
	return c.Redirect("/filings/batches/" + b.ID + "?back=" + url.QueryEscape(safeNext(c.FormValue("back"))))
}

type batchProgress struct {
	B    *filing.Batch
	Back string
}

func (h *Console) filingBatchPage(c *fiber.Ctx) error {
	b, err := h.Filing.Batch(c.UserContext(), web.PrincipalOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	back := safeNext(c.Query("back"))
	if back == "/" {
		back = "/filings?status=submitted"
		if !web.PrincipalOf(c).IsApplicant() {
			back = "/review/filings"
		}
	}
	return h.render(c, fiber.StatusOK, "filing_batch", &view{Title: b.Action.Name(), Active: "filing-submitted", Data: batchProgress{B: b, Back: back}})
}

func (h *Console) filingBatchStatus(c *fiber.Ctx) error {
	b, err := h.Filing.Batch(c.UserContext(), web.PrincipalOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": b.Status, "total": len(b.IDs), "done": b.Done, "failed": len(b.Failed), "cursor": b.Cursor})
}

// ---------------------------------------------------------------- booking (applicant)

func (h *Console) addToPending(c *fiber.Ctx) error {
	failed, err := h.Bookings.AddPending(c.UserContext(), web.PrincipalOf(c), formIDs(c))
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		return h.render(c, fiber.StatusOK, "batch_result", &view{Title: "加入待处理", Active: "booking-pending",
			Data: batchPage{Action: "加入待处理", Result: instrument.BatchResult{Done: len(formIDs(c)) - len(failed), Failed: failed}, Back: "/booking/pending"}})
	}
	return c.Redirect("/booking/pending?msg=pending-added")
}

func (h *Console) removeFromPending(c *fiber.Ctx) error {
	if err := h.Bookings.RemovePending(c.UserContext(), web.PrincipalOf(c), formIDs(c)); err != nil {
		return err
	}
	return c.Redirect("/booking/pending?msg=pending-removed")
}

func (h *Console) pendingPage(c *fiber.Ctx) error {
	list, err := h.Bookings.Pending(c.UserContext(), web.PrincipalOf(c))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "booking_pending", &view{Title: "待处理列表", Active: "booking-pending", Data: list})
}

type bookingForm struct {
	Items       []*instrument.Instrument
	Institution refdata.Institution
	Method      string
	Days        []booking.Day
	Error       string
}

// bookingPage shows the chosen instruments and the institution's calendar.
func (h *Console) bookingPage(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	ids := formIDs(c)
	if len(ids) == 0 {
		ids = strings.Split(c.Query("ids"), ",")
	}
	if c.Query("from") == "pending" || (len(ids) == 1 && ids[0] == "") {
		list, err := h.Bookings.Pending(c.UserContext(), p)
		if err != nil {
			return err
		}
		ids = nil
		for _, in := range list {
			ids = append(ids, in.ID)
		}
	}
	var d bookingForm
	fe := []string{}
	for _, id := range ids {
		in, err := h.Instruments.Get(c.UserContext(), p, id)
		if err != nil || !p.OwnsApplicantData(in.ApplicantID) {
			continue
		}
		if msg := h.Bookings.Bookable(c.UserContext(), in); msg != "" {
			fe = append(fe, in.Name+"（"+in.FactoryNo+"）："+msg)
			continue
		}
		d.Items = append(d.Items, in)
	}
	if len(d.Items) == 0 {
		msg := "请先勾选须检、超期未检或不合格的仪器"
		if len(fe) > 0 {
			msg = strings.Join(fe, "；")
		}
		return core.Errorf(core.Invalid, "%s", msg)
	}
	inst, method := d.Items[0].Filing.InstitutionID, d.Items[0].Method
	for _, in := range d.Items[1:] {
		if in.Filing.InstitutionID != inst || in.Method != method {
			return core.Errorf(core.Invalid, "不同机构、不同检定方式的仪器须分开预约")
		}
	}
	d.Institution, _ = h.Ref.Institution(inst)
	d.Method = instrument.Methods.Name(method)
	days, err := h.Bookings.Days(c.UserContext(), inst, "", 21)
	if err != nil {
		return err
	}
	d.Days = days
	if len(fe) > 0 {
		d.Error = "以下仪器不能预约，已略过：" + strings.Join(fe, "；")
	}
	return h.render(c, fiber.StatusOK, "booking_form", &view{Title: "预约检定", Active: "booking-new", Data: d})
}

func (h *Console) createBooking(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	date, slot, _ := strings.Cut(c.FormValue("slot"), "|")
	b, err := h.Bookings.Create(c.UserContext(), p, booking.CreateRequest{IDs: formIDs(c), Date: core.Date(date), SlotID: strings.Clone(slot)})
	if err != nil {
		return err
	}
	return c.Redirect("/bookings/" + b.ID + "?msg=booked")
}

type bookingList struct {
	Menu  string
	Label string
	Items []*booking.Booking
	Pager pager
	Staff bool
}

func (h *Console) bookingsPage(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	menu := c.Query("status", "pending")
	label := ""
	for _, m := range booking.Menus {
		if m.Key == menu {
			label = m.Label
		}
	}
	if label == "" {
		return core.Errorf(core.NotFound, "页面不存在")
	}
	list, total, err := h.Bookings.List(c.UserContext(), p, menu, page(c), 15)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "bookings", &view{Title: label, Active: "booking-" + menu,
		Data: bookingList{Menu: menu, Label: label, Items: list, Pager: newPager(c, 15, total), Staff: p.IsStaff()}})
}

type bookingDetail struct {
	B       *booking.Booking
	Owner   bool
	Staff   bool
	History []booking.HistoryEntry
	Today   core.Date
}

func (h *Console) bookingDetailPage(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	b, err := h.Bookings.Get(c.UserContext(), p, c.Params("id"))
	if err != nil {
		return err
	}
	hist := make([]booking.HistoryEntry, 0, len(b.History))
	for i := len(b.History) - 1; i >= 0; i-- {
		hist = append(hist, b.History[i])
	}
	return h.render(c, fiber.StatusOK, "booking_detail", &view{Title: "预约单 " + b.Number, Active: "booking-" + string(b.Status),
		Data: bookingDetail{B: b, Owner: p.OwnsApplicantData(b.ApplicantID), Staff: p.IsStaff() && p.InstitutionID == b.InstitutionID,
			History: hist, Today: core.Today(h.Instruments.Clock)}})
}

func (h *Console) bookingAct(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	version, _ := strconv.Atoi(c.FormValue("version"))
	if _, err := h.Bookings.Act(c.UserContext(), p, id, booking.Action(c.Params("action")), version, c.FormValue("reason")); err != nil {
		if fe := core.FieldErrors(err); len(fe) > 0 {
			return core.Errorf(core.Invalid, "%s", fe[0].Message)
		}
		return err
	}
	return c.Redirect("/bookings/" + id + "?msg=booking-" + c.Params("action"))
}

// settle records the front desk's outcome for one instrument (manual 六).
func (h *Console) settle(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	id := strings.Clone(c.Params("id"))
	_, err := h.Bookings.Settle(c.UserContext(), p, id, strings.Clone(c.Params("instrument")), booking.Settlement{
		Outcome: c.FormValue("outcome"), Result: instrument.Result(c.FormValue("result")), CertificateNo: c.FormValue("certificateNo"),
		VerifyDate: c.FormValue("verifyDate"), ValidUntil: c.FormValue("validUntil"), Reason: c.FormValue("reason")})
	if err != nil {
		if fe := core.FieldErrors(err); len(fe) > 0 {
			var msgs []string
			for _, f := range fe {
				msgs = append(msgs, f.Message)
			}
			return core.Errorf(core.Invalid, "%s", strings.Join(msgs, "；"))
		}
		return err
	}
	return c.Redirect("/bookings/" + id + "?msg=settled")
}

// ---------------------------------------------------------------- calendar (institution)

func (h *Console) calendarPage(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	if err := p.RequireRole(core.RoleStaff); err != nil {
		return err
	}
	cal, err := h.Bookings.Calendar(c.UserContext(), p.InstitutionID)
	if err != nil {
		return err
	}
	days, err := h.Bookings.Days(c.UserContext(), p.InstitutionID, "", 14)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "calendar", &view{Title: "预约日历", Active: "calendar", Data: struct {
		Cal  *booking.Calendar
		Days []booking.Day
	}{cal, days}})
}

func (h *Console) saveCalendar(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	in := booking.CalendarInput{Closed: strings.Clone(c.FormValue("closed"))}
	in.Version, _ = strconv.Atoi(c.FormValue("version"))
	in.Horizon, _ = strconv.Atoi(c.FormValue("horizon"))
	args := c.Request().PostArgs()
	for _, b := range args.PeekMulti("weekdays") {
		n, _ := strconv.Atoi(string(b))
		in.Weekdays = append(in.Weekdays, n)
	}
	ids, starts, ends, caps := args.PeekMulti("slotId"), args.PeekMulti("slotStart"), args.PeekMulti("slotEnd"), args.PeekMulti("slotCapacity")
	for i := range starts {
		sl := booking.Slot{Start: string(starts[i])}
		if i < len(ids) {
			sl.ID = string(ids[i])
		}
		if i < len(ends) {
			sl.End = string(ends[i])
		}
		if i < len(caps) {
			sl.Capacity, _ = strconv.Atoi(strings.TrimSpace(string(caps[i])))
		}
		in.Slots = append(in.Slots, sl)
	}
	if _, err := h.Bookings.SaveCalendar(c.UserContext(), p, in); err != nil {
		if fe := core.FieldErrors(err); len(fe) > 0 {
			var msgs []string
			for _, f := range fe {
				msgs = append(msgs, f.Message)
			}
			return core.Errorf(core.Invalid, "%s", strings.Join(msgs, "；"))
		}
		return err
	}
	return c.Redirect("/institution/calendar?msg=calendar-saved")
}

// ---------------------------------------------------------------- certificates

func (h *Console) certificatesPage(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	list, total, err := h.Bookings.Certificates(c.UserContext(), web.PrincipalOf(c), booking.CertQuery{Text: q, Limit: 15, Offset: (page(c) - 1) * 15})
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "certificates", &view{Title: "证书查询", Active: "certificates", Data: struct {
		Items []*booking.Certificate
		Pager pager
		Q     string
	}{list, newPager(c, 15, total), q}})
}
