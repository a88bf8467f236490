package wechat

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
)

// Service binds WeChat users and turns notifications into deliveries.
type Service struct {
	Repo     Repo
	Accounts account.Repo
	Clock    core.Clock
	Log      *slog.Logger
	// DigestDelay is how long a batch's events gather before one message
	// per recipient summarises them.
	DigestDelay time.Duration
	// Kick wakes the sending worker.
	Kick func()
}

// Bind links (app, openid) to a platform user.
func (s *Service) Bind(ctx context.Context, app App, openID, unionID, userID string) (*Binding, error) {
	if openID == "" {
		return nil, core.Errorf(core.Invalid, "缺少微信用户标识")
	}
	u, err := s.Accounts.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	b := &Binding{App: app, OpenID: openID, UnionID: unionID, UserID: u.ID, CreatedAt: s.Clock.Now()}
	if u.Role == core.RoleApplicant {
		b.ApplicantID = u.ApplicantID
	}
	if err := s.Repo.Bind(ctx, b); err != nil {
		return nil, err
	}
	s.Log.Info("wechat bound", "app", app, "user", u.ID)
	return b, nil
}

// Lookup returns the binding of (app, openid); failing that, a user already
// bound through another app with the same unionid is bound to this openid
// too (manual 一.3: "自动绑定相关账号"). NotFound when neither exists.
func (s *Service) Lookup(ctx context.Context, app App, openID, unionID string) (*Binding, error) {
	b, err := s.Repo.Binding(ctx, app, openID)
	if err == nil {
		return b, nil
	}
	if !core.IsCode(err, core.NotFound) || unionID == "" {
		return nil, err
	}
	others, err := s.Repo.BindingsByUnionID(ctx, unionID)
	if err != nil {
		return nil, err
	}
	if len(others) == 0 {
		return nil, core.Errorf(core.NotFound, "该微信尚未绑定平台账号")
	}
	return s.Bind(ctx, app, openID, unionID, others[0].UserID)
}

// Unbind removes the binding of (app, openid).
func (s *Service) Unbind(ctx context.Context, app App, openID string) error {
	return s.Repo.Unbind(ctx, app, openID)
}

// UnbindUser removes a binding of p's own user (account settings).
func (s *Service) UnbindUser(ctx context.Context, p core.Principal, app App, openID string) error {
	b, err := s.Repo.Binding(ctx, app, openID)
	if err != nil || b.UserID != p.UserID {
		return core.ErrNotFound("绑定")
	}
	return s.Repo.Unbind(ctx, app, openID)
}

// BindingsOf lists p's own bindings.
func (s *Service) BindingsOf(ctx context.Context, p core.Principal) ([]*Binding, error) {
	if !p.Authenticated() {
		return nil, core.Errorf(core.Unauthenticated, "请先登录")
	}
	return s.Repo.BindingsOfUser(ctx, p.UserID)
}

// Deliveries lists the delivery log of p's applicant.
func (s *Service) Deliveries(ctx context.Context, p core.Principal, offset, limit int) ([]*Delivery, int, error) {
	if err := p.RequireApprovedApplicant(); err != nil {
		return nil, 0, err
	}
	return s.Repo.ListDeliveries(ctx, p.ApplicantID, offset, limit)
}

// Project is the relay's projector: every notifiable event becomes one
// delivery per official-account user bound to its applicant (main account
// and sub-users). Events of a batch share one digest per recipient.
func (s *Service) Project(ctx context.Context, events []core.Event) error {
	added := false
	for _, ev := range events {
		if TemplateOf(ev.Type) == "" || ev.ApplicantID == "" {
			continue
		}
		bindings, err := s.Repo.BindingsOfApplicant(ctx, ev.ApplicantID, AppOA)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		for _, b := range bindings {
			d := &Delivery{ApplicantID: ev.ApplicantID, UserID: b.UserID, OpenID: b.OpenID, EventType: ev.Type,
				Status: Pending, NextAt: now, CreatedAt: now, UpdatedAt: now, Version: 1}
			if ev.BatchID != "" {
				d.ID, d.BatchID, d.NextAt = "d-"+ev.BatchID+"-"+ev.Type+"-"+b.OpenID, ev.BatchID, now.Add(s.digestDelay())
				d.Data = map[string]string{"statusName": ev.Data["statusName"], "at": ev.At.Format(time.RFC3339)}
			} else {
				d.ID, d.EventID, d.Data = "e-"+ev.ID+"-"+b.OpenID, ev.ID, eventData(ev)
			}
			if err := s.Repo.AddDelivery(ctx, d); err != nil {
				return err
			}
			added = true
		}
	}
	if added && s.Kick != nil {
		s.Kick()
	}
	return nil
}

func (s *Service) digestDelay() time.Duration {
	if s.DigestDelay <= 0 {
		return 10 * time.Second
	}
	return s.DigestDelay
}

// Message is what a delivery says, in the four slots every template uses:
// a number (character_string), a subject (thing), a status (phrase) and a
// time.
type Message struct {
	Number  string
	Subject string
	Status  string
	Time    time.Time
}

func eventData(ev core.Event) map[string]string {
	d := map[string]string{"type": ev.Type, "at": ev.At.Format(time.RFC3339)}
	for k, v := range ev.Data {
		d[k] = v
	}
	return d
}

// MessageOf renders a single event's delivery.
func MessageOf(d *Delivery) Message {
	at, _ := time.Parse(time.RFC3339, d.Data["at"])
	m := Message{Time: at, Status: d.Data["statusName"]}
	switch TemplateOf(d.EventType) {
	case TemplateFiling:
		m.Number = firstNonEmpty(d.Data["code"], d.Data["factoryNo"])
		m.Subject = d.Data["instrument"]
	case TemplateBooking:
		m.Number, m.Subject = d.Data["number"], d.Data["institution"]
	case TemplateCompleted:
		m.Number, m.Subject, m.Status = d.Data["number"], d.Data["count"]+"台仪器已完成检定", "已完检"
	}
	return m
}

// DigestOf renders a batch's digest: how many instruments it moved.
func DigestOf(eventType string, count int, statusName string, at time.Time) Message {
	return Message{Number: fmt.Sprint(count), Subject: fmt.Sprintf("%d台仪器备案%s", count, statusName), Status: statusName, Time: at}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// The 2023 template rules: thing ≤ 20 characters, character_string ≤ 32
// ASCII characters, phrase ≤ 5 characters, time a date and time.

// Thing fits s into a thing field.
func Thing(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= 20 {
		return s
	}
	return string([]rune(s)[:19]) + "…"
}

// CharacterString fits s into a character_string field.
func CharacterString(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && unicode.IsPrint(r) && r != ' ' {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > 32 {
		out = out[:32]
	}
	if out == "" {
		out = "-"
	}
	return out
}

// Phrase fits s into a phrase field.
func Phrase(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > 5 {
		r = r[:5]
	}
	return string(r)
}

// TimeField formats t for a time field (China time).
func TimeField(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.In(core.China).Format("2006-01-02 15:04")
}

// backoff is the wait before retry n (1, 2, 4 … seconds, at most 10
// minutes), with jitter so instances do not retry in step.
func backoff(n int) time.Duration {
	d := time.Second << min(n, 10)
	d = min(d, 10*time.Minute)
	return d + time.Duration(rand.Int64N(int64(d/4)+1))
}
