package wechat

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gdqjp/qj/core"
)

// Outgoing is one template message to send.
type Outgoing struct {
	OpenID      string
	TemplateID  string
	ClientMsgID string
	URL         string
	Fields      map[string]string
}

// Sender sends template messages through the official account.
type Sender interface {
	// Send returns WeChat's msgid, or its errcode; err is a transport
	// failure or a time-out (WeChat's answer unknown).
	Send(ctx context.Context, m Outgoing) (msgID int64, errcode int, err error)
	// RefreshToken replaces the shared access token (after 40001/42001).
	RefreshToken(ctx context.Context) error
}

// Pauser remembers, for every instance, that the daily quota ran out.
type Pauser interface {
	PausedUntil(ctx context.Context) (time.Time, error)
	PauseUntil(ctx context.Context, t time.Time) error
}

// Batches tells a digest how its batch is doing.
type Batches interface {
	// BatchProgress returns whether the batch still runs and how many
	// instruments it has changed.
	BatchProgress(ctx context.Context, id string) (running bool, done int, err error)
}

// Template says which template and which of its keywords carry the four
// slots of a Message.
type Template struct {
	ID      string
	Number  string
	Subject string
	Status  string
	Time    string
}

// Worker sends pending deliveries. Several instances may run it: each
// delivery is leased to one of them, and WeChat's client_msg_id dedup makes
// a send repeated after a crash arrive once.
type Worker struct {
	Repo        Repo
	Sender      Sender
	Pauser      Pauser
	Batches     Batches
	Templates   map[string]Template // by TemplateOf kind
	Clock       core.Clock
	Owner       string
	Log         *slog.Logger
	Lease       time.Duration
	MaxAttempts int
	// Link is the page a message opens (the console), may be nil.
	Link func(d *Delivery) string

	kick chan struct{}
}

// Permanent errcodes: retrying cannot help.
var permanent = map[int]string{
	43004: "用户未关注公众号",
	40003: "微信用户标识无效",
	47003: "模板消息内容不符合要求",
	40037: "模板不存在",
	43101: "用户拒绝接受消息",
}

// RunOnce sends what is due and returns how many deliveries it finished
// (sent or failed for good).
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	n := 0
	for {
		now := w.Clock.Now()
		if until, err := w.Pauser.PausedUntil(ctx); err != nil {
			return n, err
		} else if until.After(now) {
			return n, nil
		}
		list, err := w.Repo.ClaimDeliveries(ctx, w.Owner, now, now.Add(w.lease()), 20)
		if err != nil {
			return n, err
		}
		if len(list) == 0 {
			return n, nil
		}
		for _, d := range list {
			done, err := w.deliver(ctx, d)
			if err != nil {
				return n, err
			}
			if done {
				n++
			}
		}
	}
}

func (w *Worker) lease() time.Duration {
	if w.Lease <= 0 {
		return time.Minute
	}
	return w.Lease
}

func (w *Worker) maxAttempts() int {
	if w.MaxAttempts <= 0 {
		return 12
	}
	return w.MaxAttempts
}

// deliver sends one delivery and records the outcome.
func (w *Worker) deliver(ctx context.Context, d *Delivery) (bool, error) {
	now := w.Clock.Now()
	m, ready, err := w.message(ctx, d)
	if err != nil {
		return false, err
	}
	if !ready {
		d.NextAt, d.LeaseTill = now.Add(10*time.Second), time.Time{}
		return false, w.save(ctx, d)
	}
	tpl, ok := w.Templates[TemplateOf(d.EventType)]
	if !ok || tpl.ID == "" {
		d.Status, d.ErrMsg = Failed, "未配置该通知的模板"
		return true, w.save(ctx, d)
	}
	out := Outgoing{OpenID: d.OpenID, TemplateID: tpl.ID, ClientMsgID: d.ID, Fields: map[string]string{
		tpl.Number: CharacterString(m.Number), tpl.Subject: Thing(m.Subject), tpl.Status: Phrase(m.Status), tpl.Time: TimeField(m.Time)}}
	if w.Link != nil {
		out.URL = w.Link(d)
	}
	msgID, code, err := w.Sender.Send(ctx, out)
	if err == nil && (code == 40001 || code == 42001) {
		// The shared token went stale: refresh it once and send again.
		if rerr := w.Sender.RefreshToken(ctx); rerr == nil {
			msgID, code, err = w.Sender.Send(ctx, out)
		}
	}
	d.Attempts++
	d.LeaseTill = time.Time{}
	switch reason, perm := permanent[code]; {
	case err == nil && code == 0:
		d.Status, d.MsgID, d.SentAt, d.ErrCode, d.ErrMsg = Sent, msgID, w.Clock.Now(), 0, ""
		return true, w.save(ctx, d)
	case err == nil && perm:
		d.Status, d.ErrCode, d.ErrMsg = Failed, code, reason
		w.Log.Warn("notification refused for good", "delivery", d.ID, "errcode", code)
		return true, w.save(ctx, d)
	case err == nil && code == 45009:
		// Daily quota reached: every instance stops until tomorrow.
		tomorrow := core.Today(w.Clock).AddDays(1).Time()
		if perr := w.Pauser.PauseUntil(ctx, tomorrow); perr != nil {
			return false, perr
		}
		d.Attempts--
		d.NextAt, d.ErrCode, d.ErrMsg = tomorrow, code, "模板消息当日额度已用完，明日继续发送"
		w.Log.Warn("template quota reached, sending paused", "until", tomorrow)
		return false, w.save(ctx, d)
	}
	// -1 (system busy), a time-out, or anything else: retry later.
	d.ErrCode = code
	if err != nil {
		d.ErrMsg = "发送超时或网络错误：" + err.Error()
	} else {
		d.ErrMsg = "微信返回错误 " + strconv.Itoa(code)
	}
	if d.Attempts >= w.maxAttempts() {
		d.Status = Abandoned
		return true, w.save(ctx, d)
	}
	d.NextAt = w.Clock.Now().Add(backoff(d.Attempts))
	return false, w.save(ctx, d)
}

func (w *Worker) save(ctx context.Context, d *Delivery) error {
	d.UpdatedAt = w.Clock.Now()
	if err := w.Repo.SaveDelivery(ctx, d); err != nil {
		if core.IsCode(err, core.Conflict) {
			w.Log.Warn("delivery changed under its lease", "delivery", d.ID)
			return nil
		}
		return err
	}
	return nil
}

// message renders what d says; a digest waits until its batch finished.
func (w *Worker) message(ctx context.Context, d *Delivery) (Message, bool, error) {
	if d.BatchID == "" {
		return MessageOf(d), true, nil
	}
	running, done, err := w.Batches.BatchProgress(ctx, d.BatchID)
	if err != nil {
		if core.IsCode(err, core.NotFound) {
			return Message{}, false, nil
		}
		return Message{}, false, err
	}
	if running {
		return Message{}, false, nil
	}
	at, _ := time.Parse(time.RFC3339, d.Data["at"])
	return DigestOf(d.EventType, done, d.Data["statusName"], at), true, nil
}

// Kick makes a running loop send now.
func (w *Worker) Kick() {
	if w.kick == nil {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Init prepares Kick before Loop starts.
func (w *Worker) Init() { w.kick = make(chan struct{}, 1) }

// Loop sends until ctx ends, at every tick and when kicked.
func (w *Worker) Loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("send notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}
