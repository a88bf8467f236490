package mongo

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

// instrumentDoc is an instrument with its indexed fields at the top level,
// its history and its outbox of events in the same document, so that every
// change, its history entry and its events are one atomic update.
type instrumentDoc struct {
	ID            string                    `bson:"_id"`
	ApplicantID   string                    `bson:"applicantId"`
	IdentityKey   string                    `bson:"identityKey"`
	CodeKey       string                    `bson:"codeKey"`
	Life          string                    `bson:"life"`
	Filing        string                    `bson:"filing"`
	InstitutionID string                    `bson:"institutionId"`
	TargetID      string                    `bson:"targetId"`
	BookingID     string                    `bson:"bookingId"`
	Name          string                    `bson:"name"`
	Model         string                    `bson:"model"`
	FactoryNo     string                    `bson:"factoryNo"`
	Category      string                    `bson:"category"`
	ItemCode      string                    `bson:"itemCode"`
	Region        string                    `bson:"region"`
	Usage         int                       `bson:"usage"`
	Method        int                       `bson:"method"`
	Tags          []string                  `bson:"tags"`
	Search        string                    `bson:"search"`
	Code          string                    `bson:"code"`
	ApprovedDay   string                    `bson:"approvedDay"`
	ValidUntil    string                    `bson:"validUntil"`
	Verified      bool                      `bson:"verified"`
	Result        string                    `bson:"result"`
	CreatedAt     int64                     `bson:"createdAt"`
	UpdatedAt     int64                     `bson:"updatedAt"`
	Version       int                       `bson:"version"`
	Inst          instrument.Instrument     `bson:"inst"`
	History       []instrument.HistoryEntry `bson:"history,omitempty"`
	// Outbox holds unrelayed events keyed by id (FerretDB cannot $pull by
	// a condition, but $unset of outbox.<id> works on both servers), and
	// OutboxAt the time of the oldest one (noOutbox when empty).
	Outbox   map[string]core.Event `bson:"outbox"`
	OutboxAt int64                 `bson:"outboxAt"`
}

type instruments struct{ db *DB }

// Instruments returns the instrument repository.
func (db *DB) Instruments() instrument.Repo { return instruments{db} }

func (r instruments) coll() *mongo.Collection { return r.db.db.Collection("instruments") }

func newInstrumentDoc(in *instrument.Instrument) instrumentDoc {
	tags := in.Tags
	if tags == nil {
		tags = []string{}
	}
	return instrumentDoc{
		ID: in.ID, ApplicantID: in.ApplicantID, IdentityKey: in.IdentityKey, CodeKey: in.CodeKey,
		Life: string(in.Life), Filing: string(in.Filing.Status), InstitutionID: in.Filing.InstitutionID,
		TargetID: in.Filing.TargetID, BookingID: in.BookingID, Name: in.Name, Model: in.Model, FactoryNo: in.FactoryNo,
		Category: in.CategoryCode, ItemCode: in.ItemCode, Region: in.RegionCode, Usage: in.Usage, Method: in.Method,
		Tags: tags, Search: strings.ToLower(strings.Join([]string{in.Name, in.Model, in.FactoryNo, in.OwnNo, in.Manufacturer,
			in.InstallLocation, in.Code, in.Remarks, strings.Join(in.Tags, " ")}, " ")),
		Code: in.Code, ApprovedDay: string(in.Filing.ApprovedDay), ValidUntil: string(in.ValidUntil),
		Verified: in.Verified, Result: string(in.CurrentResult()), CreatedAt: ms(in.CreatedAt), UpdatedAt: ms(in.UpdatedAt),
		Version: in.Version, Inst: *in, Outbox: map[string]core.Event{}, OutboxAt: noOutbox,
	}
}

// setFields are the top-level fields an update rewrites.
func setFields(d instrumentDoc) bson.D {
	return bson.D{
		{Key: "identityKey", Value: d.IdentityKey}, {Key: "codeKey", Value: d.CodeKey}, {Key: "life", Value: d.Life},
		{Key: "filing", Value: d.Filing}, {Key: "institutionId", Value: d.InstitutionID}, {Key: "targetId", Value: d.TargetID},
		{Key: "bookingId", Value: d.BookingID}, {Key: "name", Value: d.Name}, {Key: "model", Value: d.Model},
		{Key: "factoryNo", Value: d.FactoryNo}, {Key: "category", Value: d.Category}, {Key: "itemCode", Value: d.ItemCode},
		{Key: "region", Value: d.Region}, {Key: "usage", Value: d.Usage}, {Key: "method", Value: d.Method},
		{Key: "tags", Value: d.Tags}, {Key: "search", Value: d.Search}, {Key: "code", Value: d.Code},
		{Key: "approvedDay", Value: d.ApprovedDay}, {Key: "validUntil", Value: d.ValidUntil}, {Key: "verified", Value: d.Verified},
		{Key: "result", Value: d.Result}, {Key: "updatedAt", Value: d.UpdatedAt}, {Key: "version", Value: d.Version},
		{Key: "inst", Value: d.Inst},
	}
}

func instrumentIndexes() []index {
	return []index{
		{"instruments", bson.D{{Key: "outboxAt", Value: 1}}, false},
		{"instruments", bson.D{{Key: "applicantId", Value: 1}, {Key: "identityKey", Value: 1}}, true},
		{"instruments", bson.D{{Key: "codeKey", Value: 1}}, true},
		{"instruments", bson.D{{Key: "applicantId", Value: 1}, {Key: "life", Value: 1}, {Key: "filing", Value: 1}, {Key: "approvedDay", Value: 1}}, false},
		{"instruments", bson.D{{Key: "applicantId", Value: 1}, {Key: "life", Value: 1}, {Key: "filing", Value: 1}, {Key: "validUntil", Value: 1}}, false},
		{"instruments", bson.D{{Key: "applicantId", Value: 1}, {Key: "updatedAt", Value: -1}}, false},
		{"instruments", bson.D{{Key: "institutionId", Value: 1}, {Key: "filing", Value: 1}, {Key: "updatedAt", Value: -1}}, false},
		{"instruments", bson.D{{Key: "targetId", Value: 1}, {Key: "filing", Value: 1}}, false},
		{"instruments", bson.D{{Key: "bookingId", Value: 1}}, false},
	}
}

func (r instruments) duplicate(ctx context.Context, in *instrument.Instrument) error {
	n, err := r.coll().CountDocuments(ctx, bson.D{{Key: "applicantId", Value: in.ApplicantID}, {Key: "identityKey", Value: in.IdentityKey},
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: in.ID}}}})
	if err != nil {
		return fmt.Errorf("check identity: %w", err)
	}
	if n > 0 {
		return core.Errorf(core.Conflict, "已存在器具名称、型号规格、出厂编号、自编号都相同的仪器")
	}
	n, err = r.coll().CountDocuments(ctx, bson.D{{Key: "codeKey", Value: in.CodeKey}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: in.ID}}}})
	if err != nil {
		return fmt.Errorf("check code: %w", err)
	}
	if n > 0 {
		return core.Errorf(core.Conflict, "器具编码已被使用")
	}
	return nil
}

func (r instruments) Create(ctx context.Context, in *instrument.Instrument, w instrument.Write) error {
	d := newInstrumentDoc(in)
	if w.History != nil {
		d.History = []instrument.HistoryEntry{*w.History}
	}
	for _, ev := range w.Events {
		ev.Source = "instruments/" + in.ID
		d.Outbox[ev.ID] = ev
		d.OutboxAt = min(d.OutboxAt, ms(ev.At))
	}
	if _, err := r.coll().InsertOne(ctx, d); err != nil {
		if isDup(err) {
			if derr := r.duplicate(ctx, in); derr != nil {
				return derr
			}
			return core.Errorf(core.Conflict, "已存在器具名称、型号规格、出厂编号、自编号都相同的仪器")
		}
		return fmt.Errorf("insert instrument: %w", err)
	}
	return nil
}

var withoutLogs = options.FindOne().SetProjection(bson.D{{Key: "history", Value: 0}, {Key: "outbox", Value: 0}})

func (r instruments) Get(ctx context.Context, id string) (*instrument.Instrument, error) {
	var d instrumentDoc
	if err := r.coll().FindOne(ctx, bson.D{{Key: "_id", Value: id}}, withoutLogs).Decode(&d); err != nil {
		return nil, notFound(err, "仪器")
	}
	return &d.Inst, nil
}

func (r instruments) GetByIdentity(ctx context.Context, applicantID, key string) (*instrument.Instrument, error) {
	var d instrumentDoc
	err := r.coll().FindOne(ctx, bson.D{{Key: "applicantId", Value: applicantID}, {Key: "identityKey", Value: key}}, withoutLogs).Decode(&d)
	if err != nil {
		return nil, notFound(err, "仪器")
	}
	return &d.Inst, nil
}

func (r instruments) Update(ctx context.Context, in *instrument.Instrument, w instrument.Write) error {
	next := *in
	next.Version++
	if err := r.duplicate(ctx, &next); err != nil {
		return err
	}
	set := setFields(newInstrumentDoc(&next))
	update := bson.D{}
	if w.History != nil {
		update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: "history", Value: *w.History}}})
	}
	update = append(update, outboxUpdate("instruments/"+in.ID, w.Events, &set)...)
	update = append(update, bson.E{Key: "$set", Value: set})
	res, err := r.db.update(ctx, "instruments", in.ID, bson.D{{Key: "_id", Value: in.ID}, {Key: "version", Value: in.Version}}, update)
	if err != nil {
		if isDup(err) {
			return core.Errorf(core.Conflict, "已存在器具名称、型号规格、出厂编号、自编号都相同的仪器")
		}
		return fmt.Errorf("update instrument: %w", err)
	}
	if res.MatchedCount == 0 {
		return core.Errorf(core.Conflict, "仪器“%s”已被其他人修改，请刷新后重试", in.Name)
	}
	in.Version = next.Version
	return nil
}

func (r instruments) Delete(ctx context.Context, in *instrument.Instrument) error {
	return r.db.locked(ctx, "instruments", in.ID, func() error {
		res, err := r.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: in.ID}, {Key: "version", Value: in.Version}})
		if err != nil {
			return fmt.Errorf("delete instrument: %w", err)
		}
		if res.DeletedCount == 0 {
			return core.Errorf(core.Conflict, "仪器“%s”已被其他人修改，请刷新后重试", in.Name)
		}
		return nil
	})
}

func strs[T ~string](vs []T) bson.A {
	out := bson.A{}
	for _, v := range vs {
		out = append(out, string(v))
	}
	return out
}

func contains(s string) bson.D {
	return bson.D{{Key: "$regex", Value: regexp.QuoteMeta(s)}, {Key: "$options", Value: "i"}}
}

func instrumentFilter(q instrument.Query) bson.D {
	f := bson.D{}
	add := func(k string, v any) { f = append(f, bson.E{Key: k, Value: v}) }
	if q.ApplicantID != "" {
		add("applicantId", q.ApplicantID)
	}
	if q.InstitutionID != "" {
		add("$or", bson.A{bson.D{{Key: "institutionId", Value: q.InstitutionID}}, bson.D{{Key: "targetId", Value: q.InstitutionID}}})
	}
	if len(q.Lives) > 0 {
		add("life", bson.D{{Key: "$in", Value: strs(q.Lives)}})
	}
	if len(q.Filings) > 0 {
		add("filing", bson.D{{Key: "$in", Value: strs(q.Filings)}})
	}
	if len(q.Results) > 0 {
		add("result", bson.D{{Key: "$in", Value: strs(q.Results)}})
	}
	if d := q.ByDate; d != nil {
		rng := func(from, to core.Date, extra ...bson.E) bson.D {
			r := bson.D(extra)
			if from != "" {
				r = append(r, bson.E{Key: "$gte", Value: string(from)})
			}
			if to != "" {
				r = append(r, bson.E{Key: "$lte", Value: string(to)})
			}
			return r
		}
		byValid := bson.D{{Key: "validUntil", Value: rng(d.ValidUntil.From, d.ValidUntil.To, bson.E{Key: "$gt", Value: ""})}}
		byApproval := bson.D{{Key: "validUntil", Value: ""}, {Key: "verified", Value: false}}
		if ap := rng(d.Approved.From, d.Approved.To); len(ap) > 0 {
			byApproval = append(byApproval, bson.E{Key: "approvedDay", Value: ap})
		}
		cond := bson.A{byValid, byApproval}
		if q.InstitutionID != "" {
			// $or is taken by the institution scope: nest both in $and.
			add("$and", bson.A{bson.D{{Key: "$or", Value: cond}}})
		} else {
			add("$or", cond)
		}
	}
	if q.Name != "" {
		add("name", contains(q.Name))
	}
	if q.FactoryNo != "" {
		add("factoryNo", contains(q.FactoryNo))
	}
	if q.ExactFactoryNo != "" {
		add("factoryNo", q.ExactFactoryNo)
	}
	if q.Code != "" {
		add("code", q.Code)
	}
	if q.Category != "" {
		add("category", q.Category)
	}
	if q.ItemCode != "" {
		add("itemCode", q.ItemCode)
	}
	switch {
	case q.Region != "" && len(q.Regions) > 0:
		// One "region" key per filter: a district outside the scope matches nothing.
		if slices.Contains(q.Regions, q.Region) {
			add("region", q.Region)
		} else {
			add("region", "\x00none")
		}
	case q.Region != "":
		add("region", q.Region)
	case len(q.Regions) > 0:
		add("region", bson.D{{Key: "$in", Value: strs(q.Regions)}})
	}
	if q.Usage != 0 {
		add("usage", q.Usage)
	}
	if q.Method != 0 {
		add("method", q.Method)
	}
	if q.Tag != "" {
		add("tags", q.Tag)
	}
	if q.Text != "" {
		add("search", bson.D{{Key: "$regex", Value: regexp.QuoteMeta(strings.ToLower(q.Text))}})
	}
	if len(q.IDs) > 0 {
		add("_id", bson.D{{Key: "$in", Value: strs(q.IDs)}})
	}
	if q.Booked != nil {
		if *q.Booked {
			add("bookingId", bson.D{{Key: "$gt", Value: ""}})
		} else {
			add("bookingId", "")
		}
	}
	return f
}

var sortKeys = map[string]string{
	"updatedAt": "updatedAt", "createdAt": "createdAt", "name": "name", "model": "model", "factoryNo": "factoryNo",
	"category": "category", "region": "region", "validUntil": "validUntil", "approvedDay": "approvedDay", "code": "code",
}

func instrumentSort(q instrument.Query) bson.D {
	k, ok := sortKeys[q.Sort]
	if !ok {
		k = "updatedAt"
	}
	dir := 1
	if q.Desc {
		dir = -1
	}
	return bson.D{{Key: k, Value: dir}, {Key: "_id", Value: dir}}
}

func (r instruments) Count(ctx context.Context, q instrument.Query) (int, error) {
	n, err := r.coll().CountDocuments(ctx, instrumentFilter(q))
	if err != nil {
		return 0, fmt.Errorf("count instruments: %w", err)
	}
	return int(n), nil
}

func (r instruments) find(ctx context.Context, filter bson.D, opts *options.FindOptions) ([]*instrument.Instrument, error) {
	opts.SetProjection(bson.D{{Key: "history", Value: 0}, {Key: "outbox", Value: 0}})
	cur, err := r.coll().Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find instruments: %w", err)
	}
	var docs []instrumentDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("decode instruments: %w", err)
	}
	out := make([]*instrument.Instrument, len(docs))
	for i := range docs {
		out[i] = &docs[i].Inst
	}
	return out, nil
}

func (r instruments) List(ctx context.Context, q instrument.Query) ([]*instrument.Instrument, int, error) {
	total, err := r.Count(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	list, err := r.find(ctx, instrumentFilter(q), options.Find().SetSort(instrumentSort(q)).SetSkip(int64(q.Offset)).SetLimit(int64(limit)))
	return list, total, err
}

func (r instruments) IDs(ctx context.Context, q instrument.Query) ([]string, error) {
	cur, err := r.coll().Find(ctx, instrumentFilter(q), options.Find().SetSort(instrumentSort(q)).SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find instrument ids: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

func (r instruments) History(ctx context.Context, id string) ([]instrument.HistoryEntry, error) {
	var d struct {
		History []instrument.HistoryEntry `bson:"history"`
	}
	err := r.coll().FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: "history", Value: 1}})).Decode(&d)
	if err != nil {
		return nil, notFound(err, "仪器")
	}
	out := make([]instrument.HistoryEntry, len(d.History))
	for i, h := range d.History {
		out[len(d.History)-1-i] = h
	}
	return out, nil
}

func (r instruments) Activity(ctx context.Context, applicantID string, limit int) ([]*instrument.Instrument, error) {
	return r.find(ctx, bson.D{{Key: "applicantId", Value: applicantID}},
		options.Find().SetSort(bson.D{{Key: "updatedAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}
