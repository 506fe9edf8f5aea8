package server_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/server"
)

// TestHangingPlatform stops the platform from answering: every console
// page and API call still answers within its budget plus half a second,
// with a branded page or {id, message, type} that says the platform is slow.
func TestHangingPlatform(t *testing.T) {
	const budget = time.Second
	a := newApp(t, func(a *app) { a.requestTimeout = budget })
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	tok := a.customerToken(t, "acme", "dev@acme.example")
	a.hang.Store(true)
	t.Cleanup(func() { a.hang.Store(false) })

	for _, path := range []string{"/console", "/console/apps/new", "/console/addons/new", "/console/pricing"} {
		t.Run("page "+path, func(t *testing.T) {
			start := time.Now()
			res, page := c.do(http.MethodGet, path, nil)
			took := time.Since(start)
			if took > budget+500*time.Millisecond {
				t.Errorf("answered after %v, over the %v budget and half a second", took, budget)
			}
			if res.StatusCode != http.StatusGatewayTimeout && res.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("got %d, want 504 or 503", res.StatusCode)
			}
			if !strings.Contains(page, "Acme Cloud") || !strings.Contains(page, `data-testid="error-message"`) {
				t.Errorf("not a branded error page:\n%s", page)
			}
		})
	}
	t.Run("API", func(t *testing.T) {
		start := time.Now()
		st, obj, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/organisations", tok, nil)
		if took := time.Since(start); took > budget+500*time.Millisecond {
			t.Errorf("answered after %v", took)
		}
		if st != http.StatusGatewayTimeout && st != http.StatusServiceUnavailable || obj["type"] != "error" || obj["message"] == "" {
			t.Errorf("got %d %v, want 504 or 503 {id, message, type}", st, obj)
		}
	})
}

// TestForwardedHeaders checks that only trusted proxies can say the client
// came over HTTPS: anybody else's X-Forwarded-Proto neither turns on HSTS
// nor makes cookies Secure.
func TestForwardedHeaders(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		https   bool
	}{
		{"nobody trusted", nil, false},
		{"another proxy trusted", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, false},
		{"this peer trusted", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t, func(a *app) { a.trustedProxies = tt.trusted })
			c := a.client(t, "acme.localhost")
			res, _ := c.do(http.MethodGet, "/login", nil, "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.7")
			hsts := res.Header.Get("Strict-Transport-Security") != ""
			secure := false
			for _, ck := range res.Cookies() {
				secure = secure || ck.Secure
			}
			if hsts != tt.https || secure != tt.https {
				t.Errorf("HSTS %v, Secure cookie %v; want %v", hsts, secure, tt.https)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := server.ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.1 ,::1,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.1/32", "::1/128", "2001:db8::/32"}
	for i, p := range got {
		if p.String() != want[i] {
			t.Errorf("%d: got %s, want %s", i, p, want[i])
		}
	}
	if _, err := server.ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Errorf("a bad CIDR is accepted")
	}
}

// TestCompression checks that pages and JSON go gzipped to the clients
// that take it, and that a stream or an image does not.
func TestCompression(t *testing.T) {
	a := newApp(t)
	for _, tt := range []struct {
		path string
		gzip bool
	}{
		{"/login", true},
		{"/static/app.css", true},
		{"/widgets/v1/catalogue", true}, // compressed ahead, by its handler
		{"/healthz", false},
	} {
		res, body := a.get(t, "acme.localhost", tt.path, "Accept-Encoding", "gzip")
		if got := res.Header.Get("Content-Encoding") == "gzip"; got != tt.gzip || res.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("%s: status %d, gzip %v, want %v", tt.path, res.StatusCode, got, tt.gzip)
		}
	}
	if res, _ := a.get(t, "acme.localhost", "/login"); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("a client that does not take gzip got %q", res.Header.Get("Content-Encoding"))
	}
}
