// Package store opens the configured store adapter: MongoDB when a URI is
// configured, the embedded SQLite database otherwise.
package store

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/notify"
	"github.com/gdqjp/qj/core/wechat"
	"github.com/gdqjp/qj/store/mongo"
	"github.com/gdqjp/qj/store/sqlite"
)

// Store is every repository core needs, from one adapter.
type Store interface {
	Accounts() account.Repo
	Files() core.FileRepo
	Instruments() instrument.Repo
	Notifications() notify.Repo
	Filing() filing.Repo
	Bookings() booking.Repo
	WeChat() wechat.Repo
	Ping(ctx context.Context) error
	Close() error
	Kind() string
}

var (
	_ Store = (*sqlite.DB)(nil)
	_ Store = (*mongo.DB)(nil)
)

// Open opens MongoDB at mongoURI, or the SQLite database in dataDir when
// mongoURI is empty.
func Open(ctx context.Context, mongoURI, mongoDB, dataDir string, log *slog.Logger) (Store, error) {
	if mongoURI != "" {
		return mongo.Open(ctx, mongoURI, mongoDB, log)
	}
	return sqlite.Open(ctx, filepath.Join(dataDir, "qj.db"), log)
}
