// Package console is the server-rendered web console for applicants,
// institution staff, regulators and admins: Go templates and static assets
// embedded in the binary, no front-end build step.
package console

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/officialaccount"
	"github.com/gdqjp/qj/store/redisstore"
	"github.com/gdqjp/qj/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// excelUploadLimit is the largest Excel upload (the importer refuses more
// than 20M with its own message; this stops bodies far beyond that).
const excelUploadLimit = 21 << 20

// SessionCookie is the name of the console's session cookie.
const SessionCookie = "qj_session"

// Console holds the handlers' dependencies.
type Console struct {
	Accounts    *account.Service
	Instruments *instrument.Service
	Filing      *filing.Service
	Bookings    *booking.Service
	WeChat      *wechat.Service
	OA          *officialaccount.Handler
	// SandboxURL is the in-process WeChat sandbox (empty with real WeChat).
	SandboxURL   string
	Files        core.FileRepo
	Jobs         *Jobs
	Sessions     *redisstore.Sessions
	Ref          *refdata.Data
	Log          *slog.Logger
	Redis        *redisstore.Client
	CookieSecure bool

	pages map[string]*template.Template
}

// Mount registers the console's routes on app.
func (h *Console) Mount(app *fiber.App) error {
	if err := h.parseTemplates(); err != nil {
		return err
	}
	sub, _ := fs.Sub(staticFS, "static")
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(sub), MaxAge: 3600}))

	r := app.Group("", h.errors, h.session, csrf.New(csrf.Config{
		// Forms send the token as a field, the row importer's fetch as a header.
		Extractor: func(c *fiber.Ctx) (string, error) {
			if t := c.Get("X-CSRF-Token"); t != "" {
				return t, nil
			}
			if t := c.FormValue("_csrf"); t != "" {
				return t, nil
			}
			return "", csrf.ErrMissingForm
		},
		CookieName:     "qj_csrf",
		CookieHTTPOnly: true,
		CookieSecure:   h.CookieSecure,
		CookieSameSite: "Lax",
		Expiration:     12 * time.Hour,
		Storage:        redisstore.NewFiberStorage(h.Redis, "csrf"),
		ContextKey:     "csrf",
		KeyGenerator:   func() string { return core.RandomToken(24) },
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return core.Errorf(core.Forbidden, "页面已过期或请求无效，请刷新页面后重试")
		},
	}))

	r.Get("/login", h.loginPage)
	r.Post("/login", h.login)
	r.Post("/logout", h.logout)
	r.Get("/register", h.registerPage)
	r.Post("/register", web.LimitBody(2*account.MaxRegistrationFile+(1<<20)), h.register)
	r.Get("/register/template", h.letterTemplate)
	r.Get("/login/wechat", h.wechatLoginPage)
	r.Get("/wechat/qr-status", h.qrStatus)

	in := r.Group("", h.requireLogin)
	in.Get("/", h.home)
	in.Get("/account/password", h.passwordPage)
	in.Get("/account/wechat", h.wechatSettings)
	in.Post("/account/wechat/unbind", h.wechatUnbind)
	in.Get("/notifications", h.deliveriesPage)
	in.Post("/account/password", h.changePassword)

	// Applicant: own registration.
	in.Get("/registration", h.registrationPage)
	in.Post("/registration", web.LimitBody(2*account.MaxRegistrationFile+(1<<20)), h.updateRegistration)
	in.Post("/registration/cancel", h.cancelRegistration)
	in.Get("/registration/files/:which", h.ownRegistrationFile)

	// Applicant: sub-users.
	in.Get("/subusers", h.subUsersPage)
	in.Post("/subusers", h.createSubUser)
	in.Post("/subusers/:id/disable", h.disableSubUser)
	in.Post("/subusers/:id/enable", h.enableSubUser)
	in.Post("/subusers/:id/password", h.resetSubUserPassword)

	// Applicant: instruments (manual 三) and the filing menus (manual 四.4).
	in.Get("/instruments", h.instrumentList)
	in.Get("/filings", h.filingList)
	in.Get("/instruments/new", h.newInstrumentPage)
	in.Get("/instruments/template.xlsx", h.importTemplate)
	in.Get("/instruments/templates/:kind.xlsx", h.importTemplate)
	in.Get("/instruments/export.xlsx", h.exportInstruments)
	in.Get("/instruments/import", h.importPage)
	in.Post("/instruments/import", web.LimitBody(excelUploadLimit), h.startImport)
	in.Get("/instruments/import/rows", h.rowImportPage)
	in.Post("/instruments/import/row", web.LimitBody(64<<10), h.importRow)
	in.Get("/instruments/import/jobs/:id", h.jobPage)
	in.Get("/instruments/import/jobs/:id/status", h.jobStatus)
	in.Get("/instruments/import/jobs/:id/report.xlsx", h.jobReport)
	in.Get("/instruments/import/:kind", h.importPage)
	in.Post("/instruments/import/:kind", web.LimitBody(excelUploadLimit), h.startImport)
	in.Post("/instruments", web.LimitBody(2*instrument.MaxGroupSize+(1<<20)), h.createInstrument)
	in.Post("/instruments/batch", h.batchInstruments)
	in.Post("/instruments/clear", h.clearInstruments)
	in.Get("/instruments/:id", h.instrumentDetail)
	in.Get("/instruments/:id/edit", h.editInstrumentPage)
	in.Post("/instruments/:id", web.LimitBody(2*instrument.MaxGroupSize+(1<<20)), h.updateInstrument)
	in.Post("/instruments/:id/files/:group", web.LimitBody(instrument.MaxGroupSize+(1<<20)), h.uploadFiles)
	in.Post("/instruments/:id/files/:group/:file/delete", h.removeFile)
	in.Get("/instruments/:id/files/:file", h.instrumentFile)

	// Filing (manual 四): applicant submissions, institution reviews.
	in.Get("/filings/submit", h.submitForm)
	in.Post("/filings/submit", h.submitForm)
	in.Post("/filings/submit/confirm", h.submitFiling)
	in.Post("/filings/act", h.filingAct)
	in.Get("/filings/batches/:id", h.filingBatchPage)
	in.Get("/filings/batches/:id/status", h.filingBatchStatus)
	in.Get("/review/filings", h.filingReviewList)

	// Booking (manual 五, 六) and certificates (七).
	in.Get("/booking/new", h.bookingPage)
	in.Post("/booking/new", h.bookingPage)
	in.Post("/booking/create", h.createBooking)
	in.Get("/booking/pending", h.pendingPage)
	in.Post("/booking/pending/add", h.addToPending)
	in.Post("/booking/pending/remove", h.removeFromPending)
	in.Get("/bookings", h.bookingsPage)
	in.Get("/bookings/:id", h.bookingDetailPage)
	in.Post("/bookings/:id/items/:instrument/settle", h.settle)
	in.Post("/bookings/:id/:action", h.bookingAct)
	in.Get("/institution/calendar", h.calendarPage)
	in.Post("/institution/calendar", h.saveCalendar)
	in.Get("/certificates", h.certificatesPage)

	// Institutions, regulators, admins: registrations.
	in.Get("/review/registrations", h.reviewList)
	in.Get("/review/registrations/:id", h.reviewDetail)
	in.Post("/review/registrations/:id/approve", h.approve)
	in.Post("/review/registrations/:id/reject", h.reject)
	in.Get("/review/registrations/:id/files/:which", h.reviewFile)

	// Admin.
	in.Get("/admin/users", h.adminUsers)
	in.Post("/admin/users", h.adminCreateUser)
	in.Post("/admin/users/:id/disable", h.adminDisableUser)
	in.Post("/admin/users/:id/enable", h.adminEnableUser)
	in.Get("/admin/refdata", h.adminRefdata)
	return nil
}

// ---------------------------------------------------------------- plumbing

func (h *Console) parseTemplates() error {
	funcs := template.FuncMap{
		"regionPath": h.Ref.RegionPath,
		"regionName": func(code string) string {
			if r, ok := h.Ref.Region(code); ok {
				return r.Name
			}
			return code
		},
		"instName": func(id string) string {
			if i, ok := h.Ref.Institution(id); ok {
				return i.Name
			}
			return id
		},
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(core.China).Format("2006-01-02 15:04")
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(core.China).Format("2006-01-02")
		},
		"add": func(a, b int) int { return a + b },
		"catName": func(code string) string {
			c, _ := h.Ref.Category(code)
			return c.Name
		},
		"itemName": func(code string) string {
			c, _ := h.Ref.Category(code)
			return c.ItemName
		},
		"usageName":  instrument.Usages.Name,
		"methodName": instrument.Methods.Name,
		"filingClass": func(s instrument.FilingStatus) string {
			switch s {
			case instrument.Approved:
				return "tag-green"
			case instrument.Returned, instrument.Revoked:
				return "tag-red"
			case instrument.Submitted, instrument.Pending, instrument.Confirming:
				return "tag-orange"
			}
			return "tag-gray"
		},
		"field": func(in *instrument.Instrument, key string) string { return instrument.Display(in.Fields, key) },
		"display": func(c instrument.Column, v string) string {
			if c.Coded != nil {
				if n, err := strconv.Atoi(v); err == nil {
					return c.Coded.Name(n)
				}
			}
			if c.Key == "region" {
				return h.Ref.RegionPath(v)
			}
			if c.Key == "category" {
				cat, _ := h.Ref.Category(v)
				return v + " " + cat.Name
			}
			return v
		},
		"files": func(in *instrument.Instrument, g instrument.Group) []instrument.FileRef {
			if g == instrument.GroupTypeCerts {
				return in.TypeCerts
			}
			return in.Attachments
		},
		"bytes": func(n int64) string {
			switch {
			case n >= 1<<20:
				return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
			case n >= 1<<10:
				return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
			}
			return fmt.Sprintf("%d B", n)
		},
		"seq": func(n int) []int { return make([]int, n) },
		"eventName": func(t string) string {
			return map[string]string{"filing.submitted": "备案已提交", "filing.withdrawn": "备案已撤销", "filing.approved": "备案已审核",
				"filing.returned": "备案被退回", "filing.dispatched": "备案已分派", "filing.transferred": "备案已转送省院",
				"filing.declined": "备案待处理", "filing.revoked": "备案被撤销", "booking.created": "预约已提交",
				"booking.confirmed": "预约已确认", "booking.rejected": "预约被拒绝", "booking.returned": "预约被退回",
				"booking.cancelled": "预约已取消", "booking.completed": "已完检"}[t]
		},
		"deliveryStatus": func(s string) string {
			return map[string]string{wechat.Pending: "待发送", wechat.Sent: "已送达", wechat.Failed: "发送失败", wechat.Abandoned: "多次重试失败"}[s]
		},
		"percent": func(a, b int) int {
			if b == 0 {
				return 100
			}
			return a * 100 / b
		},
		"weekdayNames": func() []string { return []string{"周一", "周二", "周三", "周四", "周五", "周六", "周日"} },
		"hasInt":       func(list []int, v int) bool { return slices.Contains(list, v) },
		"bookingClass": func(s booking.Status) string {
			switch s {
			case booking.Completed, booking.Confirmed:
				return "tag-green"
			case booking.Rejected, booking.Returned:
				return "tag-red"
			case booking.Pending:
				return "tag-orange"
			}
			return "tag-gray"
		},
		"listPath": func(mode string) string {
			return map[string]string{"view": "/instruments", "filing": "/filings", "review": "/review/filings"}[mode]
		},
		"applicantName": func(id string) string {
			if a, err := h.Accounts.Repo.GetApplicant(context.Background(), id); err == nil {
				return a.Name
			}
			return ""
		},
		"queryMap": func(q string) map[string]string {
			vals, _ := url.ParseQuery(q)
			m := map[string]string{}
			for k := range vals {
				m[k] = vals.Get(k)
			}
			return m
		},
		"initial": func(s string) string {
			for _, r := range s {
				return string(r)
			}
			return "?"
		},
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m, nil
		},
		"eq": func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
		"statusClass": func(s any) string {
			switch fmt.Sprint(s) {
			case "approved":
				return "tag-green"
			case "rejected", "cancelled":
				return "tag-red"
			case "pending":
				return "tag-orange"
			}
			return "tag-gray"
		},
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return fmt.Errorf("console templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("console template %s: %w", n, err)
		}
		h.pages[name] = t
	}
	return nil
}

// view is what every page template receives.
type view struct {
	Title  string
	Active string
	P      core.Principal
	Menu   []menuGroup
	CSRF   string
	Msg    string
	Error  string
	Fields map[string]string
	Form   map[string]string
	Data   any
}

func (v *view) F(name string) string { return v.Form[name] }
func (v *view) E(name string) string { return v.Fields[name] }

func (h *Console) render(c *fiber.Ctx, status int, page string, v *view) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("console: no template %q", page)
	}
	v.P = web.PrincipalOf(c)
	if tok, ok := c.Locals("csrf").(string); ok {
		v.CSRF = tok
	}
	if v.P.Authenticated() {
		v.Menu = menuFor(v.P)
	}
	if v.Msg == "" {
		v.Msg = flash(c.Query("msg"))
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Type("html", "utf-8").Send(buf.Bytes())
}

// formError re-renders a form with every field error next to its field.
func (h *Console) formError(c *fiber.Ctx, page string, v *view, err error) error {
	if !core.IsCode(err, core.Invalid) && !core.IsCode(err, core.Conflict) && !core.IsCode(err, core.Locked) &&
		!core.IsCode(err, core.Unauthenticated) && !core.IsCode(err, core.Forbidden) {
		return err
	}
	v.Fields = map[string]string{}
	for _, f := range core.FieldErrors(err) {
		v.Fields[f.Field] = f.Message
	}
	if len(v.Fields) > 1 || len(v.Fields) == 0 {
		v.Error = core.ErrorMessage(err)
	}
	if len(v.Fields) == 1 {
		v.Error = "提交的信息有误，请按提示修改"
	}
	return h.render(c, web.Status(core.ErrorCode(err)), page, v)
}

// errors renders every failure as a page with the matching status.
func (h *Console) errors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	err = web.Classify(err)
	web.LogIfInternal(h.Log, c, err)
	code := core.ErrorCode(err)
	if code == core.Unauthenticated {
		h.clearSession(c)
		return c.Redirect("/login?next=" + url.QueryEscape(c.OriginalURL()))
	}
	return h.render(c, web.Status(code), "error", &view{Title: "出错了", Error: core.ErrorMessage(err), Data: web.Status(code)})
}

// session resolves the session cookie into the acting principal.
func (h *Console) session(c *fiber.Ctx) error {
	token := c.Cookies(SessionCookie)
	if token == "" {
		return c.Next()
	}
	sess, err := h.Sessions.Get(c.UserContext(), token, redisstore.ChannelConsole)
	if err != nil {
		if core.IsCode(err, core.Unauthenticated) {
			h.clearSession(c)
			return c.Next()
		}
		return err
	}
	p, _, _, err := h.Accounts.Resolve(c.UserContext(), sess.UserID)
	if err != nil {
		if core.IsCode(err, core.Unauthenticated) {
			_ = h.Sessions.Delete(c.UserContext(), token)
			h.clearSession(c)
			return c.Next()
		}
		return err
	}
	web.SetPrincipal(c, p)
	return c.Next()
}

func (h *Console) requireLogin(c *fiber.Ctx) error {
	if !web.PrincipalOf(c).Authenticated() {
		return c.Redirect("/login?next=" + url.QueryEscape(c.OriginalURL()))
	}
	return c.Next()
}

func (h *Console) setSession(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: h.CookieSecure, SameSite: "Lax"})
}

func (h *Console) clearSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: h.CookieSecure, SameSite: "Lax",
		Expires: time.Unix(0, 0), MaxAge: -1})
}

// flashes are the fixed messages a redirect may ask to show: a code, never
// text from the URL, so nothing can be injected.
var flashes = map[string]string{
	"registered":         "注册申请已提交，请等待当地法定计量检定机构审核。",
	"updated":            "注册信息已保存。",
	"resubmitted":        "注册信息已修改并重新提交审核。",
	"password":           "密码已修改。",
	"approved":           "已审核通过。",
	"rejected":           "已拒绝该注册申请，申请方将看到拒绝原因。",
	"subuser-created":    "子用户已创建，可用手机号登录。",
	"subuser-disabled":   "子用户已停用。",
	"subuser-enabled":    "子用户已启用。",
	"subuser-password":   "子用户密码已重置。",
	"user-created":       "用户已创建。",
	"user-disabled":      "用户已停用。",
	"user-enabled":       "用户已启用。",
	"cancelled":          "账号已注销。",
	"instrument-created": "仪器已添加。",
	"instrument-updated": "仪器已保存。",
	"files-uploaded":     "文件已上传。",
	"file-removed":       "文件已删除。",
	"pending-added":      "已加入待处理列表。",
	"pending-removed":    "已移出待处理列表。",
	"booked":             "预约已提交，请等待技术机构确认。",
	"booking-cancel":     "预约已取消。",
	"booking-confirm":    "预约已确认。",
	"booking-reject":     "已拒绝该预约。",
	"booking-return":     "已退回该预约。",
	"settled":            "检定结果已登记。",
	"calendar-saved":     "预约日历已保存。",
	"wechat-unbound":     "已解除微信绑定。",
	"logged-out":         "您已安全退出。",
}

func flash(code string) string { return flashes[code] }

// safeNext keeps redirects after login on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// formValues copies the named form values (fasthttp reuses its buffers).
func formValues(c *fiber.Ctx, names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = strings.Clone(c.FormValue(n))
	}
	return m
}

// upload reads an optional uploaded file of a multipart form.
func upload(c *fiber.Ctx, field string) (core.Upload, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return core.Upload{}, nil
	}
	if fh.Size == 0 && fh.Filename == "" {
		return core.Upload{}, nil
	}
	f, err := fh.Open()
	if err != nil {
		return core.Upload{}, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return core.Upload{}, fmt.Errorf("read upload: %w", err)
	}
	return core.Upload{Name: strings.Clone(fh.Filename), Data: buf.Bytes()}, nil
}

func page(c *fiber.Ctx) int {
	n := c.QueryInt("page", 1)
	if n < 1 {
		return 1
	}
	return n
}

// pager is what list templates need to draw paging.
type pager struct {
	Page, Size, Total, Pages int
	Base                     string
}

func newPager(c *fiber.Ctx, size, total int) pager {
	p := pager{Page: page(c), Size: size, Total: total}
	p.Pages = (total + size - 1) / size
	q := c.Queries()
	vals := url.Values{}
	for k, v := range q {
		if k != "page" && k != "msg" {
			vals.Set(k, v)
		}
	}
	p.Base = c.Path() + "?" + vals.Encode()
	if len(vals) > 0 {
		p.Base += "&"
	}
	return p
}

func (p pager) Prev() int { return p.Page - 1 }
func (p pager) Next() int { return p.Page + 1 }
