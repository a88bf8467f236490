package mongo_test

import (
	"context"
	"testing"

	"github.com/gdqjp/qj/store/mongo"
	"github.com/gdqjp/qj/store/mongo/mongotest"
	"github.com/gdqjp/qj/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		uri, name := mongotest.URI(t)
		db, err := mongo.Open(context.Background(), uri, name, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = db.Drop(context.Background())
			db.Close()
		})
		return db
	})
}
