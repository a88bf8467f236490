// Package redisstore keeps the short-lived state in Redis: sessions, login
// throttling, CSRF tokens and (later) WeChat dedup keys and tickets. Nothing
// that must not be lost lives only here. Without a configured server it runs
// an in-process miniredis and talks to it over TCP with the same client.
package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Client is a go-redis client with the deployment's key prefix.
type Client struct {
	RDB      *redis.Client
	Prefix   string
	Embedded bool

	mini *miniredis.Miniredis
	stop chan struct{}
	wg   sync.WaitGroup
}

// Open connects to url, or starts an embedded server when url is empty.
func Open(ctx context.Context, url, prefix string) (*Client, error) {
	c := &Client{Prefix: prefix, stop: make(chan struct{})}
	if url == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		c.mini, c.Embedded = m, true
		url = "redis://" + m.Addr()
		// miniredis only expires keys when its clock moves: drive it with
		// real time (its ClockTTL option would cost time per key per command).
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			last := time.Now()
			for {
				select {
				case <-c.stop:
					return
				case now := <-t.C:
					m.FastForward(now.Sub(last))
					last = now
				}
			}
		}()
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("redis url: %w", err)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = 3*time.Second, 3*time.Second, 3*time.Second
	c.RDB = redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.RDB.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis ping: %w", err)
	}
	return c, nil
}

// Addr is the address of the server the client talks to.
func (c *Client) Addr() string { return c.RDB.Options().Addr }

// Key prefixes a key.
func (c *Client) Key(parts ...string) string {
	k := c.Prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

// Ping checks the server answers.
func (c *Client) Ping(ctx context.Context) error { return c.RDB.Ping(ctx).Err() }

// Close closes the client and stops an embedded server.
func (c *Client) Close() error {
	select {
	case <-c.stop:
		return nil
	default:
	}
	close(c.stop)
	c.wg.Wait()
	var err error
	if c.RDB != nil {
		err = c.RDB.Close()
	}
	if c.mini != nil {
		c.mini.Close()
	}
	return err
}

// FastForward moves an embedded server's clock (tests).
func (c *Client) FastForward(d time.Duration) {
	if c.mini != nil {
		c.mini.FastForward(d)
	}
}
