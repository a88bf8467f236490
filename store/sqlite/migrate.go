package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order, each once, each in its own transaction.
// Never edit a released migration: add a new one.
var migrations = []string{
	// 1: accounts and files
	`
CREATE TABLE users (
	id             TEXT PRIMARY KEY,
	login_key      TEXT NOT NULL UNIQUE,
	role           TEXT NOT NULL,
	applicant_id   TEXT NOT NULL,
	sub_user       INTEGER NOT NULL,
	institution_id TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	doc            TEXT NOT NULL
);
CREATE INDEX users_by_applicant ON users (applicant_id, sub_user, created_at);
CREATE INDEX users_by_role ON users (role, created_at);

CREATE TABLE applicants (
	id           TEXT PRIMARY KEY,
	status       TEXT NOT NULL,
	city_code    TEXT NOT NULL,
	region_code  TEXT NOT NULL,
	credit_code  TEXT NOT NULL,
	credit_key   TEXT NOT NULL UNIQUE,
	search       TEXT NOT NULL,
	submitted_at INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	doc          TEXT NOT NULL
);
CREATE INDEX applicants_by_city ON applicants (city_code, status, submitted_at);
CREATE INDEX applicants_by_region ON applicants (region_code, status, submitted_at);
CREATE INDEX applicants_by_status ON applicants (status, submitted_at);
CREATE INDEX applicants_by_credit ON applicants (credit_code);

CREATE TABLE files (
	id           TEXT PRIMARY KEY,
	applicant_id TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	doc          TEXT NOT NULL,
	data         BLOB NOT NULL
);
CREATE INDEX files_by_applicant ON files (applicant_id, created_at);
`,
	// 2: instruments, their history, the outbox
	`
CREATE TABLE instruments (
	id             TEXT PRIMARY KEY,
	applicant_id   TEXT NOT NULL,
	identity_key   TEXT NOT NULL,
	code_key       TEXT NOT NULL UNIQUE,
	life           TEXT NOT NULL,
	filing         TEXT NOT NULL,
	institution_id TEXT NOT NULL,
	target_id      TEXT NOT NULL,
	booking_id     TEXT NOT NULL,
	name           TEXT NOT NULL,
	model          TEXT NOT NULL,
	factory_no     TEXT NOT NULL,
	category       TEXT NOT NULL,
	item_code      TEXT NOT NULL,
	region         TEXT NOT NULL,
	usage          INTEGER NOT NULL,
	method         INTEGER NOT NULL,
	tags           TEXT NOT NULL,
	search         TEXT NOT NULL,
	code           TEXT NOT NULL,
	approved_day   TEXT NOT NULL,
	valid_until    TEXT NOT NULL,
	verified       INTEGER NOT NULL,
	result         TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	doc            TEXT NOT NULL,
	UNIQUE (applicant_id, identity_key)
);
CREATE INDEX instruments_by_approval ON instruments (applicant_id, life, filing, approved_day);
CREATE INDEX instruments_by_valid_until ON instruments (applicant_id, life, filing, valid_until);
CREATE INDEX instruments_by_updated ON instruments (applicant_id, updated_at);
CREATE INDEX instruments_by_institution ON instruments (institution_id, filing, updated_at);
CREATE INDEX instruments_by_target ON instruments (target_id, filing);
CREATE INDEX instruments_by_booking ON instruments (booking_id);

CREATE TABLE instrument_history (
	id            TEXT PRIMARY KEY,
	instrument_id TEXT NOT NULL,
	at            INTEGER NOT NULL,
	doc           TEXT NOT NULL
);
CREATE INDEX history_by_instrument ON instrument_history (instrument_id, at);

CREATE TABLE outbox (
	id  TEXT PRIMARY KEY,
	at  INTEGER NOT NULL,
	doc TEXT NOT NULL
);
`,
	// 3: notifications, filing batches, sequences, bookings, slots, calendars, pending lists, certificates
	`
CREATE INDEX outbox_by_at ON outbox (at, id);

CREATE TABLE notifications (
	id           TEXT PRIMARY KEY,
	applicant_id TEXT NOT NULL,
	batch_id     TEXT NOT NULL,
	type         TEXT NOT NULL,
	at           INTEGER NOT NULL,
	relayed_at   INTEGER NOT NULL,
	doc          TEXT NOT NULL
);
CREATE INDEX notifications_by_applicant ON notifications (applicant_id, at);
CREATE INDEX notifications_by_batch ON notifications (batch_id);

CREATE TABLE batches (
	id         TEXT PRIMARY KEY,
	status     TEXT NOT NULL,
	lease_till INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	doc        TEXT NOT NULL
);
CREATE INDEX batches_by_status ON batches (status, lease_till);

CREATE TABLE sequences (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);

CREATE TABLE bookings (
	id             TEXT PRIMARY KEY,
	number         TEXT NOT NULL UNIQUE,
	applicant_id   TEXT NOT NULL,
	institution_id TEXT NOT NULL,
	status         TEXT NOT NULL,
	date           TEXT NOT NULL,
	released       INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	doc            TEXT NOT NULL
);
CREATE INDEX bookings_by_applicant ON bookings (applicant_id, status, created_at);
CREATE INDEX bookings_by_institution ON bookings (institution_id, status, date);
CREATE INDEX bookings_by_release ON bookings (released, status, updated_at);

CREATE TABLE slot_usage (
	key    TEXT PRIMARY KEY,
	booked INTEGER NOT NULL
);

CREATE TABLE calendars (
	institution_id TEXT PRIMARY KEY,
	version        INTEGER NOT NULL,
	doc            TEXT NOT NULL
);

CREATE TABLE pending_lists (
	user_id TEXT PRIMARY KEY,
	doc     TEXT NOT NULL
);

CREATE TABLE certificates (
	id             TEXT PRIMARY KEY,
	number         TEXT NOT NULL,
	applicant_id   TEXT NOT NULL,
	institution_id TEXT NOT NULL,
	instrument_id  TEXT NOT NULL,
	search         TEXT NOT NULL,
	issued_at      INTEGER NOT NULL,
	doc            TEXT NOT NULL
);
CREATE INDEX certificates_by_applicant ON certificates (applicant_id, issued_at);
CREATE INDEX certificates_by_institution ON certificates (institution_id, issued_at);
CREATE INDEX certificates_by_instrument ON certificates (instrument_id, issued_at);
`,
	// 4: WeChat bindings and template message deliveries
	`
CREATE TABLE wechat_bindings (
	app          TEXT NOT NULL,
	open_id      TEXT NOT NULL,
	union_id     TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	applicant_id TEXT NOT NULL,
	doc          TEXT NOT NULL,
	PRIMARY KEY (app, open_id)
);
CREATE INDEX bindings_by_union ON wechat_bindings (union_id);
CREATE INDEX bindings_by_user ON wechat_bindings (user_id);
CREATE INDEX bindings_by_applicant ON wechat_bindings (applicant_id, app);

CREATE TABLE deliveries (
	id           TEXT PRIMARY KEY,
	applicant_id TEXT NOT NULL,
	status       TEXT NOT NULL,
	next_at      INTEGER NOT NULL,
	lease_till   INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	doc          TEXT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
CREATE INDEX deliveries_by_applicant ON deliveries (applicant_id, created_at);
`,
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("sqlite migrate: %w", err)
	}
	var current int
	if err := db.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("sqlite migrate: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("sqlite migrate: database schema version %d is newer than this binary (%d)", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v)
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite migrate to %d: %w", v, err)
		}
		db.log.Info("sqlite schema migrated", "version", v)
	}
	return nil
}
