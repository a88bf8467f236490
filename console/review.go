package console

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/web"
)

var statusTabs = []struct{ Key, Label string }{
	{"pending", "待审核"}, {"approved", "已通过"}, {"rejected", "被拒绝"}, {"cancelled", "已注销"}, {"all", "全部"},
}

type reviewListData struct {
	Items  []*account.Applicant
	Pager  pager
	Status string
	Q      string
	Tabs   []struct{ Key, Label string }
}

const reviewPageSize = 15

func (h *Console) reviewList(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	status := c.Query("status", "pending")
	q := account.ApplicantQuery{Text: strings.TrimSpace(c.Query("q")), Limit: reviewPageSize, Offset: (page(c) - 1) * reviewPageSize}
	switch status {
	case "pending", "approved", "rejected", "cancelled":
		q.Statuses = []account.Status{account.Status(status)}
	default:
		status = "all"
	}
	items, total, err := h.Accounts.ReviewQueue(c.UserContext(), p, q)
	if err != nil {
		return err
	}
	active := "review-all"
	if status == "pending" {
		active = "review-registrations"
	}
	return h.render(c, fiber.StatusOK, "review_list", &view{Title: "注册审核", Active: active, Data: reviewListData{
		Items: items, Pager: newPager(c, reviewPageSize, total), Status: status, Q: q.Text, Tabs: statusTabs,
	}})
}

type reviewDetailData struct {
	App       *account.Applicant
	CanReview bool
}

func (h *Console) reviewDetail(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	app, err := h.Accounts.Applicant(c.UserContext(), p, c.Params("id"))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "review_detail", &view{Title: "注册申请详情", Active: "review-registrations", Data: reviewDetailData{
		App: app, CanReview: p.IsStaff() && app.Status == account.StatusPending,
	}})
}

func (h *Console) approve(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	version, _ := strconv.Atoi(c.FormValue("version"))
	id := strings.Clone(c.Params("id"))
	if _, err := h.Accounts.Approve(c.UserContext(), p, id, version); err != nil {
		return h.reviewError(c, id, err)
	}
	return c.Redirect("/review/registrations?status=pending&msg=approved")
}

func (h *Console) reject(c *fiber.Ctx) error {
	p := web.PrincipalOf(c)
	version, _ := strconv.Atoi(c.FormValue("version"))
	id := strings.Clone(c.Params("id"))
	if _, err := h.Accounts.Reject(c.UserContext(), p, id, version, c.FormValue("reason")); err != nil {
		return h.reviewError(c, id, err)
	}
	return c.Redirect("/review/registrations?status=pending&msg=rejected")
}

// reviewError shows a refused review on the detail page with its reason.
func (h *Console) reviewError(c *fiber.Ctx, id string, err error) error {
	p := web.PrincipalOf(c)
	app, gerr := h.Accounts.Applicant(c.UserContext(), p, id)
	if gerr != nil {
		return gerr
	}
	v := &view{Title: "注册申请详情", Active: "review-registrations", Form: map[string]string{"reason": strings.Clone(c.FormValue("reason"))},
		Data: reviewDetailData{App: app, CanReview: p.IsStaff() && app.Status == account.StatusPending}}
	return h.formError(c, "review_detail", v, err)
}

func (h *Console) reviewFile(c *fiber.Ctx) error {
	f, rc, err := h.Accounts.OpenRegistrationFile(c.UserContext(), web.PrincipalOf(c), c.Params("id"), c.Params("which"))
	if err != nil {
		return err
	}
	return sendFile(c, f, rc)
}
