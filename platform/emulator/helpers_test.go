package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/platform/emulator"
)

// Tokens of the two test accounts.
const (
	tokenA = "token-account-a"
	tokenB = "token-account-b"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running emulator with two accounts, A and B.
type env struct {
	path  string
	clock *clock
	emu   *emulator.Emulator
	srv   *httptest.Server
	a, b  *platform.Client
}

// start0 is the test clock's initial time.
var start0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// newEnv opens an emulator on a fresh database with accounts A and B.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{path: filepath.Join(t.TempDir(), "emulator.db"), clock: &clock{t: start0}}
	e.open(t)
	ctx := context.Background()
	if err := e.emu.EnsureAccount(ctx, "alpha", "alpha@example.com", tokenA); err != nil {
		t.Fatalf("EnsureAccount A: %v", err)
	}
	if err := e.emu.EnsureAccount(ctx, "beta", "beta@example.com", tokenB); err != nil {
		t.Fatalf("EnsureAccount B: %v", err)
	}
	return e
}

// open (re)opens the emulator on e.path and serves it.
func (e *env) open(t *testing.T) {
	t.Helper()
	emu, err := emulator.Open(context.Background(), e.path, emulator.WithClock(e.clock.Now))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	e.emu = emu
	e.srv = httptest.NewServer(emu.Handler())
	e.a, err = platform.NewClient(platform.Config{BaseURL: e.srv.URL, Token: tokenA, MaxRetries: -1})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	e.b = e.a.WithToken(tokenB)
	t.Cleanup(e.close)
}

// close stops serving and closes the emulator; it is idempotent.
func (e *env) close() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
	if e.emu != nil {
		e.emu.Close()
		e.emu = nil
	}
}

// raw sends a request with an Authorization header (none when auth is
// empty) and returns the status and body.
func (e *env) raw(t *testing.T, method, path, auth string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: got Content-Type %q, want application/json", method, path, ct)
	}
	return resp.StatusCode, b
}

// rawJSON is raw, checking the status and decoding the body.
func (e *env) rawJSON(t *testing.T, method, path, auth string, body any, wantStatus int, out any) {
	t.Helper()
	status, b := e.raw(t, method, path, auth, body)
	if status != wantStatus {
		t.Fatalf("%s %s: got status %d, want %d (body %s)", method, path, status, wantStatus, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
	}
}

// bearer is the Authorization header of token.
func bearer(token string) string { return "Bearer " + token }

// hasKeys checks that the JSON object m has every key.
func hasKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: got keys %v, want key %q", what, mapKeys(m), k)
		}
	}
}

func mapKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// obj returns m[key] as an object.
func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("got %s = %#v, want an object", key, m[key])
	}
	return o
}

// wantErrorBody checks an error answer's status and {id, message, type} body.
func (e *env) wantErrorBody(t *testing.T, method, path, auth string, body any, wantStatus int) {
	t.Helper()
	var m map[string]any
	e.rawJSON(t, method, path, auth, body, wantStatus, &m)
	hasKeys(t, method+" "+path, m, "id", "message", "type")
	if m["type"] != "error" {
		t.Errorf("%s %s: got type %v, want error", method, path, m["type"])
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Errorf("%s %s: got empty message, want one", method, path)
	}
}

// wantIs checks that err matches target.
func wantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// mustOrg creates an organisation through client c.
func mustOrg(t *testing.T, c *platform.Client, name string) platform.Organisation {
	t.Helper()
	o, err := c.CreateOrganisation(context.Background(), platform.Organisation{Name: name})
	if err != nil {
		t.Fatalf("CreateOrganisation: %v", err)
	}
	return o
}

// nodeApp is a valid application creation request.
func nodeApp(name string) platform.ApplicationCreate {
	return platform.ApplicationCreate{
		Name: name, Zone: "par", Deploy: "git", InstanceType: "node", InstanceVersion: "20210421",
		InstanceVariant: "node", MinInstances: 1, MaxInstances: 2, MinFlavor: "XS", MaxFlavor: "M",
		Tags: []string{"grisaille:idem=123"}, Env: map[string]string{"PORT": "8080"},
	}
}

// mustApp creates an application through client c.
func mustApp(t *testing.T, c *platform.Client, org, name string) platform.Application {
	t.Helper()
	a, err := c.CreateApplication(context.Background(), org, nodeApp(name))
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	return a
}

// pgAddon is a valid add-on creation request.
func pgAddon(name string) platform.AddonCreate {
	return platform.AddonCreate{Name: name, ProviderID: "postgresql-addon", Plan: "xs_sml", Region: "par"}
}
