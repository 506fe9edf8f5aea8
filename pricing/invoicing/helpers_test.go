package invoicing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/pricing/invoicing/stripemock/stripemocktest"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
)

// period is the month the tests invoice.
const period = "2025-03"

// newDB opens a migrated database in a temporary directory.
func newDB(t testing.TB) *sqlx.DB {
	t.Helper()
	db := dbtest.Open(t)
	return db
}

// mustPartner creates a partner and returns its id.
func mustPartner(t testing.TB, db *sqlx.DB, slug string) string {
	t.Helper()
	sealer, err := tenants.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	p, err := tenants.NewStore(db, sealer).CreatePartner(context.Background(), tenants.PartnerCreate{
		Slug: slug, Brand: themes.Default(strings.ToUpper(slug)),
		Hostnames: []string{slug + ".example"}, AllowedZones: []string{"par"},
	})
	if err != nil {
		t.Fatalf("create partner %s: %v", slug, err)
	}
	return p.ID
}

// consumption is one month of a resource's usage of a slug.
func consumption(org, resource, slug, qty string) platform.Consumption {
	return platform.Consumption{
		OwnerID: org, ResourceID: resource, ResourceType: "application", Zone: "par", SlugID: slug,
		Quantity: json.Number(qty), Unit: "PT1H", From: "2025-03-01T00:00:00Z", To: "2025-04-01T00:00:00Z",
	}
}

// fakePricer prices a slug at a fixed unit price (customer) and list price
// (platform), in the customer's currency (EUR by default).
type fakePricer struct {
	unit, list map[string]string
	currency   map[string]string // customer id → currency
	mu         sync.Mutex
	calls      int
}

func newPricer() *fakePricer {
	return &fakePricer{
		unit:     map[string]string{"apps.XS": "0.0134", "apps.S": "0.0275", "postgresql.xs_sml": "0.01", "free": "0"},
		list:     map[string]string{"apps.XS": "0.01", "apps.S": "0.025", "postgresql.xs_sml": "0.008", "free": "0"},
		currency: map[string]string{},
	}
}

func (p *fakePricer) PriceLine(_ context.Context, _, customerID string, c platform.Consumption) (invoicing.Line, error) {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	unit, ok := p.unit[c.SlugID]
	if !ok {
		return invoicing.Line{}, fmt.Errorf("no price for %s", c.SlugID)
	}
	qty := decimal.RequireFromString(c.Quantity.String())
	u, l := decimal.RequireFromString(unit), decimal.RequireFromString(p.list[c.SlugID])
	cur := p.currency[customerID]
	if cur == "" {
		cur = "EUR"
	}
	return invoicing.Line{
		SlugID: c.SlugID, Zone: c.Zone, Quantity: qty, UnitPrice: u,
		Amount: qty.Mul(u), ListAmount: qty.Mul(l), Currency: cur,
	}, nil
}

func (p *fakePricer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// fakeCustomers lists fixed customers per partner.
type fakeCustomers map[string][]tenants.Customer

func (f fakeCustomers) Customers(_ context.Context, partnerID string) ([]tenants.Customer, error) {
	return f[partnerID], nil
}

// fakeUsage answers fixed consumption per organisation.
type fakeUsage struct {
	byOrg map[string][]platform.Consumption
	mu    sync.Mutex
	calls int
}

func (f *fakeUsage) Consumptions(_ context.Context, _, org string, from, to time.Time) ([]platform.Consumption, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if want := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC); !from.Equal(want) || !to.Equal(want.AddDate(0, 1, 0)) {
		return nil, fmt.Errorf("got interval %s–%s, want March 2025", from, to)
	}
	return f.byOrg[org], nil
}

func (f *fakeUsage) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// fakeKeys answers a Stripe key per partner.
type fakeKeys map[string]string

func (f fakeKeys) StripeKey(_ context.Context, partnerID string) (string, error) {
	return f[partnerID], nil
}

// stripeRequest is one request that reached the proxy.
type stripeRequest struct {
	Method, Path, Key string
	Form              url.Values
	// Forwarded is true when the request reached stripe-mock.
	Forwarded bool
}

// action is what the proxy does with a request.
type action int

const (
	// forward passes the request to stripe-mock and its answer back.
	forward action = iota
	// block answers 503 without forwarding: the request never reached Stripe.
	block
	// lose forwards the request, then answers 502: Stripe acted, its
	// answer was lost.
	lose
	// limit answers 429 without forwarding, as Stripe's rate limiter does.
	limit
)

// stripeProxy is a logging reverse proxy in front of stripe-mock. before,
// when set, chooses what to do with each request; after is called once
// stripe-mock has answered a forwarded one.
type stripeProxy struct {
	URL    string
	mu     sync.Mutex
	reqs   []stripeRequest
	before func(r stripeRequest) action
	after  func(r stripeRequest)
}

// newStripeProxy starts stripe-mock and a proxy in front of it.
func newStripeProxy(t testing.TB) *stripeProxy {
	t.Helper()
	target, err := url.Parse(stripemocktest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &stripeProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		sr := stripeRequest{Method: r.Method, Path: r.URL.Path, Key: r.Header.Get("Idempotency-Key"), Form: form}
		p.mu.Lock()
		before, after := p.before, p.after
		p.mu.Unlock()
		act := forward
		if before != nil {
			act = before(sr)
		}
		sr.Forwarded = act != block && act != limit
		p.mu.Lock()
		p.reqs = append(p.reqs, sr)
		p.mu.Unlock()
		switch act {
		case block:
			w.Header().Set("Stripe-Should-Retry", "false")
			http.Error(w, `{"error":{"type":"api_error","message":"blocked by the test"}}`, http.StatusServiceUnavailable)
			return
		case limit:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`))
			return
		case lose:
			rp.ServeHTTP(httptest.NewRecorder(), r)
			w.Header().Set("Stripe-Should-Retry", "false")
			http.Error(w, `{"error":{"type":"api_error","message":"answer lost by the test"}}`, http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
		if after != nil {
			after(sr)
		}
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// requests returns the requests so far and forgets them.
func (p *stripeProxy) requests() []stripeRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.reqs
	p.reqs = nil
	return r
}

// writes keeps the POST requests of rs that reached stripe-mock.
func writes(rs []stripeRequest) []stripeRequest {
	var out []stripeRequest
	for _, r := range rs {
		if r.Method == http.MethodPost && r.Forwarded {
			out = append(out, r)
		}
	}
	return out
}

// fixture is a partner with customers, usage, prices and a Stripe key.
type fixture struct {
	db        *sqlx.DB
	partner   string
	pricer    *fakePricer
	usage     *fakeUsage
	customers fakeCustomers
	keys      fakeKeys
	stripe    *stripeProxy
}

// newFixture makes a partner with three customers: Roadrunner (three
// lines), Coyote (one billable line and a free one) and Idle (no usage).
func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := newDB(t)
	partner := mustPartner(t, db, "acme")
	f := &fixture{
		db: db, partner: partner, pricer: newPricer(),
		usage: &fakeUsage{byOrg: map[string][]platform.Consumption{
			"orga_road": {
				consumption("orga_road", "app_1", "apps.XS", "720"),  // 9.648 → 9.65, list 7.20
				consumption("orga_road", "app_2", "apps.S", "100.5"), // 2.76375 → 2.76, list 2.5125 → 2.51
				consumption("orga_road", "addon_1", "postgresql.xs_sml", "744"),
			},
			"orga_coyote": {
				consumption("orga_coyote", "app_3", "apps.XS", "10"), // 0.134 → 0.13, list 0.10
				consumption("orga_coyote", "app_4", "free", "744"),
			},
		}},
		customers: fakeCustomers{partner: {
			{ID: "cus_road", PartnerID: partner, Name: "Roadrunner Labs", OrganisationID: "orga_road"},
			{ID: "cus_coyote", PartnerID: partner, Name: "Coyote", OrganisationID: "orga_coyote"},
			{ID: "cus_idle", PartnerID: partner, Name: "Idle", OrganisationID: "orga_idle"},
		}},
		keys:   fakeKeys{partner: "sk_test_123"},
		stripe: newStripeProxy(t),
	}
	return f
}

// service returns the service over the fixture.
func (f *fixture) service(opts ...invoicing.Option) *invoicing.Service {
	opts = append([]invoicing.Option{invoicing.WithStripeURL(f.stripe.URL), invoicing.WithNetworkRetries(0)}, opts...)
	return invoicing.NewService(f.db, f.pricer, f.customers, f.usage, f.keys, opts...)
}
