// Package mongotest gives tests a MongoDB-wire server: a real MongoDB when
// QJ_TEST_MONGO_URI is set, otherwise an in-process FerretDB v1.24 over
// SQLite (test-only dependency). Each call returns a fresh database name.
package mongotest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/FerretDB/FerretDB/ferretdb"
)

var (
	once    sync.Once
	uri     string
	initErr error
	counter atomic.Int64
)

// URI returns the server's connection string and a database name unique to
// this call. The in-process server lives until the test binary exits.
func URI(t testing.TB) (string, string) {
	t.Helper()
	once.Do(start)
	if initErr != nil {
		t.Fatalf("mongotest: %v", initErr)
	}
	return uri, fmt.Sprintf("qjtest_%d_%d", os.Getpid(), counter.Add(1))
}

// Real reports whether tests run against a real MongoDB.
func Real() bool { return os.Getenv("QJ_TEST_MONGO_URI") != "" }

func start() {
	if u := os.Getenv("QJ_TEST_MONGO_URI"); u != "" {
		uri = u
		return
	}
	dir, err := os.MkdirTemp("", "qj-ferretdb-")
	if err != nil {
		initErr = err
		return
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(dir) + "/",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		initErr = fmt.Errorf("start FerretDB: %w", err)
		return
	}
	go func() { _ = f.Run(context.Background()) }()
	uri = f.MongoDBURI()
}
