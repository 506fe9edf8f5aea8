package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/demo"
	"github.com/grisaille/grisaille/tenants"
)

// TestCustomerLife: the partner renames a customer, suspends it (its
// users' sessions end, signing in is refused with a clear message, its
// tokens are refused, nothing is asked of the platform), lifts the
// suspension, then deletes it after typing its name.
func TestCustomerLife(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	dev, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	page := "/admin/customers/" + dev.CustomerID
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	user := a.client(t, "acme.localhost")
	user.signIn("dev@acme.example")
	tok := a.customerTokenWith(t, "acme", "dev@acme.example", "org:read")

	post := func(path string, form url.Values) *http.Response {
		form.Set("_csrf", admin.csrf(page))
		res, _ := admin.do(http.MethodPost, path, form)
		return res
	}
	if res := post(page+"/rename", url.Values{"name": {"Roadrunner Labs SAS"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename: %d", res.StatusCode)
	}
	if c, _ := a.store.Customer(ctx, acme.ID, dev.CustomerID); c.Name != "Roadrunner Labs SAS" {
		t.Fatalf("renamed to %q", c.Name)
	}
	writes := a.platformWrites.Load()
	if res := post(page+"/suspend", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("suspend: %d", res.StatusCode)
	}
	if a.platformWrites.Load() != writes {
		t.Fatal("suspending asked the platform to change something: the applications are left running")
	}
	if res, _ := user.do(http.MethodGet, "/console", nil); res.StatusCode == http.StatusOK {
		t.Fatal("a suspended customer's session still opens the console")
	}
	fresh := a.client(t, "acme.localhost")
	res, body := fresh.do(http.MethodPost, "/login", url.Values{"_csrf": {fresh.csrf("/login")}, "email": {"dev@acme.example"}, "password": {demo.Password}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "access is suspended") {
		t.Fatalf("a suspended customer's sign-in: %d", res.StatusCode)
	}
	if st, obj, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/organisations", tok, nil); st != http.StatusForbidden || !strings.Contains(obj["message"].(string), "suspended") {
		t.Fatalf("a suspended customer's token: %d %v", st, obj)
	}
	if _, p := admin.do(http.MethodGet, page, nil); !strings.Contains(p, `data-testid="customer-suspended"`) {
		t.Fatal("the customer's page does not say it is suspended")
	}
	post(page+"/suspend", url.Values{"resume": {"on"}})
	fresh.signIn("dev@acme.example")
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/organisations", tok, nil); st != http.StatusOK {
		t.Fatalf("the token after the suspension is lifted: %d", st)
	}

	post(page+"/delete", url.Values{"confirm": {"Roadrunner"}})
	if _, err := a.store.Customer(ctx, acme.ID, dev.CustomerID); err != nil {
		t.Fatal("a wrong confirmation deleted the customer")
	}
	if res := post(page+"/delete", url.Values{"confirm": {"Roadrunner Labs SAS"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if _, err := a.store.Customer(ctx, acme.ID, dev.CustomerID); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("the deleted customer: %v", err)
	}
	if _, err := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example"); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatal("the deleted customer's user remains")
	}
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/organisations", tok, nil); st != http.StatusUnauthorized {
		t.Fatalf("the deleted customer's token: %d", st)
	}
}
