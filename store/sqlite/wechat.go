package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/wechat"
)

type wechatRepo struct{ db *DB }

// WeChat returns the bindings and deliveries repository.
func (db *DB) WeChat() wechat.Repo { return wechatRepo{db} }

func (r wechatRepo) Bind(ctx context.Context, b *wechat.Binding) error {
	doc, err := json.Marshal(b)
	if err != nil {
		return err
	}
	_, err = r.db.w.ExecContext(ctx, `INSERT INTO wechat_bindings (app, open_id, union_id, user_id, applicant_id, doc) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (app, open_id) DO UPDATE SET union_id = excluded.union_id, user_id = excluded.user_id,
		applicant_id = excluded.applicant_id, doc = excluded.doc`, string(b.App), b.OpenID, b.UnionID, b.UserID, b.ApplicantID, string(doc))
	return err
}

func (r wechatRepo) Unbind(ctx context.Context, app wechat.App, openID string) error {
	res, err := r.db.w.ExecContext(ctx, `DELETE FROM wechat_bindings WHERE app = ? AND open_id = ?`, string(app), openID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.ErrNotFound("绑定")
	}
	return nil
}

func (r wechatRepo) bindings(ctx context.Context, q string, args ...any) ([]*wechat.Binding, error) {
	return queryDocs[wechat.Binding](ctx, r.db, q, args...)
}

func (r wechatRepo) Binding(ctx context.Context, app wechat.App, openID string) (*wechat.Binding, error) {
	list, err := r.bindings(ctx, `SELECT doc FROM wechat_bindings WHERE app = ? AND open_id = ?`, string(app), openID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, core.Errorf(core.NotFound, "该微信尚未绑定平台账号")
	}
	return list[0], nil
}

func (r wechatRepo) BindingsByUnionID(ctx context.Context, unionID string) ([]*wechat.Binding, error) {
	return r.bindings(ctx, `SELECT doc FROM wechat_bindings WHERE union_id = ? AND union_id <> ''`, unionID)
}

func (r wechatRepo) BindingsOfUser(ctx context.Context, userID string) ([]*wechat.Binding, error) {
	return r.bindings(ctx, `SELECT doc FROM wechat_bindings WHERE user_id = ? ORDER BY app, open_id`, userID)
}

func (r wechatRepo) BindingsOfApplicant(ctx context.Context, applicantID string, app wechat.App) ([]*wechat.Binding, error) {
	return r.bindings(ctx, `SELECT doc FROM wechat_bindings WHERE applicant_id = ? AND app = ? ORDER BY open_id`, applicantID, string(app))
}

func (r wechatRepo) AddDelivery(ctx context.Context, d *wechat.Delivery) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = r.db.w.ExecContext(ctx, `INSERT OR IGNORE INTO deliveries (id, applicant_id, status, next_at, lease_till, created_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.ApplicantID, d.Status, ms(d.NextAt), ms(d.LeaseTill), ms(d.CreatedAt), d.Version, string(doc))
	return err
}

func (r wechatRepo) ClaimDeliveries(ctx context.Context, owner string, now, till time.Time, limit int) ([]*wechat.Delivery, error) {
	var out []*wechat.Delivery
	err := r.db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT doc FROM deliveries WHERE status = 'pending' AND next_at <= ? AND lease_till < ?
			ORDER BY next_at, id LIMIT ?`, ms(now), ms(now), limit)
		if err != nil {
			return err
		}
		var list []*wechat.Delivery
		for rows.Next() {
			var doc string
			if err := rows.Scan(&doc); err != nil {
				rows.Close()
				return err
			}
			var d wechat.Delivery
			if err := json.Unmarshal([]byte(doc), &d); err != nil {
				rows.Close()
				return err
			}
			list = append(list, &d)
		}
		rows.Close()
		for _, d := range list {
			d.Owner, d.LeaseTill = owner, till
			d.Version++
			doc, _ := json.Marshal(d)
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_till = ?, version = ?, doc = ? WHERE id = ?`,
				ms(till), d.Version, string(doc), d.ID); err != nil {
				return err
			}
		}
		out = list
		return nil
	})
	return out, err
}

func (r wechatRepo) SaveDelivery(ctx context.Context, d *wechat.Delivery) error {
	next := *d
	next.Version++
	doc, err := json.Marshal(&next)
	if err != nil {
		return err
	}
	res, err := r.db.w.ExecContext(ctx, `UPDATE deliveries SET status = ?, next_at = ?, lease_till = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		next.Status, ms(next.NextAt), ms(next.LeaseTill), next.Version, string(doc), d.ID, d.Version)
	if err != nil {
		return fmt.Errorf("save delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.Errorf(core.Conflict, "推送记录已被其他进程更新")
	}
	d.Version = next.Version
	return nil
}

func (r wechatRepo) ListDeliveries(ctx context.Context, applicantID string, offset, limit int) ([]*wechat.Delivery, int, error) {
	var total int
	if err := r.db.queryRow(ctx, `SELECT COUNT(*) FROM deliveries WHERE applicant_id = ?`, applicantID).Scan(&total); err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 15
	}
	out, err := queryDocs[wechat.Delivery](ctx, r.db, `SELECT doc FROM deliveries WHERE applicant_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, applicantID, limit, offset)
	return out, total, err
}
