// Package mongo is the production store: MongoDB (a replica set) through the
// official driver. It keeps to what both MongoDB and FerretDB handle right
// (ARCHITECTURE.md): no transactions, one conditional single-document update
// per state change, every indexed field written on every document.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"

	"github.com/gdqjp/qj/core"
)

// DB is the MongoDB store.
type DB struct {
	client *mongo.Client
	db     *mongo.Database
	bucket *gridfs.Bucket
	log    *slog.Logger
	// queue lines up this process's writers of one document before they
	// compete for its lock document, so they wait on a channel instead of
	// polling the database (fewer round trips, first come first served).
	queue keyedQueue
}

// Open connects to uri, uses database name and creates the indexes.
func Open(ctx context.Context, uri, name string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(10 * time.Second).
		SetWriteConcern(writeconcern.Majority()).
		SetAppName("qj")
	client, err := mongo.Connect(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("mongo connect: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := client.Ping(pctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongo ping: %w", err)
	}
	d := client.Database(name)
	bucket, err := gridfs.NewBucket(d, options.GridFSBucket().SetName("files"))
	if err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongo gridfs: %w", err)
	}
	db := &DB{client: client, db: d, bucket: bucket, log: log}
	if err := db.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return db, nil
}

// Kind names the adapter.
func (db *DB) Kind() string { return "mongo" }

// Close disconnects.
func (db *DB) Close() error { return db.client.Disconnect(context.Background()) }

// Ping checks the primary answers.
func (db *DB) Ping(ctx context.Context) error { return db.client.Ping(ctx, readpref.Primary()) }

// Drop removes the database (tests only).
func (db *DB) Drop(ctx context.Context) error { return db.db.Drop(ctx) }

type index struct {
	coll   string
	keys   bson.D
	unique bool
}

var indexes = []index{
	{"users", bson.D{{Key: "loginKey", Value: 1}}, true},
	{"users", bson.D{{Key: "creditKey", Value: 1}}, true},
	{"users", bson.D{{Key: "applicantId", Value: 1}, {Key: "subUser", Value: 1}, {Key: "createdAt", Value: 1}}, false},
	{"users", bson.D{{Key: "role", Value: 1}, {Key: "createdAt", Value: 1}}, false},
	{"users", bson.D{{Key: "appCity", Value: 1}, {Key: "appStatus", Value: 1}, {Key: "submittedAt", Value: -1}}, false},
	{"users", bson.D{{Key: "appRegion", Value: 1}, {Key: "appStatus", Value: 1}, {Key: "submittedAt", Value: -1}}, false},
	{"users", bson.D{{Key: "creditCode", Value: 1}}, false},
}

func (db *DB) ensureIndexes(ctx context.Context) error {
	all := append(append(append(append([]index(nil), indexes...), instrumentIndexes()...), workflowIndexes()...), wechatIndexes()...)
	for _, ix := range all {
		opts := options.Index()
		if ix.unique {
			opts.SetUnique(true)
		}
		if _, err := db.db.Collection(ix.coll).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.keys, Options: opts}); err != nil {
			return fmt.Errorf("mongo create index on %s %v: %w", ix.coll, ix.keys, err)
		}
	}
	return nil
}

// isDup reports a unique index violation. FerretDB reports some of them on
// update as an internal error carrying the E11000 text, so match that too.
func isDup(err error) bool {
	if err == nil {
		return false
	}
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	return dupText.MatchString(err.Error())
}

var dupText = regexp.MustCompile(`E11000|duplicate key`)

func notFound(err error, what string) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return core.ErrNotFound(what)
	}
	return fmt.Errorf("mongo: %w", err)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
