package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// grisaille runs the portal's own command on the portal's data directory
// and returns its stdout.
func (p *portal) grisaille(t *testing.T, args ...string) string {
	t.Helper()
	// grisaille token SUBCOMMAND --data DIR ...
	full := append(append(append([]string{}, args[:2]...), "--data", p.Data), args[2:]...)
	cmd := exec.Command(buildPortal(t), full...)
	cmd.Env = p.env()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("grisaille %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// apiGet calls the portal's API on host with token and decodes the answer.
func (p *portal) apiGet(t *testing.T, host, path, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+p.Port+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

// TestCleverToolsAgainstPortal runs the official CLI, clever-tools 4.11.0,
// against Acme's portal with a customer token minted by the operator's
// command: it lists the customer's applications, creates one in an allowed
// zone, restarts and stops it, and is refused a zone Acme's customer may
// not use. The same token is refused on Globex's host, and once revoked.
func TestCleverToolsAgainstPortal(t *testing.T) {
	ct := findCleverTools(t)
	p := startPortal(t)
	token := p.grisaille(t, "token", "mint", "--partner", "acme", "--customer", "dev@acme.example", "--label", "cli test")
	if strings.ContainsAny(token, " \n") || len(token) < 100 {
		t.Fatalf("token mint printed %q, want one token alone", token)
	}
	var orgs []struct{ ID, Name string }
	if st := p.apiGet(t, "acme.localhost:"+p.Port, "/v2/organisations", token, &orgs); st != http.StatusOK || len(orgs) != 1 {
		t.Fatalf("GET /v2/organisations: status %d, %+v; want the customer's one organisation", st, orgs)
	}
	org := orgs[0].ID

	s := &cleverSession{ct: ct, apiHost: "http://acme.localhost:" + p.Port, token: token, home: t.TempDir(), log: &requestLog{}}
	work := t.TempDir()

	r := s.run(t, work, "profile").mustSucceed(t)
	mustContain(t, "clever profile", r.output, "dev@acme.example")

	r = s.run(t, work, "applications", "list", "--org", org).mustSucceed(t)
	mustContain(t, "clever applications list", r.output, "storefront", "invoice-worker")

	r = s.run(t, work, "create", "--type", "node", "cli-app", "--region", "par", "--org", org).mustSucceed(t)
	mustContain(t, "clever create", r.output, "cli-app", "successfully created")

	r = s.run(t, work, "restart").mustSucceed(t)
	mustContain(t, "clever restart", r.output, "Deployment started", "Successfully deployed")

	r = s.run(t, work, "stop").mustSucceed(t)
	mustContain(t, "clever stop", r.output, "stopped")

	r = s.run(t, t.TempDir(), "create", "--type", "node", "far-app", "--region", "mtl", "--org", org)
	if r.err == nil {
		t.Fatalf("clever create in mtl: got exit 0, want a refusal; output:\n%s", r.output)
	}
	mustContain(t, "clever create in mtl", r.output, "Zone mtl is not available to your organisation")
	r = s.run(t, work, "applications", "list", "--org", org).mustSucceed(t)
	mustNotContain(t, "clever applications list after the refusal", r.output, "far-app")

	// The token is Acme's: Globex's portal refuses it.
	g := &cleverSession{ct: ct, apiHost: "http://globex.localhost:" + p.Port, token: token, home: t.TempDir(), log: &requestLog{}}
	if r := g.run(t, t.TempDir(), "profile"); r.err == nil {
		t.Fatalf("clever profile on globex with acme's token: got exit 0; output:\n%s", r.output)
	}

	// A token derived from it, then the revocation of the parent: both refused.
	var records []struct {
		RevocationID string `json:"revocation_id"`
		Label        string `json:"label"`
	}
	if st := p.apiGet(t, "acme.localhost:"+p.Port, "/api/v1/tokens", token, &records); st != http.StatusOK {
		t.Fatalf("GET /api/v1/tokens: %d", st)
	}
	var parent string
	for _, rec := range records {
		if rec.Label == "cli test" {
			parent = rec.RevocationID
		}
	}
	if parent == "" {
		t.Fatalf("the minted token is not listed: %+v", records)
	}
	child := p.grisaille(t, "token", "attenuate", "--token", token, "--operations", "org:read,app:read", "--label", "read-only")
	if st := p.apiGet(t, "acme.localhost:"+p.Port, "/v2/organisations/"+org+"/applications", child, nil); st != http.StatusOK {
		t.Fatalf("read-only child token listing applications: %d, want 200", st)
	}
	p.grisaille(t, "token", "revoke", "--partner", "acme", "--revocation-id", parent)
	if r := s.run(t, work, "profile"); r.err == nil {
		t.Fatalf("clever profile with a revoked token: got exit 0; output:\n%s", r.output)
	}
	if st := p.apiGet(t, "acme.localhost:"+p.Port, "/v2/organisations/"+org+"/applications", child, nil); st != http.StatusUnauthorized {
		t.Fatalf("token derived from a revoked one: got %d, want 401", st)
	}
}
