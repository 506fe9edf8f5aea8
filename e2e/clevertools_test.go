package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/platform/emulator"
)

// CleverToolsDirEnv is the environment variable that names the directory
// whose node_modules holds clever-tools; e2e/clitools otherwise, where
// `npm ci --prefix e2e/clitools` installs the pinned version.
const CleverToolsDirEnv = "GRISAILLE_CLEVER_TOOLS_DIR"

// cleverTools is the official CLI, ready to run.
type cleverTools struct {
	node    string // the node binary
	script  string // clever-tools' bin/clever.js
	preload string // localhost.cjs, the *.localhost DNS preload
}

// findCleverTools locates node, the installed clever-tools and the DNS
// preload. When one is missing it fails the test if CI is set and skips it
// otherwise.
func findCleverTools(t *testing.T) cleverTools {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if inCI() {
			t.Fatalf("%s; CI is set, so the clever-tools test must run", msg)
		}
		t.Skipf("%s; skipping (run `npm ci --prefix e2e/clitools` to enable it)", msg)
	}
	dir := os.Getenv(CleverToolsDirEnv)
	if dir == "" {
		dir = "clitools"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node in PATH")
	}
	ct := cleverTools{node: node, script: filepath.Join(dir, "node_modules", "clever-tools", "bin", "clever.js")}
	if _, err := os.Stat(ct.script); err != nil {
		missing("clever-tools is not installed: %v", err)
	}
	// The preload ships with the repository, next to package.json.
	ct.preload, err = filepath.Abs(filepath.Join("clitools", "localhost.cjs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ct.preload); err != nil {
		t.Fatalf("the DNS preload is missing: %v", err)
	}
	return ct
}

// apiRequest is one request the CLI made, as the logging wrapper saw it.
type apiRequest struct {
	Method, Path, Query, Host, Auth, Body string
	Status                                int
}

// String is the request on one line, as docs/clever-tools.md lists them.
func (r apiRequest) String() string {
	s := r.Method + " " + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	return fmt.Sprintf("%s -> %d", s, r.Status)
}

// requestLog records the requests an HTTP handler serves.
type requestLog struct {
	mu   sync.Mutex // guards reqs
	reqs []apiRequest
}

// wrap returns h, recording each request in l.
func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.reqs = append(l.reqs, apiRequest{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
			Auth: r.Header.Get("Authorization"), Body: string(body), Status: sw.status,
		})
	})
}

// since returns the requests recorded from index n on.
func (l *requestLog) since(n int) []apiRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]apiRequest(nil), l.reqs[n:]...)
}

// len is the number of requests recorded so far.
func (l *requestLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// statusWriter remembers the status of a response; Unwrap lets
// http.ResponseController flush the emulator's event streams through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cliRun is the outcome of one CLI command.
type cliRun struct {
	args     []string
	output   string // stdout and stderr
	err      error  // nil when the command exited 0
	took     time.Duration
	requests []apiRequest
}

// cleverSession runs CLI commands against one API host.
type cleverSession struct {
	ct      cleverTools
	apiHost string
	token   string
	home    string
	log     *requestLog
}

// run runs `clever args...` in dir, non-interactively: credentials from
// CLEVER_TOKEN and CLEVER_SECRET, the API from API_HOST, a temporary HOME
// (and XDG directories) so that nothing touches the real home, no update
// check and no colours.
func (s *cleverSession) run(t *testing.T, dir string, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.ct.node, append([]string{s.ct.script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"NODE_OPTIONS=--require "+s.ct.preload,
		"API_HOST="+s.apiHost,
		"CLEVER_TOKEN="+s.token,
		"CLEVER_SECRET=any-secret",
		"HOME="+s.home,
		"XDG_CONFIG_HOME="+filepath.Join(s.home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(s.home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(s.home, ".local", "share"),
		"XDG_STATE_HOME="+filepath.Join(s.home, ".local", "state"),
		"NO_UPDATE_NOTIFIER=1",
		"NO_COLOR=1",
	)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	n := s.log.len()
	start := time.Now()
	err := cmd.Run()
	r := cliRun{args: args, output: out.String(), err: err, took: time.Since(start), requests: s.log.since(n)}
	t.Logf("clever %s: %v in %v; requests:\n\t%s", strings.Join(args, " "), exitOf(err), r.took.Round(time.Millisecond), joinRequests(r.requests))
	return r
}

// mustSucceed fails the test, showing the output, unless r exited 0.
func (r cliRun) mustSucceed(t *testing.T) cliRun {
	t.Helper()
	if r.err != nil {
		t.Fatalf("clever %s: %v, want exit 0; output:\n%s", strings.Join(r.args, " "), r.err, r.output)
	}
	return r
}

// exitOf describes a command's end.
func exitOf(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// joinRequests lists requests one per line.
func joinRequests(reqs []apiRequest) string {
	lines := make([]string, 0, len(reqs))
	for _, r := range reqs {
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n\t")
}

// hasRequest reports whether reqs holds method path (path without query).
func hasRequest(reqs []apiRequest, method, path string) bool {
	for _, r := range reqs {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

// TestCleverToolsAgainstEmulator runs the official CLI, clever-tools 4.11.0,
// against the platform emulator the way a partner's customer will run it
// against the portal: API_HOST names a *.localhost host (resolved by the
// preload e2e/clitools/localhost.cjs), CLEVER_TOKEN and CLEVER_SECRET carry
// the credentials. It lists an organisation's applications, creates one in
// zone par, restarts and stops it, and fails to create one in an unknown
// zone. docs/clever-tools.md lists the requests each command makes.
func TestCleverToolsAgainstEmulator(t *testing.T) {
	ct := findCleverTools(t)
	ctx := context.Background()

	emu, err := emulator.Open(ctx, filepath.Join(t.TempDir(), "emulator.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	const token = "cli-token-of-acme"
	if err := emu.EnsureAccount(ctx, "acme", "ops@acme.example", token); err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(log.wrap(emu.Handler()))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	client, err := platform.NewClient(platform.Config{BaseURL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	org, err := client.CreateOrganisation(ctx, platform.Organisation{Name: "Roadrunner Labs"})
	if err != nil {
		t.Fatal(err)
	}
	existing, err := client.CreateApplication(ctx, org.ID, platform.ApplicationCreate{
		Name: "existing-api", Zone: "par", InstanceType: "node", InstanceVersion: "20210421", InstanceVariant: "node",
	})
	if err != nil {
		t.Fatal(err)
	}

	s := &cleverSession{ct: ct, apiHost: "http://acme.localhost:" + port, token: token, home: t.TempDir(), log: log}
	work := t.TempDir()
	if git, err := exec.LookPath("git"); err == nil {
		if out, err := exec.Command(git, "init", "-q", work).CombinedOutput(); err != nil {
			t.Fatalf("git init: %v\n%s", err, out)
		}
	}
	total := time.Now()

	t.Run("profile", func(t *testing.T) {
		r := s.run(t, work, "profile").mustSucceed(t)
		mustContain(t, "clever profile", r.output, "ops@acme.example", "acme")
		// The preload works: every request went to acme.localhost, with the
		// OAuth 1.0a PLAINTEXT header carrying the token.
		for _, req := range r.requests {
			if req.Host != "acme.localhost:"+port {
				t.Errorf("%s: got Host %q, want acme.localhost:%s", req, req.Host, port)
			}
			if !strings.HasPrefix(req.Auth, "OAuth ") || !strings.Contains(req.Auth, `oauth_token="`+token+`"`) ||
				!strings.Contains(req.Auth, `%26any-secret"`) {
				t.Errorf("%s: got Authorization %q, want OAuth PLAINTEXT with the token and secret", req, req.Auth)
			}
		}
	})

	t.Run("applications list", func(t *testing.T) {
		r := s.run(t, work, "applications", "list", "--org", org.Name).mustSucceed(t)
		mustContain(t, "clever applications list", r.output, org.ID, existing.ID, "existing-api", "par")
		r = s.run(t, work, "applications", "list", "--org", org.ID, "--format", "json").mustSucceed(t)
		var orgs []struct {
			ID           string `json:"id"`
			Applications []struct {
				AppID string `json:"app_id"`
				Zone  string `json:"zone"`
				Type  string `json:"type"`
			} `json:"applications"`
		}
		if err := json.Unmarshal([]byte(r.output), &orgs); err != nil {
			t.Fatalf("decode the JSON list: %v\n%s", err, r.output)
		}
		if len(orgs) != 1 || orgs[0].ID != org.ID || len(orgs[0].Applications) != 1 ||
			orgs[0].Applications[0].AppID != existing.ID || orgs[0].Applications[0].Type != "node" {
			t.Errorf("got %+v, want organisation %s with application %s (node)", orgs, org.ID, existing.ID)
		}
	})

	var created platform.Application
	t.Run("create in par", func(t *testing.T) {
		r := s.run(t, work, "create", "--type", "node", "web-cli", "--region", "par", "--org", org.ID).mustSucceed(t)
		mustContain(t, "clever create", r.output, "web-cli", "successfully created")
		apps, err := client.Applications(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			if a.Name == "web-cli" {
				created = a
			}
		}
		if created.ID == "" || created.Zone != "par" || created.Instance.Type != "node" {
			t.Fatalf("got applications %+v, want web-cli, node, in par", apps)
		}
		mustContain(t, "clever create", r.output, created.ID)
		conf, err := os.ReadFile(filepath.Join(work, ".clever.json"))
		if err != nil {
			t.Fatalf("clever create linked no application: %v", err)
		}
		mustContain(t, ".clever.json", string(conf), created.ID, org.ID)
	})
	if created.ID == "" {
		t.FailNow()
	}

	t.Run("restart", func(t *testing.T) {
		r := s.run(t, work, "restart").mustSucceed(t)
		mustContain(t, "clever restart", r.output, "Deployment started", "Successfully deployed")
		base := "/v2/organisations/" + org.ID + "/applications/" + created.ID
		if !hasRequest(r.requests, "POST", base+"/instances") || !hasRequest(r.requests, "GET", "/v4/logs/organisations/"+org.ID+"/applications/"+created.ID+"/logs") {
			t.Errorf("clever restart made no start request or followed no logs:\n\t%s", joinRequests(r.requests))
		}
		a, err := client.Application(ctx, org.ID, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != platform.StateShouldBeUp {
			t.Errorf("got state %s after clever restart, want %s", a.State, platform.StateShouldBeUp)
		}
	})

	t.Run("restart by id, exit on deploy start", func(t *testing.T) {
		r := s.run(t, t.TempDir(), "restart", "--app", created.ID, "--exit-on", "deploy-start").mustSucceed(t)
		mustContain(t, "clever restart --app --exit-on deploy-start", r.output, "Deployment started")
	})

	t.Run("stop", func(t *testing.T) {
		r := s.run(t, work, "stop").mustSucceed(t)
		mustContain(t, "clever stop", r.output, "stopped")
		a, err := client.Application(ctx, org.ID, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != platform.StateShouldBeDown {
			t.Errorf("got state %s after clever stop, want %s", a.State, platform.StateShouldBeDown)
		}
	})

	t.Run("create in an unknown zone", func(t *testing.T) {
		dir := t.TempDir()
		r := s.run(t, dir, "create", "--type", "node", "lost-app", "--region", "atlantis", "--org", org.ID)
		if r.err == nil {
			t.Fatalf("clever create --region atlantis: got exit 0, want a failure; output:\n%s", r.output)
		}
		mustContain(t, "clever create --region atlantis", r.output, `unknown zone "atlantis"`)
		if _, err := os.Stat(filepath.Join(dir, ".clever.json")); err == nil {
			t.Errorf("a failed clever create linked an application")
		}
		apps, err := client.Applications(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(apps) != 2 {
			t.Errorf("got %d applications after a failed create, want 2", len(apps))
		}
	})
	t.Logf("the CLI test ran its commands in %v", time.Since(total).Round(time.Millisecond))
}
