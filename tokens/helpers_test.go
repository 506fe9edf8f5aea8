package tokens

import (
	"bytes"
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/biscuit-auth/biscuit-go/v2"
	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
)

// testClock is a settable clock.
type testClock struct {
	// mu guards t.
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixture is a service on a fresh database with two partners.
type fixture struct {
	svc      *Service
	db       *sqlx.DB
	keys     *Keyring
	clock    *testClock
	partnerA string
	partnerB string
}

// testNow is the fixture clock's start.
var testNow = time.Date(2030, 5, 17, 12, 0, 0, 0, time.UTC)

// newFixture returns a fixture; opts are passed to NewService after the
// fixture's clock.
func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	db := dbtest.Open(t)
	ctx := context.Background()
	sealer, err := tenants.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := tenants.NewStore(db, sealer)
	ids := make([]string, 2)
	for i, slug := range []string{"acme", "globex"} {
		p, err := store.CreatePartner(ctx, tenants.PartnerCreate{
			Slug:         slug,
			Brand:        themes.Default(slug),
			Hostnames:    []string{slug + ".example"},
			AllowedZones: []string{"par", "rbx", "mtl"},
		})
		if err != nil {
			t.Fatalf("create partner %s: %v", slug, err)
		}
		ids[i] = p.ID
	}
	keys, err := NewKeyring(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: testNow}
	svc, err := NewService(db, keys, append([]Option{WithClock(clock.now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: db, keys: keys, clock: clock, partnerA: ids[0], partnerB: ids[1]}
}

// mintPartner mints a partner token for partnerID.
func (f *fixture) mintPartner(t testing.TB, partnerID string) (string, Record) {
	t.Helper()
	tok, rec, err := f.svc.MintPartner(context.Background(), partnerID, "test")
	if err != nil {
		t.Fatalf("mint partner: %v", err)
	}
	return tok, rec
}

// attenuate attenuates parent for partner A's customer cus_1.
func (f *fixture) attenuate(t testing.TB, parent string, r Restriction) (string, Record) {
	t.Helper()
	tok, rec, err := f.svc.Attenuate(context.Background(), parent, f.partnerA,
		Principal{PartnerID: f.partnerA, CustomerID: "cus_1"}, r, "child")
	if err != nil {
		t.Fatalf("attenuate %+v: %v", r, err)
	}
	return tok, rec
}

// appendOffline appends a block of checks to token with biscuit-go alone,
// as a holder would, unknown to the store.
func appendOffline(t testing.TB, token string, checks ...biscuit.Check) string {
	t.Helper()
	data, err := decodeBytes(token, DefaultMaxTokenSize)
	if err != nil {
		t.Fatal(err)
	}
	b, err := biscuit.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	bb := b.CreateBlock()
	for _, c := range checks {
		if err := bb.AddCheck(c); err != nil {
			t.Fatal(err)
		}
	}
	next, err := b.Append(rand.Reader, bb.Build())
	if err != nil {
		t.Fatal(err)
	}
	out, err := encodeToken(next)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
