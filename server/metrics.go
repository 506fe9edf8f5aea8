package server

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/grisaille/grisaille/pricing/invoicing"
)

// Metrics are the portal's Prometheus metrics. They are served on their
// own address (serve --metrics-addr), never on a partner's host. Every
// label is bounded: route templates, never raw paths or ids.
type Metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	upstream        *prometheus.CounterVec
	upstreamLatency *prometheus.HistogramVec
}

// NewMetrics returns the portal's metrics, with the Go runtime's and the
// process's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grisaille_http_requests_total", Help: "Requests answered, by route template, method, status and audience (page, api, widget, other).",
		}, []string{"route", "method", "status", "audience"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "grisaille_http_request_duration_seconds", Help: "Time to answer a request, by route template and audience.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "audience"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grisaille_platform_calls_total", Help: "Calls to the platform API, by endpoint and outcome (ok, refused, unavailable, timeout).",
		}, []string{"endpoint", "outcome"}),
		upstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "grisaille_platform_call_duration_seconds", Help: "Time of a call to the platform API, retries included, by endpoint.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.upstream, m.upstreamLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObservePlatform records a platform call; it is platform.Config.Observe.
func (m *Metrics) ObservePlatform(endpoint, outcome string, d time.Duration) {
	m.upstream.WithLabelValues(endpoint, outcome).Inc()
	m.upstreamLatency.WithLabelValues(endpoint).Observe(d.Seconds())
}

// ObserveDB exports a database pool's statistics (open, in use, idle
// connections, waits).
func (m *Metrics) ObserveDB(db *sql.DB, name string) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Counter exports a count kept elsewhere (cache hits and misses, invoiced
// customers), read at each scrape.
func (m *Metrics) Counter(name, help string, labels prometheus.Labels, count func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, count))
}

// Gauge exports a level kept elsewhere (invoicing runs in progress).
func (m *Metrics) Gauge(name, help string, labels prometheus.Labels, level func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, level))
}

// audience sorts a request by who it serves.
func audience(path string) string {
	switch {
	case strings.HasPrefix(path, "/widgets/"):
		return "widget"
	case strings.HasPrefix(path, "/v2/"), strings.HasPrefix(path, "/v4/"), strings.HasPrefix(path, "/api/"):
		return "api"
	case path == "/" || path == "/login" || path == "/logout" || path == "/language" ||
		strings.HasPrefix(path, "/console") || strings.HasPrefix(path, "/admin"):
		return "page"
	}
	return "other"
}

// observe records one answered request, labelled by its route template.
func (m *Metrics) observe(c echo.Context, d time.Duration) {
	route := c.Path()
	if route == "" || route == "/*" {
		route = "unmatched" // no route: the raw path would be unbounded
	}
	aud := audience(c.Request().URL.Path)
	m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(c.Response().Status), aud).Inc()
	m.latency.WithLabelValues(route, aud).Observe(d.Seconds())
}

// registerMetrics exports the caches' hits and misses and the invoicing
// runs' progress.
func (s *server) registerMetrics(h interface{ WidgetCacheStats() (uint64, uint64) }) {
	m := s.cfg.Metrics
	caches := map[string]func() (uint64, uint64){"widget_catalogue": h.WidgetCacheStats}
	if s.cfg.Tenants != nil {
		caches["partners"] = s.cfg.Tenants.PartnerCacheStats
		caches["customers"] = s.cfg.Tenants.CustomerCacheStats
	}
	if s.cfg.Tokens != nil {
		caches["token_records"] = s.cfg.Tokens.RecordCacheStats
	}
	for name, stats := range caches {
		m.Counter("grisaille_cache_hits_total", "Lookups a cache answered.", prometheus.Labels{"cache": name},
			func() float64 { h, _ := stats(); return float64(h) })
		m.Counter("grisaille_cache_misses_total", "Lookups a cache could not answer.", prometheus.Labels{"cache": name},
			func() float64 { _, n := stats(); return float64(n) })
	}
	if inv := s.cfg.Invoicing; inv != nil {
		for outcome, count := range map[string]func(invoicing.RunStats) uint64{
			"created":      func(st invoicing.RunStats) uint64 { return st.Created },
			"already_done": func(st invoicing.RunStats) uint64 { return st.AlreadyDone },
			"empty":        func(st invoicing.RunStats) uint64 { return st.Empty },
			"failed":       func(st invoicing.RunStats) uint64 { return st.Failed },
		} {
			m.Counter("grisaille_invoicing_customers_total", "Customers the invoicing runs went through, by outcome.",
				prometheus.Labels{"outcome": outcome}, func() float64 { return float64(count(inv.Stats())) })
		}
		m.Gauge("grisaille_invoicing_runs", "Invoicing runs in progress in this process.", nil,
			func() float64 { return float64(inv.Stats().Running) })
	}
}
