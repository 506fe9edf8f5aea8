package certs

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/tenants"
)

func newStorage(t *testing.T) (*Storage, *Storage) {
	t.Helper()
	db := dbtest.Open(t)
	sealer, err := tenants.NewSealer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewStorage(db, sealer), NewStorage(db, sealer)
	for _, s := range []*Storage{a, b} {
		s.Poll, s.LockTTL = 10*time.Millisecond, 300*time.Millisecond
	}
	return a, b
}

func TestStorage(t *testing.T) {
	ctx := context.Background()
	s, _ := newStorage(t)
	key := "certificates/acme-v02_directory/console.acme.test/console.acme.test.key"
	secret := []byte("-----BEGIN EC PRIVATE KEY-----\nsecret\n")
	if _, err := s.Load(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing key: %v", err)
	}
	for _, k := range []string{key, "certificates/acme-v02_directory/console.acme.test/console.acme.test.crt", "acme/account.json"} {
		if err := s.Store(ctx, k, secret); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Store(ctx, key, append(secret, 'x')); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Load(ctx, key); err != nil || string(v) != string(secret)+"x" {
		t.Fatalf("Load = %q, %v", v, err)
	}
	var stored string
	if err := s.db.Get(&stored, s.db.Rebind(`SELECT value FROM tls_objects WHERE key = ?`), key); err != nil || strings.Contains(stored, "PRIVATE KEY") {
		t.Fatalf("a private key is stored in clear: %q %v", stored, err)
	}
	info, err := s.Stat(ctx, key)
	if err != nil || !info.IsTerminal || info.Size != int64(len(secret)+1) || time.Since(info.Modified) > time.Minute {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	if info, err := s.Stat(ctx, "certificates/acme-v02_directory"); err != nil || info.IsTerminal {
		t.Fatalf("Stat(dir) = %+v, %v", info, err)
	}
	// "_" is not a wildcard: a near name is not a prefix.
	if s.Exists(ctx, "certificates/acme-v02-directory") || !s.Exists(ctx, "certificates") {
		t.Fatal("Exists is wrong about prefixes")
	}
	got, err := s.List(ctx, "certificates", false)
	if err != nil || !slices.Equal(got, []string{"certificates/acme-v02_directory"}) {
		t.Fatalf("List = %q, %v", got, err)
	}
	got, _ = s.List(ctx, "certificates", true)
	if len(got) != 2 {
		t.Fatalf("recursive List = %q", got)
	}
	if err := s.Delete(ctx, "certificates/acme-v02_directory/console.acme.test"); err != nil {
		t.Fatal(err)
	}
	if s.Exists(ctx, key) || !s.Exists(ctx, "acme/account.json") {
		t.Fatal("Delete removed the wrong keys")
	}
	if _, err := s.List(ctx, "certificates", true); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("List of nothing: %v", err)
	}
}

func TestLocks(t *testing.T) {
	ctx := context.Background()
	a, b := newStorage(t)
	if err := a.Lock(ctx, "issue_cert_console.acme.test"); err != nil {
		t.Fatal(err)
	}
	// The other instance waits, through renewals past the TTL.
	short, cancel := context.WithTimeout(ctx, 3*a.LockTTL)
	err := b.Lock(short, "issue_cert_console.acme.test")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second holder got the lock: %v", err)
	}
	if err := b.Lock(ctx, "issue_cert_other"); err != nil {
		t.Fatalf("another name: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx, "issue_cert_console.acme.test") }()
	time.Sleep(50 * time.Millisecond)
	if err := a.Unlock(ctx, "issue_cert_console.acme.test"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the lock was not handed over after Unlock")
	}
	if err := a.Unlock(ctx, "issue_cert_console.acme.test"); err == nil {
		t.Fatal("unlocked a lock held by another instance")
	}
	// A crashed holder's lock goes stale after its TTL.
	if _, err := a.db.Exec(a.db.Rebind(`INSERT INTO tls_locks (name, holder, expires_at) VALUES (?, ?, ?)`),
		"stale", "dead", time.Now().UTC().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := a.Lock(ctx, "stale"); err != nil {
		t.Fatalf("stale lock: %v", err)
	}
}

func TestDecider(t *testing.T) {
	ctx := context.Background()
	owners := map[string]string{"console.acme.test": "acme", "acme.localhost": "acme", "globex.localhost": "globex",
		"a2.acme.test": "acme", "g2.globex.test": "globex"}
	asked := 0
	d := NewDecider(func(_ context.Context, host string) (string, error) {
		asked++
		if o, ok := owners[host]; ok {
			return o, nil
		}
		return "", tenants.ErrNotFound
	}, Limits{PerOwner: 10, OwnerBurst: 2, Global: 100, GlobalBurst: 3})
	if err := d.Decide(ctx, "random.example"); !errors.Is(err, ErrNotOurs) {
		t.Fatalf("random name: %v", err)
	}
	if err := d.Decide(ctx, "console.acme.test"); err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, "acme.localhost"); err != nil {
		t.Fatal(err)
	}
	if err := d.Decide(ctx, "a2.acme.test"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("acme's third at once: %v", err)
	}
	if err := d.Decide(ctx, "globex.localhost"); err != nil {
		t.Fatalf("globex is not held back by acme: %v", err)
	}
	if err := d.Decide(ctx, "g2.globex.test"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("over the global burst: %v", err)
	}
}
