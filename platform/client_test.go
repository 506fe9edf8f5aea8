package platform

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newTestClient returns a client for srv with no backoff pause.
func newTestClient(t *testing.T, srv *httptest.Server, cfg Config) *Client {
	t.Helper()
	cfg.BaseURL = srv.URL
	if cfg.Token == "" {
		cfg.Token = "s3cret-token"
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.backoff = func(int) time.Duration { return time.Millisecond }
	return c
}

func TestNewClientValidatesBaseURL(t *testing.T) {
	tests := []struct {
		url    string
		wantOK bool
	}{
		{"http://127.0.0.1:8081", true},
		{"https://api.example.com/", true},
		{"https://api.example.com/prefix", true},
		{"", false},
		{"127.0.0.1:8081", false},
		{"ftp://example.com", false},
		{"/relative", false},
		{"http://user:pw@example.com", false},
		{"http://example.com?x=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := NewClient(Config{BaseURL: tt.url})
			if got := err == nil; got != tt.wantOK {
				t.Errorf("NewClient(%q) ok = %v, want %v (err %v)", tt.url, got, tt.wantOK, err)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    error
		wantMsg string
		wantID  int
	}{
		{"400", 400, `{"id":4001,"message":"bad name","type":"error"}`, ErrBadRequest, "bad name", 4001},
		{"401", 401, `{"id":2001,"message":"no token","type":"error"}`, ErrUnauthorized, "no token", 2001},
		{"403", 403, `{"id":1,"message":"nope","type":"error"}`, ErrForbidden, "nope", 1},
		{"404", 404, `{"id":4004,"message":"app not found","type":"error"}`, ErrNotFound, "app not found", 4004},
		{"409", 409, `{"id":4009,"message":"busy","type":"error"}`, ErrConflict, "busy", 4009},
		{"422", 422, `{"message":"odd"}`, ErrBadRequest, "odd", 0},
		{"429", 429, ``, ErrUnavailable, "", 0},
		{"500", 500, `<html>oops s3cret-token</html>`, ErrUnavailable, "", 0},
		{"502 garbage", 502, `garbage`, ErrUnavailable, "", 0},
		{"200 garbage", 200, `{not json`, ErrUnavailable, "", 0},
		{"404 garbage", 404, `not json at all`, ErrNotFound, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{MaxRetries: -1})
			_, err := c.Self(context.Background())
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %T, want *platform.Error", err)
			}
			if pe.Status != tt.status {
				t.Errorf("got status %d, want %d", pe.Status, tt.status)
			}
			if pe.Message != tt.wantMsg {
				t.Errorf("got message %q, want %q", pe.Message, tt.wantMsg)
			}
			if pe.ID != tt.wantID {
				t.Errorf("got id %d, want %d", pe.ID, tt.wantID)
			}
			if pe.Op != "get self" {
				t.Errorf("got op %q, want %q", pe.Op, "get self")
			}
			if strings.Contains(err.Error(), "s3cret-token") || strings.Contains(err.Error(), "<html>") {
				t.Errorf("error %q leaks the token or the raw body", err)
			}
		})
	}
}

func TestNetworkErrorIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	c := newTestClient(t, srv, Config{MaxRetries: -1})
	srv.Close()
	_, err := c.Zones(context.Background())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv, Config{Timeout: 50 * time.Millisecond, MaxRetries: -1})
	start := time.Now()
	_, err := c.Zones(context.Background())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want it to wrap context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("call took %v, want about the 50ms timeout", d)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		call      func(c *Client) error
		failures  int
		retries   int
		wantCalls int32
		wantErr   error
	}{
		{"GET 503 then success", func(c *Client) error { _, err := c.Zones(context.Background()); return err }, 1, 2, 2, nil},
		{"GET 503 twice then success", func(c *Client) error { _, err := c.Zones(context.Background()); return err }, 2, 2, 3, nil},
		{"GET 503 beyond retries", func(c *Client) error { _, err := c.Zones(context.Background()); return err }, 5, 2, 3, ErrUnavailable},
		{"GET no retries", func(c *Client) error { _, err := c.Zones(context.Background()); return err }, 1, -1, 1, ErrUnavailable},
		{"POST never retried", func(c *Client) error {
			_, err := c.CreateOrganisation(context.Background(), Organisation{Name: "x"})
			return err
		}, 1, 2, 1, ErrUnavailable},
		{"PUT never retried", func(c *Client) error { return c.SetEnv(context.Background(), "o", "a", "K", "v") }, 1, 2, 1, ErrUnavailable},
		{"DELETE never retried", func(c *Client) error { return c.StopApplication(context.Background(), "o", "a") }, 1, 2, 1, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if int(calls.Add(1)) <= tt.failures {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				if r.Method == http.MethodGet {
					io.WriteString(w, `[]`)
					return
				}
				io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{MaxRetries: tt.retries})
			err := tt.call(c)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got error %v, want %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("got %d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestNoRetryOn404(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	if _, err := c.Zone(context.Background(), "nowhere"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("got %d calls, want 1", got)
	}
}

func TestRetryHonoursContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 5})
	c.backoff = func(int) time.Duration { return time.Hour }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Zones(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("call took %v, want it to stop with the context", d)
	}
}

func TestRequestShape(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 2, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name       string
		call       func(c *Client) error
		wantMethod string
		wantPath   string // escaped path
		wantQuery  string
	}{
		{"zone escaped", func(c *Client) error { _, err := c.Zone(context.Background(), "a/b?c"); return err },
			"GET", "/v4/products/zones/a%2Fb%3Fc", ""},
		{"app escaped", func(c *Client) error {
			_, err := c.Application(context.Background(), "orga_1/../x", "app 1#")
			return err
		}, "GET", "/v2/organisations/orga_1%2F..%2Fx/applications/app%201%23", ""},
		{"host cannot change", func(c *Client) error {
			_, err := c.Organisation(context.Background(), "@evil.example.com")
			return err
		}, "GET", "/v2/organisations/@evil.example.com", ""},
		{"env name escaped", func(c *Client) error { return c.DeleteEnv(context.Background(), "o", "a", "A/B") },
			"DELETE", "/v2/organisations/o/applications/a/env/A%2FB", ""},
		{"start", func(c *Client) error { _, err := c.StartApplication(context.Background(), "o", "a"); return err },
			"POST", "/v2/organisations/o/applications/a/instances", ""},
		{"restart", func(c *Client) error { _, err := c.RestartApplication(context.Background(), "o", "a"); return err },
			"POST", "/v2/organisations/o/applications/a/instances", ""},
		{"stop", func(c *Client) error { return c.StopApplication(context.Background(), "o", "a") },
			"DELETE", "/v2/organisations/o/applications/a/instances", ""},
		{"price system query", func(c *Client) error {
			_, err := c.PriceSystem(context.Background(), "par&x=1", "EUR")
			return err
		}, "GET", "/v4/billing/price-system", "currency=EUR&zone_id=par%26x%3D1"},
		{"consumptions query", func(c *Client) error {
			_, err := c.Consumptions(context.Background(), "o", from, to)
			return err
		}, "GET", "/v4/billing/organisations/o/consumptions", "from=2025-01-01T00%3A00%3A00Z&to=2025-01-31T23%3A00%3A00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotMethod, gotPath, gotQuery, gotAuth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotMethod, gotPath, gotQuery = r.Method, r.URL.EscapedPath(), r.URL.RawQuery
				gotAuth = r.Header.Get("Authorization")
				io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{})
			if err := tt.call(c); err != nil {
				var pe *Error
				// list answers decoding {} fail: only the request matters here.
				if !errors.As(err, &pe) || pe.Status != 200 {
					t.Fatalf("call: %v", err)
				}
			}
			if gotMethod != tt.wantMethod {
				t.Errorf("got method %s, want %s", gotMethod, tt.wantMethod)
			}
			if gotPath != tt.wantPath {
				t.Errorf("got path %s, want %s", gotPath, tt.wantPath)
			}
			if gotQuery != tt.wantQuery {
				t.Errorf("got query %s, want %s", gotQuery, tt.wantQuery)
			}
			if gotAuth != "Bearer s3cret-token" {
				t.Errorf("got Authorization %q, want %q", gotAuth, "Bearer s3cret-token")
			}
		})
	}
}

func TestInvalidSegmentsRefused(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	for _, id := range []string{"", ".", ".."} {
		t.Run(id, func(t *testing.T) {
			if _, err := c.Application(context.Background(), "o", id); !errors.Is(err, ErrBadRequest) {
				t.Errorf("got %v, want ErrBadRequest", err)
			}
		})
	}
	if got := calls.Load(); got != 0 {
		t.Errorf("got %d requests sent, want 0", got)
	}
}

func TestWithTokenAndPrefix(t *testing.T) {
	var gotAuth, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.Path
		io.WriteString(w, `{"id":"user_1"}`)
	}))
	defer srv.Close()
	base, err := NewClient(Config{BaseURL: srv.URL + "/api/", Token: "one"})
	if err != nil {
		t.Fatal(err)
	}
	other := base.WithToken("two")
	if _, err := other.Self(context.Background()); err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer two" || gotPath != "/api/v2/self" {
		t.Errorf("got %q %q, want %q %q", gotAuth, gotPath, "Bearer two", "/api/v2/self")
	}
	if _, err := base.Self(context.Background()); err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer one" {
		t.Errorf("got %q, want the original client unchanged (%q)", gotAuth, "Bearer one")
	}
}

func TestBodyCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("["))
		chunk := []byte(strings.Repeat(`"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",`, 1000))
		for i := 0; i*len(chunk) < maxBody+len(chunk); i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: -1})
	if _, err := c.Zones(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}
