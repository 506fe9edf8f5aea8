package e2e

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHarnessHostTenants proves the harness end to end: Chromium starts,
// reaches a server on the loopback address through *.localhost host names,
// and sends each name in the Host header, which is how the portal tells its
// tenants apart.
func TestHarnessHostTenants(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>echo</title><p>host=%s</p>", html.EscapeString(r.Host))
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}

	ctx := NewBrowser(t)
	for _, tenant := range []string{"acme", "globex"} {
		host := tenant + ".localhost:" + port
		if err := chromedp.Do(ctx, chromedp.Navigate("http://"+host+"/")); err != nil {
			t.Fatalf("navigate to %s: %v", host, err)
		}
		text, err := BodyText(ctx)
		if err != nil {
			t.Fatalf("body text of %s: %v", host, err)
		}
		if want := "host=" + host; strings.TrimSpace(text) != want {
			t.Errorf("page of %s shows %q, want %q", host, text, want)
		}
	}
}
