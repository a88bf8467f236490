package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/wxsandbox"
)

// BenchmarkCallbackLatency measures /wechat/oa over real HTTP as WeChat
// calls it: a bound user pressing 备案查询 (store read + reply), from 8
// concurrent connections, in plain and AES safe mode. WeChat gives up after
// 5 s; make bench reports p50/p99 in milliseconds.
func BenchmarkCallbackLatency(b *testing.B) {
	for _, mode := range []string{"plain", "aes"} {
		b.Run(mode, func(b *testing.B) {
			e := apptest.NewManual(b)
			base := e.Serve()
			oa := e.App.Sandbox.Config().OfficialAccount
			crypt, err := wxsandbox.NewMsgCrypt(oa.Token, oa.EncodingAESKey, oa.AppID)
			if err != nil {
				b.Fatal(err)
			}
			owner := principalOf(b, e, app.DemoApplicant)
			const users = 8
			for u := 0; u < users; u++ {
				if _, err := e.App.WeChat.Bind(context.Background(), wechat.AppOA, fmt.Sprint("o-bench-", u), "", owner.UserID); err != nil {
					b.Fatal(err)
				}
			}
			n := 2000 * b.N
			lat := make([]time.Duration, n)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: users}}
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for u := 0; u < users; u++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := u; i < n; i += users {
						// A new CreateTime each time: identical events are one (dedup).
						body := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[o-bench-%d]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[FILING_QUERY]]></EventKey></xml>`,
							oa.OriginalID, u, 1700000000+i)
						ts, nonce := fmt.Sprint(time.Now().Unix()), fmt.Sprint("n", i)
						q := url.Values{"signature": {wxsandbox.Signature(oa.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}}
						if mode == "aes" {
							enc, err := crypt.Encrypt([]byte("0123456789abcdef"), []byte(body))
							if err != nil {
								b.Error(err)
								return
							}
							q.Set("encrypt_type", "aes")
							q.Set("msg_signature", crypt.Sign(ts, nonce, enc))
							body = "<xml><ToUserName><![CDATA[" + oa.OriginalID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
						}
						t0 := time.Now()
						res, err := client.Post(base+"/wechat/oa?"+q.Encode(), "text/xml", strings.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						reply, _ := io.ReadAll(res.Body)
						res.Body.Close()
						lat[i] = time.Since(t0)
						if res.StatusCode != 200 || !strings.Contains(string(reply), "<xml>") {
							b.Errorf("reply %d: %s", res.StatusCode, reply)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			slices.Sort(lat)
			b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n)/elapsed.Seconds(), "callbacks/s")
		})
	}
}

// BenchmarkNotificationsPerSecond sends template messages to the WeChat
// sandbox over HTTP: 20 bookings for an applicant with 100 bound openids
// make 2,000 deliveries, sent by one worker and by four workers sharing the
// store (leases).
func BenchmarkNotificationsPerSecond(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprint(workers, "-workers"), func(b *testing.B) {
			e := apptest.NewManual(b)
			f := &flow{e: e, ctx: context.Background()}
			f.owner = principalOf(b, e, app.DemoApplicant)
			f.gz = principalOf(b, e, app.DemoStaff)
			sb := e.App.Sandbox
			e.App.Filing.InlineFor = time.Hour
			cal, _ := e.App.Bookings.Calendar(f.ctx, "inst-440100")
			if _, err := e.App.Bookings.SaveCalendar(f.ctx, f.gz, booking.CalendarInput{Version: cal.Version, Weekdays: []int{1, 2, 3, 4, 5, 6, 7},
				Slots: []booking.Slot{{ID: "s1", Start: "09:00", End: "11:30", Capacity: 10000}}}); err != nil {
				b.Fatal(err)
			}
			for u := 0; u < 100; u++ {
				wu, err := sb.CreateUser(wxsandbox.User{Subscribed: true})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.App.WeChat.Bind(f.ctx, wechat.AppOA, wu.OAOpenID, "", f.owner.UserID); err != nil {
					b.Fatal(err)
				}
			}
			var sent time.Duration
			total := 0
			for round := 0; round < b.N; round++ {
				ids := seedInstruments(b, f, fmt.Sprint("NP", round, "-"), 20)
				if _, err := e.App.Filing.Start(f.ctx, f.owner, filing.Submit, ids, filing.Params{InstitutionID: "inst-440100", Statement: true}); err != nil {
					b.Fatal(err)
				}
				if _, err := e.App.Filing.Start(f.ctx, f.gz, filing.Approve, ids, filing.Params{}); err != nil {
					b.Fatal(err)
				}
				day := f.openDayB(b)
				for _, id := range ids {
					if _, err := e.App.Bookings.Create(f.ctx, f.owner, booking.CreateRequest{IDs: []string{id}, Date: day, SlotID: "s1"}); err != nil {
						b.Fatal(err)
					}
				}
				e.App.WeChat.DigestDelay = time.Nanosecond
				for { // project every event into deliveries (not measured)
					n, err := e.App.Relay.RunOnce(f.ctx)
					if err != nil {
						b.Fatal(err)
					}
					if n == 0 {
						break
					}
				}
				before := len(sb.Deliveries())
				t0 := time.Now()
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wk := *e.App.Sender
					wk.Owner = fmt.Sprint("bench-", w)
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := wk.RunOnce(f.ctx); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				sent += time.Since(t0)
				n := len(sb.Deliveries()) - before
				if n < 2000 {
					b.Fatalf("round %d: %d messages reached the sandbox", round, n)
				}
				total += n
			}
			b.ReportMetric(float64(total)/sent.Seconds(), "notifications/s")
		})
	}
}
