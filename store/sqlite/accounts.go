package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/account"
)

type accounts struct{ db *DB }

// Accounts returns the account repository.
func (db *DB) Accounts() account.Repo { return accounts{db} }

func applicantSearch(a *account.Applicant) string {
	return strings.ToLower(strings.Join([]string{a.Name, a.CreditCode, a.ContactName, a.ContactPhone}, " "))
}

func insertUser(ctx context.Context, tx *sql.Tx, u *account.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO users (id, login_key, role, applicant_id, sub_user, institution_id, created_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.LoginKey, string(u.Role), u.ApplicantID, u.SubUser, u.InstitutionID, ms(u.CreatedAt), u.Version, string(doc))
	if ok, _ := isUnique(err); ok {
		return core.Errorf(core.Conflict, "账号“%s”已存在", u.Login)
	}
	return err
}

func (r accounts) CreateApplicant(ctx context.Context, a *account.Applicant, main *account.User) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		if err := insertUser(ctx, tx, main); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO applicants (id, status, city_code, region_code, credit_code, credit_key, search, submitted_at, version, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, string(a.Status), a.CityCode, a.RegionCode, a.CreditCode, a.CreditKey, applicantSearch(a), ms(a.SubmittedAt), a.Version, string(doc))
		if ok, _ := isUnique(err); ok {
			return core.Errorf(core.Conflict, "该统一社会信用代码已注册")
		}
		if err != nil {
			return fmt.Errorf("insert applicant: %w", err)
		}
		return nil
	})
}

func (r accounts) GetApplicant(ctx context.Context, id string) (*account.Applicant, error) {
	return getDoc[account.Applicant](ctx, r.db, "申请方", `SELECT doc FROM applicants WHERE id = ?`, id)
}

func (r accounts) UpdateApplicant(ctx context.Context, a *account.Applicant) error {
	next := *a
	next.Version++
	doc, err := json.Marshal(&next)
	if err != nil {
		return err
	}
	res, err := r.db.w.ExecContext(ctx, `UPDATE applicants SET status = ?, city_code = ?, region_code = ?, credit_code = ?, credit_key = ?,
		search = ?, submitted_at = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		string(next.Status), next.CityCode, next.RegionCode, next.CreditCode, next.CreditKey, applicantSearch(&next),
		ms(next.SubmittedAt), next.Version, string(doc), a.ID, a.Version)
	if ok, _ := isUnique(err); ok {
		return core.Errorf(core.Conflict, "该统一社会信用代码已注册")
	}
	if err != nil {
		return fmt.Errorf("update applicant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.Errorf(core.Conflict, "申请方信息已被修改，请刷新后重试")
	}
	a.Version = next.Version
	return nil
}

func (r accounts) ListApplicants(ctx context.Context, q account.ApplicantQuery) ([]*account.Applicant, int, error) {
	var where []string
	var args []any
	if len(q.Statuses) > 0 {
		where = append(where, "status IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Statuses)), ",")+")")
		for _, s := range q.Statuses {
			args = append(args, string(s))
		}
	}
	if q.CityCode != "" {
		where, args = append(where, "city_code = ?"), append(args, q.CityCode)
	}
	if q.RegionCode != "" {
		where, args = append(where, "region_code = ?"), append(args, q.RegionCode)
	}
	if q.CreditCode != "" {
		where, args = append(where, "credit_code = ?"), append(args, q.CreditCode)
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		where, args = append(where, `search LIKE ? ESCAPE '\'`), append(args, like(strings.ToLower(t)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := r.db.queryRow(ctx, "SELECT COUNT(*) FROM applicants"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count applicants: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 15
	}
	out, err := queryDocs[account.Applicant](ctx, r.db, "SELECT doc FROM applicants"+cond+" ORDER BY submitted_at DESC, id DESC LIMIT ? OFFSET ?", append(args, limit, q.Offset)...)
	return out, total, err
}

func (r accounts) CreateUser(ctx context.Context, u *account.User) error {
	return r.db.tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, u) })
}

func (r accounts) getUser(ctx context.Context, col, v string) (*account.User, error) {
	return getDoc[account.User](ctx, r.db, "用户", `SELECT doc FROM users WHERE `+col+` = ?`, v)
}

func (r accounts) GetUser(ctx context.Context, id string) (*account.User, error) {
	return r.getUser(ctx, "id", id)
}

func (r accounts) GetUserByLogin(ctx context.Context, loginKey string) (*account.User, error) {
	return r.getUser(ctx, "login_key", loginKey)
}

func (r accounts) UpdateUser(ctx context.Context, u *account.User) error {
	next := *u
	next.Version++
	doc, err := json.Marshal(&next)
	if err != nil {
		return err
	}
	res, err := r.db.w.ExecContext(ctx, `UPDATE users SET login_key = ?, role = ?, applicant_id = ?, sub_user = ?, institution_id = ?, version = ?, doc = ?
		WHERE id = ? AND version = ?`,
		next.LoginKey, string(next.Role), next.ApplicantID, next.SubUser, next.InstitutionID, next.Version, string(doc), u.ID, u.Version)
	if ok, _ := isUnique(err); ok {
		return core.Errorf(core.Conflict, "账号“%s”已存在", u.Login)
	}
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.Errorf(core.Conflict, "用户信息已被修改，请刷新后重试")
	}
	u.Version = next.Version
	return nil
}

func (r accounts) ListUsers(ctx context.Context, q account.UserQuery) ([]*account.User, int, error) {
	var where []string
	var args []any
	if q.ApplicantID != "" {
		where, args = append(where, "applicant_id = ?"), append(args, q.ApplicantID)
		if q.SubUsersOnly {
			where = append(where, "sub_user = 1")
		}
	}
	if len(q.Roles) > 0 {
		where = append(where, "role IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Roles)), ",")+")")
		for _, r := range q.Roles {
			args = append(args, string(r))
		}
	}
	if q.InstitutionID != "" {
		where, args = append(where, "institution_id = ?"), append(args, q.InstitutionID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := r.db.queryRow(ctx, "SELECT COUNT(*) FROM users"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	out, err := queryDocs[account.User](ctx, r.db, "SELECT doc FROM users"+cond+" ORDER BY created_at, id LIMIT ? OFFSET ?", append(args, limit, q.Offset)...)
	return out, total, err
}
