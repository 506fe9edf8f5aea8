package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/demo"
	"github.com/grisaille/grisaille/email"
	"github.com/grisaille/grisaille/email/smtptest"
	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/platform/emulator"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/pricing/invoicing/stripemock/stripemocktest"
	"github.com/grisaille/grisaille/server"
	"github.com/grisaille/grisaille/sso"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web/i18n"
	"github.com/jmoiron/sqlx"
)

// app is the fully wired portal on a temporary database, with the demo data
// and the platform emulator behind a counter of platform writes.
type app struct {
	srv            *httptest.Server
	db             *sqlx.DB
	store          *tenants.Store
	tokens         *tokens.Service
	audit          *audit.Log
	priceList      *pricing.Catalogue
	grids          *pricing.Store
	prices         *pricing.Engine
	stripeURL      string // a stripe-mock, started when a test asks for it (withStripe)
	widgetCacheTTL time.Duration
	metrics        *server.Metrics
	requestTimeout time.Duration
	trustedProxies []netip.Prefix
	// hang makes the platform stop answering: every call waits until its
	// caller gives up.
	hang           atomic.Bool
	platformWrites atomic.Int64
	// resolver, when set, answers the domain checks (edge host
	// edge.grisaille.test).
	resolver tenants.Resolver
	// mail is the loopback SMTP server the outbox delivers to.
	mail   *smtptest.Server
	outbox *email.Outbox
}

// withStripe starts a stripe-mock for the app's invoicing.
func withStripe(t *testing.T) func(*app) {
	return func(a *app) { a.stripeURL = stripemocktest.Start(t) }
}

func newApp(t testing.TB, opts ...func(*app)) *app {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := dbtest.Open(t)
	sealer, err := tenants.LoadOrCreateSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{db: db, store: tenants.NewStore(db, sealer)}
	for _, o := range opts {
		o(a)
	}
	emu, err := emulator.Open(ctx, filepath.Join(dir, "emulator.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	eh := emu.Handler()
	psrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.hang.Load() {
			<-r.Context().Done()
			return
		}
		if r.Method != http.MethodGet {
			a.platformWrites.Add(1)
		}
		eh.ServeHTTP(w, r)
	}))
	t.Cleanup(psrv.Close)
	api, err := platform.NewClient(platform.Config{BaseURL: psrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	creds := func(ctx context.Context, p demo.Partner) (string, error) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		return tok, emu.EnsureAccount(ctx, p.Slug, p.AdminEmail, tok)
	}
	a.priceList = pricing.NewCatalogue(db, api, log)
	if err := a.priceList.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	a.grids = pricing.NewStore(db, a.priceList)
	a.prices = pricing.NewEngine(a.priceList, a.grids)
	if err := demo.Seed(ctx, demo.Config{Store: a.store, Platform: api, Credentials: creds, Logger: log, RecordUsage: emu.RecordConsumption,
		AfterPartner: demo.SeedGrids(a.grids)}); err != nil {
		t.Fatal(err)
	}
	bundle, err := i18n.NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tokens.LoadOrCreateKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	a.tokens, err = tokens.NewService(db, keys)
	if err != nil {
		t.Fatal(err)
	}
	a.audit = audit.NewLog(db)
	var domains *tenants.DomainChecker
	if a.resolver != nil {
		domains = &tenants.DomainChecker{Store: a.store, Resolver: a.resolver, EdgeHost: "edge.grisaille.test"}
	}
	// A real SMTP server on loopback, and the outbox delivering to it.
	a.mail, err = smtptest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.mail.Stop() })
	sender, err := email.ParseSMTPURL(a.mail.URL())
	if err != nil {
		t.Fatal(err)
	}
	a.outbox = email.NewOutbox(db, sender, log)
	outboxCtx, stopOutbox := context.WithCancel(context.Background())
	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); a.outbox.Run(outboxCtx, 50*time.Millisecond) }()
	t.Cleanup(func() { stopOutbox(); <-outboxDone })
	h := server.New(server.Config{Domains: domains, Tenants: a.store, Outbox: a.outbox, Platform: api, Catalogue: platform.NewCatalogue(api, time.Minute),
		Bundle: bundle, Logger: log, PlatformName: "Clever Cloud", Tokens: a.tokens, Keys: keys, Audit: a.audit,
		Prices: a.prices, Grids: a.grids, PriceList: a.priceList, WidgetCacheTTL: a.widgetCacheTTL,
		SSO:            sso.New(sso.Config{AllowLoopback: true, Timeout: 5 * time.Second}),
		RequestTimeout: a.requestTimeout, TrustedProxies: a.trustedProxies, Metrics: a.metrics,
		PlatformDomains: []string{"cleverapps.io", "clever-cloud.com", emulator.Domain},
		Invoicing: invoicing.NewService(db, invoicing.EnginePricer(a.prices), a.store, invoicing.PlatformUsage(api, a.store), a.store,
			invoicing.WithStripeURL(a.stripeURL), invoicing.WithLogger(log))})
	a.srv = httptest.NewServer(h)
	t.Cleanup(a.srv.Close)
	return a
}

// client is a cookie-keeping HTTP client that talks to one partner host
// (the Host header) and does not follow redirects.
type client struct {
	t    *testing.T
	a    *app
	host string
	http *http.Client
}

func (a *app) client(t *testing.T, host string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, a: a, host: host, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.a.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Host = c.host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page's form.
func (c *client) csrf(path string) string {
	c.t.Helper()
	_, page := c.do(http.MethodGet, path, nil)
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no CSRF field on %s%s", c.host, path)
	}
	return m[1]
}

// signIn signs in with a demo account.
func (c *client) signIn(email string) {
	c.t.Helper()
	c.signInWith(email, demo.Password)
}

func (c *client) signInWith(email, password string) {
	c.t.Helper()
	tok := c.csrf("/login")
	res, page := c.do(http.MethodPost, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d\n%s", email, res.StatusCode, page)
	}
}

func TestHostsAndHealth(t *testing.T) {
	a := newApp(t)
	tests := []struct {
		name, host, path string
		status           int
		want, notWant    []string
	}{
		{"acme login", "acme.localhost", "/login", 200, []string{"Acme Cloud", "Sign in"}, []string{"Globex"}},
		{"acme with port", "acme.localhost:8080", "/login", 200, []string{"Acme Cloud"}, nil},
		{"globex login in french", "globex.localhost", "/login", 200, []string{"Globex Hosting", "Connexion"}, []string{"Acme"}},
		{"uppercase host", "GLOBEX.LOCALHOST", "/login", 200, []string{"Globex Hosting"}, nil},
		{"unknown host", "evil.localhost", "/login", 404, []string{"404 page not found"}, []string{"Acme", "Globex", "<html"}},
		{"unknown host theme", "evil.localhost", "/theme.css", 404, nil, []string{"--brand"}},
		{"health on any host", "evil.localhost", "/healthz", 200, []string{"ok"}, nil},
		{"unknown path is branded", "acme.localhost", "/nope", 404, []string{"Acme Cloud"}, []string{"Globex"}},
		{"theme css", "globex.localhost", "/theme.css", 200, []string{"--brand-primary:#1e40af"}, nil},
		{"console needs sign-in", "acme.localhost", "/console", 303, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := a.client(t, tt.host).do(http.MethodGet, tt.path, nil)
			if res.StatusCode != tt.status {
				t.Fatalf("got status %d, want %d\n%s", res.StatusCode, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("body has %q, which it must not", w)
				}
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := newApp(t)
	res, _ := a.client(t, "acme.localhost").do(http.MethodGet, "/login", nil)
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self' 'nonce-", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows unsafe-inline: %q", csp)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "csrf" && (!ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode) {
			t.Errorf("csrf cookie: HttpOnly=%v SameSite=%v", ck.HttpOnly, ck.SameSite)
		}
	}
}

func TestSignIn(t *testing.T) {
	a := newApp(t)
	t.Run("wrong password", func(t *testing.T) {
		c := a.client(t, "acme.localhost")
		tok := c.csrf("/login")
		res, body := c.do(http.MethodPost, "/login", url.Values{"_csrf": {tok}, "email": {"dev@acme.example"}, "password": {"wrong-password"}})
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "do not match") {
			t.Fatalf("got %d, want 401 with a message\n%s", res.StatusCode, body)
		}
	})
	t.Run("no csrf token", func(t *testing.T) {
		c := a.client(t, "acme.localhost")
		c.csrf("/login")
		res, body := c.do(http.MethodPost, "/login", url.Values{"email": {"dev@acme.example"}, "password": {demo.Password}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "This form has expired") {
			t.Fatalf("got %d, want 403 with a message\n%s", res.StatusCode, body)
		}
	})
	t.Run("another partner's user", func(t *testing.T) {
		c := a.client(t, "globex.localhost")
		tok := c.csrf("/login")
		res, _ := c.do(http.MethodPost, "/login", url.Values{"_csrf": {tok}, "email": {"dev@acme.example"}, "password": {demo.Password}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("acme's user signed in on globex: status %d", res.StatusCode)
		}
	})
	t.Run("session cookie", func(t *testing.T) {
		c := a.client(t, "acme.localhost")
		tok := c.csrf("/login")
		res, _ := c.do(http.MethodPost, "/login", url.Values{"_csrf": {tok}, "email": {"dev@acme.example"}, "password": {demo.Password}})
		var session *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == "session" {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie: %+v", session)
		}
		// The same session token presented on another partner's host is worthless.
		g := a.client(t, "globex.localhost")
		res, _ = g.do(http.MethodGet, "/console", nil, "Cookie", "session="+session.Value)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fconsole" {
			t.Fatalf("acme session on globex: got %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
		}
		// Signing out ends the session.
		res, _ = c.do(http.MethodPost, "/logout", url.Values{"_csrf": {c.csrf("/console")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: status %d", res.StatusCode)
		}
		res, _ = a.client(t, "acme.localhost").do(http.MethodGet, "/console", nil, "Cookie", "session="+session.Value)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("signed-out session still opens the console: %d", res.StatusCode)
		}
	})
	t.Run("customer can't open the admin", func(t *testing.T) {
		c := a.client(t, "acme.localhost")
		c.signIn("dev@acme.example")
		res, body := c.do(http.MethodGet, "/admin", nil)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "cannot open this part") {
			t.Fatalf("got %d, want 403\n%s", res.StatusCode, body)
		}
	})
}

func TestZoneRefusedBeforePlatform(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	before := a.platformWrites.Load()
	// A zone of the platform the customer may not use is forbidden; a zone
	// that does not exist, or none, is a bad request.
	for _, tc := range []struct {
		zone, message string
		status        int
	}{
		{"mtl", "is not available to your organisation", http.StatusForbidden},
		{"syd", "is not available to your organisation", http.StatusForbidden},
		{"nowhere", "There is no zone nowhere", http.StatusBadRequest},
		{"", "Choose a zone", http.StatusBadRequest},
	} {
		tok := c.csrf("/console/apps/new")
		res, body := c.do(http.MethodPost, "/console/apps", url.Values{"_csrf": {tok}, "name": {"x"}, "runtime": {"node"},
			"zone": {tc.zone}, "flavor": {"XS"}, "idempotency_key": {strings.Repeat("a", 32)}})
		if res.StatusCode != tc.status {
			t.Fatalf("zone %q: got %d, want %d", tc.zone, res.StatusCode, tc.status)
		}
		if !strings.Contains(body, tc.message) {
			t.Errorf("zone %q: no clear message:\n%s", tc.zone, body)
		}
	}
	if got := a.platformWrites.Load() - before; got != 0 {
		t.Fatalf("refused zones sent %d write(s) to the platform, want 0", got)
	}
}

func TestCreateAppOncePerKey(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	form := url.Values{"_csrf": {c.csrf("/console/apps/new")}, "name": {"twice"}, "runtime": {"node"},
		"zone": {"par"}, "flavor": {"XS"}, "idempotency_key": {strings.Repeat("b", 32)}}
	var locations []string
	for range 3 {
		res, body := c.do(http.MethodPost, "/console/apps", form)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", res.StatusCode, body)
		}
		locations = append(locations, res.Header.Get("Location"))
	}
	if locations[0] != locations[1] || locations[1] != locations[2] {
		t.Fatalf("retries answered different applications: %v", locations)
	}
	_, body := c.do(http.MethodGet, "/console", nil)
	if n := strings.Count(body, ">twice<"); n != 1 {
		t.Fatalf("dashboard lists %d applications named twice, want 1", n)
	}
}

func TestForeignApplicationIsNotFound(t *testing.T) {
	a := newApp(t)
	g := a.client(t, "globex.localhost")
	g.signIn("dev@globex.example")
	_, body := g.do(http.MethodGet, "/console", nil)
	m := regexp.MustCompile(`/console/apps/(app_[a-z0-9-]+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no application link on globex's dashboard:\n%s", body)
	}
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	res, _ := c.do(http.MethodGet, "/console/apps/"+m[1], nil)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("acme opened globex's application: status %d, want 404", res.StatusCode)
	}
	res, _ = c.do(http.MethodPost, "/console/apps/"+m[1]+"/stop", url.Values{"_csrf": {c.csrf("/console")}})
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("acme stopped globex's application: status %d, want 404", res.StatusCode)
	}
}

// TestGreyLabel checks that a partner's pages show only its brand, and the
// platform's name only in the "powered by" line the partner can turn off.
func TestGreyLabel(t *testing.T) {
	a := newApp(t)
	appLink := regexp.MustCompile(`/console/apps/(app_[a-z0-9-]+)`)
	pages := func(c *client) []string {
		_, dash := c.do(http.MethodGet, "/console", nil)
		m := appLink.FindStringSubmatch(dash)
		if m == nil {
			t.Fatalf("no application on the dashboard:\n%s", dash)
		}
		_, app := c.do(http.MethodGet, "/console/apps/"+m[1], nil)
		_, newApp := c.do(http.MethodGet, "/console/apps/new", nil)
		_, missing := c.do(http.MethodGet, "/console/apps/app_missing", nil)
		return []string{dash, app, newApp, missing}
	}

	g := a.client(t, "globex.localhost")
	_, login := g.do(http.MethodGet, "/login", nil)
	g.signIn("dev@globex.example")
	for i, page := range append(pages(g), login) {
		for _, banned := range []string{"Clever", "clever", "Acme", "Powered by", "Propulsé par"} {
			if strings.Contains(page, banned) {
				t.Errorf("globex page %d shows %q", i, banned)
			}
		}
		if !strings.Contains(page, "Globex Hosting") {
			t.Errorf("globex page %d lacks its brand", i)
		}
	}

	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	for i, page := range pages(c) {
		if !strings.Contains(page, "Powered by Clever Cloud") {
			t.Errorf("acme page %d lacks the powered-by line it asked for", i)
		}
		if strings.Count(page, "Clever") != 1 || strings.Contains(page, "Globex") {
			t.Errorf("acme page %d mentions the platform outside the powered-by line, or another partner", i)
		}
	}
}

// regexpFind returns the first group of pattern in s, or fails the test.
func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s", pattern)
	}
	return m[1]
}
