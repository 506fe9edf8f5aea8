package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// apiDo calls the portal's API on host with token and returns the status
// and the body.
func (p *portal) apiDo(t *testing.T, host, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://127.0.0.1:"+p.Port+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// gitIn runs git in dir with a clean configuration.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestCleverToolsDayTwo runs the official CLI, clever-tools 4.11.0, through
// Acme's portal with a customer token, in the order a customer works:
// create, link, status, env set, env rm, env, scale, domain add, domain,
// domain favourite set, addon create, service link-addon, addon list
// without --org, deploy (a real git push to the partner's host), logs (the
// deployment's lines), activity, restart, stop and delete. Each is checked
// on the platform's side too. Then, with a read-only token derived from
// it, every write among them is refused, and the API answers each in the
// platform's error shape.
func TestCleverToolsDayTwo(t *testing.T) {
	ct := findCleverTools(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("clever deploy needs git")
	}
	p := startPortal(t)
	host := "acme.localhost:" + p.Port
	token := p.grisaille(t, "token", "mint", "--partner", "acme", "--customer", "dev@acme.example", "--label", "day two")
	var orgs []struct{ ID string }
	if st := p.apiGet(t, host, "/v2/organisations", token, &orgs); st != http.StatusOK || len(orgs) != 1 {
		t.Fatalf("GET /v2/organisations: %d %+v", st, orgs)
	}
	org := orgs[0].ID
	s := &cleverSession{ct: ct, apiHost: "http://" + host, token: token, home: t.TempDir(), log: &requestLog{}}

	work := t.TempDir()
	gitIn(t, work, "init", "-q", "-b", "main")
	gitIn(t, work, "config", "user.email", "dev@acme.example")
	gitIn(t, work, "config", "user.name", "Wile E. Coyote")
	if err := os.WriteFile(filepath.Join(work, "index.js"), []byte("require('http').createServer((q, r) => r.end('beep')).listen(8080)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gitIn(t, work, "add", ".")
	gitIn(t, work, "commit", "-q", "-m", "Road runner API")
	commit := gitIn(t, work, "rev-parse", "HEAD")

	appID := ""
	get := func(path string, out any) {
		t.Helper()
		if st := p.apiGet(t, host, "/v2/organisations/"+org+"/applications/"+appID+path, token, out); st != http.StatusOK {
			t.Fatalf("GET …%s: %d", path, st)
		}
	}

	// create, then link from another checkout by name.
	r := s.run(t, work, "create", "--type", "node", "beep-api", "--region", "par", "--org", org).mustSucceed(t)
	mustContain(t, "clever create", r.output, "beep-api", "successfully created")
	appID = regexp.MustCompile(`app_[0-9a-f-]{36}`).FindString(r.output)
	if appID == "" {
		t.Fatalf("clever create printed no application id:\n%s", r.output)
	}
	other := t.TempDir()
	r = s.run(t, other, "link", "beep-api", "--org", org).mustSucceed(t)
	conf, err := os.ReadFile(filepath.Join(other, ".clever.json"))
	if err != nil || !strings.Contains(string(conf), appID) || !strings.Contains(string(conf), "http://"+host+"/git/"+appID+".git") {
		t.Fatalf("clever link wrote %s (%v), want %s with its remote on the partner's host", conf, err, appID)
	}

	r = s.run(t, work, "status").mustSucceed(t)
	mustContain(t, "clever status", r.output, "beep-api", "stopped", "Sizes: XS")

	s.run(t, work, "env", "set", "GREETING", "beep").mustSucceed(t)
	s.run(t, work, "env", "set", "DOOMED", "soon").mustSucceed(t)
	s.run(t, work, "env", "rm", "DOOMED").mustSucceed(t)
	r = s.run(t, work, "env").mustSucceed(t)
	mustContain(t, "clever env", r.output, `GREETING="beep"`)
	mustNotContain(t, "clever env", r.output, "DOOMED")

	s.run(t, work, "scale", "--flavor", "M").mustSucceed(t)
	s.run(t, work, "scale", "--min-instances", "2", "--max-instances", "3").mustSucceed(t)
	var a struct {
		Instance struct {
			MinInstances, MaxInstances int
			MinFlavor, MaxFlavor       struct{ Name string }
		}
		CommitID string
		State    string
	}
	get("", &a)
	if a.Instance.MinFlavor.Name != "M" || a.Instance.MaxFlavor.Name != "M" || a.Instance.MinInstances != 2 || a.Instance.MaxInstances != 3 {
		t.Errorf("after clever scale: got %+v, want M, 2 to 3 instances", a.Instance)
	}

	s.run(t, work, "domain", "add", "beep.roadrunner.example").mustSucceed(t)
	r = s.run(t, work, "domain").mustSucceed(t)
	mustContain(t, "clever domain", r.output, "beep.roadrunner.example", ".apps.acme.localhost")
	s.run(t, work, "domain", "favourite", "set", "beep.roadrunner.example").mustSucceed(t)
	var fav struct{ FQDN string }
	get("/vhosts/favourite", &fav)
	if fav.FQDN != "beep.roadrunner.example" {
		t.Errorf("favourite domain: got %q, want beep.roadrunner.example", fav.FQDN)
	}

	r = s.run(t, work, "addon", "create", "postgresql-addon", "beep-db", "--plan", "xs_sml", "--region", "par", "--org", org).mustSucceed(t)
	mustContain(t, "clever addon create", r.output, "beep-db")
	s.run(t, work, "service", "link-addon", "beep-db").mustSucceed(t)
	r = s.run(t, work, "addon", "list").mustSucceed(t)
	mustContain(t, "clever addon list", r.output, "beep-db", "storefront-db")
	r = s.run(t, work, "env").mustSucceed(t)
	mustContain(t, "clever env with the add-on", r.output, "# Addon beep-db", "POSTGRESQL_ADDON_URI=")

	// deploy: a real git push to acme.localhost/git/<app>.git.
	s.run(t, work, "features", "enable", "system-git").mustSucceed(t)
	r = s.run(t, work, "deploy").mustSucceed(t)
	mustContain(t, "clever deploy", r.output, "Deployment started", "Fetching the pushed commit "+commit, "Successfully deployed")
	get("", &a)
	if a.CommitID != commit || a.State != "SHOULD_BE_UP" {
		t.Errorf("after clever deploy: got commit %q state %s, want %s SHOULD_BE_UP", a.CommitID, a.State, commit)
	}
	r = s.run(t, work, "status").mustSucceed(t)
	mustContain(t, "clever status after deploy", r.output, "running", "2*M", commit)

	since := time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339)
	until := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	r = s.run(t, work, "logs", "--since", since, "--until", until).mustSucceed(t)
	mustContain(t, "clever logs", r.output, "of commit "+commit+" started (cause: git)", "Build succeeded", "Successfully deployed")

	r = s.run(t, work, "activity").mustSucceed(t)
	mustContain(t, "clever activity", r.output, "DEPLOY", commit[:8], "git")

	r = s.run(t, work, "restart").mustSucceed(t)
	mustContain(t, "clever restart", r.output, "Deployment started", "Successfully deployed", commit)

	// The read-only token: every write refused, in the platform's shape.
	ro := p.grisaille(t, "token", "attenuate", "--token", token, "--operations", "org:read,app:read,addon:read", "--label", "read-only")
	rs := &cleverSession{ct: ct, apiHost: s.apiHost, token: ro, home: t.TempDir(), log: &requestLog{}}
	roWork := t.TempDir()
	gitIn(t, roWork, "clone", "-q", work, ".")
	gitIn(t, roWork, "config", "user.email", "dev@acme.example")
	gitIn(t, roWork, "config", "user.name", "Wile E. Coyote")
	gitIn(t, roWork, "commit", "-q", "--allow-empty", "-m", "not allowed")
	rs.run(t, roWork, "link", appID, "--org", org).mustSucceed(t)
	rs.run(t, roWork, "features", "enable", "system-git").mustSucceed(t)
	rs.run(t, roWork, "status").mustSucceed(t)
	for _, args := range [][]string{
		{"create", "--type", "node", "nope", "--region", "par", "--org", org},
		{"env", "set", "GREETING", "boop"},
		{"env", "rm", "GREETING"},
		{"scale", "--flavor", "L"},
		{"domain", "add", "nope.roadrunner.example"},
		{"domain", "favourite", "set", "beep.roadrunner.example"},
		{"addon", "create", "postgresql-addon", "nope-db", "--plan", "xs_sml", "--region", "par", "--org", org},
		{"service", "link-addon", "storefront-db"},
		{"deploy"},
		{"restart"},
		{"stop"},
		{"delete", "--yes"},
	} {
		r := rs.run(t, roWork, args...)
		if r.err == nil {
			t.Errorf("clever %s with a read-only token: got exit 0, want a refusal; output:\n%s", strings.Join(args, " "), r.output)
			continue
		}
		if !strings.Contains(r.output, "Your token does not allow this action") && !strings.Contains(r.output, "403") {
			t.Errorf("clever %s with a read-only token: refused without the portal's reason:\n%s", strings.Join(args, " "), r.output)
		}
	}
	base := "/v2/organisations/" + org + "/applications/" + appID
	for _, w := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v2/organisations/" + org + "/applications", map[string]any{"name": "nope", "zone": "par"}},
		{"PUT", base + "/env/GREETING", map[string]string{"value": "boop"}},
		{"DELETE", base + "/env/GREETING", nil},
		{"PUT", base, map[string]any{"minFlavor": "L"}},
		{"PUT", base + "/vhosts/nope.roadrunner.example", nil},
		{"PUT", base + "/vhosts/favourite", map[string]string{"fqdn": "beep.roadrunner.example"}},
		{"POST", "/v2/organisations/" + org + "/addons", map[string]any{"name": "nope", "providerId": "postgresql-addon", "plan": "xs_sml", "region": "par"}},
		{"POST", base + "/addons", "addon_00000000-0000-0000-0000-000000000000"},
		{"POST", base + "/instances", nil},
		{"DELETE", base + "/instances", nil},
		{"DELETE", base, nil},
	} {
		st, body := p.apiDo(t, host, w.method, w.path, ro, w.body)
		var e struct {
			ID      json.Number `json:"id"`
			Message string      `json:"message"`
			Type    string      `json:"type"`
		}
		if st != http.StatusForbidden || json.Unmarshal(body, &e) != nil || e.Type != "error" || e.Message == "" {
			t.Errorf("%s %s with a read-only token: got %d %s, want 403 {id, message, type: error}", w.method, w.path, st, body)
			continue
		}
		if _, err := e.ID.Int64(); err != nil {
			t.Errorf("%s %s: error id %q is not an integer", w.method, w.path, e.ID)
		}
	}
	get("", &a)
	if a.State != "SHOULD_BE_UP" || a.CommitID != commit {
		t.Errorf("after the refused writes: got state %s commit %s, want it running %s still", a.State, a.CommitID, commit)
	}

	r = s.run(t, work, "stop").mustSucceed(t)
	mustContain(t, "clever stop", r.output, "stopped")
	r = s.run(t, work, "delete", "--yes").mustSucceed(t)
	mustContain(t, "clever delete", r.output, "successfully deleted")
	if st := p.apiGet(t, host, base, token, nil); st != http.StatusNotFound {
		t.Errorf("GET the deleted application: got %d, want 404", st)
	}
}
