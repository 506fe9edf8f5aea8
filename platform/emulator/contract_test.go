package emulator_test

// Contract tests: they pin the emulator's paths, JSON field names and status
// codes to docs/platform-api.md, through the real platform.Client and raw
// HTTP. Where the document is silent, the emulator follows Clever Cloud:
// creates, updates and environment writes answer 200 with the resource
// (the application, its env included), deletes and stops answer 200 with
// {id, message, type:"success"}.

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/platform/emulator"
)

func TestCatalogueContract(t *testing.T) {
	e := newEnv(t)
	t.Run("zones", func(t *testing.T) {
		var zones []map[string]any
		e.rawJSON(t, "GET", "/v4/products/zones", "", nil, 200, &zones)
		if len(zones) != 11 {
			t.Fatalf("got %d zones, want 11", len(zones))
		}
		hasKeys(t, "zone", zones[0], "id", "name", "country", "countryCode", "city", "lat", "lon", "outboundIPs", "status", "tags")
		var z map[string]any
		e.rawJSON(t, "GET", "/v4/products/zones/par", "", nil, 200, &z)
		if z["name"] != "par" {
			t.Errorf("got zone %v, want par", z["name"])
		}
		e.wantErrorBody(t, "GET", "/v4/products/zones/atlantis", "", nil, 404)
	})
	t.Run("instances", func(t *testing.T) {
		var ins []map[string]any
		e.rawJSON(t, "GET", "/v2/products/instances", "", nil, 200, &ins)
		hasKeys(t, "instance", ins[0], "type", "version", "name", "variant", "enabled", "comingSoon", "maxInstances", "flavors", "defaultFlavor", "buildFlavor")
		hasKeys(t, "variant", obj(t, ins[0], "variant"), "id", "slug", "name", "deployType", "logo")
		hasKeys(t, "flavor", obj(t, ins[0], "defaultFlavor"), "name", "mem", "cpus", "gpus", "disk", "price", "available", "microservice", "nice", "price_id", "memory")
		hasKeys(t, "memory", obj(t, obj(t, ins[0], "defaultFlavor"), "memory"), "unit", "value", "formatted")
	})
	t.Run("addonproviders", func(t *testing.T) {
		var ps []map[string]any
		e.rawJSON(t, "GET", "/v2/products/addonproviders", "", nil, 200, &ps)
		hasKeys(t, "provider", ps[0], "id", "name", "shortDesc", "logoUrl", "status", "canUpgrade", "regions", "plans")
		plans := ps[0]["plans"].([]any)
		hasKeys(t, "plan", plans[0].(map[string]any), "id", "name", "slug", "price", "price_id", "features", "zones")
	})
	t.Run("price system", func(t *testing.T) {
		tests := []struct {
			query      string
			wantStatus int
			wantZone   string
			wantCur    string
		}{
			{"zone_id=par&currency=EUR", 200, "par", "EUR"},
			{"zone_id=par&currency=USD", 200, "par", "USD"},
			{"zone_id=rbx&currency=EUR", 200, "rbx", "EUR"},
			{"zone_id=par&currency=eur", 200, "par", "EUR"},
			{"zone_id=atlantis&currency=EUR", 404, "", ""},
			{"zone_id=par&currency=GBP", 400, "", ""},
			{"zone_id=par", 400, "", ""},
			{"currency=EUR", 400, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				path := "/v4/billing/price-system?" + tt.query
				if tt.wantStatus != 200 {
					e.wantErrorBody(t, "GET", path, "", nil, tt.wantStatus)
					return
				}
				var ps map[string]any
				e.rawJSON(t, "GET", path, "", nil, 200, &ps)
				hasKeys(t, "price system", ps, "zone_id", "currency", "runtime", "countable")
				if ps["zone_id"] != tt.wantZone || ps["currency"] != tt.wantCur {
					t.Errorf("got zone_id %v currency %v, want %s %s", ps["zone_id"], ps["currency"], tt.wantZone, tt.wantCur)
				}
				rt := ps["runtime"].([]any)[0].(map[string]any)
				hasKeys(t, "runtime price", rt, "runtime_policy_id", "source", "flavor", "time_unit", "price", "slug_id")
			})
		}
	})
	t.Run("through the client", func(t *testing.T) {
		ctx := context.Background()
		ps, err := e.a.PriceSystem(ctx, "par", "EUR")
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, r := range ps.Runtime {
			if r.SlugID == "apps.2XL" {
				found = true
				if r.Price.String() != "0.666666666666667" {
					t.Errorf("got 2XL price %s, want 0.666666666666667 (exact)", r.Price)
				}
			}
		}
		if !found {
			t.Errorf("got no apps.2XL runtime price, want one")
		}
		ins, err := e.a.Instances(ctx)
		if err != nil || len(ins) != 25 {
			t.Errorf("got %d instances (err %v), want 25", len(ins), err)
		}
		z, err := e.a.Zone(ctx, "par")
		if err != nil || z.Name != "par" {
			t.Errorf("got zone %q (err %v), want par", z.Name, err)
		}
		_, err = e.a.Zone(ctx, "atlantis")
		wantIs(t, "unknown zone", err, platform.ErrNotFound)
	})
}

func TestAuthContract(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		auth       string
		wantStatus int
	}{
		{"no header", "", 401},
		{"wrong bearer", "Bearer nope", 401},
		{"basic", "Basic dXNlcjpwdw==", 401},
		{"bearer", bearer(tokenA), 200},
		{"oauth plaintext", `OAuth oauth_consumer_key="K", oauth_token="` + tokenA + `", oauth_signature="cs%26ts", oauth_signature_method="PLAINTEXT"`, 200},
		{"oauth wrong token", `OAuth oauth_consumer_key="K", oauth_token="bad", oauth_signature="cs%26ts"`, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantStatus != 200 {
				e.wantErrorBody(t, "GET", "/v2/self", tt.auth, nil, tt.wantStatus)
				return
			}
			var self map[string]any
			e.rawJSON(t, "GET", "/v2/self", tt.auth, nil, 200, &self)
			if self["email"] != "alpha@example.com" {
				t.Errorf("got email %v, want alpha@example.com", self["email"])
			}
		})
	}
	t.Run("unknown route", func(t *testing.T) {
		e.wantErrorBody(t, "GET", "/v2/nowhere", bearer(tokenA), nil, 404)
		e.wantErrorBody(t, "PATCH", "/v2/self", bearer(tokenA), nil, 404)
	})
	t.Run("client sentinel", func(t *testing.T) {
		_, err := e.a.WithToken("nope").Self(context.Background())
		wantIs(t, "bad token", err, platform.ErrUnauthorized)
	})
}

func TestIdentityContract(t *testing.T) {
	e := newEnv(t)
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "web")
	if _, err := e.a.CreateAddon(context.Background(), org.ID, pgAddon("db")); err != nil {
		t.Fatal(err)
	}
	var self map[string]any
	e.rawJSON(t, "GET", "/v2/self", bearer(tokenA), nil, 200, &self)
	hasKeys(t, "self", self, "id", "email", "name", "lang")
	if id, _ := self["id"].(string); len(id) != len("user_")+36 || id[:5] != "user_" {
		t.Errorf("got id %q, want user_<uuid>", id)
	}
	if self["lang"] != "EN" {
		t.Errorf("got lang %v, want EN", self["lang"])
	}
	var sum map[string]any
	e.rawJSON(t, "GET", "/v2/summary", bearer(tokenA), nil, 200, &sum)
	hasKeys(t, "summary", sum, "user", "organisations")
	orgs := sum["organisations"].([]any)
	if len(orgs) != 1 {
		t.Fatalf("got %d organisations, want 1", len(orgs))
	}
	o := orgs[0].(map[string]any)
	hasKeys(t, "summary organisation", o, "id", "name", "role", "applications", "addons")
	if o["role"] != "ADMIN" || o["id"] != org.ID {
		t.Errorf("got role %v id %v, want ADMIN %s", o["role"], o["id"], org.ID)
	}
	s, err := e.a.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Organisations[0].Applications) != 1 || s.Organisations[0].Applications[0].ID != app.ID || len(s.Organisations[0].Addons) != 1 {
		t.Errorf("got summary %+v, want one application %s and one add-on", s.Organisations[0], app.ID)
	}
}

func TestOrganisationsContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	auth := bearer(tokenA)
	var created map[string]any
	e.rawJSON(t, "POST", "/v2/organisations", auth, map[string]any{"name": "Acme", "VAT": "FR123", "billingEmail": "b@acme.test"}, 200, &created)
	hasKeys(t, "organisation", created, "id", "name", "description", "address", "city", "zipcode", "country", "company", "customerFullName", "VAT", "billingEmail")
	id, _ := created["id"].(string)
	if len(id) != len("orga_")+36 || id[:5] != "orga_" {
		t.Errorf("got id %q, want orga_<uuid>", id)
	}
	e.wantErrorBody(t, "POST", "/v2/organisations", auth, map[string]any{"name": " "}, 400)
	e.wantErrorBody(t, "POST", "/v2/organisations", auth, "not an object", 400)

	o, err := e.a.Organisation(ctx, id)
	if err != nil || o.VAT != "FR123" {
		t.Fatalf("got %+v (err %v), want VAT FR123", o, err)
	}
	o.City = "Nantes"
	if o, err = e.a.UpdateOrganisation(ctx, id, o); err != nil || o.City != "Nantes" || o.ID != id {
		t.Fatalf("got %+v (err %v), want city Nantes", o, err)
	}
	_, err = e.a.UpdateOrganisation(ctx, id, platform.Organisation{})
	wantIs(t, "update without name", err, platform.ErrBadRequest)
	list, err := e.a.Organisations(ctx)
	if err != nil || len(list) != 1 || list[0].City != "Nantes" {
		t.Fatalf("got %+v (err %v), want the updated organisation", list, err)
	}

	app := mustApp(t, e.a, id, "web")
	wantIs(t, "delete non-empty", e.a.DeleteOrganisation(ctx, id), platform.ErrConflict)
	if err := e.a.DeleteApplication(ctx, id, app.ID); err != nil {
		t.Fatal(err)
	}
	var ok map[string]any
	e.rawJSON(t, "DELETE", "/v2/organisations/"+id, auth, nil, 200, &ok)
	if ok["type"] != "success" {
		t.Errorf("got delete answer %v, want type success", ok)
	}
	_, err = e.a.Organisation(ctx, id)
	wantIs(t, "deleted organisation", err, platform.ErrNotFound)
}

func TestApplicationCreateValidation(t *testing.T) {
	e := newEnv(t)
	org := mustOrg(t, e.a, "Acme")
	tests := []struct {
		name   string
		change func(*platform.ApplicationCreate)
		want   error
	}{
		{"valid", func(*platform.ApplicationCreate) {}, nil},
		{"variant by id", func(a *platform.ApplicationCreate) { a.InstanceVariant = "395103fb-d6e2-4fdd-93bc-bc99146f1ea2" }, nil},
		{"defaults", func(a *platform.ApplicationCreate) {
			a.InstanceVersion, a.MinFlavor, a.MaxFlavor, a.MinInstances, a.MaxInstances = "", "", "", 0, 0
		}, nil},
		{"no variant means the type's own", func(a *platform.ApplicationCreate) { a.InstanceVariant = "" }, nil},
		{"no name", func(a *platform.ApplicationCreate) { a.Name = "" }, platform.ErrBadRequest},
		{"unknown zone", func(a *platform.ApplicationCreate) { a.Zone = "atlantis" }, platform.ErrBadRequest},
		{"unknown type", func(a *platform.ApplicationCreate) { a.InstanceType = "cobol" }, platform.ErrBadRequest},
		{"wrong version", func(a *platform.ApplicationCreate) { a.InstanceVersion = "1999" }, platform.ErrBadRequest},
		{"variant of another type", func(a *platform.ApplicationCreate) { a.InstanceVariant = "python" }, platform.ErrBadRequest},
		{"unknown min flavor", func(a *platform.ApplicationCreate) { a.MinFlavor = "HUGE" }, platform.ErrBadRequest},
		{"unknown max flavor", func(a *platform.ApplicationCreate) { a.MaxFlavor = "ML_XS" }, platform.ErrBadRequest},
		{"min flavor above max", func(a *platform.ApplicationCreate) { a.MinFlavor, a.MaxFlavor = "XL", "S" }, platform.ErrBadRequest},
		{"min instances above max", func(a *platform.ApplicationCreate) { a.MinInstances, a.MaxInstances = 3, 2 }, platform.ErrBadRequest},
		{"bad env name", func(a *platform.ApplicationCreate) { a.Env = map[string]string{"1BAD": "x"} }, platform.ErrBadRequest},
		{"bad deploy", func(a *platform.ApplicationCreate) { a.Deploy = "svn" }, platform.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := nodeApp("web")
			tt.change(&in)
			a, err := e.a.CreateApplication(context.Background(), org.ID, in)
			if tt.want == nil && err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if tt.want != nil {
				wantIs(t, tt.name, err, tt.want)
				return
			}
			if a.Instance.Variant.Slug != "node" || a.Instance.MinFlavor.PriceID == "" {
				t.Errorf("got instance %+v, want the node variant and catalogue flavors", a.Instance)
			}
		})
	}
}

func TestApplicationsContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	auth := bearer(tokenA)
	org := mustOrg(t, e.a, "Acme")
	base := "/v2/organisations/" + org.ID + "/applications"

	var app map[string]any
	e.rawJSON(t, "POST", base, auth, nodeApp("web"), 200, &app)
	hasKeys(t, "application", app, "id", "ownerId", "name", "zone", "zoneId", "instance", "deployment", "vhosts", "state", "env", "creationDate", "tags")
	inst := obj(t, app, "instance")
	hasKeys(t, "application instance", inst, "type", "version", "variant", "minInstances", "maxInstances", "minFlavor", "maxFlavor")
	hasKeys(t, "application min flavor", obj(t, inst, "minFlavor"), "name", "mem", "cpus", "price_id", "memory")
	hasKeys(t, "application deployment", obj(t, app, "deployment"), "type", "url", "httpUrl")
	hasKeys(t, "vhost", app["vhosts"].([]any)[0].(map[string]any), "fqdn")
	id := app["id"].(string)
	if id[:4] != "app_" || app["ownerId"] != org.ID || app["state"] != platform.StateShouldBeDown {
		t.Errorf("got id %v ownerId %v state %v, want app_…, %s, SHOULD_BE_DOWN", id, app["ownerId"], app["state"], org.ID)
	}

	// The client's view, tags kept for idempotency look-ups, duplicates allowed.
	a, err := e.a.Application(ctx, org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tags) != 1 || a.Tags[0] != "grisaille:idem=123" || a.ZoneID == "" || a.Deployment.Type != "GIT" {
		t.Errorf("got tags %v zoneId %q deployment %q, want the idempotency tag, a zone id, GIT", a.Tags, a.ZoneID, a.Deployment.Type)
	}
	if len(a.Env) != 1 || a.Env[0] != (platform.EnvVar{Name: "PORT", Value: "8080"}) {
		t.Errorf("got env %v, want PORT=8080", a.Env)
	}
	mustApp(t, e.a, org.ID, "web")
	if list, err := e.a.Applications(ctx, org.ID); err != nil || len(list) != 2 {
		t.Errorf("got %d applications (err %v), want 2 (duplicate names allowed)", len(list), err)
	}

	t.Run("update", func(t *testing.T) {
		name, maxN, minF := "web-2", 4, "S"
		u, err := e.a.UpdateApplication(ctx, org.ID, id, platform.ApplicationUpdate{Name: &name, MaxInstances: &maxN, MinFlavor: &minF})
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != name || u.Instance.MaxInstances != 4 || u.Instance.MinFlavor.Name != "S" || u.Instance.MaxFlavor.Name != "M" {
			t.Errorf("got %+v, want name web-2, 4 instances max, flavors S..M", u.Instance)
		}
		bad := "3XL"
		_, err = e.a.UpdateApplication(ctx, org.ID, id, platform.ApplicationUpdate{MinFlavor: &bad})
		wantIs(t, "min flavor above max", err, platform.ErrBadRequest)
	})

	t.Run("env", func(t *testing.T) {
		var list []map[string]any
		e.rawJSON(t, "GET", base+"/"+id+"/env", auth, nil, 200, &list)
		hasKeys(t, "env var", list[0], "name", "value")
		if err := e.a.ReplaceEnv(ctx, org.ID, id, map[string]string{"A": "1", "B_2.x-y": "2"}); err != nil {
			t.Fatal(err)
		}
		if err := e.a.SetEnv(ctx, org.ID, id, "C", "3"); err != nil {
			t.Fatal(err)
		}
		if err := e.a.SetEnv(ctx, org.ID, id, "A", "one"); err != nil {
			t.Fatal(err)
		}
		if err := e.a.DeleteEnv(ctx, org.ID, id, "B_2.x-y"); err != nil {
			t.Fatal(err)
		}
		got, err := e.a.Env(ctx, org.ID, id)
		want := []platform.EnvVar{{Name: "A", Value: "one"}, {Name: "C", Value: "3"}}
		if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("got env %v (err %v), want %v", got, err, want)
		}
		// Each environment write answers the application, as the platform does.
		for _, w := range []struct {
			method, path string
			body         any
		}{
			{"PUT", base + "/" + id + "/env/D", map[string]any{"value": "4"}},
			{"PUT", base + "/" + id + "/env", map[string]any{"A": "one", "C": "3", "D": "4"}},
			{"DELETE", base + "/" + id + "/env/D", nil},
		} {
			var app map[string]any
			e.rawJSON(t, w.method, w.path, auth, w.body, 200, &app)
			hasKeys(t, w.method+" "+w.path, app, "id", "ownerId", "name", "zone", "instance", "deployment", "vhosts", "state", "env")
			if app["id"] != id {
				t.Errorf("%s %s answered %v, want the application %s", w.method, w.path, app["id"], id)
			}
		}
		wantIs(t, "bad name", e.a.SetEnv(ctx, org.ID, id, "9X", "v"), platform.ErrBadRequest)
		wantIs(t, "bad name in replace", e.a.ReplaceEnv(ctx, org.ID, id, map[string]string{"A B": "v"}), platform.ErrBadRequest)
		wantIs(t, "missing var", e.a.DeleteEnv(ctx, org.ID, id, "NOPE"), platform.ErrNotFound)
		e.wantErrorBody(t, "PUT", base+"/"+id+"/env/X", auth, map[string]any{}, 400)
	})

	t.Run("delete", func(t *testing.T) {
		other := mustApp(t, e.a, org.ID, "tmp")
		var ok map[string]any
		e.rawJSON(t, "DELETE", base+"/"+other.ID, auth, nil, 200, &ok)
		hasKeys(t, "delete answer", ok, "id", "message", "type")
		_, err := e.a.Application(ctx, org.ID, other.ID)
		wantIs(t, "deleted application", err, platform.ErrNotFound)
	})
}

func TestApplicationStateMachine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "web")
	state := func() string {
		t.Helper()
		a, err := e.a.Application(ctx, org.ID, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a.State
	}
	wantState := func(want string) {
		t.Helper()
		if got := state(); got != want {
			t.Errorf("got state %s, want %s", got, want)
		}
	}

	var answer map[string]any
	e.rawJSON(t, "POST", "/v2/organisations/"+org.ID+"/applications/"+app.ID+"/instances", bearer(tokenA), nil, 200, &answer)
	hasKeys(t, "start answer", answer, "deploymentId")
	depID := answer["deploymentId"].(string)
	wantState(platform.StateWantsToBeUp)

	var deps []map[string]any
	e.rawJSON(t, "GET", "/v2/organisations/"+org.ID+"/applications/"+app.ID+"/deployments", bearer(tokenA), nil, 200, &deps)
	if len(deps) != 1 {
		t.Fatalf("got %d deployments, want 1", len(deps))
	}
	hasKeys(t, "deployment", deps[0], "uuid", "id", "state", "action", "commit", "cause", "date")
	if deps[0]["uuid"] != depID || deps[0]["state"] != "WIP" || deps[0]["action"] != "DEPLOY" || deps[0]["cause"] != "api" {
		t.Errorf("got deployment %v, want %s WIP DEPLOY api", deps[0], depID)
	}
	if c, _ := deps[0]["commit"].(string); len(c) != 40 {
		t.Errorf("got commit %q, want a 40-hex sha", c)
	}

	e.clock.Advance(1500 * time.Millisecond)
	wantState(platform.StateShouldBeUp)
	list, err := e.a.Deployments(ctx, org.ID, app.ID)
	if err != nil || list[0].State != platform.DeploymentOK {
		t.Fatalf("got %+v (err %v), want the deployment OK", list, err)
	}

	restartID, err := e.a.RestartApplication(ctx, org.ID, app.ID)
	if err != nil || restartID == "" || restartID == depID {
		t.Fatalf("got restart deployment %q (err %v), want a new id", restartID, err)
	}
	wantState(platform.StateWantsToBeUp)
	e.clock.Advance(2 * time.Second)
	wantState(platform.StateShouldBeUp)

	if err := e.a.StopApplication(ctx, org.ID, app.ID); err != nil {
		t.Fatal(err)
	}
	wantState(platform.StateShouldBeDown)
	list, err = e.a.Deployments(ctx, org.ID, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantActions := []string{"UNDEPLOY", "DEPLOY", "DEPLOY"}
	if len(list) != 3 {
		t.Fatalf("got %d deployments, want 3", len(list))
	}
	for i, d := range list {
		if d.Action != wantActions[i] || d.State != platform.DeploymentOK || d.ID != int64(3-i) {
			t.Errorf("deployment %d: got %s %s #%d, want %s OK #%d (newest first)", i, d.Action, d.State, d.ID, wantActions[i], 3-i)
		}
	}

	// Stopping during a deployment cancels it.
	if _, err := e.a.StartApplication(ctx, org.ID, app.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.a.StopApplication(ctx, org.ID, app.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	wantState(platform.StateShouldBeDown)
	list, _ = e.a.Deployments(ctx, org.ID, app.ID)
	if list[1].State != platform.DeploymentCancelled {
		t.Errorf("got interrupted deployment %s, want CANCELLED", list[1].State)
	}
}

// oauth is the Authorization header the official CLI (clever-tools) sends:
// OAuth 1.0a PLAINTEXT with its own consumer key and the user's token.
func oauth(token string) string {
	return `OAuth oauth_consumer_key="T5nFjKeHH4AIlEveuGhB5S3xg8T19e", oauth_token="` + token +
		`", oauth_signature="MgVMqTr6fWlf2M0tkC2MXOnhfqBWDT%26any-secret"`
}

// TestCleverToolsContract pins what the official CLI, clever-tools 4.11.0,
// reads beyond docs/platform-api.md (see docs/clever-tools.md): token
// information, the summary's lists on every owner, one deployment and a
// limited list of them, and domain names.
func TestCleverToolsContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Roadrunner")
	app := mustApp(t, e.a, org.ID, "web")
	base := "/v2/organisations/" + org.ID + "/applications/" + app.ID

	t.Run("current token", func(t *testing.T) {
		var info map[string]any
		e.rawJSON(t, "GET", "/v2/self/tokens/current", oauth(tokenA), nil, 200, &info)
		hasKeys(t, "token", info, "creationDate")
		if _, err := time.Parse(time.RFC3339, info["creationDate"].(string)); err != nil {
			t.Errorf("got creationDate %v, want an RFC 3339 date: %v", info["creationDate"], err)
		}
		e.wantErrorBody(t, "GET", "/v2/self/tokens/current", oauth("nope"), nil, 401)
	})

	t.Run("summary lists on every owner", func(t *testing.T) {
		var sum map[string]any
		e.rawJSON(t, "GET", "/v2/summary", oauth(tokenA), nil, 200, &sum)
		user := obj(t, sum, "user")
		hasKeys(t, "summary user", user, "id", "email", "name", "applications", "addons", "consumers")
		for _, k := range []string{"applications", "addons", "consumers"} {
			if l, ok := user[k].([]any); !ok || len(l) != 0 {
				t.Errorf("got user.%s %#v, want an empty list", k, user[k])
			}
		}
		orgs := sum["organisations"].([]any)
		if len(orgs) != 1 {
			t.Fatalf("got %d organisations, want 1", len(orgs))
		}
		o := orgs[0].(map[string]any)
		hasKeys(t, "summary organisation", o, "id", "name", "role", "applications", "addons", "consumers")
		if apps := o["applications"].([]any); len(apps) != 1 || apps[0].(map[string]any)["id"] != app.ID {
			t.Errorf("got applications %v, want [%s]", apps, app.ID)
		}
		// The portal's client still reads the summary.
		if s, err := e.a.Summary(ctx); err != nil || len(s.Organisations) != 1 || s.User.ID == "" {
			t.Errorf("Summary: got %+v, %v; want one organisation and a user", s, err)
		}
	})

	t.Run("deployments", func(t *testing.T) {
		first, err := e.a.StartApplication(ctx, org.ID, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.a.StopApplication(ctx, org.ID, app.ID); err != nil {
			t.Fatal(err)
		}
		second, err := e.a.StartApplication(ctx, org.ID, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		e.rawJSON(t, "GET", base+"/deployments?limit=2", oauth(tokenA), nil, 200, &list)
		if len(list) != 2 || list[0]["uuid"] != second {
			t.Fatalf("got %v, want 2 deployments, newest (%s) first", list, second)
		}
		e.rawJSON(t, "GET", base+"/deployments?action=DEPLOY", oauth(tokenA), nil, 200, &list)
		if len(list) != 2 || list[1]["uuid"] != first {
			t.Errorf("got %v, want the 2 DEPLOY deployments", list)
		}
		e.rawJSON(t, "GET", base+"/deployments?limit=5&offset=1", oauth(tokenA), nil, 200, &list)
		if len(list) != 2 || list[0]["action"] != "UNDEPLOY" {
			t.Errorf("got %v, want the 2 deployments after the newest", list)
		}
		for _, q := range []string{"limit=0", "limit=x", "offset=-1", "action=SCALE"} {
			e.wantErrorBody(t, "GET", base+"/deployments?"+q, oauth(tokenA), nil, 400)
		}

		var d map[string]any
		e.rawJSON(t, "GET", base+"/deployments/"+second, oauth(tokenA), nil, 200, &d)
		hasKeys(t, "deployment", d, "uuid", "id", "state", "action", "commit", "cause", "date")
		if d["uuid"] != second || d["state"] != "WIP" {
			t.Errorf("got deployment %v, want %s WIP", d, second)
		}
		e.clock.Advance(emulator.DefaultDeployDelay)
		e.rawJSON(t, "GET", base+"/deployments/"+second, oauth(tokenA), nil, 200, &d)
		if d["state"] != "OK" {
			t.Errorf("got state %v one deploy delay later, want OK", d["state"])
		}
		e.rawJSON(t, "GET", base+"/deployments/"+first, oauth(tokenA), nil, 200, &d)
		if d["state"] != "CANCELLED" {
			t.Errorf("got state %v of the deployment a stop interrupted, want CANCELLED", d["state"])
		}
		e.wantErrorBody(t, "GET", base+"/deployments/00000000-0000-0000-0000-000000000000", oauth(tokenA), nil, 404)
		e.wantErrorBody(t, "GET", base+"/deployments/"+second, oauth(tokenB), nil, 404)
	})

	t.Run("vhosts", func(t *testing.T) {
		var vhosts []map[string]any
		e.rawJSON(t, "GET", base+"/vhosts", oauth(tokenA), nil, 200, &vhosts)
		if len(vhosts) != 1 || vhosts[0]["fqdn"] != app.Vhosts[0].FQDN {
			t.Errorf("got vhosts %v, want [{fqdn: %s}]", vhosts, app.Vhosts[0].FQDN)
		}
		var none map[string]any
		e.rawJSON(t, "GET", base+"/vhosts/favourite", oauth(tokenA), nil, 404, &none)
		if none["id"] != float64(4021) || none["type"] != "error" {
			t.Errorf("no favourite vhost: got %v, want {id: 4021, type: error}", none)
		}
		// A favourite is one of the application's names, until removed.
		var ok map[string]any
		e.rawJSON(t, "PUT", base+"/vhosts/shop.example.com", oauth(tokenA), nil, 200, &ok)
		e.wantErrorBody(t, "PUT", base+"/vhosts/favourite", oauth(tokenA), map[string]any{"fqdn": "other.example.com"}, 404)
		var fav map[string]any
		e.rawJSON(t, "PUT", base+"/vhosts/favourite", oauth(tokenA), map[string]any{"fqdn": "shop.example.com"}, 200, &fav)
		e.rawJSON(t, "GET", base+"/vhosts/favourite", oauth(tokenA), nil, 200, &fav)
		if fav["fqdn"] != "shop.example.com" {
			t.Errorf("got favourite %v, want shop.example.com", fav)
		}
		e.rawJSON(t, "DELETE", base+"/vhosts/shop.example.com", oauth(tokenA), nil, 200, &ok)
		e.rawJSON(t, "GET", base+"/vhosts/favourite", oauth(tokenA), nil, 404, &none)
		e.wantErrorBody(t, "GET", base+"/vhosts", oauth(tokenB), nil, 404)
	})
}

// sseEvent is one server-sent event.
type sseEvent struct{ ID, Event, Data string }

// readSSE requests path and reads its event stream to the end.
func (e *env) readSSE(t *testing.T, path, auth string) []sseEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: got %d %q, want 200 text/event-stream", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		field, value, _ := strings.Cut(sc.Text(), ": ")
		switch field {
		case "id":
			cur.ID = value
		case "event":
			cur.Event = value
		case "data":
			cur.Data = value
		case "":
			out = append(out, cur)
			cur = sseEvent{}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("GET %s: read the stream: %v", path, err)
	}
	return out
}

// TestLogStreamContract pins the application log stream the official CLI
// follows during `clever restart`: server-sent APPLICATION_LOG events, one
// line each, ended by END_OF_STREAM {endedBy} at the until date or the limit.
func TestLogStreamContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Roadrunner")
	app := mustApp(t, e.a, org.ID, "web")
	dep, err := e.a.StartApplication(ctx, org.ID, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * emulator.DefaultDeployDelay)
	path := "/v4/logs/organisations/" + org.ID + "/applications/" + app.ID + "/logs"
	since := url.QueryEscape(start0.Format(time.RFC3339Nano))
	until := url.QueryEscape(start0.Add(emulator.DefaultDeployDelay).Format(time.RFC3339Nano))

	tests := []struct {
		name      string
		query     string
		wantLines []string // message prefixes
		wantEnd   string
	}{
		{"until", "since=" + since + "&until=" + until + "&deploymentId=" + dep + "&throttleElements=2000",
			[]string{"Deployment " + dep + " of commit", "Successfully deployed in"}, "UNTIL_REACHED"},
		{"limit", "since=" + since + "&limit=1", []string{"Deployment " + dep}, "LIMIT_REACHED"},
		{"filter", "since=" + since + "&until=" + until + "&filter=Successfully", []string{"Successfully deployed"}, "UNTIL_REACHED"},
		{"other deployment", "since=" + since + "&until=" + until + "&deploymentId=other", nil, "UNTIL_REACHED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := e.readSSE(t, path+"?"+tt.query, oauth(tokenA))
			var lines []map[string]any
			for _, ev := range events[:len(events)-1] {
				if ev.Event != "APPLICATION_LOG" {
					t.Fatalf("got event %q, want APPLICATION_LOG", ev.Event)
				}
				var l map[string]any
				if err := json.Unmarshal([]byte(ev.Data), &l); err != nil {
					t.Fatalf("decode %s: %v", ev.Data, err)
				}
				hasKeys(t, "log line", l, "id", "date", "message", "severity", "service", "applicationId", "deploymentId", "instanceId", "zone")
				if l["id"] != ev.ID {
					t.Errorf("got event id %q and line id %v, want them equal", ev.ID, l["id"])
				}
				lines = append(lines, l)
			}
			if len(lines) != len(tt.wantLines) {
				t.Fatalf("got %d lines %v, want %d", len(lines), lines, len(tt.wantLines))
			}
			for i, want := range tt.wantLines {
				if msg, _ := lines[i]["message"].(string); !strings.HasPrefix(msg, want) {
					t.Errorf("line %d: got %q, want it to start with %q", i, msg, want)
				}
			}
			end := events[len(events)-1]
			if want := `{"endedBy":"` + tt.wantEnd + `"}`; end.Event != "END_OF_STREAM" || end.Data != want {
				t.Errorf("got last event %q %s, want END_OF_STREAM %s", end.Event, end.Data, want)
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		e.wantErrorBody(t, "GET", path+"?since=yesterday", oauth(tokenA), nil, 400)
		e.wantErrorBody(t, "GET", path, oauth(tokenB), nil, 404)
		e.wantErrorBody(t, "GET", path, "", nil, 401)
	})
}

// TestVhostsContract: a name added to an application is listed with the
// one it is given, answers 200 when added again, belongs to one
// application only, is removed on request, and is freed when its
// application is deleted.
func TestVhostsContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "shop")
	other := mustApp(t, e.a, org.ID, "blog")
	base := "/v2/organisations/" + org.ID + "/applications/"

	if err := e.a.AddVhost(ctx, org.ID, app.ID, "Shop-1.Apps.Acme.example."); err != nil {
		t.Fatal(err)
	}
	if err := e.a.AddVhost(ctx, org.ID, app.ID, "shop-1.apps.acme.example"); err != nil {
		t.Fatalf("adding a name again: %v", err)
	}
	var list []map[string]any
	e.rawJSON(t, "GET", base+app.ID+"/vhosts", bearer(tokenA), nil, 200, &list)
	if len(list) != 2 || list[1]["fqdn"] != "shop-1.apps.acme.example" {
		t.Fatalf("vhosts: %v, want the given name then shop-1.apps.acme.example", list)
	}
	got, err := e.a.Application(ctx, org.ID, app.ID)
	if err != nil || len(got.Vhosts) != 2 {
		t.Fatalf("the application lists %v (err %v)", got.Vhosts, err)
	}
	wantIs(t, "another application's name", e.a.AddVhost(ctx, org.ID, other.ID, "shop-1.apps.acme.example"), platform.ErrConflict)
	wantIs(t, "a malformed name", e.a.AddVhost(ctx, org.ID, app.ID, "not a name"), platform.ErrBadRequest)
	orgB := mustOrg(t, e.b, "Beta")
	wantIs(t, "another account's application", e.b.AddVhost(ctx, orgB.ID, app.ID, "x.beta.example"), platform.ErrNotFound)

	var ok map[string]any
	e.rawJSON(t, "DELETE", base+app.ID+"/vhosts/shop-1.apps.acme.example", bearer(tokenA), nil, 200, &ok)
	e.wantErrorBody(t, "DELETE", base+app.ID+"/vhosts/shop-1.apps.acme.example", bearer(tokenA), nil, 404)

	if err := e.a.AddVhost(ctx, org.ID, app.ID, "again.acme.example"); err != nil {
		t.Fatal(err)
	}
	e.rawJSON(t, "DELETE", base+app.ID, bearer(tokenA), nil, 200, &ok)
	if err := e.a.AddVhost(ctx, org.ID, other.ID, "again.acme.example"); err != nil {
		t.Fatalf("a deleted application's name is not freed: %v", err)
	}
}
