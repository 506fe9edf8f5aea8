// Package certs keeps the portal's TLS certificates: a certmagic Storage and
// Locker on the portal's database, so that several instances share their
// certificates and obtain each one once, and the on-demand decision that
// lets only the partners' verified hosts have one, at a bounded rate.
package certs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/grisaille/grisaille/migrations"
	"github.com/jmoiron/sqlx"
)

// Sealer encrypts the stored values at rest (tenants.Sealer is one).
type Sealer interface {
	Seal(plaintext []byte) (string, error)
	Open(sealed string) ([]byte, error)
}

// Storage is a certmagic.Storage on the tls_objects and tls_locks tables.
// Every value (certificates, their private keys, the ACME account) is
// sealed. It is safe for concurrent use, and for several instances on one
// database.
type Storage struct {
	db     *sqlx.DB
	sealer Sealer
	// holder names this instance in the locks it takes.
	holder string
	// LockTTL is how long a lock holds without being renewed (default 2
	// minutes); a held lock is renewed every third of it, so that a lock
	// of a crashed instance goes stale after LockTTL.
	LockTTL time.Duration
	// Poll is how often a blocked Lock tries again (default 1 s).
	Poll time.Duration
	now  func() time.Time

	mu   sync.Mutex
	held map[string]heldLock
}

type heldLock struct {
	token string
	stop  context.CancelFunc
}

var _ certmagic.Storage = (*Storage)(nil)

// NewStorage returns the storage on db (migrated), sealing with sealer.
func NewStorage(db *sqlx.DB, sealer Sealer) *Storage {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Storage{db: db, sealer: sealer, holder: hex.EncodeToString(b), LockTTL: 2 * time.Minute, Poll: time.Second,
		now: time.Now, held: map[string]heldLock{}}
}

func (s *Storage) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// Store puts value at key, sealed.
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	sealed, err := s.sealer.Seal(value)
	if err != nil {
		return fmt.Errorf("certs: store %s: %w", key, err)
	}
	q := s.db.Rebind(`INSERT INTO tls_objects (key, value, size, modified_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, size = excluded.size, modified_at = excluded.modified_at`)
	if _, err := s.db.ExecContext(ctx, q, key, sealed, len(value), s.timestamp()); err != nil {
		return fmt.Errorf("certs: store %s: %w", key, err)
	}
	return nil
}

// Load returns the value at key, or an error wrapping fs.ErrNotExist.
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	var sealed string
	err := s.db.GetContext(ctx, &sealed, s.db.Rebind(`SELECT value FROM tls_objects WHERE key = ?`), key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("certs: %s: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("certs: load %s: %w", key, err)
	}
	v, err := s.sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("certs: open %s: %w", key, err)
	}
	return v, nil
}

// under is the condition selecting the keys under a prefix ("a/b" selects
// "a/b/…"): a comparison of the key's start, not LIKE, since keys hold
// underscores.
const under = `substr(key, 1, ?) = ?`

// Delete deletes key and every key under it.
func (s *Storage) Delete(ctx context.Context, key string) error {
	dir := key + "/"
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM tls_objects WHERE key = ? OR `+under), key, len(dir), dir); err != nil {
		return fmt.Errorf("certs: delete %s: %w", key, err)
	}
	return nil
}

// Exists reports whether key is a value or the prefix of values.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	_, err := s.Stat(ctx, key)
	return err == nil
}

// Stat describes key: a value (terminal) or the prefix of values.
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	var row struct {
		Size     int64     `db:"size"`
		Modified time.Time `db:"modified_at"`
	}
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT size, modified_at FROM tls_objects WHERE key = ?`), key)
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: row.Modified.UTC(), Size: row.Size, IsTerminal: true}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return certmagic.KeyInfo{}, fmt.Errorf("certs: stat %s: %w", key, err)
	}
	dir := strings.TrimSuffix(key, "/") + "/"
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM tls_objects WHERE `+under), len(dir), dir); err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("certs: stat %s: %w", key, err)
	}
	if n == 0 {
		return certmagic.KeyInfo{}, fmt.Errorf("certs: %s: %w", key, fs.ErrNotExist)
	}
	return certmagic.KeyInfo{Key: key}, nil
}

// List returns the keys under path: every one when recursive, else the
// names one level down (values and prefixes alike).
func (s *Storage) List(ctx context.Context, path string, recursive bool) ([]string, error) {
	dir := strings.TrimSuffix(path, "/") + "/"
	if path == "" {
		dir = ""
	}
	var keys []string
	if err := s.db.SelectContext(ctx, &keys, s.db.Rebind(`SELECT key FROM tls_objects WHERE `+under+` ORDER BY key`), len(dir), dir); err != nil {
		return nil, fmt.Errorf("certs: list %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("certs: %s: %w", path, fs.ErrNotExist)
	}
	if recursive {
		return keys, nil
	}
	var out []string
	for _, k := range keys {
		rest := k[len(dir):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[:i]
		}
		if name := dir + rest; !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// Lock takes the named lock, waiting while another holder has it; a lock
// not renewed for LockTTL (its instance died) is taken over.
func (s *Storage) Lock(ctx context.Context, name string) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	token := s.holder + ":" + hex.EncodeToString(b)
	for {
		ok, err := s.tryLock(ctx, name, token)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.Poll):
		}
	}
	renewCtx, stop := context.WithCancel(context.Background())
	s.mu.Lock()
	s.held[name] = heldLock{token: token, stop: stop}
	s.mu.Unlock()
	go s.renew(renewCtx, name, token)
	return nil
}

// tryLock takes the lock if it is free or stale.
func (s *Storage) tryLock(ctx context.Context, name, token string) (bool, error) {
	now := s.timestamp()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM tls_locks WHERE name = ? AND expires_at < ?`), name, now); err != nil {
		return false, fmt.Errorf("certs: lock %s: %w", name, err)
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO tls_locks (name, holder, expires_at) VALUES (?, ?, ?)`),
		name, token, now.Add(s.LockTTL))
	switch {
	case err == nil:
		return true, nil
	case migrations.IsUniqueViolation(err):
		return false, nil
	}
	return false, fmt.Errorf("certs: lock %s: %w", name, err)
}

// renew keeps a held lock fresh until it is released.
func (s *Storage) renew(ctx context.Context, name, token string) {
	t := time.NewTicker(s.LockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, _ = s.db.ExecContext(ctx, s.db.Rebind(`UPDATE tls_locks SET expires_at = ? WHERE name = ? AND holder = ?`),
			s.timestamp().Add(s.LockTTL), name, token)
	}
}

// Unlock releases a lock this instance holds.
func (s *Storage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	h, ok := s.held[name]
	delete(s.held, name)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("certs: unlock %s: not held", name)
	}
	h.stop()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM tls_locks WHERE name = ? AND holder = ?`), name, h.token); err != nil {
		return fmt.Errorf("certs: unlock %s: %w", name, err)
	}
	return nil
}
