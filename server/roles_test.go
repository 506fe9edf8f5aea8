package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/demo"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web"
)

// addMember adds a user of Roadrunner Labs (Acme's demo customer) with a
// role, and returns a client signed in as them.
func addMember(t *testing.T, a *app, email string, role tenants.MemberRole) *client {
	t.Helper()
	ctx := context.Background()
	acme, err := a.store.PartnerBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.CreateUser(ctx, tenants.UserCreate{PartnerID: acme.ID, CustomerID: dev.CustomerID, Email: email,
		Password: demo.Password, Role: tenants.RoleCustomer, Member: role}); err != nil {
		t.Fatal(err)
	}
	c := a.client(t, "acme.localhost")
	c.signIn(email)
	return c
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestMemberRoles proves every member role's allowed and refused console
// routes: what the authorizer lets through (any answer but 403) and what
// it refuses (403 with a clear message), and the menu showing only what
// the role allows.
func TestMemberRoles(t *testing.T) {
	a := newApp(t)
	members := map[tenants.MemberRole]*client{
		tenants.MemberOwner:     func() *client { c := a.client(t, "acme.localhost"); c.signIn("dev@acme.example"); return c }(),
		tenants.MemberDeveloper: addMember(t, a, "developer@roadrunner.example", tenants.MemberDeveloper),
		tenants.MemberViewer:    addMember(t, a, "viewer@roadrunner.example", tenants.MemberViewer),
		tenants.MemberBilling:   addMember(t, a, "billing@roadrunner.example", tenants.MemberBilling),
	}
	type route struct {
		method, path string
		form         func(c *client) url.Values
		allowed      []tenants.MemberRole
	}
	all := tenants.MemberRoles()
	runners := []tenants.MemberRole{tenants.MemberOwner, tenants.MemberDeveloper}
	readers := []tenants.MemberRole{tenants.MemberOwner, tenants.MemberDeveloper, tenants.MemberViewer}
	form := func(page string, kv ...string) func(c *client) url.Values {
		return func(c *client) url.Values {
			v := url.Values{"_csrf": {c.csrf("/console/pricing")}}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
	}
	routes := []route{
		{"GET", "/console", nil, readers},
		{"GET", "/console/pricing", nil, all},
		{"GET", "/console/apps/new", nil, readers},
		{"POST", "/console/apps", form("", "name", "roles-app", "runtime", "node", "zone", "par", "flavor", "XS", "idempotency_key", ""), runners},
		{"GET", "/console/addons/new", nil, readers},
		{"POST", "/console/addons", form("", "name", "roles-db", "provider", "postgresql-addon", "plan", "dev", "zone", "par"), runners},
		{"GET", "/console/invoices", nil, []tenants.MemberRole{tenants.MemberOwner, tenants.MemberBilling}},
		{"GET", "/console/usage", nil, []tenants.MemberRole{tenants.MemberOwner, tenants.MemberBilling}},
		{"GET", "/console/usage.csv", nil, []tenants.MemberRole{tenants.MemberOwner, tenants.MemberBilling}},
		{"GET", "/console/tokens", nil, runners},
		{"POST", "/console/tokens", form("", "label", "ci", "days", "30", "operations", "app:read"), runners},
		{"GET", "/console/members", nil, []tenants.MemberRole{tenants.MemberOwner}},
		{"POST", "/console/members/role", form("", "user", "nobody", "role", "viewer"), []tenants.MemberRole{tenants.MemberOwner}},
		{"GET", "/account", nil, all},
	}
	for _, r := range routes {
		for _, role := range all {
			c := members[role]
			var f url.Values
			if r.form != nil {
				f = r.form(c)
				if f.Has("idempotency_key") {
					f.Set("idempotency_key", randomKey())
				}
			}
			res, body := c.do(r.method, r.path, f)
			want := false
			for _, ok := range r.allowed {
				want = want || ok == role
			}
			switch {
			case want && res.StatusCode == http.StatusForbidden:
				t.Errorf("%s %s as %s: refused, want allowed\n%s", r.method, r.path, role, body)
			case !want && (res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Your access does not allow this action")):
				t.Errorf("%s %s as %s: %d, want 403 with a clear message", r.method, r.path, role, res.StatusCode)
			}
		}
	}
	for role, links := range map[tenants.MemberRole][2][]string{
		tenants.MemberOwner:     {{"/console/apps/new", "/console/invoices", "/console/members"}, nil},
		tenants.MemberDeveloper: {{"/console/apps/new", "/console/tokens"}, {"/console/invoices", "/console/members"}},
		tenants.MemberViewer:    {{"/console"}, {"/console/apps/new", "/console/invoices", "/console/tokens", "/console/members"}},
		tenants.MemberBilling:   {{"/console/invoices", "/console/pricing"}, {"/console/apps/new", "/console/tokens"}},
	} {
		_, page := members[role].do(http.MethodGet, "/console/pricing", nil)
		for _, l := range links[0] {
			if !strings.Contains(page, `href="`+l+`"`) {
				t.Errorf("%s's menu lacks %s", role, l)
			}
		}
		for _, l := range links[1] {
			if strings.Contains(page, `<a href="`+l+`">`) {
				t.Errorf("%s's menu offers %s", role, l)
			}
		}
	}
	// A billing member lands on the invoices.
	b := a.client(t, "acme.localhost")
	res, _ := b.do(http.MethodPost, "/login", url.Values{"_csrf": {b.csrf("/login")}, "email": {"billing@roadrunner.example"}, "password": {demo.Password}})
	if res.Header.Get("Location") != "/console/invoices" {
		t.Errorf("a billing member lands on %q", res.Header.Get("Location"))
	}
}

// TestMemberRoleChange: an owner turns a developer into a viewer; the
// developer's open session is refused creating at once, with a clear
// message; the last owner cannot be demoted; a developer's tokens carry at
// most a developer's operations; the partner changes a role too.
func TestMemberRoleChange(t *testing.T) {
	a := newApp(t)
	owner := a.client(t, "acme.localhost")
	owner.signIn("dev@acme.example")
	dev := addMember(t, a, "new@roadrunner.example", tenants.MemberDeveloper)

	res, page := dev.do(http.MethodPost, "/console/tokens", url.Values{"_csrf": {dev.csrf("/console/tokens")}, "label": {"ci"},
		"days": {"30"}, "operations": {"billing:read"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a developer minting a token reading invoices: %d\n%s", res.StatusCode, page)
	}
	create := func() (*http.Response, string) {
		return dev.do(http.MethodPost, "/console/apps", url.Values{"_csrf": {dev.csrf("/console/apps/new")}, "name": {"x"},
			"runtime": {"node"}, "zone": {"par"}, "flavor": {"XS"}, "idempotency_key": {randomKey()}})
	}
	if res, body := create(); res.StatusCode == http.StatusForbidden {
		t.Fatalf("a developer may create: %d\n%s", res.StatusCode, body)
	}
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	idOf := func(email string) string {
		u, err := a.store.UserByEmail(ctx, acme.ID, email)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	_, members := owner.do(http.MethodGet, "/console/members", nil)
	userID := idOf("new@roadrunner.example")
	if !strings.Contains(members, `value="`+userID+`"`) || !strings.Contains(members, "Runs applications and add-ons") {
		t.Fatal("the members page lists no role form for the new member, or does not say what roles do")
	}
	res, _ = owner.do(http.MethodPost, "/console/members/role", url.Values{"_csrf": {owner.csrf("/console/members")}, "user": {userID}, "role": {"viewer"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change the role: %d", res.StatusCode)
	}
	if res, body := create(); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Your access does not allow this action") {
		t.Fatalf("a viewer's open session creating: %d", res.StatusCode)
	}
	if res, _ := dev.do(http.MethodGet, "/console", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the viewer's session still reads: %d", res.StatusCode)
	}
	ownerID := idOf("dev@acme.example")
	res, page = owner.do(http.MethodPost, "/console/members/role", url.Values{"_csrf": {owner.csrf("/console/members")}, "user": {ownerID}, "role": {"viewer"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "keeps at least one owner") {
		t.Fatalf("demote the last owner: %d", res.StatusCode)
	}
	// The partner's admin makes the viewer an owner from the customer's page.
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	u, _ := a.store.User(ctx, acme.ID, userID)
	res, _ = admin.do(http.MethodPost, "/admin/customers/"+u.CustomerID+"/role", url.Values{"_csrf": {admin.csrf("/admin")}, "user": {userID}, "role": {"owner"}})
	if u, _ = a.store.User(ctx, acme.ID, userID); res.StatusCode != http.StatusSeeOther || u.Member != tenants.MemberOwner {
		t.Fatalf("the partner's role change: %d, %s", res.StatusCode, u.Member)
	}
	if res, _ := dev.do(http.MethodGet, "/console/invoices", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("an owner's open session reads invoices: %d", res.StatusCode)
	}
}

// TestInspectOtherCustomersToken: a customer pasting another customer's
// token (of the same partner) in the inspector learns nothing of it; the
// partner's admin and the token's own customer see it.
func TestInspectOtherCustomersToken(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	if _, err := a.store.CreateCustomerWithUser(ctx, acme.ID, tenants.CustomerCreate{Name: "Other Corp", OrganisationID: "orga_other",
		AllowedZones: []string{"par"}}, tenants.UserCreate{PartnerID: acme.ID, Email: "ops@other.example", Password: demo.Password,
		Role: tenants.RoleCustomer}); err != nil {
		t.Fatal(err)
	}
	theirs := a.customerTokenWith(t, "acme", "ops@other.example", "app:read")
	for email, want := range map[string]int{"dev@acme.example": http.StatusBadRequest, "ops@other.example": http.StatusOK} {
		c := a.client(t, "acme.localhost")
		c.signIn(email)
		res, page := c.do(http.MethodPost, "/console/tokens/inspect", url.Values{"_csrf": {c.csrf("/console/tokens/inspect")}, "token": {theirs}})
		if res.StatusCode != want || (want != http.StatusOK && strings.Contains(page, "Other Corp")) {
			t.Errorf("%s inspecting Other Corp's token: %d, want %d", email, res.StatusCode, want)
		}
	}
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	if res, _ := admin.do(http.MethodPost, "/admin/tokens/inspect", url.Values{"_csrf": {admin.csrf("/admin/tokens/inspect")}, "token": {theirs}}); res.StatusCode != http.StatusOK {
		t.Errorf("the partner inspecting its customer's token: %d", res.StatusCode)
	}
}

// TestRemoveMember: an owner removes a developer: their open session ends
// and the token issued to them is refused; nobody removes themselves; the
// last owner stays.
func TestRemoveMember(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	owner := a.client(t, "acme.localhost")
	owner.signIn("dev@acme.example")
	dev := addMember(t, a, "gone@roadrunner.example", tenants.MemberDeveloper)
	tok := a.customerTokenWith(t, "acme", "gone@roadrunner.example", "org:read")
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/organisations", tok, nil); st != http.StatusOK {
		t.Fatalf("the member's token before: %d", st)
	}
	gone, _ := a.store.UserByEmail(ctx, acme.ID, "gone@roadrunner.example")
	me, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	res, page := owner.do(http.MethodPost, "/console/members/remove", url.Values{"_csrf": {owner.csrf("/console/members")}, "user": {me.ID}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "You cannot remove yourself") {
		t.Fatalf("remove oneself: %d", res.StatusCode)
	}
	if res, _ := owner.do(http.MethodPost, "/console/members/remove", url.Values{"_csrf": {owner.csrf("/console/members")}, "user": {gone.ID}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if res, _ := dev.do(http.MethodGet, "/console", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the removed member's session: %d", res.StatusCode)
	}
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/organisations", tok, nil); st != http.StatusUnauthorized {
		t.Fatalf("the removed member's token: %d", st)
	}
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	admin.do(http.MethodPost, "/admin/customers/"+me.CustomerID+"/remove", url.Values{"_csrf": {admin.csrf("/admin")}, "user": {me.ID}})
	if _, err := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example"); err != nil {
		t.Fatalf("the last owner was removed: %v", err)
	}
}

// TestPartnerRoles proves the partner's staff roles' allowed and refused
// routes: support, invited by an admin, reads the customers, their members
// and invoices, and nothing else; an admin does everything.
func TestPartnerRoles(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	dev, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	if res, _ := admin.do(http.MethodPost, "/admin/people/invite", url.Values{"_csrf": {admin.csrf("/admin/people")},
		"email": {"help@acme.example"}, "role": {"support"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite support: %d", res.StatusCode)
	}
	_, text := mailTo(t, a.mail, "help@acme.example", 1)
	link, _ := url.Parse(inviteLink.FindString(text))
	support := a.client(t, "acme.localhost")
	res, _ := support.do(http.MethodPost, "/invite", url.Values{"_csrf": {support.csrf(link.RequestURI())}, "token": {link.Query().Get("token")},
		"password": {"support desk one"}, "confirm": {"support desk one"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/customers" {
		t.Fatalf("support's first sign-in: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	customer := "/admin/customers/" + dev.CustomerID
	form := func(c *client, kv ...string) url.Values {
		v := url.Values{"_csrf": {c.csrf("/admin/customers")}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, r := range []struct {
		method, path string
		kv           []string
		support      bool
	}{
		{"GET", "/admin/customers", nil, true},
		{"GET", customer, nil, true},
		{"GET", "/admin/invoices", nil, true},
		{"GET", "/admin/usage", nil, true},
		{"GET", "/admin", nil, false},
		{"GET", "/admin/grids", nil, false},
		{"GET", "/admin/tokens", nil, false},
		{"GET", "/admin/people", nil, false},
		{"GET", "/admin/audit", nil, false},
		{"GET", "/admin/security", nil, false},
		{"POST", "/admin/security/two-factor", []string{"customers", "on"}, false},
		{"POST", "/admin/brand", []string{"name", "Hijacked"}, false},
		{"POST", "/admin/stripe", []string{"secret_key", "sk_test_x"}, false},
		{"POST", customer + "/suspend", nil, false},
		{"POST", customer + "/invite", []string{"email", "x@roadrunner.example", "role", "owner"}, false},
		{"POST", "/admin/tokens/partner", []string{"label", "x"}, false},
	} {
		for who, c := range map[string]*client{"support": support, "admin": admin} {
			var f url.Values
			if r.method == http.MethodPost {
				f = form(c, r.kv...)
			}
			if who == "admin" && r.method == http.MethodPost {
				continue // an admin's writes are the other tests'
			}
			res, body := c.do(r.method, r.path, f)
			allowed := who == "admin" || r.support
			switch {
			case allowed && res.StatusCode == http.StatusForbidden:
				t.Errorf("%s %s as %s: refused, want allowed", r.method, r.path, who)
			case !allowed && (res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Your access does not allow this action")):
				t.Errorf("%s %s as %s: %d, want 403 with a clear message", r.method, r.path, who, res.StatusCode)
			}
		}
	}
	_, page := support.do(http.MethodGet, customer, nil)
	if strings.Contains(page, `data-testid="invite-form"`) || strings.Contains(page, `data-testid="suspend"`) || !strings.Contains(page, "dev@acme.example") {
		t.Fatal("support's view of a customer offers changes, or lacks its members")
	}
	_, nav := support.do(http.MethodGet, "/admin/customers", nil)
	for _, hidden := range []string{`<a href="/admin">`, `<a href="/admin/grids">`, `<a href="/admin/tokens">`, `<a href="/admin/people">`} {
		if strings.Contains(nav, hidden) {
			t.Errorf("support's menu offers %s", hidden)
		}
	}
	if b, _ := a.store.PartnerBySlug(ctx, "acme"); b.Brand.Name != "Acme Cloud" {
		t.Fatal("support changed the brand")
	}
}

// TestAPIRoles proves every member role's allowed and refused API routes,
// with the token its role allows (what its console session carries): the
// authorizer lets through (any answer but 403) or refuses (403 in the
// API's error shape). A developer's token, minted as a developer, has a
// viewer's rights once its holder is made a viewer.
func TestAPIRoles(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	emails := map[tenants.MemberRole]string{tenants.MemberOwner: "dev@acme.example"}
	for _, r := range []tenants.MemberRole{tenants.MemberDeveloper, tenants.MemberViewer, tenants.MemberBilling} {
		emails[r] = string(r) + "@roadrunner.example"
		addMember(t, a, emails[r], r)
	}
	owner, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	cust, _ := a.store.Customer(ctx, acme.ID, owner.CustomerID)
	toks := map[tenants.MemberRole]string{}
	for r, e := range emails {
		u, _ := a.store.UserByEmail(ctx, acme.ID, e)
		toks[r] = a.customerTokenWith(t, "acme", e, web.OpsOf(u)...)
	}
	org := "/v2/organisations/" + cust.OrganisationID
	all := tenants.MemberRoles()
	runners := []tenants.MemberRole{tenants.MemberOwner, tenants.MemberDeveloper}
	readers := []tenants.MemberRole{tenants.MemberOwner, tenants.MemberDeveloper, tenants.MemberViewer}
	app := map[string]any{"name": "api-roles", "deploy": "git", "instanceType": "node", "instanceVersion": "20", "zone": "par",
		"minFlavor": "XS", "maxFlavor": "XS", "minInstances": 1, "maxInstances": 1}
	routes := []struct {
		method, path string
		body         any
		allowed      []tenants.MemberRole
	}{
		{"GET", "/v2/self", nil, all},
		{"GET", "/v2/summary", nil, all},
		{"GET", "/v4/billing/price-system?zone_id=par", nil, all},
		{"GET", "/v4/products/zones", nil, all},
		{"GET", org + "/applications", nil, readers},
		{"POST", org + "/applications", app, runners},
		{"GET", org + "/applications/app_none", nil, readers},
		{"PUT", org + "/applications/app_none/env/KEY", map[string]any{"value": "v"}, runners},
		{"POST", org + "/applications/app_none/instances", nil, runners},
		{"DELETE", org + "/applications/app_none", nil, runners},
		{"GET", org + "/addons", nil, readers},
		{"POST", org + "/addons", map[string]any{"name": "api-db", "providerId": "postgresql-addon", "plan": "plan_dev", "region": "par"}, runners},
		{"DELETE", org + "/addons/addon_none", nil, runners},
		{"GET", "/api/v1/tokens", nil, runners},
		{"POST", "/api/v1/tokens/attenuate", map[string]any{"operations": []string{"app:read"}, "days": 1}, runners},
	}
	for _, r := range routes {
		for _, role := range all {
			status, obj, raw := a.api(t, "acme.localhost", r.method, r.path, toks[role], r.body)
			want := slices.Contains(r.allowed, role)
			switch {
			case want && status == http.StatusForbidden:
				t.Errorf("%s %s as %s: refused, want allowed: %s", r.method, r.path, role, raw)
			case !want && (status != http.StatusForbidden || obj["id"] == nil || obj["message"] == nil || obj["type"] == nil):
				t.Errorf("%s %s as %s: %d %s, want 403 {id, message, type}", r.method, r.path, role, status, raw)
			}
		}
	}

	// The developer is made a viewer: their token, minted with a
	// developer's operations, creates no more, and still reads.
	dev, _ := a.store.UserByEmail(ctx, acme.ID, emails[tenants.MemberDeveloper])
	if _, err := a.store.SetMemberRole(ctx, acme.ID, cust.ID, dev.ID, tenants.MemberViewer); err != nil {
		t.Fatal(err)
	}
	if status, _, raw := a.api(t, "acme.localhost", "POST", org+"/applications", toks[tenants.MemberDeveloper], app); status != http.StatusForbidden {
		t.Fatalf("a demoted developer's token created: %d %s", status, raw)
	}
	if status, _, _ := a.api(t, "acme.localhost", "GET", org+"/applications", toks[tenants.MemberDeveloper], nil); status != http.StatusOK {
		t.Fatalf("a demoted developer's token reads: %d", status)
	}
}
