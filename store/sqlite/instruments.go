package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

type instruments struct{ db *DB }

// Instruments returns the instrument repository.
func (db *DB) Instruments() instrument.Repo { return instruments{db} }

func instrumentSearch(in *instrument.Instrument) string {
	return strings.ToLower(strings.Join([]string{in.Name, in.Model, in.FactoryNo, in.OwnNo, in.Manufacturer,
		in.InstallLocation, in.Code, in.Remarks, strings.Join(in.Tags, " ")}, " "))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// instrumentCols are the indexed columns, in the order of instrumentArgs.
const instrumentCols = `applicant_id, identity_key, code_key, life, filing, institution_id, target_id, booking_id,
	name, model, factory_no, category, item_code, region, usage, method, tags, search, code,
	approved_day, valid_until, verified, result, created_at, updated_at, version, doc`

func instrumentArgs(in *instrument.Instrument) ([]any, error) {
	doc, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return []any{in.ApplicantID, in.IdentityKey, in.CodeKey, string(in.Life), string(in.Filing.Status), in.Filing.InstitutionID,
		in.Filing.TargetID, in.BookingID, in.Name, in.Model, in.FactoryNo, in.CategoryCode, in.ItemCode, in.RegionCode,
		in.Usage, in.Method, " " + strings.Join(in.Tags, " ") + " ", instrumentSearch(in), in.Code,
		string(in.Filing.ApprovedDay), string(in.ValidUntil), boolInt(in.Verified), string(in.CurrentResult()),
		ms(in.CreatedAt), ms(in.UpdatedAt), in.Version, string(doc)}, nil
}

func writeExtras(ctx context.Context, tx *sql.Tx, id string, w instrument.Write) error {
	if w.History != nil {
		doc, err := json.Marshal(w.History)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO instrument_history (id, instrument_id, at, doc) VALUES (?, ?, ?, ?)`,
			w.History.ID, id, ms(w.History.At), string(doc)); err != nil {
			return fmt.Errorf("insert history: %w", err)
		}
	}
	return writeEvents(ctx, tx, "instruments/"+id, w.Events)
}

// writeEvents puts events into the outbox in the transaction of the change.
func writeEvents(ctx context.Context, tx *sql.Tx, source string, events []core.Event) error {
	for _, ev := range events {
		ev.Source = source
		doc, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, at, doc) VALUES (?, ?, ?)`, ev.ID, ms(ev.At), string(doc)); err != nil {
			return fmt.Errorf("insert outbox: %w", err)
		}
	}
	return nil
}

func instrumentConflict(err error) error {
	if ok, msg := isUnique(err); ok {
		if strings.Contains(msg, "code_key") {
			return core.Errorf(core.Conflict, "器具编码已被使用")
		}
		return core.Errorf(core.Conflict, "已存在器具名称、型号规格、出厂编号、自编号都相同的仪器")
	}
	return err
}

func (r instruments) Create(ctx context.Context, in *instrument.Instrument, w instrument.Write) error {
	args, err := instrumentArgs(in)
	if err != nil {
		return err
	}
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO instruments (id, `+instrumentCols+`) VALUES (?`+strings.Repeat(", ?", len(args))+`)`,
			append([]any{in.ID}, args...)...)
		if err != nil {
			return instrumentConflict(err)
		}
		return writeExtras(ctx, tx, in.ID, w)
	})
}

func (r instruments) Get(ctx context.Context, id string) (*instrument.Instrument, error) {
	return getDoc[instrument.Instrument](ctx, r.db, "仪器", `SELECT doc FROM instruments WHERE id = ?`, id)
}

func (r instruments) GetByIdentity(ctx context.Context, applicantID, key string) (*instrument.Instrument, error) {
	return getDoc[instrument.Instrument](ctx, r.db, "仪器", `SELECT doc FROM instruments WHERE applicant_id = ? AND identity_key = ?`, applicantID, key)
}

func (r instruments) Update(ctx context.Context, in *instrument.Instrument, w instrument.Write) error {
	next := *in
	next.Version++
	args, err := instrumentArgs(&next)
	if err != nil {
		return err
	}
	sets := strings.Split(strings.Join(strings.Fields(instrumentCols), ""), ",")
	for i := range sets {
		sets[i] += " = ?"
	}
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE instruments SET `+strings.Join(sets, ", ")+` WHERE id = ? AND version = ?`,
			append(args, in.ID, in.Version)...)
		if err != nil {
			return instrumentConflict(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.Conflict, "仪器“%s”已被其他人修改，请刷新后重试", in.Name)
		}
		if err := writeExtras(ctx, tx, in.ID, w); err != nil {
			return err
		}
		in.Version = next.Version
		return nil
	})
}

func (r instruments) Delete(ctx context.Context, in *instrument.Instrument) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM instruments WHERE id = ? AND version = ?`, in.ID, in.Version)
		if err != nil {
			return fmt.Errorf("delete instrument: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.Conflict, "仪器“%s”已被其他人修改，请刷新后重试", in.Name)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM instrument_history WHERE instrument_id = ?`, in.ID)
		return err
	})
}

var sortColumns = map[string]string{
	"updatedAt": "updated_at", "createdAt": "created_at", "name": "name", "model": "model", "factoryNo": "factory_no",
	"category": "category", "region": "region", "validUntil": "valid_until", "approvedDay": "approved_day", "code": "code",
}

func in(col string, n int) string {
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

// where renders the conditions of q.
func instrumentWhere(q instrument.Query) (string, []any) {
	var w []string
	var args []any
	add := func(cond string, a ...any) { w, args = append(w, cond), append(args, a...) }
	if q.ApplicantID != "" {
		add("applicant_id = ?", q.ApplicantID)
	}
	if q.InstitutionID != "" {
		add("(institution_id = ? OR target_id = ?)", q.InstitutionID, q.InstitutionID)
	}
	if len(q.Lives) > 0 {
		var a []any
		for _, l := range q.Lives {
			a = append(a, string(l))
		}
		add(in("life", len(a)), a...)
	}
	if len(q.Filings) > 0 {
		var a []any
		for _, f := range q.Filings {
			a = append(a, string(f))
		}
		add(in("filing", len(a)), a...)
	}
	if len(q.Results) > 0 {
		var a []any
		for _, r := range q.Results {
			a = append(a, string(r))
		}
		add(in("result", len(a)), a...)
	}
	if d := q.ByDate; d != nil {
		vu, ap := []string{"valid_until <> ''"}, []string{"valid_until = ''", "verified = 0"}
		var vuArgs, apArgs []any
		if d.ValidUntil.From != "" {
			vu, vuArgs = append(vu, "valid_until >= ?"), append(vuArgs, string(d.ValidUntil.From))
		}
		if d.ValidUntil.To != "" {
			vu, vuArgs = append(vu, "valid_until <= ?"), append(vuArgs, string(d.ValidUntil.To))
		}
		if d.Approved.From != "" {
			ap, apArgs = append(ap, "approved_day >= ?"), append(apArgs, string(d.Approved.From))
		}
		if d.Approved.To != "" {
			ap, apArgs = append(ap, "approved_day <= ?"), append(apArgs, string(d.Approved.To))
		}
		add("(("+strings.Join(vu, " AND ")+") OR ("+strings.Join(ap, " AND ")+"))", append(vuArgs, apArgs...)...)
	}
	if q.Name != "" {
		add(`name LIKE ? ESCAPE '\'`, like(q.Name))
	}
	if q.FactoryNo != "" {
		add(`factory_no LIKE ? ESCAPE '\'`, like(q.FactoryNo))
	}
	if q.ExactFactoryNo != "" {
		add("factory_no = ?", q.ExactFactoryNo)
	}
	if q.Code != "" {
		add("code = ?", q.Code)
	}
	if q.Category != "" {
		add("category = ?", q.Category)
	}
	if q.ItemCode != "" {
		add("item_code = ?", q.ItemCode)
	}
	if q.Region != "" {
		add("region = ?", q.Region)
	}
	if len(q.Regions) > 0 {
		var a []any
		for _, r := range q.Regions {
			a = append(a, r)
		}
		add(in("region", len(a)), a...)
	}
	if q.Usage != 0 {
		add("usage = ?", q.Usage)
	}
	if q.Method != 0 {
		add("method = ?", q.Method)
	}
	if q.Tag != "" {
		add(`tags LIKE ? ESCAPE '\'`, like(" "+q.Tag+" "))
	}
	if q.Text != "" {
		add(`search LIKE ? ESCAPE '\'`, like(strings.ToLower(q.Text)))
	}
	if len(q.IDs) > 0 {
		var a []any
		for _, id := range q.IDs {
			a = append(a, id)
		}
		add(in("id", len(a)), a...)
	}
	if q.Booked != nil {
		if *q.Booked {
			add("booking_id <> ''")
		} else {
			add("booking_id = ''")
		}
	}
	if len(w) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(w, " AND "), args
}

func (r instruments) Count(ctx context.Context, q instrument.Query) (int, error) {
	cond, args := instrumentWhere(q)
	var n int
	if err := r.db.queryRow(ctx, "SELECT COUNT(*) FROM instruments"+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count instruments: %w", err)
	}
	return n, nil
}

func orderBy(q instrument.Query) string {
	col, ok := sortColumns[q.Sort]
	if !ok {
		col = "updated_at"
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	return " ORDER BY " + col + dir + ", id" + dir
}

func (r instruments) List(ctx context.Context, q instrument.Query) ([]*instrument.Instrument, int, error) {
	total, err := r.Count(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	cond, args := instrumentWhere(q)
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	list, err := r.docs(ctx, "SELECT doc FROM instruments"+cond+orderBy(q)+" LIMIT ? OFFSET ?", append(args, limit, q.Offset)...)
	return list, total, err
}

func (r instruments) docs(ctx context.Context, query string, args ...any) ([]*instrument.Instrument, error) {
	return queryDocs[instrument.Instrument](ctx, r.db, query, args...)
}

func (r instruments) IDs(ctx context.Context, q instrument.Query) ([]string, error) {
	cond, args := instrumentWhere(q)
	rs, err := r.db.query(ctx, "SELECT id FROM instruments"+cond+orderBy(q), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rs.Err()
}

func (r instruments) History(ctx context.Context, id string) ([]instrument.HistoryEntry, error) {
	rs, err := r.db.query(ctx, `SELECT doc FROM instrument_history WHERE instrument_id = ? ORDER BY at DESC, rowid DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []instrument.HistoryEntry
	for rs.Next() {
		var doc string
		if err := rs.Scan(&doc); err != nil {
			return nil, err
		}
		var h instrument.HistoryEntry
		if err := json.Unmarshal([]byte(doc), &h); err != nil {
			return nil, fmt.Errorf("decode history: %w", err)
		}
		out = append(out, h)
	}
	return out, rs.Err()
}

func (r instruments) Activity(ctx context.Context, applicantID string, limit int) ([]*instrument.Instrument, error) {
	return r.docs(ctx, `SELECT doc FROM instruments WHERE applicant_id = ? ORDER BY updated_at DESC, id DESC LIMIT ?`, applicantID, limit)
}
