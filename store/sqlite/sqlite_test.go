package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gdqjp/qj/store/sqlite"
	"github.com/gdqjp/qj/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "qj.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qj.db")
	db, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db.Close()
}
