package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gdqjp/qj/core"
)

// LoginLimiter counts wrong passwords per account (account.LoginLimiter).
type LoginLimiter struct{ c *Client }

// NewLoginLimiter returns the limiter.
func NewLoginLimiter(c *Client) *LoginLimiter { return &LoginLimiter{c: c} }

func unavailable(err error) error {
	return core.Wrap(core.Unavailable, err, "登录服务暂时不可用，请稍后再试")
}

// LockedFor returns the remaining lock time of key.
func (l *LoginLimiter) LockedFor(ctx context.Context, key string) (time.Duration, error) {
	d, err := l.c.RDB.PTTL(ctx, l.c.Key("lock", key)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, unavailable(err)
	}
	if d < 0 {
		return 0, nil
	}
	return d, nil
}

// Fail counts one wrong password; the max-th within the window locks key.
func (l *LoginLimiter) Fail(ctx context.Context, key string, max int, lock time.Duration) (int, time.Duration, error) {
	fk := l.c.Key("loginfail", key)
	pipe := l.c.RDB.TxPipeline()
	incr := pipe.Incr(ctx, fk)
	pipe.ExpireNX(ctx, fk, lock)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, unavailable(err)
	}
	n := int(incr.Val())
	if n < max {
		return n, 0, nil
	}
	pipe = l.c.RDB.TxPipeline()
	pipe.Set(ctx, l.c.Key("lock", key), "1", lock)
	pipe.Del(ctx, fk)
	if _, err := pipe.Exec(ctx); err != nil {
		return n, 0, unavailable(err)
	}
	return n, lock, nil
}

// Reset forgets the failures of key after a successful login.
func (l *LoginLimiter) Reset(ctx context.Context, key string) error {
	if err := l.c.RDB.Del(ctx, l.c.Key("loginfail", key)).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}
