package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/booking"
	"github.com/gdqjp/qj/core/filing"
	"github.com/gdqjp/qj/core/notify"
)

// ---------------------------------------------------------------- outbox and notifications

type notifications struct{ db *DB }

// Notifications returns the outbox relay's repository.
func (db *DB) Notifications() notify.Repo { return notifications{db} }

func (r notifications) PendingEvents(ctx context.Context, limit int) ([]core.Event, error) {
	list, err := queryDocs[core.Event](ctx, r.db, `SELECT doc FROM outbox ORDER BY at, id LIMIT ?`, limit)
	return values(list), err
}

func (r notifications) Record(ctx context.Context, events []core.Event, at time.Time) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		for _, ev := range events {
			doc, err := json.Marshal(notify.Notification{Event: ev, RelayedAt: at})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO notifications (id, applicant_id, batch_id, type, at, relayed_at, doc)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, ev.ID, ev.ApplicantID, ev.BatchID, ev.Type, ms(ev.At), ms(at), string(doc)); err != nil {
				return fmt.Errorf("record notification: %w", err)
			}
		}
		return nil
	})
}

func (r notifications) Ack(ctx context.Context, events []core.Event) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		for _, ev := range events {
			if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, ev.ID); err != nil {
				return fmt.Errorf("ack event: %w", err)
			}
		}
		return nil
	})
}

func (r notifications) ListNotifications(ctx context.Context, q notify.Query) ([]notify.Notification, int, error) {
	var where []string
	var args []any
	if q.ApplicantID != "" {
		where, args = append(where, "applicant_id = ?"), append(args, q.ApplicantID)
	}
	if q.BatchID != "" {
		where, args = append(where, "batch_id = ?"), append(args, q.BatchID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := r.db.queryRow(ctx, "SELECT COUNT(*) FROM notifications"+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	list, err := queryDocs[notify.Notification](ctx, r.db, "SELECT doc FROM notifications"+cond+" ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", append(args, limit, q.Offset)...)
	return values(list), total, err
}

// ---------------------------------------------------------------- filing batches and sequences

type batches struct{ db *DB }

// Filing returns the filing batch repository.
func (db *DB) Filing() filing.Repo { return batches{db} }

func (r batches) CreateBatch(ctx context.Context, b *filing.Batch) error {
	doc, err := json.Marshal(b)
	if err != nil {
		return err
	}
	_, err = r.db.w.ExecContext(ctx, `INSERT INTO batches (id, status, lease_till, version, doc) VALUES (?, ?, ?, ?, ?)`,
		b.ID, b.Status, ms(b.LeaseTill), b.Version, string(doc))
	return err
}

func (r batches) GetBatch(ctx context.Context, id string) (*filing.Batch, error) {
	return getDoc[filing.Batch](ctx, r.db, "批次", `SELECT doc FROM batches WHERE id = ?`, id)
}

func (r batches) SaveBatch(ctx context.Context, b *filing.Batch) error {
	next := *b
	next.Version++
	doc, err := json.Marshal(&next)
	if err != nil {
		return err
	}
	res, err := r.db.w.ExecContext(ctx, `UPDATE batches SET status = ?, lease_till = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		next.Status, ms(next.LeaseTill), next.Version, string(doc), b.ID, b.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.Errorf(core.Conflict, "批次已被其他进程接手")
	}
	b.Version = next.Version
	return nil
}

func (r batches) ClaimBatch(ctx context.Context, owner string, now, till time.Time) (*filing.Batch, error) {
	var claimed *filing.Batch
	err := r.db.tx(ctx, func(tx *sql.Tx) error {
		var doc string
		err := tx.QueryRowContext(ctx, `SELECT doc FROM batches WHERE status = 'running' AND lease_till < ? ORDER BY lease_till LIMIT 1`, ms(now)).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			return core.ErrNotFound("批次")
		}
		if err != nil {
			return err
		}
		var b filing.Batch
		if err := json.Unmarshal([]byte(doc), &b); err != nil {
			return err
		}
		b.Owner, b.LeaseTill = owner, till
		b.Version++
		nd, _ := json.Marshal(&b)
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET lease_till = ?, version = ?, doc = ? WHERE id = ?`, ms(till), b.Version, string(nd), b.ID); err != nil {
			return err
		}
		claimed = &b
		return nil
	})
	return claimed, err
}

func (r batches) NextSeq(ctx context.Context, key string) (int64, error) {
	var v int64
	err := r.db.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO sequences (key, value) VALUES (?, 1)
			ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value`, key).Scan(&v)
	})
	return v, err
}

// ---------------------------------------------------------------- bookings

type bookings struct{ db *DB }

// Bookings returns the booking repository.
func (db *DB) Bookings() booking.Repo { return bookings{db} }

func (r bookings) Create(ctx context.Context, b *booking.Booking, events []core.Event) error {
	doc, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bookings (id, number, applicant_id, institution_id, status, date, released, created_at, updated_at, version, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.ID, b.Number, b.ApplicantID, b.InstitutionID, string(b.Status), string(b.Date),
			boolInt(b.Released), ms(b.CreatedAt), ms(b.UpdatedAt), b.Version, string(doc))
		if ok, _ := isUnique(err); ok {
			return core.Errorf(core.Conflict, "预约单号重复")
		}
		if err != nil {
			return err
		}
		return writeEvents(ctx, tx, "bookings/"+b.ID, events)
	})
}

func (r bookings) get(ctx context.Context, col, v string) (*booking.Booking, error) {
	return getDoc[booking.Booking](ctx, r.db, "预约单", `SELECT doc FROM bookings WHERE `+col+` = ?`, v)
}

func (r bookings) Get(ctx context.Context, id string) (*booking.Booking, error) {
	return r.get(ctx, "id", id)
}

func (r bookings) GetByNumber(ctx context.Context, number string) (*booking.Booking, error) {
	return r.get(ctx, "number", number)
}

func (r bookings) Update(ctx context.Context, b *booking.Booking, events []core.Event) error {
	next := *b
	next.Version++
	doc, err := json.Marshal(&next)
	if err != nil {
		return err
	}
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE bookings SET status = ?, date = ?, released = ?, updated_at = ?, version = ?, doc = ?
			WHERE id = ? AND version = ?`, string(next.Status), string(next.Date), boolInt(next.Released), ms(next.UpdatedAt),
			next.Version, string(doc), b.ID, b.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.Conflict, "预约单已被其他人修改")
		}
		if err := writeEvents(ctx, tx, "bookings/"+b.ID, events); err != nil {
			return err
		}
		b.Version = next.Version
		return nil
	})
}

func (r bookings) Delete(ctx context.Context, id string) error {
	res, err := r.db.w.ExecContext(ctx, `DELETE FROM bookings WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.ErrNotFound("预约单")
	}
	return nil
}

func (r bookings) List(ctx context.Context, q booking.Query) ([]*booking.Booking, int, error) {
	var where []string
	var args []any
	add := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if q.ApplicantID != "" {
		add("applicant_id = ?", q.ApplicantID)
	}
	if q.InstitutionID != "" {
		add("institution_id = ?", q.InstitutionID)
	}
	if len(q.Statuses) > 0 {
		var a []any
		for _, s := range q.Statuses {
			a = append(a, string(s))
		}
		add(in("status", len(a)), a...)
	}
	if q.Date != "" {
		add("date = ?", string(q.Date))
	}
	if q.Number != "" {
		add("number = ?", q.Number)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := r.db.queryRow(ctx, "SELECT COUNT(*) FROM bookings"+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	list, err := r.docs(ctx, "SELECT doc FROM bookings"+cond+" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", append(args, limit, q.Offset)...)
	return list, total, err
}

func (r bookings) docs(ctx context.Context, q string, args ...any) ([]*booking.Booking, error) {
	return queryDocs[booking.Booking](ctx, r.db, q, args...)
}

func (r bookings) Stale(ctx context.Context, before time.Time) ([]*booking.Booking, error) {
	return r.docs(ctx, `SELECT doc FROM bookings WHERE (status = 'creating' AND updated_at < ?)
		OR (released = 0 AND status IN ('rejected', 'returned', 'completed', 'cancelled')) ORDER BY updated_at LIMIT 500`, ms(before))
}

func (r bookings) Reserve(ctx context.Context, key string, capacity int) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO slot_usage (key, booked) VALUES (?, 0)`, key); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE slot_usage SET booked = booked + 1 WHERE key = ? AND booked < ?`, key, capacity)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.Conflict, "该时间段已约满")
		}
		return nil
	})
}

func (r bookings) Release(ctx context.Context, key string) error {
	_, err := r.db.w.ExecContext(ctx, `UPDATE slot_usage SET booked = booked - 1 WHERE key = ? AND booked > 0`, key)
	return err
}

func (r bookings) Booked(ctx context.Context, keys []string) (map[string]int, error) {
	out := map[string]int{}
	if len(keys) == 0 {
		return out, nil
	}
	var args []any
	for _, k := range keys {
		args = append(args, k)
	}
	rs, err := r.db.query(ctx, `SELECT key, booked FROM slot_usage WHERE `+in("key", len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var k string
		var n int
		if err := rs.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rs.Err()
}

func (r bookings) GetCalendar(ctx context.Context, inst string) (*booking.Calendar, error) {
	return getDoc[booking.Calendar](ctx, r.db, "预约日历", `SELECT doc FROM calendars WHERE institution_id = ?`, inst)
}

func (r bookings) SaveCalendar(ctx context.Context, c *booking.Calendar) error {
	next := *c
	next.Version++
	doc, err := json.Marshal(&next)
	if err != nil {
		return err
	}
	var res sql.Result
	if c.Version == 0 {
		res, err = r.db.w.ExecContext(ctx, `INSERT OR IGNORE INTO calendars (institution_id, version, doc) VALUES (?, ?, ?)`, c.InstitutionID, next.Version, string(doc))
	} else {
		res, err = r.db.w.ExecContext(ctx, `UPDATE calendars SET version = ?, doc = ? WHERE institution_id = ? AND version = ?`, next.Version, string(doc), c.InstitutionID, c.Version)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.Errorf(core.Conflict, "预约日历已被其他人修改，请刷新后重试")
	}
	c.Version = next.Version
	return nil
}

func (r bookings) GetPending(ctx context.Context, userID string) ([]string, error) {
	var doc string
	err := r.db.queryRow(ctx, `SELECT doc FROM pending_lists WHERE user_id = ?`, userID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	return ids, json.Unmarshal([]byte(doc), &ids)
}

func (r bookings) SetPending(ctx context.Context, userID string, ids []string) error {
	doc, _ := json.Marshal(ids)
	_, err := r.db.w.ExecContext(ctx, `INSERT INTO pending_lists (user_id, doc) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET doc = excluded.doc`, userID, string(doc))
	return err
}

func (r bookings) SaveCertificate(ctx context.Context, c *booking.Certificate) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	search := strings.ToLower(c.Number + " " + c.InstrumentName + " " + c.FactoryNo + " " + c.Code)
	_, err = r.db.w.ExecContext(ctx, `INSERT OR IGNORE INTO certificates (id, number, applicant_id, institution_id, instrument_id, search, issued_at, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Number, c.ApplicantID, c.InstitutionID, c.InstrumentID, search, ms(c.IssuedAt), string(doc))
	return err
}

func (r bookings) ListCertificates(ctx context.Context, q booking.CertQuery) ([]*booking.Certificate, int, error) {
	var where []string
	var args []any
	add := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if q.ApplicantID != "" {
		add("applicant_id = ?", q.ApplicantID)
	}
	if q.InstitutionID != "" {
		add("institution_id = ?", q.InstitutionID)
	}
	if q.InstrumentID != "" {
		add("instrument_id = ?", q.InstrumentID)
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		add(`search LIKE ? ESCAPE '\'`, like(strings.ToLower(t)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := r.db.queryRow(ctx, "SELECT COUNT(*) FROM certificates"+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	out, err := queryDocs[booking.Certificate](ctx, r.db, "SELECT doc FROM certificates"+cond+" ORDER BY issued_at DESC, id DESC LIMIT ? OFFSET ?", append(args, limit, q.Offset)...)
	return out, total, err
}
