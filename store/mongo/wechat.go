package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/wechat"
)

type bindingDoc struct {
	ID          string         `bson:"_id"` // app/openid
	App         string         `bson:"app"`
	UnionID     string         `bson:"unionId"`
	UserID      string         `bson:"userId"`
	ApplicantID string         `bson:"applicantId"`
	B           wechat.Binding `bson:"b"`
}

type deliveryDoc struct {
	ID          string          `bson:"_id"`
	ApplicantID string          `bson:"applicantId"`
	Status      string          `bson:"status"`
	NextAt      int64           `bson:"nextAt"`
	LeaseTill   int64           `bson:"leaseTill"`
	CreatedAt   int64           `bson:"createdAt"`
	Version     int             `bson:"version"`
	D           wechat.Delivery `bson:"d"`
}

type wechatRepo struct{ db *DB }

// WeChat returns the bindings and deliveries repository.
func (db *DB) WeChat() wechat.Repo { return wechatRepo{db} }

func wechatIndexes() []index {
	return []index{
		{"wechat_bindings", bson.D{{Key: "unionId", Value: 1}}, false},
		{"wechat_bindings", bson.D{{Key: "userId", Value: 1}}, false},
		{"wechat_bindings", bson.D{{Key: "applicantId", Value: 1}, {Key: "app", Value: 1}}, false},
		{"deliveries", bson.D{{Key: "status", Value: 1}, {Key: "nextAt", Value: 1}}, false},
		{"deliveries", bson.D{{Key: "applicantId", Value: 1}, {Key: "createdAt", Value: -1}}, false},
	}
}

func bindingID(app wechat.App, openID string) string { return string(app) + "/" + openID }

func (r wechatRepo) Bind(ctx context.Context, b *wechat.Binding) error {
	id := bindingID(b.App, b.OpenID)
	d := bindingDoc{ID: id, App: string(b.App), UnionID: b.UnionID, UserID: b.UserID, ApplicantID: b.ApplicantID, B: *b}
	return r.db.locked(ctx, "wechat_bindings", id, func() error {
		_, err := r.db.db.Collection("wechat_bindings").ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, d, options.Replace().SetUpsert(true))
		return err
	})
}

func (r wechatRepo) Unbind(ctx context.Context, app wechat.App, openID string) error {
	res, err := r.db.db.Collection("wechat_bindings").DeleteOne(ctx, bson.D{{Key: "_id", Value: bindingID(app, openID)}})
	if err != nil {
		return err
	}
	if res.DeletedCount == 0 {
		return core.ErrNotFound("绑定")
	}
	return nil
}

func (r wechatRepo) bindings(ctx context.Context, f bson.D) ([]*wechat.Binding, error) {
	cur, err := r.db.db.Collection("wechat_bindings").Find(ctx, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var docs []bindingDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]*wechat.Binding, len(docs))
	for i := range docs {
		out[i] = &docs[i].B
	}
	return out, nil
}

func (r wechatRepo) Binding(ctx context.Context, app wechat.App, openID string) (*wechat.Binding, error) {
	list, err := r.bindings(ctx, bson.D{{Key: "_id", Value: bindingID(app, openID)}})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, core.Errorf(core.NotFound, "该微信尚未绑定平台账号")
	}
	return list[0], nil
}

func (r wechatRepo) BindingsByUnionID(ctx context.Context, unionID string) ([]*wechat.Binding, error) {
	if unionID == "" {
		return nil, nil
	}
	return r.bindings(ctx, bson.D{{Key: "unionId", Value: unionID}})
}

func (r wechatRepo) BindingsOfUser(ctx context.Context, userID string) ([]*wechat.Binding, error) {
	return r.bindings(ctx, bson.D{{Key: "userId", Value: userID}})
}

func (r wechatRepo) BindingsOfApplicant(ctx context.Context, applicantID string, app wechat.App) ([]*wechat.Binding, error) {
	return r.bindings(ctx, bson.D{{Key: "applicantId", Value: applicantID}, {Key: "app", Value: string(app)}})
}

func newDeliveryDoc(d *wechat.Delivery) deliveryDoc {
	return deliveryDoc{ID: d.ID, ApplicantID: d.ApplicantID, Status: d.Status, NextAt: ms(d.NextAt), LeaseTill: ms(d.LeaseTill),
		CreatedAt: ms(d.CreatedAt), Version: d.Version, D: *d}
}

func (r wechatRepo) AddDelivery(ctx context.Context, d *wechat.Delivery) error {
	if _, err := r.db.db.Collection("deliveries").InsertOne(ctx, newDeliveryDoc(d)); err != nil && !isDup(err) {
		return err
	}
	return nil
}

func (r wechatRepo) ClaimDeliveries(ctx context.Context, owner string, now, till time.Time, limit int) ([]*wechat.Delivery, error) {
	cur, err := r.db.db.Collection("deliveries").Find(ctx, bson.D{{Key: "status", Value: wechat.Pending},
		{Key: "nextAt", Value: bson.D{{Key: "$lte", Value: ms(now)}}}, {Key: "leaseTill", Value: bson.D{{Key: "$lt", Value: ms(now)}}}},
		options.Find().SetSort(bson.D{{Key: "nextAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	var docs []deliveryDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	var out []*wechat.Delivery
	for _, doc := range docs {
		d := doc.D
		d.Owner, d.LeaseTill, d.Version = owner, till, doc.Version+1
		// The lease is a conditional update under the document's lock: of
		// several instances claiming at once, one gets it.
		res, err := r.db.update(ctx, "deliveries", doc.ID,
			bson.D{{Key: "_id", Value: doc.ID}, {Key: "version", Value: doc.Version}, {Key: "leaseTill", Value: bson.D{{Key: "$lt", Value: ms(now)}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "leaseTill", Value: ms(till)}, {Key: "version", Value: d.Version}, {Key: "d", Value: d}}}})
		if err != nil {
			return nil, err
		}
		if res.MatchedCount == 1 {
			out = append(out, &d)
		}
	}
	return out, nil
}

func (r wechatRepo) SaveDelivery(ctx context.Context, d *wechat.Delivery) error {
	next := *d
	next.Version++
	nd := newDeliveryDoc(&next)
	res, err := r.db.update(ctx, "deliveries", d.ID, bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: d.Version}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: nd.Status}, {Key: "nextAt", Value: nd.NextAt},
			{Key: "leaseTill", Value: nd.LeaseTill}, {Key: "version", Value: nd.Version}, {Key: "d", Value: next}}}})
	if err != nil {
		return fmt.Errorf("save delivery: %w", err)
	}
	if res.MatchedCount == 0 {
		return core.Errorf(core.Conflict, "推送记录已被其他进程更新")
	}
	d.Version = next.Version
	return nil
}

func (r wechatRepo) ListDeliveries(ctx context.Context, applicantID string, offset, limit int) ([]*wechat.Delivery, int, error) {
	coll := r.db.db.Collection("deliveries")
	f := bson.D{{Key: "applicantId", Value: applicantID}}
	total, err := coll.CountDocuments(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 15
	}
	cur, err := coll.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetSkip(int64(offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	var docs []deliveryDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, err
	}
	out := make([]*wechat.Delivery, len(docs))
	for i := range docs {
		out[i] = &docs[i].D
	}
	return out, int(total), nil
}
