package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/tenants"
)

// TestAPIErrorShape: the platform-compatible API answers its errors as the
// platform does, {id: integer, message, type: "error"}: a malformed JSON
// body 400, an unknown zone 400 (a zone the customer may not use 403), an
// organisation outside the token 404, a missing token 401; /v2/self names
// the user as the platform does (user_…) and /v2/summary carries no
// environment values.
func TestAPIErrorShape(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	owner, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	cust, _ := a.store.Customer(ctx, acme.ID, owner.CustomerID)
	tok := a.allOpsToken(t, "acme", "dev@acme.example")
	org := "/v2/organisations/" + cust.OrganisationID
	raw := func(method, path, token, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
		req.Host = "acme.localhost"
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		obj := map[string]any{}
		_ = json.Unmarshal(b, &obj)
		return res.StatusCode, obj
	}
	app := `{"name":"shape","deploy":"git","instanceType":"node","instanceVersion":"20210421","instanceVariant":"node","minFlavor":"XS","maxFlavor":"XS","minInstances":1,"maxInstances":1,"zone":"%s"}`
	// Another customer of the same partner: its organisation is outside
	// the token.
	coyote, err := a.store.CreateCustomer(ctx, acme.ID, tenants.CustomerCreate{Name: "ACME Corp", OrganisationID: "orga_" + randomKey(),
		AllowedZones: []string{"par"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path, token, body string
		status, id                      int
		message                         string
	}{
		{"malformed JSON", "POST", org + "/applications", tok, `{not json`, 400, 4000, "not the JSON"},
		{"unknown zone", "POST", org + "/applications", tok, strings.Replace(app, "%s", "atlantis", 1), 400, 4000, "There is no zone atlantis"},
		{"zone not sold", "POST", org + "/applications", tok, strings.Replace(app, "%s", "mtl", 1), 403, 4030, "Zone mtl is not available"},
		{"organisation outside the token", "GET", "/v2/organisations/" + coyote.OrganisationID + "/applications", tok, "", 404, 4040, "does not exist"},
		{"unknown organisation", "GET", "/v2/organisations/orga_nothing/applications", tok, "", 404, 4040, "does not exist"},
		{"no token", "GET", org + "/applications", "", "", 401, 4010, "valid token"},
		{"no token, malformed body", "POST", org + "/applications", "", `{not json`, 401, 4010, "valid token"},
	} {
		status, obj := raw(tc.method, tc.path, tc.token, tc.body)
		id, isNumber := obj["id"].(float64)
		msg, _ := obj["message"].(string)
		if status != tc.status || !isNumber || int(id) != tc.id || obj["type"] != "error" || !strings.Contains(msg, tc.message) {
			t.Errorf("%s: %d %v, want %d {id: %d, message ~ %q, type: error}", tc.name, status, obj, tc.status, tc.id, tc.message)
		}
	}
	_, self := raw("GET", "/v2/self", tok, "")
	if id, _ := self["id"].(string); !strings.HasPrefix(id, "user_") || len(id) != len("user_")+36 {
		t.Errorf("/v2/self id %q, want user_<uuid>", id)
	}
	if s, _, b := a.api(t, "acme.localhost", "POST", org+"/applications", tok, map[string]any{"name": "env-app", "deploy": "git",
		"instanceType": "node", "instanceVersion": "20210421", "instanceVariant": "node", "minFlavor": "XS", "maxFlavor": "XS", "minInstances": 1, "maxInstances": 1, "zone": "par"}); s != http.StatusOK && s != http.StatusCreated {
		t.Fatalf("create: %d %s", s, b)
	}
	_, _, listed := a.api(t, "acme.localhost", "GET", org+"/applications", tok, nil)
	appID := regexpFind(t, string(listed), `"id":"(app_[^"]+)"`)
	if s, _, b := a.api(t, "acme.localhost", "PUT", org+"/applications/"+appID+"/env/SECRET_KEY", tok, map[string]any{"value": "hunter2"}); s >= 300 {
		t.Fatalf("set env: %d %s", s, b)
	}
	if _, _, b := a.api(t, "acme.localhost", "GET", "/v2/summary", tok, nil); strings.Contains(string(b), "hunter2") || !strings.Contains(string(b), appID) {
		t.Errorf("the summary carries environment values, or lacks the application:\n%s", b)
	}
}

// TestNoFavouriteVhost: an application without a favourite domain of its
// own answers 404 with the platform's id 4021, which the official CLI tests
// for; an application that does not exist answers 4040.
func TestNoFavouriteVhost(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	owner, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	cust, _ := a.store.Customer(ctx, acme.ID, owner.CustomerID)
	tok := a.allOpsToken(t, "acme", "dev@acme.example")
	org := "/v2/organisations/" + cust.OrganisationID
	_, _, listed := a.api(t, "acme.localhost", "GET", org+"/applications", tok, nil)
	app := regexpFind(t, string(listed), `"id":"(app_[^"]+)"`)
	if s, obj, raw := a.api(t, "acme.localhost", "GET", org+"/applications/"+app+"/vhosts/favourite", tok, nil); s != http.StatusNotFound || obj["id"] != float64(4021) {
		t.Errorf("no favourite vhost: %d %s, want 404 with id 4021", s, raw)
	}
	if s, obj, raw := a.api(t, "acme.localhost", "GET", org+"/applications/app_00000000-0000-0000-0000-000000000000/vhosts/favourite", tok, nil); s != http.StatusNotFound || obj["id"] != float64(4040) {
		t.Errorf("an unknown application's favourite vhost: %d %s, want 404 with id 4040", s, raw)
	}
}
