package emulator_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/platform"
)

// TestDayTwoContract holds the endpoints behind the console's day-two pages
// and the official CLI's status, env, service and scale commands to the
// platform's shapes: instances by state, the build flavor, an add-on's
// environment, links to add-ons, dependencies and their exposed
// environment.
func TestDayTwoContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "web")
	other := mustApp(t, e.a, org.ID, "api")
	base := "/v2/organisations/" + org.ID + "/applications/" + app.ID

	var instances []map[string]any
	e.rawJSON(t, "GET", base+"/instances", bearer(tokenA), nil, 200, &instances)
	if len(instances) != 0 {
		t.Fatalf("a stopped application has instances %v, want none", instances)
	}
	e.rawJSON(t, "POST", base+"/instances", bearer(tokenA), nil, 200, &map[string]any{})
	e.rawJSON(t, "GET", base+"/instances", bearer(tokenA), nil, 200, &instances)
	if len(instances) != 1 || instances[0]["state"] != "DEPLOYING" {
		t.Fatalf("while it starts: got %v, want one DEPLOYING instance", instances)
	}
	e.clock.Advance(2 * time.Second)
	e.rawJSON(t, "GET", base+"/instances", bearer(tokenA), nil, 200, &instances)
	if len(instances) != 1 || instances[0]["state"] != "UP" {
		t.Fatalf("once started: got %v, want one UP instance", instances)
	}
	hasKeys(t, "instance", instances[0], "id", "appId", "ip", "appPort", "state", "flavor", "commit", "deployNumber", "deployId", "instanceNumber", "displayName", "creationDate")
	if obj(t, instances[0], "flavor")["name"] != "XS" {
		t.Errorf("instance flavor: got %v, want XS", instances[0]["flavor"])
	}

	// The application carries its build flavor; a PUT changes it.
	var got map[string]any
	e.rawJSON(t, "PUT", base, bearer(tokenA), map[string]any{"buildFlavor": "L", "separateBuild": true}, 200, &got)
	hasKeys(t, "application", got, "buildFlavor", "separateBuild")
	if obj(t, got, "buildFlavor")["name"] != "L" || got["separateBuild"] != true {
		t.Errorf("after PUT: got buildFlavor %v separateBuild %v, want L, true", got["buildFlavor"], got["separateBuild"])
	}
	if lt := obj(t, got, "instance")["lifetime"]; lt != "REGULAR" {
		t.Errorf("instance.lifetime: got %v, want REGULAR", lt)
	}
	e.wantErrorBody(t, "PUT", base, bearer(tokenA), map[string]any{"buildFlavor": "XXXL"}, 400)

	// An add-on's environment, then linked: the application sees it.
	addon, err := e.a.CreateAddon(ctx, org.ID, pgAddon("db"))
	if err != nil {
		t.Fatal(err)
	}
	var env []platform.EnvVar
	e.rawJSON(t, "GET", "/v2/organisations/"+org.ID+"/addons/"+addon.ID+"/env", bearer(tokenA), nil, 200, &env)
	names := map[string]string{}
	for _, v := range env {
		names[v.Name] = v.Value
	}
	for _, n := range []string{"POSTGRESQL_ADDON_HOST", "POSTGRESQL_ADDON_PORT", "POSTGRESQL_ADDON_DB", "POSTGRESQL_ADDON_USER", "POSTGRESQL_ADDON_PASSWORD", "POSTGRESQL_ADDON_URI"} {
		if names[n] == "" {
			t.Errorf("add-on env: no %s in %v", n, env)
		}
	}
	if !strings.HasPrefix(names["POSTGRESQL_ADDON_URI"], "postgresql://") || !strings.Contains(names["POSTGRESQL_ADDON_URI"], names["POSTGRESQL_ADDON_HOST"]) {
		t.Errorf("add-on URI %q does not join its host", names["POSTGRESQL_ADDON_URI"])
	}
	e.wantErrorBody(t, "GET", "/v2/organisations/"+org.ID+"/addons/"+addon.ID+"/env", bearer(tokenB), nil, 404)

	e.rawJSON(t, "POST", base+"/addons", bearer(tokenA), addon.ID, 200, &map[string]any{})
	e.rawJSON(t, "POST", base+"/addons", bearer(tokenA), addon.ID, 200, &map[string]any{}) // again: still one link
	e.wantErrorBody(t, "POST", base+"/addons", bearer(tokenA), "addon_00000000-0000-0000-0000-000000000000", 404)
	e.wantErrorBody(t, "POST", base+"/addons", bearer(tokenA), map[string]string{"addon": addon.ID}, 400)
	var linked []map[string]any
	e.rawJSON(t, "GET", base+"/addons", bearer(tokenA), nil, 200, &linked)
	if len(linked) != 1 || linked[0]["id"] != addon.ID {
		t.Fatalf("linked add-ons: got %v, want %s", linked, addon.ID)
	}
	var addonsEnv []map[string]any
	e.rawJSON(t, "GET", base+"/addons/env", bearer(tokenA), nil, 200, &addonsEnv)
	if len(addonsEnv) != 1 || addonsEnv[0]["addon_id"] != addon.ID || addonsEnv[0]["addon_name"] != "db" {
		t.Fatalf("add-ons env: got %v", addonsEnv)
	}
	hasKeys(t, "add-ons env", addonsEnv[0], "addon_id", "addon_name", "env")

	// A dependency and what it exposes.
	otherBase := "/v2/organisations/" + org.ID + "/applications/" + other.ID
	e.rawJSON(t, "PUT", otherBase+"/exposed_env", bearer(tokenA), map[string]string{"API_URL": "https://api.example"}, 200, &map[string]any{})
	e.wantErrorBody(t, "PUT", otherBase+"/exposed_env", bearer(tokenA), map[string]string{"bad name": "x"}, 400)
	var exposed map[string]string
	e.rawJSON(t, "GET", otherBase+"/exposed_env", bearer(tokenA), nil, 200, &exposed)
	if exposed["API_URL"] != "https://api.example" {
		t.Errorf("exposed env: got %v", exposed)
	}
	e.rawJSON(t, "PUT", base+"/dependencies/"+other.ID, bearer(tokenA), nil, 200, &map[string]any{})
	e.wantErrorBody(t, "PUT", base+"/dependencies/"+app.ID, bearer(tokenA), nil, 400)
	var deps []map[string]any
	e.rawJSON(t, "GET", base+"/dependencies", bearer(tokenA), nil, 200, &deps)
	if len(deps) != 1 || deps[0]["id"] != other.ID {
		t.Fatalf("dependencies: got %v", deps)
	}
	var depsEnv []platform.DependencyEnv
	e.rawJSON(t, "GET", base+"/dependencies/env", bearer(tokenA), nil, 200, &depsEnv)
	if len(depsEnv) != 1 || depsEnv[0].AppID != other.ID || depsEnv[0].AppName != "api" || len(depsEnv[0].Env) != 1 {
		t.Fatalf("dependencies env: got %+v", depsEnv)
	}
	e.rawJSON(t, "DELETE", base+"/dependencies/"+other.ID, bearer(tokenA), nil, 200, &map[string]any{})
	e.wantErrorBody(t, "DELETE", base+"/dependencies/"+other.ID, bearer(tokenA), nil, 404)
	e.rawJSON(t, "DELETE", base+"/addons/"+addon.ID, bearer(tokenA), nil, 200, &map[string]any{})
	e.rawJSON(t, "GET", base+"/addons", bearer(tokenA), nil, 200, &linked)
	if len(linked) != 0 {
		t.Errorf("after unlinking: got %v, want none", linked)
	}
}

// TestGitPushContract pushes a commit with the system's git over smart HTTP:
// the credentials are the account's token (in the user name or the
// password), another account's token is refused, and the push records a
// DEPLOY deployment of the pushed commit that starts the application and
// becomes its commitId, with the deployment's lines in its logs.
func TestGitPushContract(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git is needed: the emulator serves pushes through git http-backend")
	}
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "web")
	if !strings.HasSuffix(app.Deployment.HTTPURL, "/git/"+app.ID+".git") || !strings.HasPrefix(app.Deployment.HTTPURL, e.srv.URL) {
		t.Fatalf("deployment.httpUrl: got %q, want %s/git/%s.git", app.Deployment.HTTPURL, e.srv.URL, app.ID)
	}

	work := t.TempDir()
	run := func(args ...string) (string, error) {
		cmd := exec.Command(git, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "HOME="+work, "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"}, {"config", "user.email", "dev@example.com"}, {"config", "user.name", "Dev"},
		{"commit", "-q", "--allow-empty", "-m", "first"},
	} {
		if out, err := run(args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "index.js"), []byte("console.log('hi')\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("add", ".")
	run("commit", "-q", "-m", "second")
	sha, _ := run("rev-parse", "HEAD")
	sha = strings.TrimSpace(sha)

	remote := func(user, pass string) string {
		u, _ := url.Parse(app.Deployment.HTTPURL)
		u.User = url.UserPassword(user, pass)
		return u.String()
	}
	if out, err := run("push", "-q", remote("x", tokenB), "HEAD:refs/heads/master"); err == nil {
		t.Fatalf("a push with another account's token passed:\n%s", out)
	}
	if out, err := run("push", "-q", remote("", ""), "HEAD:refs/heads/master"); err == nil {
		t.Fatalf("a push without credentials passed:\n%s", out)
	}
	if out, err := run("push", "-q", remote(tokenA, "any-secret"), "HEAD:refs/heads/master"); err != nil {
		t.Fatalf("git push with the token as user name: %v\n%s", err, out)
	}
	deps, err := e.a.Deployments(ctx, org.ID, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 1 || deps[0].Commit != sha || deps[0].Cause != "git" || deps[0].Action != "DEPLOY" || deps[0].State != platform.DeploymentWIP {
		t.Fatalf("after the push: got deployments %+v, want one WIP DEPLOY of %s by git", deps, sha)
	}
	got, err := e.a.Application(ctx, org.ID, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != platform.StateWantsToBeUp || got.CommitID != sha {
		t.Errorf("after the push: got state %s commit %q, want %s, %s", got.State, got.CommitID, platform.StateWantsToBeUp, sha)
	}
	e.clock.Advance(2 * time.Second)
	if got, _ = e.a.Application(ctx, org.ID, app.ID); got.State != platform.StateShouldBeUp {
		t.Errorf("once deployed: got state %s, want %s", got.State, platform.StateShouldBeUp)
	}
	// The same commit again moves nothing: no second deployment.
	if out, err := run("push", "-q", remote("x", tokenA), "HEAD:refs/heads/master"); err != nil {
		t.Fatalf("git push with the token as password: %v\n%s", err, out)
	}
	if deps, _ = e.a.Deployments(ctx, org.ID, app.ID); len(deps) != 1 {
		t.Errorf("pushing the deployed commit again: got %d deployments, want 1", len(deps))
	}
	// A pack larger than git's post buffer is sent chunked.
	big := make([]byte, 256<<10)
	rand.Read(big) // incompressible
	if err := os.WriteFile(filepath.Join(work, "big.bin"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	run("add", ".")
	run("commit", "-q", "-m", "third")
	if out, err := run("-c", "http.postBuffer=4096", "push", "-q", remote(tokenA, ""), "HEAD:refs/heads/master"); err != nil {
		t.Fatalf("a chunked git push: %v\n%s", err, out)
	}
	sha, _ = run("rev-parse", "HEAD")
	sha = strings.TrimSpace(sha)
	if deps, _ = e.a.Deployments(ctx, org.ID, app.ID); len(deps) != 2 || deps[0].Commit != sha {
		t.Errorf("after the chunked push: got deployments %+v, want a second one of %s", deps, sha)
	}
	// ls-remote sees the pushed head, as `clever deploy` asks it.
	if out, err := run("ls-remote", "--refs", remote(tokenA, "s")); err != nil || !strings.Contains(out, sha+"\trefs/heads/master") {
		t.Errorf("git ls-remote: %v\n%s", err, out)
	}
}
