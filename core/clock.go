package core

import (
	"sync"
	"time"
)

// Clock is injected everywhere time matters so date rules are testable.
type Clock interface {
	Now() time.Time
}

// SystemClock reads the wall clock, truncated to milliseconds because that is
// what every store keeps.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// FixedClock is a settable clock for tests.
type FixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func NewFixedClock(t time.Time) *FixedClock {
	return &FixedClock{t: t.UTC().Truncate(time.Millisecond)}
}

func (c *FixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *FixedClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.UTC().Truncate(time.Millisecond)
	c.mu.Unlock()
}

func (c *FixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// China is the time zone every date the users see is in.
var China = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()
