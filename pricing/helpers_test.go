package pricing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
)

// fakeSource serves the reference price systems (zone par's) for every
// zone it lists, and fails on demand.
type fakeSource struct {
	mu    sync.Mutex // guards the fields below
	zones []string
	raw   map[string][]byte
	fail  bool
	calls int
}

// newFakeSource reads testdata/price-system-par-{EUR,USD}.json.
func newFakeSource(t testing.TB, zones ...string) *fakeSource {
	t.Helper()
	f := &fakeSource{zones: zones, raw: map[string][]byte{}}
	for _, cur := range Currencies {
		b, err := os.ReadFile(filepath.Join("testdata", "price-system-par-"+cur+".json"))
		if err != nil {
			t.Fatal(err)
		}
		f.raw[cur] = b
	}
	return f
}

func (f *fakeSource) setFail(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = v
}

func (f *fakeSource) Zones(ctx context.Context) ([]platform.Zone, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail {
		return nil, errors.New("platform unreachable")
	}
	out := make([]platform.Zone, len(f.zones))
	for i, z := range f.zones {
		out[i] = platform.Zone{ID: "id-" + z, Name: z}
	}
	return out, nil
}

func (f *fakeSource) PriceSystem(ctx context.Context, zone, currency string) (platform.PriceSystem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return platform.PriceSystem{}, errors.New("platform unreachable")
	}
	var ps platform.PriceSystem
	if err := json.Unmarshal(f.raw[currency], &ps); err != nil {
		return ps, err
	}
	ps.ZoneID = zone
	return ps, nil
}

// env is a migrated database with two partners and their customers, a
// refreshed catalogue of zones par and mtl, a store and an engine.
type env struct {
	db      *sqlx.DB
	src     *fakeSource
	cat     *Catalogue
	store   *Store
	engine  *Engine
	acme    string // partner
	globex  string // partner
	road    string // acme's customer
	coyote  string // acme's customer without contract
	initech string // globex's customer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	db := dbtest.Open(t)
	sealer, err := tenants.LoadOrCreateSealer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := tenants.NewStore(db, sealer)
	e := &env{db: db, src: newFakeSource(t, "par", "mtl")}
	partner := func(slug string) string {
		p, err := ts.CreatePartner(ctx, tenants.PartnerCreate{Slug: slug, Brand: themes.Default(slug),
			Hostnames: []string{slug + ".localhost"}, AllowedZones: []string{"par", "mtl"}})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	customer := func(partnerID, name string) string {
		c, err := ts.CreateCustomer(ctx, partnerID, tenants.CustomerCreate{Name: name, OrganisationID: "orga_" + name,
			AllowedZones: []string{"par"}})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	e.acme, e.globex = partner("acme"), partner("globex")
	e.road, e.coyote, e.initech = customer(e.acme, "road"), customer(e.acme, "coyote"), customer(e.globex, "initech")
	e.cat = NewCatalogue(db, e.src, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := e.cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e.store = NewStore(db, e.cat)
	e.engine = NewEngine(e.cat, e.store)
	return e
}

// save saves g or fails the test.
func (e *env) save(t testing.TB, g Grid) Grid {
	t.Helper()
	out, err := e.store.SaveGrid(context.Background(), g)
	if err != nil {
		t.Fatalf("save grid %q: %v", g.Name, err)
	}
	return out
}

// d parses a decimal or panics.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// dp parses a decimal into a pointer.
func dp(s string) *decimal.Decimal { v := d(s); return &v }

// day returns midnight UTC of a date.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ptr returns a pointer to t.
func ptr(t time.Time) *time.Time { return &t }

// markupRule, fixedRule build rules.
func markupRule(family, product, zone, percent string) Rule {
	return Rule{Family: family, Product: product, Zone: zone, Kind: RuleMarkup, Percent: d(percent)}
}

func fixedRule(family, product, zone, price string) Rule {
	return Rule{Family: family, Product: product, Zone: zone, Kind: RuleFixed, Price: d(price)}
}

// hours is a consumption of product slug in zone for n hours from start.
func hours(zone, slug string, start time.Time, n int) platform.Consumption {
	return platform.Consumption{Zone: zone, SlugID: slug, Quantity: json.Number(fmt.Sprint(n)), Unit: "PT1H",
		From: start.Format(time.RFC3339), To: start.Add(time.Duration(n) * time.Hour).Format(time.RFC3339)}
}

// errorsIs is errors.Is.
func errorsIs(err, target error) bool { return errors.Is(err, target) }
