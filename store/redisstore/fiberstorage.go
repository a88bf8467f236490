package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// FiberStorage adapts the client to fiber.Storage (used by the CSRF
// middleware), so tokens are shared by every server instance.
type FiberStorage struct {
	c  *Client
	ns string
}

// NewFiberStorage returns a storage whose keys live under namespace ns.
func NewFiberStorage(c *Client, ns string) *FiberStorage { return &FiberStorage{c: c, ns: ns} }

func (s *FiberStorage) key(k string) string { return s.c.Key(s.ns, k) }

func (s *FiberStorage) Get(key string) ([]byte, error) {
	b, err := s.c.RDB.Get(context.Background(), s.key(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

func (s *FiberStorage) Set(key string, val []byte, exp time.Duration) error {
	if len(key) == 0 || len(val) == 0 {
		return nil
	}
	return s.c.RDB.Set(context.Background(), s.key(key), val, exp).Err()
}

func (s *FiberStorage) Delete(key string) error {
	return s.c.RDB.Del(context.Background(), s.key(key)).Err()
}

// Reset is not supported: clearing a namespace would need a SCAN over a
// shared server; nothing in the app calls it.
func (s *FiberStorage) Reset() error { return nil }

func (s *FiberStorage) Close() error { return nil }
