package mongo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/notify"
)

// noOutbox is OutboxAt of a document with an empty outbox.
const noOutbox = int64(math.MaxInt64)

// outboxCollections hold documents with outboxes.
var outboxCollections = []string{"instruments", "bookings"}

// outboxUpdate adds events to a document's outbox within its update: each
// under outbox.<id>, and outboxAt lowered to the oldest.
func outboxUpdate(source string, events []core.Event, set *bson.D) bson.D {
	if len(events) == 0 {
		return nil
	}
	oldest := noOutbox
	for _, ev := range events {
		ev.Source = source
		*set = append(*set, bson.E{Key: "outbox." + ev.ID, Value: ev})
		oldest = min(oldest, ms(ev.At))
	}
	return bson.D{{Key: "$min", Value: bson.D{{Key: "outboxAt", Value: oldest}}}}
}

// ---------------------------------------------------------------- outbox and notifications

type notifications struct{ db *DB }

// Notifications returns the outbox relay's repository.
func (db *DB) Notifications() notify.Repo { return notifications{db} }

func (r notifications) PendingEvents(ctx context.Context, limit int) ([]core.Event, error) {
	var out []core.Event
	for _, coll := range outboxCollections {
		cur, err := r.db.db.Collection(coll).Find(ctx, bson.D{{Key: "outboxAt", Value: bson.D{{Key: "$lt", Value: noOutbox}}}},
			options.Find().SetSort(bson.D{{Key: "outboxAt", Value: 1}}).SetLimit(int64(limit)).
				SetProjection(bson.D{{Key: "outbox", Value: 1}}))
		if err != nil {
			return nil, fmt.Errorf("find outboxes: %w", err)
		}
		var docs []struct {
			Outbox map[string]core.Event `bson:"outbox"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			return nil, err
		}
		for _, d := range docs {
			for _, ev := range d.Outbox {
				out = append(out, ev)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

type notificationDoc struct {
	ID          string              `bson:"_id"`
	ApplicantID string              `bson:"applicantId"`
	BatchID     string              `bson:"batchId"`
	Type        string              `bson:"type"`
	At          int64               `bson:"at"`
	N           notify.Notification `bson:"n"`
}

func (r notifications) Record(ctx context.Context, events []core.Event, at time.Time) error {
	coll := r.db.db.Collection("notifications")
	for _, ev := range events {
		d := notificationDoc{ID: ev.ID, ApplicantID: ev.ApplicantID, BatchID: ev.BatchID, Type: ev.Type, At: ms(ev.At),
			N: notify.Notification{Event: ev, RelayedAt: at}}
		if _, err := coll.InsertOne(ctx, d); err != nil && !isDup(err) {
			return fmt.Errorf("record notification: %w", err)
		}
	}
	return nil
}

func (r notifications) Ack(ctx context.Context, events []core.Event) error {
	bySource := map[string][]string{}
	for _, ev := range events {
		bySource[ev.Source] = append(bySource[ev.Source], ev.ID)
	}
	for source, ids := range bySource {
		coll, id, ok := strings.Cut(source, "/")
		if !ok {
			return fmt.Errorf("event without a source: %v", ids)
		}
		unset := bson.D{}
		for _, e := range ids {
			unset = append(unset, bson.E{Key: "outbox." + e, Value: ""})
		}
		c := r.db.db.Collection(coll)
		err := r.db.locked(ctx, coll, id, func() error {
			if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$unset", Value: unset}}); err != nil {
				return err
			}
			// Mark the outbox empty only if nothing new arrived meanwhile.
			_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "outbox", Value: bson.D{}}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "outboxAt", Value: noOutbox}}}})
			return err
		})
		if err != nil {
			return fmt.Errorf("ack events: %w", err)
		}
	}
	return nil
}

func (r notifications) ListNotifications(ctx context.Context, q notify.Query) ([]notify.Notification, int, error) {
	f := bson.D{}
	if q.ApplicantID != "" {
		f = append(f, bson.E{Key: "applicantId", Value: q.ApplicantID})
	}
	if q.BatchID != "" {
		f = append(f, bson.E{Key: "batchId", Value: q.BatchID})
	}
	coll := r.db.db.Collection("notifications")
	total, err := coll.CountDocuments(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	cur, err := coll.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64(q.Offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	var docs []notificationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, err
	}
	out := make([]notify.Notification, len(docs))
	for i, d := range docs {
		out[i] = d.N
	}
	return out, int(total), nil
}

// ---------------------------------------------------------------- filing batches and sequences

type batchDoc struct {
	ID        string       `bson:"_id"`
	Status    string       `bson:"status"`
	LeaseTill int64        `bson:"leaseTill"`
	Version   int          `bson:"version"`
	B         filing.Batch `bson:"b"`
}

type batches struct{ db *DB }

// Filing returns the filing batch repository.
func (db *DB) Filing() filing.Repo { return batches{db} }

func (r batches) coll() *mongo.Collection { return r.db.db.Collection("batches") }

func (r batches) CreateBatch(ctx context.Context, b *filing.Batch) error {
	_, err := r.coll().InsertOne(ctx, batchDoc{ID: b.ID, Status: b.Status, LeaseTill: ms(b.LeaseTill), Version: b.Version, B: *b})
	return err
}

func (r batches) GetBatch(ctx context.Context, id string) (*filing.Batch, error) {
	var d batchDoc
	if err := r.coll().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, notFound(err, "批次")
	}
	return &d.B, nil
}

func (r batches) SaveBatch(ctx context.Context, b *filing.Batch) error {
	next := *b
	next.Version++
	res, err := r.db.update(ctx, "batches", b.ID, bson.D{{Key: "_id", Value: b.ID}, {Key: "version", Value: b.Version}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: next.Status}, {Key: "leaseTill", Value: ms(next.LeaseTill)},
			{Key: "version", Value: next.Version}, {Key: "b", Value: next}}}})
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return core.Errorf(core.Conflict, "批次已被其他进程接手")
	}
	b.Version = next.Version
	return nil
}

func (r batches) ClaimBatch(ctx context.Context, owner string, now, till time.Time) (*filing.Batch, error) {
	for attempt := 0; attempt < 5; attempt++ {
		var d batchDoc
		err := r.coll().FindOne(ctx, bson.D{{Key: "status", Value: "running"}, {Key: "leaseTill", Value: bson.D{{Key: "$lt", Value: ms(now)}}}},
			options.FindOne().SetSort(bson.D{{Key: "leaseTill", Value: 1}})).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, core.ErrNotFound("批次")
		}
		if err != nil {
			return nil, err
		}
		b := d.B
		b.Owner, b.LeaseTill, b.Version = owner, till, d.Version+1
		// The lease is the conditional update: one claimer wins.
		res, err := r.db.update(ctx, "batches", d.ID, bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: d.Version}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "leaseTill", Value: ms(till)}, {Key: "version", Value: b.Version}, {Key: "b", Value: b}}}})
		if err != nil {
			return nil, err
		}
		if res.MatchedCount == 1 {
			return &b, nil
		}
	}
	return nil, core.ErrNotFound("批次")
}

func (r batches) NextSeq(ctx context.Context, key string) (int64, error) {
	var d struct {
		N int64 `bson:"n"`
	}
	err := r.db.locked(ctx, "sequences", key, func() error {
		return r.db.db.Collection("sequences").FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&d)
	})
	return d.N, err
}

// ---------------------------------------------------------------- bookings

type bookingDoc struct {
	ID            string                `bson:"_id"`
	Number        string                `bson:"number"`
	ApplicantID   string                `bson:"applicantId"`
	InstitutionID string                `bson:"institutionId"`
	Status        string                `bson:"status"`
	Date          string                `bson:"date"`
	Released      bool                  `bson:"released"`
	CreatedAt     int64                 `bson:"createdAt"`
	UpdatedAt     int64                 `bson:"updatedAt"`
	Version       int                   `bson:"version"`
	B             booking.Booking       `bson:"b"`
	Outbox        map[string]core.Event `bson:"outbox"`
	OutboxAt      int64                 `bson:"outboxAt"`
}

type bookings struct{ db *DB }

// Bookings returns the booking repository.
func (db *DB) Bookings() booking.Repo { return bookings{db} }

func (r bookings) coll() *mongo.Collection { return r.db.db.Collection("bookings") }

func workflowIndexes() []index {
	return []index{
		{"bookings", bson.D{{Key: "number", Value: 1}}, true},
		{"bookings", bson.D{{Key: "applicantId", Value: 1}, {Key: "status", Value: 1}, {Key: "createdAt", Value: -1}}, false},
		{"bookings", bson.D{{Key: "institutionId", Value: 1}, {Key: "status", Value: 1}, {Key: "date", Value: 1}}, false},
		{"bookings", bson.D{{Key: "released", Value: 1}, {Key: "status", Value: 1}, {Key: "updatedAt", Value: 1}}, false},
		{"bookings", bson.D{{Key: "outboxAt", Value: 1}}, false},
		{"batches", bson.D{{Key: "status", Value: 1}, {Key: "leaseTill", Value: 1}}, false},
		{"notifications", bson.D{{Key: "applicantId", Value: 1}, {Key: "at", Value: -1}}, false},
		{"notifications", bson.D{{Key: "batchId", Value: 1}}, false},
		{"certificates", bson.D{{Key: "applicantId", Value: 1}, {Key: "issuedAt", Value: -1}}, false},
		{"certificates", bson.D{{Key: "institutionId", Value: 1}, {Key: "issuedAt", Value: -1}}, false},
		{"certificates", bson.D{{Key: "instrumentId", Value: 1}, {Key: "issuedAt", Value: -1}}, false},
	}
}

func newBookingDoc(b *booking.Booking) bookingDoc {
	return bookingDoc{ID: b.ID, Number: b.Number, ApplicantID: b.ApplicantID, InstitutionID: b.InstitutionID, Status: string(b.Status),
		Date: string(b.Date), Released: b.Released, CreatedAt: ms(b.CreatedAt), UpdatedAt: ms(b.UpdatedAt), Version: b.Version, B: *b,
		Outbox: map[string]core.Event{}, OutboxAt: noOutbox}
}

func (r bookings) Create(ctx context.Context, b *booking.Booking, events []core.Event) error {
	d := newBookingDoc(b)
	for _, ev := range events {
		ev.Source = "bookings/" + b.ID
		d.Outbox[ev.ID] = ev
		d.OutboxAt = min(d.OutboxAt, ms(ev.At))
	}
	if _, err := r.coll().InsertOne(ctx, d); err != nil {
		if isDup(err) {
			return core.Errorf(core.Conflict, "预约单号重复")
		}
		return err
	}
	return nil
}

func (r bookings) get(ctx context.Context, f bson.D) (*booking.Booking, error) {
	var d bookingDoc
	if err := r.coll().FindOne(ctx, f, options.FindOne().SetProjection(bson.D{{Key: "outbox", Value: 0}})).Decode(&d); err != nil {
		return nil, notFound(err, "预约单")
	}
	return &d.B, nil
}

func (r bookings) Get(ctx context.Context, id string) (*booking.Booking, error) {
	return r.get(ctx, bson.D{{Key: "_id", Value: id}})
}

func (r bookings) GetByNumber(ctx context.Context, number string) (*booking.Booking, error) {
	return r.get(ctx, bson.D{{Key: "number", Value: number}})
}

func (r bookings) Update(ctx context.Context, b *booking.Booking, events []core.Event) error {
	next := *b
	next.Version++
	set := bson.D{{Key: "status", Value: string(next.Status)}, {Key: "date", Value: string(next.Date)}, {Key: "released", Value: next.Released},
		{Key: "updatedAt", Value: ms(next.UpdatedAt)}, {Key: "version", Value: next.Version}, {Key: "b", Value: next}}
	update := outboxUpdate("bookings/"+b.ID, events, &set)
	update = append(update, bson.E{Key: "$set", Value: set})
	res, err := r.db.update(ctx, "bookings", b.ID, bson.D{{Key: "_id", Value: b.ID}, {Key: "version", Value: b.Version}}, update)
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return core.Errorf(core.Conflict, "预约单已被其他人修改")
	}
	b.Version = next.Version
	return nil
}

func (r bookings) Delete(ctx context.Context, id string) error {
	res, err := r.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return err
	}
	if res.DeletedCount == 0 {
		return core.ErrNotFound("预约单")
	}
	return nil
}

func (r bookings) find(ctx context.Context, f bson.D, opts *options.FindOptions) ([]*booking.Booking, error) {
	opts.SetProjection(bson.D{{Key: "outbox", Value: 0}})
	cur, err := r.coll().Find(ctx, f, opts)
	if err != nil {
		return nil, err
	}
	var docs []bookingDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]*booking.Booking, len(docs))
	for i := range docs {
		out[i] = &docs[i].B
	}
	return out, nil
}

func (r bookings) List(ctx context.Context, q booking.Query) ([]*booking.Booking, int, error) {
	f := bson.D{}
	if q.ApplicantID != "" {
		f = append(f, bson.E{Key: "applicantId", Value: q.ApplicantID})
	}
	if q.InstitutionID != "" {
		f = append(f, bson.E{Key: "institutionId", Value: q.InstitutionID})
	}
	if len(q.Statuses) > 0 {
		f = append(f, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: strs(q.Statuses)}}})
	}
	if q.Date != "" {
		f = append(f, bson.E{Key: "date", Value: string(q.Date)})
	}
	if q.Number != "" {
		f = append(f, bson.E{Key: "number", Value: q.Number})
	}
	total, err := r.coll().CountDocuments(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	list, err := r.find(ctx, f, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64(q.Offset)).SetLimit(int64(limit)))
	return list, int(total), err
}

func (r bookings) Stale(ctx context.Context, before time.Time) ([]*booking.Booking, error) {
	f := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "status", Value: string(booking.Creating)}, {Key: "updatedAt", Value: bson.D{{Key: "$lt", Value: ms(before)}}}},
		bson.D{{Key: "released", Value: false}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{"rejected", "returned", "completed", "cancelled"}}}}},
	}}}
	return r.find(ctx, f, options.Find().SetSort(bson.D{{Key: "updatedAt", Value: 1}}).SetLimit(500))
}

func (r bookings) Reserve(ctx context.Context, key string, capacity int) error {
	_, err := r.db.update(ctx, "slots", key,
		bson.D{{Key: "_id", Value: key}, {Key: "booked", Value: bson.D{{Key: "$lt", Value: capacity}}}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "booked", Value: 1}}}}, options.Update().SetUpsert(true))
	if err != nil {
		// A full slot does not match the filter, and the upsert then
		// collides with the existing slot document.
		if isDup(err) {
			return core.Errorf(core.Conflict, "该时间段已约满")
		}
		return err
	}
	return nil
}

func (r bookings) Release(ctx context.Context, key string) error {
	_, err := r.db.update(ctx, "slots", key, bson.D{{Key: "_id", Value: key}, {Key: "booked", Value: bson.D{{Key: "$gt", Value: 0}}}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "booked", Value: -1}}}})
	return err
}

func (r bookings) Booked(ctx context.Context, keys []string) (map[string]int, error) {
	out := map[string]int{}
	if len(keys) == 0 {
		return out, nil
	}
	cur, err := r.db.db.Collection("slots").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: strs(keys)}}}})
	if err != nil {
		return nil, err
	}
	var docs []struct {
		ID     string `bson:"_id"`
		Booked int    `bson:"booked"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[d.ID] = d.Booked
	}
	return out, nil
}

type calendarDoc struct {
	ID      string           `bson:"_id"`
	Version int              `bson:"version"`
	C       booking.Calendar `bson:"c"`
}

func (r bookings) GetCalendar(ctx context.Context, inst string) (*booking.Calendar, error) {
	var d calendarDoc
	if err := r.db.db.Collection("calendars").FindOne(ctx, bson.D{{Key: "_id", Value: inst}}).Decode(&d); err != nil {
		return nil, notFound(err, "预约日历")
	}
	return &d.C, nil
}

func (r bookings) SaveCalendar(ctx context.Context, c *booking.Calendar) error {
	next := *c
	next.Version++
	coll := r.db.db.Collection("calendars")
	if c.Version == 0 {
		if _, err := coll.InsertOne(ctx, calendarDoc{ID: c.InstitutionID, Version: next.Version, C: next}); err != nil {
			if isDup(err) {
				return core.Errorf(core.Conflict, "预约日历已被其他人修改，请刷新后重试")
			}
			return err
		}
	} else {
		res, err := r.db.update(ctx, "calendars", c.InstitutionID, bson.D{{Key: "_id", Value: c.InstitutionID}, {Key: "version", Value: c.Version}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: next.Version}, {Key: "c", Value: next}}}})
		if err != nil {
			return err
		}
		if res.MatchedCount == 0 {
			return core.Errorf(core.Conflict, "预约日历已被其他人修改，请刷新后重试")
		}
	}
	c.Version = next.Version
	return nil
}

func (r bookings) GetPending(ctx context.Context, userID string) ([]string, error) {
	var d struct {
		IDs []string `bson:"ids"`
	}
	err := r.db.db.Collection("pending_lists").FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	return d.IDs, err
}

func (r bookings) SetPending(ctx context.Context, userID string, ids []string) error {
	if ids == nil {
		ids = []string{}
	}
	_, err := r.db.update(ctx, "pending_lists", userID, bson.D{{Key: "_id", Value: userID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "ids", Value: ids}}}}, options.Update().SetUpsert(true))
	return err
}

type certDoc struct {
	ID            string              `bson:"_id"`
	ApplicantID   string              `bson:"applicantId"`
	InstitutionID string              `bson:"institutionId"`
	InstrumentID  string              `bson:"instrumentId"`
	Search        string              `bson:"search"`
	IssuedAt      int64               `bson:"issuedAt"`
	C             booking.Certificate `bson:"c"`
}

func (r bookings) SaveCertificate(ctx context.Context, c *booking.Certificate) error {
	d := certDoc{ID: c.ID, ApplicantID: c.ApplicantID, InstitutionID: c.InstitutionID, InstrumentID: c.InstrumentID,
		Search: strings.ToLower(c.Number + " " + c.InstrumentName + " " + c.FactoryNo + " " + c.Code), IssuedAt: ms(c.IssuedAt), C: *c}
	if _, err := r.db.db.Collection("certificates").InsertOne(ctx, d); err != nil && !isDup(err) {
		return err
	}
	return nil
}

func (r bookings) ListCertificates(ctx context.Context, q booking.CertQuery) ([]*booking.Certificate, int, error) {
	f := bson.D{}
	if q.ApplicantID != "" {
		f = append(f, bson.E{Key: "applicantId", Value: q.ApplicantID})
	}
	if q.InstitutionID != "" {
		f = append(f, bson.E{Key: "institutionId", Value: q.InstitutionID})
	}
	if q.InstrumentID != "" {
		f = append(f, bson.E{Key: "instrumentId", Value: q.InstrumentID})
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		f = append(f, bson.E{Key: "search", Value: bson.D{{Key: "$regex", Value: regexp.QuoteMeta(strings.ToLower(t))}}})
	}
	coll := r.db.db.Collection("certificates")
	total, err := coll.CountDocuments(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	cur, err := coll.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "issuedAt", Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64(q.Offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	var docs []certDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, err
	}
	out := make([]*booking.Certificate, len(docs))
	for i := range docs {
		out[i] = &docs[i].C
	}
	return out, int(total), nil
}
