package mongo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/gdqjp/qj/core"
)

// Every update of a document goes through a short lock: a document in the
// "locks" collection whose _id is the locked document's key. Only unique
// inserts are atomic on both MongoDB and FerretDB: measured here, FerretDB
// v1.24 applies concurrent conditional updates ({_id, version: v}) and $inc
// as unguarded read-modify-writes (30 concurrent versioned writers all
// "matched", 8 survived; 100 $inc under a $lt cap reached 39). Under the
// lock the conditional update below is exact on both servers.

const (
	lockHold = 15 * time.Second // a crashed holder's lock is taken over after this
	lockWait = 10 * time.Second // how long a writer waits for a busy lock
)

type lockDoc struct {
	ID    string `bson:"_id"`
	Owner string `bson:"owner"`
	Until int64  `bson:"until"`
}

func (db *DB) lock(ctx context.Context, key string) (func(), error) {
	deadline := time.Now().Add(lockWait)
	leave, err := db.queue.enter(ctx, key, deadline)
	if err != nil {
		return nil, err
	}
	unlock, err := db.lockDoc(ctx, key, deadline)
	if err != nil {
		leave()
		return nil, err
	}
	return func() { unlock(); leave() }, nil
}

// lockDoc takes the lock document of key (other processes compete for it).
func (db *DB) lockDoc(ctx context.Context, key string, deadline time.Time) (func(), error) {
	locks := db.db.Collection("locks")
	owner := core.NewID()
	backoff := time.Millisecond
	for {
		now := time.Now()
		_, err := locks.InsertOne(ctx, lockDoc{ID: key, Owner: owner, Until: now.Add(lockHold).UnixMilli()})
		if err == nil {
			return func() {
				_, _ = locks.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: key}, {Key: "owner", Value: owner}})
			}, nil
		}
		if !isDup(err) {
			return nil, fmt.Errorf("lock %s: %w", key, err)
		}
		var cur lockDoc
		if err := locks.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&cur); err == nil && cur.Until < now.UnixMilli() {
			// The holder died: take the lock over (only its exact record).
			_, _ = locks.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "owner", Value: cur.Owner}, {Key: "until", Value: cur.Until}})
			continue
		} else if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("lock %s: %w", key, err)
		}
		if now.After(deadline) {
			return nil, core.Errorf(core.Unavailable, "系统繁忙，请稍后再试")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 50*time.Millisecond)
	}
}

// update runs one UpdateOne on the document coll/id under its lock.
// filter must select the document by "_id" (plus any precondition).
func (db *DB) update(ctx context.Context, coll, id string, filter, update bson.D, opts ...*options.UpdateOptions) (*mongo.UpdateResult, error) {
	unlock, err := db.lock(ctx, coll+"/"+id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return db.db.Collection(coll).UpdateOne(ctx, filter, update, opts...)
}

// locked runs fn under the lock of coll/id.
func (db *DB) locked(ctx context.Context, coll, id string, fn func() error) error {
	unlock, err := db.lock(ctx, coll+"/"+id)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// keyedQueue is one semaphore per key, dropped when nobody holds or waits.
type keyedQueue struct {
	mu   sync.Mutex
	keys map[string]*queueSlot
}

type queueSlot struct {
	sem   chan struct{}
	users int
}

// enter waits for key's turn until deadline or ctx ends.
func (q *keyedQueue) enter(ctx context.Context, key string, deadline time.Time) (func(), error) {
	q.mu.Lock()
	if q.keys == nil {
		q.keys = map[string]*queueSlot{}
	}
	s := q.keys[key]
	if s == nil {
		s = &queueSlot{sem: make(chan struct{}, 1)}
		q.keys[key] = s
	}
	s.users++
	q.mu.Unlock()
	release := func() {
		q.mu.Lock()
		if s.users--; s.users == 0 {
			delete(q.keys, key)
		}
		q.mu.Unlock()
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case s.sem <- struct{}{}:
		return func() { <-s.sem; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	case <-t.C:
		release()
		return nil, core.Errorf(core.Unavailable, "系统繁忙，请稍后再试")
	}
}
