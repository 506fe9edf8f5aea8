package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/server"
)

// TestMetrics checks that requests are counted by route template and
// audience (never by raw path or id), that cache and platform metrics are
// there, and that no partner host serves /metrics.
func TestMetrics(t *testing.T) {
	m := server.NewMetrics()
	a := newApp(t, func(a *app) { a.metrics = m })
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	c.do(http.MethodGet, "/console", nil)
	c.do(http.MethodGet, "/console/apps/app_00000000-0000-0000-0000-000000000000", nil) // a foreign id: 404
	a.get(t, "acme.localhost", "/widgets/v1/catalogue")
	a.get(t, "acme.localhost", "/widgets/v1/catalogue")
	a.get(t, "acme.localhost", "/no/such/page/12345")
	if res, _ := a.get(t, "acme.localhost", "/metrics"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a partner host serves /metrics: %d", res.StatusCode)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`grisaille_http_requests_total{audience="page",method="GET",route="/console",status="200"}`,
		`grisaille_http_requests_total{audience="page",method="GET",route="/console/apps/:app",status="404"}`,
		`grisaille_http_requests_total{audience="widget",method="GET",route="/widgets/v1/catalogue",status="200"} 2`,
		`grisaille_http_requests_total{audience="other",method="GET",route="unmatched",status="404"}`,
		`grisaille_http_request_duration_seconds_bucket{audience="page",route="/console",le=`,
		`grisaille_cache_hits_total{cache="widget_catalogue"} 1`,
		`grisaille_cache_misses_total{cache="partners"}`,
		`grisaille_invoicing_runs 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the metrics lack %s", want)
		}
	}
	for _, leak := range []string{"app_00000000", "12345", "dev@acme"} {
		if strings.Contains(text, leak) {
			t.Errorf("the metrics carry a raw value: %s", leak)
		}
	}
}
