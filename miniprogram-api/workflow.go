package mpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/web"
)

type idsRequest struct {
	IDs []string `json:"ids"`
}

// ItemErrorJSON is one instrument an action did not apply to, and why.
type ItemErrorJSON struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Message string `json:"message"`
}

func itemErrors(list []instrument.ItemError) []ItemErrorJSON {
	out := []ItemErrorJSON{}
	for _, f := range list {
		out = append(out, ItemErrorJSON{ID: f.ID, Label: f.Label, Message: f.Message})
	}
	return out
}

// ---------------------------------------------------------------- filing

type optionsResponse struct {
	Count        int                 `json:"count"`
	Institutions []institutionOption `json:"institutions"`
	NeedTypeCert []ItemErrorJSON     `json:"needTypeCert"`
	Province     string              `json:"province"`
}

type institutionOption struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	CanVerifyAll      bool     `json:"canVerifyAll"`
	MissingCategories []string `json:"missingCategories"`
}

func (a *API) filingOptions(c *fiber.Ctx) error {
	var req idsRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	o, err := a.Filing.Options(c.UserContext(), web.PrincipalOf(c), req.IDs)
	if err != nil {
		return err
	}
	out := optionsResponse{Count: o.Count, Institutions: []institutionOption{}, NeedTypeCert: itemErrors(o.NeedTypeCert), Province: o.Province}
	for _, i := range o.Institutions {
		out.Institutions = append(out.Institutions, institutionOption{ID: i.ID, Name: i.Name, CanVerifyAll: i.CanVerifyAll,
			MissingCategories: append([]string{}, i.MissingCategories...)})
	}
	return c.JSON(out)
}

// BatchStatusJSON reports a filing batch.
type BatchStatusJSON struct {
	BatchID string          `json:"batchId"`
	Status  string          `json:"status"`
	Total   int             `json:"total"`
	Done    int             `json:"done"`
	Failed  []ItemErrorJSON `json:"failed"`
}

func batchJSON(b *filing.Batch) BatchStatusJSON {
	return BatchStatusJSON{BatchID: b.ID, Status: b.Status, Total: len(b.IDs), Done: b.Done, Failed: itemErrors(b.Failed)}
}

type submitRequest struct {
	IDs           []string `json:"ids"`
	InstitutionID string   `json:"institutionId"`
	Statement     bool     `json:"statement"`
	Transfer      bool     `json:"transfer"`
}

func (a *API) submitFiling(c *fiber.Ctx) error {
	var req submitRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	b, err := a.Filing.Start(c.UserContext(), web.PrincipalOf(c), filing.Submit, req.IDs,
		filing.Params{InstitutionID: req.InstitutionID, Statement: req.Statement, Transfer: req.Transfer})
	if err != nil {
		return err
	}
	return c.JSON(batchJSON(b))
}

func (a *API) withdrawFiling(c *fiber.Ctx) error {
	var req idsRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	b, err := a.Filing.Start(c.UserContext(), web.PrincipalOf(c), filing.Withdraw, req.IDs, filing.Params{})
	if err != nil {
		return err
	}
	return c.JSON(batchJSON(b))
}

func (a *API) filingBatch(c *fiber.Ctx) error {
	b, err := a.Filing.Batch(c.UserContext(), web.PrincipalOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(batchJSON(b))
}

// ---------------------------------------------------------------- booking

func (a *API) pendingList(c *fiber.Ctx) error {
	list, err := a.Bookings.Pending(c.UserContext(), web.PrincipalOf(c))
	if err != nil {
		return err
	}
	out := []InstrumentJSON{}
	for _, in := range list {
		out = append(out, a.instrumentJSON(in))
	}
	return c.JSON(fiber.Map{"items": out})
}

func (a *API) addPending(c *fiber.Ctx) error {
	var req idsRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	failed, err := a.Bookings.AddPending(c.UserContext(), web.PrincipalOf(c), req.IDs)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"failed": itemErrors(failed)})
}

func (a *API) removePending(c *fiber.Ctx) error {
	var req idsRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := a.Bookings.RemovePending(c.UserContext(), web.PrincipalOf(c), req.IDs); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": true})
}

// DayJSON is a day of an institution's booking calendar.
type DayJSON struct {
	Date    string        `json:"date"`
	Weekday string        `json:"weekday"`
	Open    bool          `json:"open"`
	Slots   []DaySlotJSON `json:"slots"`
}

// DaySlotJSON is one slot of a day.
type DaySlotJSON struct {
	ID        string `json:"id"`
	Start     string `json:"start"`
	End       string `json:"end"`
	Capacity  int    `json:"capacity"`
	Remaining int    `json:"remaining"`
}

func (a *API) slots(c *fiber.Ctx) error {
	if err := web.PrincipalOf(c).RequireApprovedApplicant(); err != nil {
		return err
	}
	from, err := core.ParseDate(c.Query("from"))
	if err != nil {
		return core.Errorf(core.Invalid, "参数 from 应为日期，如 2026-12-01")
	}
	days, err := a.Bookings.Days(c.UserContext(), c.Query("institutionId"), from, c.QueryInt("days", 14))
	if err != nil {
		return err
	}
	out := []DayJSON{}
	for _, d := range days {
		dj := DayJSON{Date: string(d.Date), Weekday: d.Weekday, Open: d.Open, Slots: []DaySlotJSON{}}
		for _, s := range d.Slots {
			dj.Slots = append(dj.Slots, DaySlotJSON{ID: s.ID, Start: s.Start, End: s.End, Capacity: s.Capacity, Remaining: s.Remaining})
		}
		out = append(out, dj)
	}
	return c.JSON(fiber.Map{"days": out})
}

// BookingItemJSON is one instrument of a booking.
type BookingItemJSON struct {
	Instrument struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Model     string `json:"model"`
		FactoryNo string `json:"factoryNo"`
		Code      string `json:"code"`
	} `json:"instrument"`
	Outcome       string `json:"outcome"`
	OutcomeName   string `json:"outcomeName"`
	Result        string `json:"result"`
	ResultName    string `json:"resultName"`
	CertificateNo string `json:"certificateNo"`
	VerifyDate    string `json:"verifyDate"`
	ValidUntil    string `json:"validUntil"`
	Reason        string `json:"reason"`
}

// BookingJSON is a booking.
type BookingJSON struct {
	ID              string            `json:"id"`
	Number          string            `json:"number"`
	InstitutionID   string            `json:"institutionId"`
	InstitutionName string            `json:"institutionName"`
	Method          int               `json:"method"`
	MethodName      string            `json:"methodName"`
	Date            string            `json:"date"`
	Slot            string            `json:"slot"`
	Status          string            `json:"status"`
	StatusName      string            `json:"statusName"`
	Reason          string            `json:"reason"`
	Count           int               `json:"count"`
	CreatedAt       time.Time         `json:"createdAt"`
	Items           []BookingItemJSON `json:"items"`
}

func (a *API) bookingJSON(b *booking.Booking) BookingJSON {
	inst, _ := a.Ref.Institution(b.InstitutionID)
	out := BookingJSON{ID: b.ID, Number: b.Number, InstitutionID: b.InstitutionID, InstitutionName: inst.Name, Method: b.Method,
		MethodName: instrument.Methods.Name(b.Method), Date: string(b.Date), Slot: b.SlotStart + "-" + b.SlotEnd,
		Status: string(b.Status), StatusName: b.Status.Name(), Reason: b.Reason, Count: len(b.Items), CreatedAt: b.CreatedAt,
		Items: []BookingItemJSON{}}
	for _, it := range b.Items {
		var ij BookingItemJSON
		ij.Instrument.ID, ij.Instrument.Name, ij.Instrument.Model, ij.Instrument.FactoryNo, ij.Instrument.Code = it.InstrumentID, it.Name, it.Model, it.FactoryNo, it.Code
		ij.Outcome, ij.OutcomeName, ij.Result, ij.ResultName = it.Outcome, it.OutcomeName(), string(it.Result), it.Result.Name()
		ij.CertificateNo, ij.VerifyDate, ij.ValidUntil, ij.Reason = it.CertificateNo, string(it.VerifyDate), string(it.ValidUntil), it.Reason
		out.Items = append(out.Items, ij)
	}
	return out
}

type createBookingRequest struct {
	IDs    []string `json:"ids"`
	Date   string   `json:"date"`
	SlotID string   `json:"slotId"`
}

func (a *API) createBooking(c *fiber.Ctx) error {
	var req createBookingRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	d, err := core.ParseDate(req.Date)
	if err != nil {
		return core.Errorf(core.Invalid, "预约日期格式不正确")
	}
	b, err := a.Bookings.Create(c.UserContext(), web.PrincipalOf(c), booking.CreateRequest{IDs: req.IDs, Date: d, SlotID: req.SlotID})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"booking": a.bookingJSON(b)})
}

func (a *API) listBookings(c *fiber.Ctx) error {
	list, total, err := a.Bookings.List(c.UserContext(), web.PrincipalOf(c), c.Query("status", "pending"), c.QueryInt("page", 1), c.QueryInt("size", 15))
	if err != nil {
		return err
	}
	out := []BookingJSON{}
	for _, b := range list {
		out = append(out, a.bookingJSON(b))
	}
	return c.JSON(fiber.Map{"items": out, "total": total})
}

func (a *API) bookingDetail(c *fiber.Ctx, b *booking.Booking) error {
	hist := []HistoryJSON{}
	for i := len(b.History) - 1; i >= 0; i-- {
		h := b.History[i]
		hist = append(hist, HistoryJSON{At: h.At, User: h.UserName, Action: h.Action, Detail: h.Detail, Changes: []ChangeJSON{}})
	}
	return c.JSON(fiber.Map{"booking": a.bookingJSON(b), "history": hist})
}

func (a *API) getBooking(c *fiber.Ctx) error {
	b, err := a.Bookings.Get(c.UserContext(), web.PrincipalOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return a.bookingDetail(c, b)
}

func (a *API) cancelBooking(c *fiber.Ctx) error {
	b, err := a.Bookings.Act(c.UserContext(), web.PrincipalOf(c), strings.Clone(c.Params("id")), booking.Cancel, 0, "")
	if err != nil {
		return err
	}
	return a.bookingDetail(c, b)
}

// CertificateJSON is a certificate.
type CertificateJSON struct {
	ID              string    `json:"id"`
	Number          string    `json:"number"`
	InstrumentID    string    `json:"instrumentId"`
	InstrumentName  string    `json:"instrumentName"`
	Model           string    `json:"model"`
	FactoryNo       string    `json:"factoryNo"`
	Code            string    `json:"code"`
	Result          string    `json:"result"`
	ResultName      string    `json:"resultName"`
	VerifyDate      string    `json:"verifyDate"`
	ValidUntil      string    `json:"validUntil"`
	InstitutionName string    `json:"institutionName"`
	BookingNumber   string    `json:"bookingNumber"`
	IssuedAt        time.Time `json:"issuedAt"`
}

func (a *API) certJSON(cert *booking.Certificate) CertificateJSON {
	inst, _ := a.Ref.Institution(cert.InstitutionID)
	return CertificateJSON{ID: cert.ID, Number: cert.Number, InstrumentID: cert.InstrumentID, InstrumentName: cert.InstrumentName,
		Model: cert.Model, FactoryNo: cert.FactoryNo, Code: cert.Code, Result: string(cert.Result), ResultName: cert.Result.Name(),
		VerifyDate: string(cert.VerifyDate), ValidUntil: string(cert.ValidUntil), InstitutionName: inst.Name,
		BookingNumber: cert.BookingNumber, IssuedAt: cert.IssuedAt}
}

func (a *API) certificates(c *fiber.Ctx) error {
	size := min(max(c.QueryInt("size", 15), 1), 100)
	page := max(c.QueryInt("page", 1), 1)
	list, total, err := a.Bookings.Certificates(c.UserContext(), web.PrincipalOf(c),
		booking.CertQuery{Text: c.Query("q"), Limit: size, Offset: (page - 1) * size})
	if err != nil {
		return err
	}
	out := []CertificateJSON{}
	for _, cert := range list {
		out = append(out, a.certJSON(cert))
	}
	return c.JSON(fiber.Map{"items": out, "total": total})
}
