package emulator_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/platform/emulator"
)

func TestAddonsContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	auth := bearer(tokenA)
	org := mustOrg(t, e.a, "Acme")
	base := "/v2/organisations/" + org.ID + "/addons"

	var ad map[string]any
	e.rawJSON(t, "POST", base, auth, pgAddon("db"), 200, &ad)
	hasKeys(t, "add-on", ad, "id", "realId", "name", "region", "zoneId", "provider", "plan", "creationDate")
	hasKeys(t, "add-on provider", obj(t, ad, "provider"), "id", "name", "shortDesc", "logoUrl")
	hasKeys(t, "add-on plan", obj(t, ad, "plan"), "id", "name", "slug", "price_id")
	id := ad["id"].(string)
	if !strings.HasPrefix(id, "addon_") || !strings.HasPrefix(ad["realId"].(string), "postgresql_") {
		t.Errorf("got id %v realId %v, want addon_… and postgresql_…", id, ad["realId"])
	}

	tests := []struct {
		name   string
		change func(*platform.AddonCreate)
		want   error
	}{
		{"plan by id", func(a *platform.AddonCreate) { a.Plan = "plan_f14478be-b59a-4f64-870c-6887c561492d" }, nil},
		{"other region", func(a *platform.AddonCreate) { a.Region = "mtl" }, nil},
		{"no name", func(a *platform.AddonCreate) { a.Name = "" }, platform.ErrBadRequest},
		{"unknown provider", func(a *platform.AddonCreate) { a.ProviderID = "oracle-addon" }, platform.ErrBadRequest},
		{"unknown plan", func(a *platform.AddonCreate) { a.Plan = "gigantic" }, platform.ErrBadRequest},
		{"region not offered", func(a *platform.AddonCreate) { a.Region = "scw" }, platform.ErrBadRequest},
		{"unknown region", func(a *platform.AddonCreate) { a.Region = "atlantis" }, platform.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := pgAddon("db")
			tt.change(&in)
			got, err := e.a.CreateAddon(ctx, org.ID, in)
			if tt.want != nil {
				wantIs(t, tt.name, err, tt.want)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got.Plan.Slug != "xs_sml" || got.Plan.PriceID != "postgresql.xs_sml" || got.ZoneID == "" {
				t.Errorf("got plan %+v zoneId %q, want xs_sml with its price id and a zone id", got.Plan, got.ZoneID)
			}
		})
	}

	list, err := e.a.Addons(ctx, org.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("got %d add-ons (err %v), want 3", len(list), err)
	}
	one, err := e.a.Addon(ctx, org.ID, id)
	if err != nil || one.Name != "db" || one.Provider.ID != "postgresql-addon" {
		t.Errorf("got %+v (err %v), want the postgresql add-on db", one, err)
	}
	var ok map[string]any
	e.rawJSON(t, "DELETE", base+"/"+id, auth, nil, 200, &ok)
	_, err = e.a.Addon(ctx, org.ID, id)
	wantIs(t, "deleted add-on", err, platform.ErrNotFound)
	wantIs(t, "delete twice", e.a.DeleteAddon(ctx, org.ID, id), platform.ErrNotFound)
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "web")
	ad, err := e.a.CreateAddon(ctx, org.ID, pgAddon("db"))
	if err != nil {
		t.Fatal(err)
	}
	orgB := mustOrg(t, e.b, "Beta")

	day := time.Hour * 24
	calls := []struct {
		name string
		call func() error
	}{
		{"get org", func() error { _, err := e.b.Organisation(ctx, org.ID); return err }},
		{"update org", func() error {
			_, err := e.b.UpdateOrganisation(ctx, org.ID, platform.Organisation{Name: "x"})
			return err
		}},
		{"delete org", func() error { return e.b.DeleteOrganisation(ctx, org.ID) }},
		{"list apps", func() error { _, err := e.b.Applications(ctx, org.ID); return err }},
		{"create app", func() error { _, err := e.b.CreateApplication(ctx, org.ID, nodeApp("x")); return err }},
		{"get app", func() error { _, err := e.b.Application(ctx, org.ID, app.ID); return err }},
		{"get app via own org", func() error { _, err := e.b.Application(ctx, orgB.ID, app.ID); return err }},
		{"delete app via own org", func() error { return e.b.DeleteApplication(ctx, orgB.ID, app.ID) }},
		{"start app", func() error { _, err := e.b.StartApplication(ctx, org.ID, app.ID); return err }},
		{"stop app", func() error { return e.b.StopApplication(ctx, org.ID, app.ID) }},
		{"env", func() error { _, err := e.b.Env(ctx, org.ID, app.ID); return err }},
		{"set env", func() error { return e.b.SetEnv(ctx, org.ID, app.ID, "A", "b") }},
		{"deployments", func() error { _, err := e.b.Deployments(ctx, org.ID, app.ID); return err }},
		{"list add-ons", func() error { _, err := e.b.Addons(ctx, org.ID); return err }},
		{"get add-on", func() error { _, err := e.b.Addon(ctx, org.ID, ad.ID); return err }},
		{"get add-on via own org", func() error { _, err := e.b.Addon(ctx, orgB.ID, ad.ID); return err }},
		{"delete add-on", func() error { return e.b.DeleteAddon(ctx, org.ID, ad.ID) }},
		{"consumptions", func() error { _, err := e.b.Consumptions(ctx, org.ID, start0, start0.Add(day)); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) { wantIs(t, c.name, c.call(), platform.ErrNotFound) })
	}
	orgs, err := e.b.Organisations(ctx)
	if err != nil || len(orgs) != 1 || orgs[0].ID != orgB.ID {
		t.Errorf("got organisations %+v (err %v), want only Beta", orgs, err)
	}
	if _, err := e.a.Application(ctx, org.ID, app.ID); err != nil {
		t.Errorf("got %v, want A's application untouched", err)
	}
	e.wantErrorBody(t, "GET", "/v2/organisations/"+org.ID, bearer(tokenB), nil, 404)

	// Escaped ids cannot climb to another route.
	for _, id := range []string{"../../self", org.ID + "/applications", "..%2F"} {
		_, err := e.a.Organisation(ctx, id)
		wantIs(t, "escaped id "+id, err, platform.ErrNotFound)
	}
	_, err = e.a.Application(ctx, org.ID, app.ID+"/../"+app.ID)
	wantIs(t, "escaped app id", err, platform.ErrNotFound)
}

func TestConsumptions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "web") // XS, 1 instance
	ad, err := e.a.CreateAddon(ctx, org.ID, pgAddon("db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.StartApplication(ctx, org.ID, app.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second) // deployed: up from start0+1s
	e.clock.Advance(2 * time.Hour)
	if err := e.a.StopApplication(ctx, org.ID, app.ID); err != nil { // up 2h
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour - time.Second) // now start0+3h
	err = e.emu.RecordConsumption(ctx, org.ID, platform.Consumption{
		ResourceID: "app_old", ResourceType: "application", Zone: "par", SlugID: "apps.S",
		Quantity: "720", From: "2025-02-01T00:00:00Z", To: "2025-03-01T00:00:00Z",
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := e.a.Consumptions(ctx, org.ID, start0.Add(-24*time.Hour), start0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // resource → quantity
		"app_old": "720",
		app.ID:    "2",
		ad.ID:     "3",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines %+v, want %d", len(got), got, len(want))
	}
	for _, c := range got {
		if q := want[c.ResourceID]; c.Quantity.String() != q {
			t.Errorf("%s: got quantity %s, want %s", c.ResourceID, c.Quantity, q)
		}
		if c.Unit != "PT1H" || c.OwnerID != org.ID {
			t.Errorf("%s: got unit %s owner %s, want PT1H %s", c.ResourceID, c.Unit, c.OwnerID, org.ID)
		}
		switch c.ResourceID {
		case app.ID:
			if c.SlugID != "apps.XS" || c.ResourceType != "application" || c.From != "2025-03-01T10:00:01Z" {
				t.Errorf("got app line %+v, want apps.XS application from 10:00:01", c)
			}
		case ad.ID:
			if c.SlugID != "postgresql.xs_sml" || c.ResourceType != "addon" {
				t.Errorf("got add-on line %+v, want postgresql.xs_sml addon", c)
			}
		}
	}

	t.Run("clipped", func(t *testing.T) {
		got, err := e.a.Consumptions(ctx, org.ID, start0.Add(time.Hour), start0.Add(90*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d lines, want 2", len(got))
		}
		for _, c := range got {
			if c.Quantity.String() != "0.5" {
				t.Errorf("%s: got quantity %s, want 0.5", c.ResourceID, c.Quantity)
			}
		}
	})
	t.Run("json shape", func(t *testing.T) {
		var lines []map[string]any
		e.rawJSON(t, "GET", "/v4/billing/organisations/"+org.ID+"/consumptions?from=2025-03-01T00:00:00Z&to=2025-03-02T00:00:00Z", bearer(tokenA), nil, 200, &lines)
		hasKeys(t, "consumption", lines[0], "ownerId", "resourceId", "resourceType", "zone", "slugId", "quantity", "unit", "from", "to")
		if _, ok := lines[0]["quantity"].(float64); !ok {
			t.Errorf("got quantity %#v, want a JSON number", lines[0]["quantity"])
		}
	})
	t.Run("bad queries", func(t *testing.T) {
		for _, q := range []string{"", "?from=2025-03-01T00:00:00Z", "?to=2025-03-01T00:00:00Z", "?from=yesterday&to=today", "?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z"} {
			e.wantErrorBody(t, "GET", "/v4/billing/organisations/"+org.ID+"/consumptions"+q, bearer(tokenA), nil, 400)
		}
	})
	t.Run("record validation", func(t *testing.T) {
		bad := []platform.Consumption{
			{SlugID: "apps.S", Quantity: "1", From: "x", To: "2025-03-01T00:00:00Z"},
			{SlugID: "apps.S", Quantity: "1", From: "2025-03-01T00:00:00Z", To: "2025-03-01T00:00:00Z"},
			{SlugID: "apps.S", Quantity: "lots", From: "2025-02-01T00:00:00Z", To: "2025-03-01T00:00:00Z"},
			{Quantity: "1", From: "2025-02-01T00:00:00Z", To: "2025-03-01T00:00:00Z"},
		}
		for i, c := range bad {
			if err := e.emu.RecordConsumption(ctx, org.ID, c); err == nil {
				t.Errorf("case %d: got no error, want one", i)
			}
		}
		if err := e.emu.RecordConsumption(ctx, "orga_nope", platform.Consumption{SlugID: "a", Quantity: "1", From: "2025-02-01T00:00:00Z", To: "2025-03-01T00:00:00Z"}); err == nil {
			t.Errorf("unknown organisation: got no error, want one")
		}
	})
}

func TestPersistence(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := mustOrg(t, e.a, "Acme")
	app := mustApp(t, e.a, org.ID, "web")
	if _, err := e.a.StartApplication(ctx, org.ID, app.ID); err != nil {
		t.Fatal(err)
	}
	ad, err := e.a.CreateAddon(ctx, org.ID, pgAddon("db"))
	if err != nil {
		t.Fatal(err)
	}
	e.close()
	e.clock.Advance(time.Minute)
	e.open(t)
	// The account survived with the same token, EnsureAccount leaves it be.
	if err := e.emu.EnsureAccount(ctx, "alpha", "other@example.com", tokenA); err != nil {
		t.Fatal(err)
	}
	self, err := e.a.Self(ctx)
	if err != nil || self.Email != "alpha@example.com" {
		t.Fatalf("got %+v (err %v), want alpha unchanged", self, err)
	}
	got, err := e.a.Application(ctx, org.ID, app.ID)
	if err != nil || got.State != platform.StateShouldBeUp || got.Name != "web" || len(got.Tags) != 1 {
		t.Errorf("got %+v (err %v), want web SHOULD_BE_UP with its tag", got, err)
	}
	if deps, err := e.a.Deployments(ctx, org.ID, app.ID); err != nil || len(deps) != 1 {
		t.Errorf("got %d deployments (err %v), want 1", len(deps), err)
	}
	if a, err := e.a.Addon(ctx, org.ID, ad.ID); err != nil || a.RealID != ad.RealID {
		t.Errorf("got %+v (err %v), want the add-on", a, err)
	}
}

func TestEnsureAccount(t *testing.T) {
	ctx := context.Background()
	emu, err := emulator.Open(ctx, filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	tests := []struct {
		name, account, token string
		wantErr              bool
	}{
		{"create", "alpha", "t1", false},
		{"again", "alpha", "t1", false},
		{"again other token", "alpha", "t9", false},
		{"token of another account", "beta", "t1", true},
		{"no token", "gamma", "", true},
		{"no name", "", "t3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := emu.EnsureAccount(ctx, tt.account, tt.account+"@example.com", tt.token)
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestTokenNotStored checks that no clear-text token reaches the database.
func TestTokenNotStored(t *testing.T) {
	e := newEnv(t)
	e.close()
	data, err := readAll(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), tokenA) {
		t.Errorf("got the clear-text token in the database file, want only its hash")
	}
}

// readAll reads the database and its write-ahead log.
func readAll(path string) ([]byte, error) {
	var out []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}
