package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/wechat"
)

func testBindings(t *testing.T, s Store) {
	ctx := context.Background()
	r := s.WeChat()
	for _, b := range []*wechat.Binding{
		{App: wechat.AppOA, OpenID: "oa-1", UnionID: "u-1", UserID: "main", ApplicantID: "app-1", CreatedAt: base},
		{App: wechat.AppOA, OpenID: "oa-2", UserID: "sub", ApplicantID: "app-1", CreatedAt: base},
		{App: wechat.AppMP, OpenID: "mp-1", UnionID: "u-1", UserID: "main", ApplicantID: "app-1", CreatedAt: base},
		{App: wechat.AppOA, OpenID: "oa-3", UserID: "staff"},
	} {
		if err := r.Bind(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.Binding(ctx, wechat.AppOA, "oa-1")
	if err != nil || got.UserID != "main" || got.UnionID != "u-1" {
		t.Fatalf("binding: %+v %v", got, err)
	}
	_, err = r.Binding(ctx, wechat.AppMP, "oa-1")
	mustCode(t, err, core.NotFound)
	if list, _ := r.BindingsByUnionID(ctx, "u-1"); len(list) != 2 {
		t.Errorf("by unionid: %d", len(list))
	}
	if list, _ := r.BindingsByUnionID(ctx, ""); len(list) != 0 {
		t.Errorf("empty unionid matched %d", len(list))
	}
	if list, _ := r.BindingsOfApplicant(ctx, "app-1", wechat.AppOA); len(list) != 2 {
		t.Errorf("applicant oa: %d", len(list))
	}
	if list, _ := r.BindingsOfUser(ctx, "main"); len(list) != 2 {
		t.Errorf("of user: %d", len(list))
	}
	// Rebinding an openid moves it to the new user.
	if err := r.Bind(ctx, &wechat.Binding{App: wechat.AppOA, OpenID: "oa-2", UserID: "other", ApplicantID: "app-2"}); err != nil {
		t.Fatal(err)
	}
	if list, _ := r.BindingsOfApplicant(ctx, "app-1", wechat.AppOA); len(list) != 1 {
		t.Errorf("after rebinding: %d", len(list))
	}
	if err := r.Unbind(ctx, wechat.AppOA, "oa-1"); err != nil {
		t.Fatal(err)
	}
	mustCode(t, r.Unbind(ctx, wechat.AppOA, "oa-1"), core.NotFound)
}

func testDeliveries(t *testing.T, s Store) {
	ctx := context.Background()
	r := s.WeChat()
	for i := 0; i < 6; i++ {
		d := &wechat.Delivery{ID: fmt.Sprint("d-", i), ApplicantID: "app-1", OpenID: "oa-1", EventType: "booking.confirmed",
			Status: wechat.Pending, NextAt: base.Add(time.Duration(i) * time.Second), CreatedAt: base.Add(time.Duration(i) * time.Second), Version: 1}
		if err := r.AddDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// Adding the same id again keeps the first.
	if err := r.AddDelivery(ctx, &wechat.Delivery{ID: "d-0", ApplicantID: "app-1", Status: wechat.Failed, Version: 1}); err != nil {
		t.Fatal(err)
	}
	now := base.Add(3 * time.Second) // d-0 … d-3 are due
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			list, err := r.ClaimDeliveries(ctx, fmt.Sprint("w", i), now, now.Add(time.Minute), 10)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			for _, d := range list {
				claimed[d.ID]++
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if len(claimed) != 4 {
		t.Fatalf("claimed %v, want d-0 … d-3", claimed)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Fatalf("%s claimed by %d workers", id, n)
		}
	}
	// Leased ones are not claimed again until the lease ends.
	if list, _ := r.ClaimDeliveries(ctx, "late", now, now.Add(time.Minute), 10); len(list) != 0 {
		t.Fatalf("claimed leased deliveries: %d", len(list))
	}
	list, _ := r.ClaimDeliveries(ctx, "after", now.Add(2*time.Minute), now.Add(3*time.Minute), 10)
	if len(list) != 6 {
		t.Fatalf("after the lease: %d", len(list))
	}
	d := list[0]
	stale := *d
	d.Status, d.MsgID = wechat.Sent, 42
	if err := r.SaveDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	mustCode(t, r.SaveDelivery(ctx, &stale), core.Conflict)
	page, total, err := r.ListDeliveries(ctx, "app-1", 0, 3)
	if err != nil || total != 6 || len(page) != 3 || page[0].ID != "d-5" {
		t.Fatalf("list: %v %d %v", page, total, err)
	}
	if list, _ := r.ClaimDeliveries(ctx, "again", now.Add(5*time.Minute), now.Add(6*time.Minute), 10); len(list) != 5 {
		t.Fatalf("sent deliveries are not claimed: %d", len(list))
	}
}
