package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gdqjp/qj/core"
)

// Channel says where a session was opened: a console cookie token is not
// accepted as a mini program bearer token, and the reverse.
type Channel string

const (
	ChannelConsole Channel = "console"
	ChannelMP      Channel = "mp"
)

// Session is one login.
type Session struct {
	UserID    string
	Channel   Channel
	CreatedAt time.Time
}

// Sessions stores sessions under the hash of their token, so a dump of
// Redis holds no usable token.
type Sessions struct {
	c   *Client
	TTL time.Duration
}

// NewSessions returns the session store with an idle timeout.
func NewSessions(c *Client, ttl time.Duration) *Sessions { return &Sessions{c: c, TTL: ttl} }

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create opens a session and returns its token.
func (s *Sessions) Create(ctx context.Context, userID string, ch Channel) (string, error) {
	token := core.RandomToken(32)
	b, _ := json.Marshal(Session{UserID: userID, Channel: ch, CreatedAt: time.Now().UTC()})
	k := tokenKey(token)
	pipe := s.c.RDB.TxPipeline()
	pipe.Set(ctx, s.c.Key("sess", k), b, s.TTL)
	pipe.SAdd(ctx, s.c.Key("usess", userID), k)
	pipe.Expire(ctx, s.c.Key("usess", userID), 30*24*time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", core.Wrap(core.Unavailable, err, "登录服务暂时不可用，请稍后再试")
	}
	return token, nil
}

// Get returns the session of token on channel and extends its idle timeout;
// an unknown or expired token is Unauthenticated.
func (s *Sessions) Get(ctx context.Context, token string, ch Channel) (*Session, error) {
	if token == "" {
		return nil, core.Errorf(core.Unauthenticated, "请先登录")
	}
	k := s.c.Key("sess", tokenKey(token))
	b, err := s.c.RDB.GetEx(ctx, k, s.TTL).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, core.Errorf(core.Unauthenticated, "登录已过期，请重新登录")
	}
	if err != nil {
		return nil, core.Wrap(core.Unavailable, err, "登录服务暂时不可用，请稍后再试")
	}
	var sess Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	if sess.Channel != ch {
		return nil, core.Errorf(core.Unauthenticated, "登录已过期，请重新登录")
	}
	return &sess, nil
}

// Delete ends the session of token.
func (s *Sessions) Delete(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	k := tokenKey(token)
	b, err := s.c.RDB.GetDel(ctx, s.c.Key("sess", k)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	var sess Session
	if json.Unmarshal(b, &sess) == nil {
		s.c.RDB.SRem(ctx, s.c.Key("usess", sess.UserID), k)
	}
	return nil
}

// KillUserSessions ends every session of userID except the one of token except.
func (s *Sessions) KillUserSessions(ctx context.Context, userID, except string) error {
	keep := ""
	if except != "" {
		keep = tokenKey(except)
	}
	set := s.c.Key("usess", userID)
	members, err := s.c.RDB.SMembers(ctx, set).Result()
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	for _, k := range members {
		if k == keep {
			continue
		}
		if err := s.c.RDB.Del(ctx, s.c.Key("sess", k)).Err(); err != nil {
			return fmt.Errorf("kill session: %w", err)
		}
		s.c.RDB.SRem(ctx, set, k)
	}
	return nil
}
