package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/store/mongo/mongotest"
	"github.com/gdqjp/qj/store/redisstore"
	"github.com/gdqjp/qj/wxsandbox"
)

// Three server instances on one MongoDB-wire store (FerretDB here, MongoDB
// with QJ_TEST_MONGO_URI) and one Redis, all running their background
// relay and sender, while WeChat fails now and then: every notification
// reaches WeChat exactly once and the access token is fetched once.
func TestWeChat_ThreeInstancesSendEachNotificationOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FerretDB")
	}
	ctx := context.Background()
	sb, err := wxsandbox.Start(wxsandbox.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })

	cfg := apptest.Config(t)
	cfg.Mongo.URI, cfg.Mongo.Database = mongotest.URI(t)
	if cfg.Redis.URL == "" {
		shared, err := redisstore.Open(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = shared.Close() })
		cfg.Redis.URL = "redis://" + shared.Addr()
		cfg.Redis.Prefix = "qjcluster:"
	}
	var envs []*apptest.Env
	for i := 0; i < 3; i++ {
		c := cfg
		c.DataDir = t.TempDir()
		e := apptest.NewOpts(t, c, i == 0, app.Options{Sandbox: sb})
		e.App.WeChat.DigestDelay = time.Nanosecond
		envs = append(envs, e)
	}
	f := newFlowOn(t, envs[0])
	u, err := sb.CreateUser(wxsandbox.User{Subscribed: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envs[1].App.WeChat.Bind(ctx, wechat.AppOA, u.OAOpenID, "", f.owner.UserID); err != nil {
		t.Fatal(err)
	}
	// WeChat busy and timing out for a while.
	sb.AddFault(wxsandbox.Fault{Path: "/cgi-bin/message/template/send", ErrCode: -1, Count: 3})
	sb.AddFault(wxsandbox.Fault{Path: "/cgi-bin/message/template/send", Drop: true, Count: 2})

	ids := f.approved("CL", 6) // two digests: submitted, approved
	day := f.openDay("inst-440100")
	var bookings []*booking.Booking
	for i, id := range ids { // six bookings, made on all three instances
		e := envs[i%3]
		b, err := e.App.Bookings.Create(ctx, principalOf(t, e, app.DemoApplicant), booking.CreateRequest{IDs: []string{id}, Date: day, SlotID: []string{"s1", "s2"}[i%2]})
		if err != nil {
			t.Fatal(err)
		}
		bookings = append(bookings, b)
	}
	for i, b := range bookings[:3] { // three cancellations
		e := envs[(i+1)%3]
		if _, err := e.App.Bookings.Act(ctx, principalOf(t, e, app.DemoApplicant), b.ID, booking.Cancel, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	const want = 2 + 6 + 3
	accepted := func() map[string]int {
		out := map[string]int{}
		for _, r := range sb.Requests("/cgi-bin/message/template/send") {
			if r.Fault || r.ErrCode != 0 {
				continue
			}
			var body struct {
				ClientMsgID string `json:"client_msg_id"`
			}
			_ = json.Unmarshal([]byte(r.Body), &body)
			out[body.ClientMsgID]++
		}
		return out
	}
	// Retries wait in each instance's (test) clock: move all three along.
	deadline := time.Now().Add(90 * time.Second)
	for len(accepted()) < want && time.Now().Before(deadline) {
		for _, e := range envs {
			e.Clock.Advance(3 * time.Second)
			e.App.Sender.Kick()
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // room for a duplicate to show up
	got := accepted()
	if len(got) != want {
		t.Fatalf("%d distinct notifications reached WeChat, want %d: %v", len(got), want, got)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
	faults := 0
	for _, r := range sb.Requests("/cgi-bin/message/template/send") {
		if r.Fault {
			faults++
		}
	}
	if faults != 5 {
		t.Errorf("WeChat failed %d times, want the 5 injected faults", faults)
	}
	if n := sb.TokensIssued(sb.Config().OfficialAccount.AppID); n != 1 {
		t.Errorf("access token fetched %d times by three instances, want 1", n)
	}
	// Every delivery is recorded as sent, once, in the shared store.
	ds, total, err := envs[2].App.WeChat.Deliveries(ctx, f.owner, 0, 100)
	if err != nil || total != want {
		t.Fatalf("delivery log: %d %v", total, err)
	}
	for _, d := range ds {
		if d.Status != wechat.Sent {
			t.Errorf("delivery %s: %s", d.ID, d.Status)
		}
	}
}
