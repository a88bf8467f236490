package mongo

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
)

// userDoc is one login. A main applicant account also carries its
// applicant (registration) in the same document, so that registering is one
// atomic insert without a transaction. Indexed fields are written on every
// document (creditKey gets a unique placeholder for non-applicants).
type userDoc struct {
	ID            string       `bson:"_id"`
	LoginKey      string       `bson:"loginKey"`
	Role          string       `bson:"role"`
	ApplicantID   string       `bson:"applicantId"`
	SubUser       bool         `bson:"subUser"`
	InstitutionID string       `bson:"institutionId"`
	CreatedAt     int64        `bson:"createdAt"`
	Version       int          `bson:"version"`
	User          account.User `bson:"user"`

	HasApp      bool               `bson:"hasApp"`
	AppStatus   string             `bson:"appStatus"`
	AppCity     string             `bson:"appCity"`
	AppRegion   string             `bson:"appRegion"`
	CreditCode  string             `bson:"creditCode"`
	CreditKey   string             `bson:"creditKey"`
	SubmittedAt int64              `bson:"submittedAt"`
	Search      string             `bson:"search"`
	AppVersion  int                `bson:"appVersion"`
	App         *account.Applicant `bson:"app"`
}

type accounts struct{ db *DB }

// Accounts returns the account repository.
func (db *DB) Accounts() account.Repo { return accounts{db} }

func (r accounts) users() *mongo.Collection { return r.db.db.Collection("users") }

func newUserDoc(u *account.User) userDoc {
	return userDoc{
		ID: u.ID, LoginKey: u.LoginKey, Role: string(u.Role), ApplicantID: u.ApplicantID, SubUser: u.SubUser,
		InstitutionID: u.InstitutionID, CreatedAt: ms(u.CreatedAt), Version: u.Version, User: *u,
		CreditKey: "user#" + u.ID,
	}
}

func appFields(a *account.Applicant) bson.D {
	return bson.D{
		{Key: "hasApp", Value: true},
		{Key: "appStatus", Value: string(a.Status)},
		{Key: "appCity", Value: a.CityCode},
		{Key: "appRegion", Value: a.RegionCode},
		{Key: "creditCode", Value: a.CreditCode},
		{Key: "creditKey", Value: a.CreditKey},
		{Key: "submittedAt", Value: ms(a.SubmittedAt)},
		{Key: "search", Value: strings.ToLower(strings.Join([]string{a.Name, a.CreditCode, a.ContactName, a.ContactPhone}, " "))},
		{Key: "appVersion", Value: a.Version},
		{Key: "app", Value: a},
	}
}

func (r accounts) CreateApplicant(ctx context.Context, a *account.Applicant, main *account.User) error {
	d := newUserDoc(main)
	f := appFields(a)
	d.HasApp, d.AppStatus, d.AppCity, d.AppRegion = true, string(a.Status), a.CityCode, a.RegionCode
	d.CreditCode, d.CreditKey, d.SubmittedAt = a.CreditCode, a.CreditKey, ms(a.SubmittedAt)
	d.Search, d.AppVersion, d.App = f[7].Value.(string), a.Version, a
	if _, err := r.users().InsertOne(ctx, d); err != nil {
		if isDup(err) {
			if strings.Contains(err.Error(), "creditKey") {
				return core.Errorf(core.Conflict, "该统一社会信用代码已注册")
			}
			// FerretDB does not name the index: look which key is taken.
			if n, _ := r.users().CountDocuments(ctx, bson.D{{Key: "loginKey", Value: main.LoginKey}}); n == 0 {
				return core.Errorf(core.Conflict, "该统一社会信用代码已注册")
			}
			return core.Errorf(core.Conflict, "账号“%s”已存在", main.Login)
		}
		return fmt.Errorf("insert applicant: %w", err)
	}
	return nil
}

func (r accounts) GetApplicant(ctx context.Context, id string) (*account.Applicant, error) {
	var d userDoc
	err := r.users().FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "hasApp", Value: true}}).Decode(&d)
	if err != nil {
		return nil, notFound(err, "申请方")
	}
	return d.App, nil
}

func (r accounts) UpdateApplicant(ctx context.Context, a *account.Applicant) error {
	next := *a
	next.Version++
	// FerretDB may not report a unique violation on update properly:
	// check the credit key first (the unique index still guards races on MongoDB).
	if n, err := r.users().CountDocuments(ctx, bson.D{{Key: "creditKey", Value: next.CreditKey}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: a.ID}}}}); err != nil {
		return fmt.Errorf("check credit key: %w", err)
	} else if n > 0 {
		return core.Errorf(core.Conflict, "该统一社会信用代码已注册")
	}
	res, err := r.db.update(ctx, "users", a.ID,
		bson.D{{Key: "_id", Value: a.ID}, {Key: "hasApp", Value: true}, {Key: "appVersion", Value: a.Version}},
		bson.D{{Key: "$set", Value: appFields(&next)}})
	if isDup(err) {
		return core.Errorf(core.Conflict, "该统一社会信用代码已注册")
	}
	if err != nil {
		return fmt.Errorf("update applicant: %w", err)
	}
	if res.MatchedCount == 0 {
		return core.Errorf(core.Conflict, "申请方信息已被修改，请刷新后重试")
	}
	a.Version = next.Version
	return nil
}

func (r accounts) ListApplicants(ctx context.Context, q account.ApplicantQuery) ([]*account.Applicant, int, error) {
	filter := bson.D{{Key: "hasApp", Value: true}}
	if len(q.Statuses) > 0 {
		var ss bson.A
		for _, s := range q.Statuses {
			ss = append(ss, string(s))
		}
		filter = append(filter, bson.E{Key: "appStatus", Value: bson.D{{Key: "$in", Value: ss}}})
	}
	if q.CityCode != "" {
		filter = append(filter, bson.E{Key: "appCity", Value: q.CityCode})
	}
	if q.RegionCode != "" {
		filter = append(filter, bson.E{Key: "appRegion", Value: q.RegionCode})
	}
	if q.CreditCode != "" {
		filter = append(filter, bson.E{Key: "creditCode", Value: q.CreditCode})
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		filter = append(filter, bson.E{Key: "search", Value: bson.D{{Key: "$regex", Value: regexp.QuoteMeta(strings.ToLower(t))}}})
	}
	total, err := r.users().CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, fmt.Errorf("count applicants: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	cur, err := r.users().Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "submittedAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64(q.Offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, fmt.Errorf("find applicants: %w", err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, fmt.Errorf("decode applicants: %w", err)
	}
	out := make([]*account.Applicant, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.App)
	}
	return out, int(total), nil
}

func (r accounts) CreateUser(ctx context.Context, u *account.User) error {
	if _, err := r.users().InsertOne(ctx, newUserDoc(u)); err != nil {
		if isDup(err) {
			return core.Errorf(core.Conflict, "账号“%s”已存在", u.Login)
		}
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

func (r accounts) getUser(ctx context.Context, filter bson.D) (*account.User, error) {
	var d userDoc
	if err := r.users().FindOne(ctx, filter, options.FindOne().SetProjection(bson.D{{Key: "app", Value: 0}})).Decode(&d); err != nil {
		return nil, notFound(err, "用户")
	}
	return &d.User, nil
}

func (r accounts) GetUser(ctx context.Context, id string) (*account.User, error) {
	return r.getUser(ctx, bson.D{{Key: "_id", Value: id}})
}

func (r accounts) GetUserByLogin(ctx context.Context, loginKey string) (*account.User, error) {
	return r.getUser(ctx, bson.D{{Key: "loginKey", Value: loginKey}})
}

func (r accounts) UpdateUser(ctx context.Context, u *account.User) error {
	next := *u
	next.Version++
	if n, err := r.users().CountDocuments(ctx, bson.D{{Key: "loginKey", Value: next.LoginKey}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: u.ID}}}}); err != nil {
		return fmt.Errorf("check login key: %w", err)
	} else if n > 0 {
		return core.Errorf(core.Conflict, "账号“%s”已存在", u.Login)
	}
	res, err := r.db.update(ctx, "users", u.ID,
		bson.D{{Key: "_id", Value: u.ID}, {Key: "version", Value: u.Version}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "loginKey", Value: next.LoginKey},
			{Key: "role", Value: string(next.Role)},
			{Key: "applicantId", Value: next.ApplicantID},
			{Key: "subUser", Value: next.SubUser},
			{Key: "institutionId", Value: next.InstitutionID},
			{Key: "version", Value: next.Version},
			{Key: "user", Value: next},
		}}})
	if isDup(err) {
		return core.Errorf(core.Conflict, "账号“%s”已存在", u.Login)
	}
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if res.MatchedCount == 0 {
		return core.Errorf(core.Conflict, "用户信息已被修改，请刷新后重试")
	}
	u.Version = next.Version
	return nil
}

func (r accounts) ListUsers(ctx context.Context, q account.UserQuery) ([]*account.User, int, error) {
	filter := bson.D{}
	if q.ApplicantID != "" {
		filter = append(filter, bson.E{Key: "applicantId", Value: q.ApplicantID})
		if q.SubUsersOnly {
			filter = append(filter, bson.E{Key: "subUser", Value: true})
		}
	}
	if len(q.Roles) > 0 {
		var rs bson.A
		for _, r := range q.Roles {
			rs = append(rs, string(r))
		}
		filter = append(filter, bson.E{Key: "role", Value: bson.D{{Key: "$in", Value: rs}}})
	}
	if q.InstitutionID != "" {
		filter = append(filter, bson.E{Key: "institutionId", Value: q.InstitutionID})
	}
	total, err := r.users().CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	cur, err := r.users().Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}).
		SetSkip(int64(q.Offset)).SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "app", Value: 0}}))
	if err != nil {
		return nil, 0, fmt.Errorf("find users: %w", err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, fmt.Errorf("decode users: %w", err)
	}
	out := make([]*account.User, 0, len(docs))
	for i := range docs {
		out = append(out, &docs[i].User)
	}
	return out, int(total), nil
}
