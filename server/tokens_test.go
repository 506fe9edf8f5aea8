package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/tokens"
)

// customerToken mints a token for the demo customer of a partner, as the
// partner's admin page does.
func (a *app) customerToken(t *testing.T, slug, email string) string {
	t.Helper()
	return a.customerTokenWith(t, slug, email, tokens.OpOrgRead, tokens.OpAppRead, tokens.OpAppWrite, tokens.OpAppDeploy,
		tokens.OpTokenRead, tokens.OpTokenWrite)
}

// customerTokenWith mints a token for the demo customer of a partner with
// the operations ops.
func (a *app) customerTokenWith(t *testing.T, slug, email string, ops ...string) string {
	t.Helper()
	ctx := context.Background()
	p, err := a.store.PartnerBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.store.UserByEmail(ctx, p.ID, email)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := a.store.Customer(ctx, p.ID, u.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.tokens.MintSession(ctx, tokens.Principal{PartnerID: p.ID, CustomerID: cust.ID, UserID: u.ID},
		tokens.Restriction{Organisation: cust.OrganisationID, Zones: cust.AllowedZones,
			Operations: ops, ExpiresAt: time.Now().Add(time.Hour).UTC().Truncate(time.Second)}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// api calls the JSON API on host with a bearer token.
func (a *app) api(t *testing.T, host, method, path, token string, body any) (int, map[string]any, []byte) {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(res.Body).Decode(&raw)
	var obj map[string]any
	_ = json.Unmarshal(raw, &obj)
	return res.StatusCode, obj, raw
}

func TestPublicKey(t *testing.T) {
	a := newApp(t)
	st, obj, _ := a.api(t, "anything.example", http.MethodGet, "/.well-known/biscuit-public-key", "", nil)
	if st != http.StatusOK || obj["algorithm"] != "ed25519" || len(obj["public_key"].(string)) != 64 {
		t.Fatalf("got %d %v, want 200 with a 64-hex ed25519 key", st, obj)
	}
}

func TestTokenTenantAndRevocation(t *testing.T) {
	a := newApp(t)
	tok := a.customerToken(t, "acme", "dev@acme.example")
	const acme, globex = "acme.localhost", "globex.localhost"

	st, _, body := a.api(t, acme, http.MethodGet, "/v2/organisations", tok, nil)
	var orgs []struct{ ID string }
	_ = json.Unmarshal(body, &orgs)
	if st != http.StatusOK || len(orgs) != 1 {
		t.Fatalf("GET /v2/organisations: %d %s", st, body)
	}
	org := orgs[0].ID

	t.Run("refused on another partner's host", func(t *testing.T) {
		for _, path := range []string{"/v2/self", "/v2/organisations", "/v2/organisations/" + org + "/applications"} {
			st, obj, _ := a.api(t, globex, http.MethodGet, path, tok, nil)
			if st != http.StatusForbidden && st != http.StatusNotFound && st != http.StatusUnauthorized {
				t.Errorf("%s on globex: got %d, want a refusal", path, st)
			}
			if obj["type"] != "error" || obj["message"] == "" {
				t.Errorf("%s on globex: got %v, want an error body", path, obj)
			}
		}
	})
	t.Run("zones outside the customer's are refused and not listed", func(t *testing.T) {
		st, obj, _ := a.api(t, acme, http.MethodPost, "/v2/organisations/"+org+"/applications", tok,
			map[string]any{"name": "x", "zone": "mtl", "instanceType": "node", "instanceVersion": "20210421", "instanceVariant": "node"})
		if st != http.StatusForbidden || !strings.Contains(obj["message"].(string), "Zone mtl") {
			t.Fatalf("create in mtl: got %d %v, want 403 naming the zone", st, obj)
		}
		_, _, body := a.api(t, acme, http.MethodGet, "/v4/products/zones", tok, nil)
		var zones []struct{ Name string }
		_ = json.Unmarshal(body, &zones)
		var names []string
		for _, z := range zones {
			names = append(names, z.Name)
		}
		if strings.Join(names, ",") != "par,rbx,sgp" {
			t.Fatalf("zones listed: got %v, want par,rbx,sgp", names)
		}
	})
	t.Run("attenuation narrows and never widens", func(t *testing.T) {
		st, obj, _ := a.api(t, acme, http.MethodPost, "/api/v1/tokens/attenuate", tok, map[string]any{
			"label": "wider", "zones": []string{"par", "mtl"}})
		if st != http.StatusBadRequest || !strings.Contains(obj["message"].(string), "only narrow the zones") {
			t.Fatalf("widening zones: got %d %v, want 400", st, obj)
		}
		st, obj, _ = a.api(t, acme, http.MethodPost, "/api/v1/tokens/attenuate", tok, map[string]any{
			"label": "ci", "operations": []string{"org:read", "app:read"}, "ttl_seconds": 600})
		if st != http.StatusCreated {
			t.Fatalf("read-only attenuation: got %d %v", st, obj)
		}
		ro := obj["token"].(string)
		if st, _, _ := a.api(t, acme, http.MethodGet, "/v2/organisations/"+org+"/applications", ro, nil); st != http.StatusOK {
			t.Fatalf("read-only token reading: got %d, want 200", st)
		}
		if st, _, _ := a.api(t, acme, http.MethodPost, "/v2/organisations/"+org+"/applications", ro,
			map[string]any{"name": "x", "zone": "par"}); st != http.StatusForbidden {
			t.Fatalf("read-only token writing: got %d, want 403", st)
		}

		// Revoking the parent refuses it and its child on the next request.
		var recs []struct {
			RevocationID string `json:"revocation_id"`
			Label        string `json:"label"`
		}
		_, _, body := a.api(t, acme, http.MethodGet, "/api/v1/tokens", tok, nil)
		_ = json.Unmarshal(body, &recs)
		var parent string
		for _, r := range recs {
			if r.Label == "test" {
				parent = r.RevocationID
			}
		}
		if st, obj, _ := a.api(t, acme, http.MethodPost, "/api/v1/tokens/revoke", tok, map[string]string{"revocation_id": parent}); st != http.StatusOK {
			t.Fatalf("revoke: got %d %v", st, obj)
		}
		for name, tk := range map[string]string{"revoked": tok, "derived": ro} {
			if st, _, _ := a.api(t, acme, http.MethodGet, "/v2/self", tk, nil); st != http.StatusUnauthorized {
				t.Errorf("%s token: got %d, want 401", name, st)
			}
		}
	})
}

// TestGarbageTokens sends 10,000 malformed tokens: each gets a 401 with a
// JSON error, the server keeps serving, and no goroutine is left behind.
func TestGarbageTokens(t *testing.T) {
	a := newApp(t)
	good := a.customerToken(t, "acme", "dev@acme.example")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(good, "="))
	if err != nil {
		raw, _ = base64.URLEncoding.DecodeString(good)
	}
	variants := func(i int) string {
		switch i % 4 {
		case 0:
			return "garbage-" + strings.Repeat("x", i%50)
		case 1:
			return good[:i%len(good)]
		case 2:
			b := append([]byte(nil), raw...)
			b[i%len(b)] ^= byte(1 << (i % 8))
			return base64.RawURLEncoding.EncodeToString(b)
		default:
			return base64.RawURLEncoding.EncodeToString(raw[:i%len(raw)])
		}
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 8}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	do := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/v2/self", nil)
		req.Host = "acme.localhost"
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		var obj map[string]any
		_ = json.NewDecoder(res.Body).Decode(&obj)
		res.Body.Close()
		if res.StatusCode == http.StatusUnauthorized && obj["type"] != "error" {
			t.Errorf("401 without a JSON error body: %v", obj)
		}
		return res.StatusCode
	}
	do(good) // warm up
	runtime.GC()
	before := runtime.NumGoroutine()

	const total, workers = 10000, 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				if st := do(variants(i)); st != http.StatusUnauthorized {
					mu.Lock()
					bad++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if bad > 0 {
		t.Fatalf("%d of %d malformed tokens were not answered 401", bad, total)
	}
	if st := do(good); st != http.StatusOK {
		t.Fatalf("the server stopped serving a good token: %d", st)
	}
	transport.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		after := runtime.NumGoroutine()
		if after <= before+5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines grew from %d to %d after %d malformed tokens", before, after, total)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConsoleSessionToken(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	if res, _ := c.do(http.MethodGet, "/console", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("console: %d", res.StatusCode)
	}
	// Revoking the session's blocks (as signing out does) ends the session
	// on its next request, even though its cookie is still valid.
	ctx := context.Background()
	p, _ := a.store.PartnerBySlug(ctx, "acme")
	recs, err := a.tokens.Records(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Restriction.Session != "" {
			if err := a.tokens.RevokeSession(ctx, p.ID, r.Restriction.Session); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, _ := c.do(http.MethodGet, "/console", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("console with a revoked session token: got %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestTokenPagesAndAudit(t *testing.T) {
	a := newApp(t)
	adm := a.client(t, "acme.localhost")
	adm.signIn("admin@acme.example")

	res, body := adm.do(http.MethodPost, "/admin/tokens/partner", url.Values{"_csrf": {adm.csrf("/admin/tokens")}, "label": {"billing robot"}})
	if res.StatusCode != http.StatusCreated || !strings.Contains(body, `data-testid="token-value"`) {
		t.Fatalf("mint partner token: %d", res.StatusCode)
	}
	_, page := adm.do(http.MethodGet, "/admin/tokens", nil)
	custID := regexpFind(t, page, `<option value="(cus_[^"]+)"`)
	res, body = adm.do(http.MethodPost, "/admin/tokens/customer", url.Values{"_csrf": {adm.csrf("/admin/tokens")}, "label": {"ci"},
		"customer": {custID}, "operations": {"org:read", "app:read"}, "zones": {"par"}, "days": {"30"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("issue customer token: %d\n%s", res.StatusCode, body)
	}
	tok := regexpFind(t, body, `data-testid="token-value">([^<]+)<`)
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/summary", tok, nil); st != http.StatusOK {
		t.Fatalf("the issued token does not read: %d", st)
	}
	res, body = adm.do(http.MethodPost, "/admin/tokens/customer", url.Values{"_csrf": {adm.csrf("/admin/tokens")}, "label": {"far"},
		"customer": {custID}, "operations": {"org:read"}, "zones": {"mtl"}, "days": {"30"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Zone mtl is not available") {
		t.Fatalf("token in a zone the customer may not use: got %d, want 400", res.StatusCode)
	}

	_, page = adm.do(http.MethodGet, "/admin/tokens", nil)
	id := regexpFind(t, page, `name="revocation_id" value="([0-9a-f]+)"`)
	if res, _ := adm.do(http.MethodPost, "/admin/tokens/revoke", url.Values{"_csrf": {adm.csrf("/admin/tokens")}, "revocation_id": {id}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}

	res, body = adm.do(http.MethodPost, "/admin/tokens/inspect", url.Values{"_csrf": {adm.csrf("/admin/tokens/inspect")}, "token": {tok}})
	if res.StatusCode != http.StatusOK || strings.Count(body, `data-testid="block"`) != 2 || !strings.Contains(body, "check if") {
		t.Fatalf("inspect: got %d, want two blocks with their datalog\n%s", res.StatusCode, body)
	}

	_, audit := adm.do(http.MethodGet, "/admin/audit", nil)
	for _, action := range []string{"auth.sign_in", "token.mint", "token.attenuate", "token.revoke"} {
		if !strings.Contains(audit, action) {
			t.Errorf("the audit log lacks %s", action)
		}
	}
	// Another partner's admin sees none of it.
	g := a.client(t, "globex.localhost")
	g.signIn("admin@globex.example")
	_, gaudit := g.do(http.MethodGet, "/admin/audit", nil)
	if strings.Contains(gaudit, "admin@acme.example") || strings.Contains(gaudit, "token.mint") {
		t.Errorf("globex's audit log shows acme's events")
	}
}

// TestPartnerAttenuatesForCustomer walks the token chain the way partners
// use it: the partner's token, narrowed for one customer through the API and
// through the admin page, then used by that customer.
func TestPartnerAttenuatesForCustomer(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	p, _ := a.store.PartnerBySlug(ctx, "acme")
	partnerTok, _, err := a.tokens.MintPartner(ctx, p.ID, "acme ops")
	if err != nil {
		t.Fatal(err)
	}
	custs, _ := a.store.Customers(ctx, p.ID)
	cust := custs[0]

	st, obj, _ := a.api(t, "acme.localhost", http.MethodPost, "/api/v1/tokens/attenuate", partnerTok, map[string]any{
		"label": "for roadrunner", "customer_id": cust.ID, "operations": []string{"org:read", "app:read", "token:write"}, "ttl_seconds": 3600})
	if st != http.StatusCreated {
		t.Fatalf("partner attenuating for a customer: got %d %v", st, obj)
	}
	custTok := obj["token"].(string)
	_, _, body := a.api(t, "acme.localhost", http.MethodGet, "/v2/organisations", custTok, nil)
	if !strings.Contains(string(body), cust.OrganisationID) || strings.Count(string(body), `"id"`) != 1 {
		t.Fatalf("the customer's token lists %s, want its one organisation", body)
	}
	// The customer can narrow further but not name another customer.
	if st, _, _ := a.api(t, "acme.localhost", http.MethodPost, "/api/v1/tokens/attenuate", custTok, map[string]any{
		"label": "one app", "operations": []string{"org:read"}}); st != http.StatusCreated {
		t.Fatalf("customer narrowing its token: got %d", st)
	}
	if st, _, _ := a.api(t, "acme.localhost", http.MethodPost, "/api/v1/tokens/attenuate", custTok, map[string]any{
		"label": "widen", "operations": []string{"app:write"}}); st != http.StatusBadRequest {
		t.Fatalf("customer widening its operations: got %d, want 400", st)
	}

	adm := a.client(t, "acme.localhost")
	adm.signIn("admin@acme.example")
	res, page := adm.do(http.MethodPost, "/admin/tokens/customer", url.Values{"_csrf": {adm.csrf("/admin/tokens")}, "label": {"from parent"},
		"customer": {cust.ID}, "operations": {"org:read"}, "days": {"1"}, "parent": {partnerTok}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("admin attenuating a partner token: %d\n%s", res.StatusCode, page)
	}
	tok := regexpFind(t, page, `data-testid="token-value">([^<]+)<`)
	if !strings.HasPrefix(tok, partnerTok[:40]) && len(tok) <= len(partnerTok) {
		t.Fatalf("the admin's token is not the partner's token with one more block")
	}
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/summary", tok, nil); st != http.StatusOK {
		t.Fatalf("the attenuated token does not read: %d", st)
	}
}

// TestConsoleAttenuation narrows, from the console, a token the customer
// holds, and is refused a wider one.
func TestConsoleAttenuation(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	issue := func(parent string, ops ...string) (int, string) {
		t.Helper()
		form := url.Values{"_csrf": {c.csrf("/console/tokens")}, "label": {"ci"}, "operations": ops, "days": {"7"}, "parent": {parent}}
		res, body := c.do(http.MethodPost, "/console/tokens", form)
		return res.StatusCode, body
	}
	st, body := issue("", "org:read", "app:read", "token:write")
	if st != http.StatusCreated {
		t.Fatalf("new token: %d", st)
	}
	parent := regexpFind(t, body, `data-testid="token-value">([^<]+)<`)
	st, body = issue(parent, "org:read")
	if st != http.StatusCreated {
		t.Fatalf("narrowing a held token: %d\n%s", st, body)
	}
	child := regexpFind(t, body, `data-testid="token-value">([^<]+)<`)
	if !strings.HasPrefix(child, parent[:len(parent)-8]) && len(child) <= len(parent) {
		t.Errorf("the narrowed token is not the held token with one more block")
	}
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/summary", child, nil); st != http.StatusOK {
		t.Fatalf("the narrowed token does not read: %d", st)
	}
	st, body = issue(child, "org:read", "app:write")
	if st != http.StatusBadRequest || !strings.Contains(body, "only narrow the operations") {
		t.Fatalf("widening from the console: got %d, want 400 with a message", st)
	}
}
