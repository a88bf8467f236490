package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gdqjp/qj/core"
)

type files struct{ db *DB }

// Files returns the file repository (contents stored as blobs).
func (db *DB) Files() core.FileRepo { return files{db} }

func (r files) PutFile(ctx context.Context, f *core.File, data []byte) error {
	doc, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return r.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO files (id, applicant_id, created_at, doc, data) VALUES (?, ?, ?, ?, ?)`,
			f.ID, f.ApplicantID, ms(f.CreatedAt), string(doc), data)
		if err != nil {
			return fmt.Errorf("insert file: %w", err)
		}
		return nil
	})
}

func (r files) GetFile(ctx context.Context, id string) (*core.File, error) {
	return getDoc[core.File](ctx, r.db, "文件", `SELECT doc FROM files WHERE id = ?`, id)
}

func (r files) OpenFile(ctx context.Context, id string) (*core.File, io.ReadCloser, error) {
	var doc string
	var data []byte
	if err := r.db.queryRow(ctx, `SELECT doc, data FROM files WHERE id = ?`, id).Scan(&doc, &data); err != nil {
		return nil, nil, notFound(err, "文件")
	}
	var f core.File
	if err := json.Unmarshal([]byte(doc), &f); err != nil {
		return nil, nil, fmt.Errorf("decode file: %w", err)
	}
	return &f, io.NopCloser(bytes.NewReader(data)), nil
}

func (r files) DeleteFile(ctx context.Context, id string) error {
	res, err := r.db.w.ExecContext(ctx, `DELETE FROM files WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete file: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.ErrNotFound("文件")
	}
	return nil
}
