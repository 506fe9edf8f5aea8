package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/components"
)

// get sends an anonymous GET, as a partner's visitor's browser would from
// another website, and returns the response and its (decoded) body.
func (a *app) get(t testing.TB, host, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Origin", "http://shop.localhost")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req) // no automatic gzip
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestWidgetCatalogue checks the public JSON the widgets read: each
// partner's zones and default-grid prices, CORS for any origin without
// credentials or cookies, caching, and refusals that name the field.
func TestWidgetCatalogue(t *testing.T) {
	a := newApp(t)
	tests := []struct {
		name, host, query string
		lang, currency    string
		zones             []string
		price2XL          string // node 2XL per 30 days
	}{
		{"acme default", "acme.localhost", "", "en", "EUR", []string{"par", "rbx", "sgp"}, "576.00"},
		{"acme in French", "acme.localhost", "?zone=sgp&lang=fr", "fr", "EUR", []string{"par", "rbx", "sgp"}, "576.00"},
		// Globex's public price is its default grid's (+10 %), not the contract's.
		{"globex default", "globex.localhost", "?zone=mtl&currency=eur", "fr", "EUR", []string{"par", "mtl"}, "528.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := a.get(t, tt.host, "/widgets/v1/catalogue"+tt.query, "Accept-Encoding", "gzip")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("got %d: %s", res.StatusCode, body)
			}
			for k, want := range map[string]string{"Access-Control-Allow-Origin": "*", "Content-Encoding": "gzip",
				"Cache-Control": "public, max-age=300", "Content-Type": "application/json"} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			if res.Header.Get("Access-Control-Allow-Credentials") != "" || len(res.Cookies()) > 0 {
				t.Errorf("the catalogue allows credentials or sets cookies: %v", res.Header)
			}
			var cat components.Catalogue
			if err := json.Unmarshal(body, &cat); err != nil {
				t.Fatal(err)
			}
			var zones []string
			for _, z := range cat.Zones {
				zones = append(zones, z.ID)
			}
			if strings.Join(zones, ",") != strings.Join(tt.zones, ",") || cat.Lang != tt.lang || cat.Currency != tt.currency {
				t.Errorf("got zones %v, lang %s, currency %s; want %v, %s, %s", zones, cat.Lang, cat.Currency, tt.zones, tt.lang, tt.currency)
			}
			if got := planPrice(cat, "node", "2XL").Days30; got != tt.price2XL {
				t.Errorf("node 2XL per 30 days: got %q, want %q", got, tt.price2XL)
			}
			// The same version again answers 304.
			res2, _ := a.get(t, tt.host, "/widgets/v1/catalogue"+tt.query, "If-None-Match", res.Header.Get("ETag"))
			if res.Header.Get("ETag") == "" || res2.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation: ETag %q answered %d, want 304", res.Header.Get("ETag"), res2.StatusCode)
			}
		})
	}

	refusals := []struct {
		name, host, query string
		status            int
		id, field         string
	}{
		{"zone not sold", "acme.localhost", "?zone=mtl", http.StatusNotFound, "widget.error.zone", "zone"},
		{"unknown zone", "globex.localhost", "?zone=rbx", http.StatusNotFound, "widget.error.zone", "zone"},
		{"malformed zone", "acme.localhost", "?zone=P%20AR", http.StatusBadRequest, "widget.error.zone", "zone"},
		{"currency not sold", "acme.localhost", "?currency=USD", http.StatusNotFound, "widget.error.currency", "currency"},
		{"malformed currency", "acme.localhost", "?currency=euros", http.StatusBadRequest, "widget.error.currency", "currency"},
		{"unknown language", "acme.localhost", "?lang=de", http.StatusBadRequest, "widget.error.lang", "lang"},
		{"unknown parameter", "acme.localhost", "?zone=par&callback=x", http.StatusBadRequest, "widget.error.param", "callback"},
		{"repeated parameter", "acme.localhost", "?zone=par&zone=rbx", http.StatusBadRequest, "widget.error.param", "zone"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res, body := a.get(t, tt.host, "/widgets/v1/catalogue"+tt.query)
			var e struct{ ID, Message, Type, Field string }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d %s: %v", res.StatusCode, body, err)
			}
			if res.StatusCode != tt.status || e.ID != tt.id || e.Field != tt.field || e.Type != "error" || e.Message == "" {
				t.Errorf("got %d %+v, want %d %s naming %s", res.StatusCode, e, tt.status, tt.id, tt.field)
			}
			if res.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("a refusal the widget can't read: no CORS header")
			}
		})
	}

	t.Run("translated refusal", func(t *testing.T) {
		_, body := a.get(t, "globex.localhost", "/widgets/v1/catalogue?zone=sgp")
		if !strings.Contains(string(body), "La zone « sgp » n’est pas proposée ici.") {
			t.Errorf("Globex's refusal is not in its language: %s", body)
		}
	})
	t.Run("GET only", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/widgets/v1/catalogue", strings.NewReader("{}"))
		req.Host = "acme.localhost"
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST: got %d, want 405", res.StatusCode)
		}
	})
	t.Run("unknown host", func(t *testing.T) {
		for _, path := range []string{"/widgets/v1/catalogue", "/widgets/v1.js", "/widgets/v1/theme.css"} {
			res, body := a.get(t, "unknown.example", path)
			if res.StatusCode != http.StatusNotFound || strings.Contains(string(body), "Acme") || strings.Contains(string(body), "brand") {
				t.Errorf("%s on an unknown host: %d %s", path, res.StatusCode, body)
			}
		}
	})
}

// planPrice returns a plan's prices in a catalogue.
func planPrice(cat components.Catalogue, product, plan string) components.Prices {
	p, _ := cat.Product(product)
	for _, pl := range p.Plans {
		if pl.ID == plan {
			return pl.Price
		}
	}
	return components.Prices{}
}

// TestWidgetAssets checks the bundle, its stylesheet and the partner's
// theme: served from the partner's host to any origin, gzip, ETag, and a
// year's cache for the content-hashed URL the console uses.
func TestWidgetAssets(t *testing.T) {
	a := newApp(t)
	res, js := a.get(t, "acme.localhost", "/widgets/v1.js", "Accept-Encoding", "gzip")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || !bytes.Contains(js, []byte("gl-price-table")) {
		t.Fatalf("bundle: %d %v", res.StatusCode, res.Header)
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=3600") {
		t.Errorf("bundle headers: %v", res.Header)
	}
	etag := res.Header.Get("ETag")
	if res2, _ := a.get(t, "acme.localhost", "/widgets/v1.js", "If-None-Match", etag); res2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating the bundle: got %d, want 304", res2.StatusCode)
	}
	res3, _ := a.get(t, "acme.localhost", "/widgets/v1.js?v="+strings.Trim(etag, `"`))
	if got := res3.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("hashed bundle URL: Cache-Control %q", got)
	}
	// The console loads the hashed URL.
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	if _, page := c.do(http.MethodGet, "/console/pricing", nil); !strings.Contains(page, `src="/widgets/v1.js?v=`+strings.Trim(etag, `"`)+`"`) {
		t.Errorf("the pricing page does not load the content-hashed bundle")
	}

	for host, primary := range map[string]string{"acme.localhost": "--brand-primary:#c2410c", "globex.localhost": "--brand-primary:#1e40af"} {
		res, css := a.get(t, host, "/widgets/v1/theme.css")
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(css), ":host{") || !strings.Contains(string(css), primary) {
			t.Errorf("%s theme: %d %s", host, res.StatusCode, css)
		}
	}
	if res, css := a.get(t, "acme.localhost", "/widgets/v1/widgets.css"); res.StatusCode != http.StatusOK || !bytes.Contains(css, []byte(":host")) {
		t.Errorf("widgets stylesheet: %d", res.StatusCode)
	}
}

// TestOneEngine checks that one configuration (three node 2XL in par for
// 30 days, Acme's customer) costs the same in the estimator's data, the
// console's server-rendered estimate, and the platform-compatible price
// system: all three come from the one pricing engine.
func TestOneEngine(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")

	// The estimator's data: the console catalogue, times the instances.
	res, body := c.do(http.MethodGet, "/console/widgets/catalogue?zone=par", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("console catalogue: %d %s", res.StatusCode, body)
	}
	var cat components.Catalogue
	if err := json.Unmarshal([]byte(body), &cat); err != nil {
		t.Fatal(err)
	}
	p, _ := cat.Product("node")
	var plan components.Plan
	for _, pl := range p.Plans {
		if pl.ID == "2XL" {
			plan = pl
		}
	}
	estimator := components.Estimate(plan, components.Period30Days, 3)

	// The console's create form, preset to the same configuration.
	_, page := c.do(http.MethodGet, "/console/apps/new?"+url.Values{"runtime": {"node"}, "zone": {"par"}, "flavor": {"2XL"}, "instances": {"3"}}.Encode(), nil)
	console := regexpFind(t, page, `data-testid="estimate"[^>]*>(?s:.*?)<strong class="amount">([^<]+)<`)

	// The price system: the hourly price, times 720 hours rounded as the
	// price tables round it, times the instances.
	hourly := a.hourlyPrice(t, a.customerToken(t, "acme", "dev@acme.example"), "acme.localhost", "par", "apps.2XL")
	api := hourly.Mul(decimal.NewFromInt(720)).Round(2).Mul(decimal.NewFromInt(3)).StringFixed(2)
	if estimator != "1728.00" || console != "€1,728.00" || api != "1728.00" {
		t.Errorf("three 2XL for 30 days: estimator %s, console %s, price system %s; want 1728.00 everywhere", estimator, console, api)
	}
}

// BenchmarkWidgetCatalogue measures the public catalogue endpoint over the
// fully wired portal, side by side: "cached" is the steady state (the
// encoded answer reused for a few seconds), "built" prices every runtime
// size and add-on plan of the zone through the engine and encodes them on
// every request.
func BenchmarkWidgetCatalogue(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", 0}, {"built", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			a := newApp(b, func(a *app) { a.widgetCacheTTL = bc.ttl })
			req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/widgets/v1/catalogue?zone=par", nil)
			req.Host = "acme.localhost"
			req.Header.Set("Accept-Encoding", "gzip")
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// TestAdminWidgets checks the partner's widgets page: the preview in its
// brand, server-rendered so that it shows without JavaScript, the snippet
// on the partner's own host, and a clear message for a choice it does not
// sell.
func TestAdminWidgets(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	res, page := c.do(http.MethodGet, "/admin/widgets?widget=gl-price-table&zone=rbx&product=node&period=30-days", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("widgets page: %d", res.StatusCode)
	}
	snippet := `&lt;script type=&#34;module&#34; src=&#34;http://acme.localhost/widgets/v1.js&#34;&gt;&lt;/script&gt;` + "\n" +
		`&lt;gl-price-table zone=&#34;rbx&#34; product=&#34;node&#34; period=&#34;30-days&#34; selectable&gt;&lt;/gl-price-table&gt;`
	if !strings.Contains(page, snippet) {
		t.Errorf("the snippet is not Acme's: %s", regexpFind(t, page, `(?s)data-testid="snippet"[^>]*>(.*?)</textarea>`))
	}
	if !strings.Contains(page, `<gl-price-table`) || !strings.Contains(page, `data-period="30-days">€576.00<`) ||
		strings.Contains(page, `data-period="hour"`) {
		t.Errorf("the preview does not show node 2XL at €576.00 per 30 days only")
	}
	for query, want := range map[string]string{
		"widget=gl-zone-picker&zone=mtl":   "The zone “mtl” is not offered here.",
		"widget=gl-estimator&product=nope": "The product “nope” is not offered here.",
		"widget=gl-price-table&period=1y":  "The period “1y” is not one of hour, day, 30-days.",
	} {
		if _, page := c.do(http.MethodGet, "/admin/widgets?"+query, nil); !strings.Contains(page, want) {
			t.Errorf("%s: the page does not say %q", query, want)
		}
	}
	// A customer can't reach it.
	dev := a.client(t, "acme.localhost")
	dev.signIn("dev@acme.example")
	if res, _ := dev.do(http.MethodGet, "/admin/widgets", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a customer on the widgets page: got %d, want 403", res.StatusCode)
	}
}

// TestPricingWithoutJavaScript follows the zone picker's form, as a browser
// without JavaScript does: the page shows the chosen zone's prices.
func TestPricingWithoutJavaScript(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "globex.localhost")
	c.signIn("dev@globex.example")
	_, page := c.do(http.MethodGet, "/console/pricing?zone=mtl", nil)
	if !strings.Contains(page, `<form method="get" action="/console/pricing">`) ||
		!strings.Contains(page, `name="zone" value="mtl" checked`) || !strings.Contains(page, `data-zone="mtl"`) {
		t.Errorf("the pricing page does not show zone mtl chosen with a working form")
	}
	if got := per30Days(t, page, "", "2XL"); got != "456,00\u00a0€" {
		t.Errorf("2XL in mtl: got %q, want the contract's 456,00 €", got)
	}
}
