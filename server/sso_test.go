package server_test

import (
	"context"
	"encoding/json"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/grisaille/grisaille/tenants"
)

// provider is a mockoidc provider on loopback; with otherAudience set,
// its token endpoint answers an ID token made for another client (as a
// token of another partner's client would be), validly signed.
type provider struct {
	*mockoidc.MockOIDC
	otherAudience atomic.Bool
}

func startProvider(t *testing.T) *provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{MockOIDC: m}
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != mockoidc.TokenEndpoint || !p.otherAudience.Load() {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Error(err)
				return
			}
			tok, err := m.Keypair.VerifyJWT(body["id_token"].(string), m.Now)
			if err != nil {
				t.Error(err)
				return
			}
			claims := tok.Claims.(jwt.MapClaims)
			claims["aud"] = []string{"globex-portal"}
			if body["id_token"], err = m.Keypair.SignJWT(claims); err != nil {
				t.Error(err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(body)
		})
	}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

// ssoSignIn starts a single sign-on from the sign-in page's button, signs
// in at the provider as user, and returns the portal's answer to the way
// back.
func ssoSignIn(t *testing.T, c *client, user *mockoidc.MockUser, p *provider) (*http.Response, string) {
	t.Helper()
	_, page := c.do(http.MethodGet, "/login", nil)
	return ssoVia(t, c, html.UnescapeString(regexpFind(t, page, `href="(/login/sso/[^"]+)" data-testid="sso-button"`)), user, p)
}

// ssoVia signs in at the provider from start, a link that starts a single
// sign-on.
func ssoVia(t *testing.T, c *client, start string, user *mockoidc.MockUser, p *provider) (*http.Response, string) {
	t.Helper()
	res, _ := c.do(http.MethodGet, start, nil)
	to, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(to.String(), p.AuthorizationEndpoint()) {
		t.Fatalf("start: %d to %s", res.StatusCode, to)
	}
	q := to.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
		q.Get("client_id") != p.ClientID || !strings.HasSuffix(q.Get("redirect_uri"), "://acme.localhost/login/sso/callback") {
		t.Fatalf("the authorization request lacks PKCE, nonce or state: %s", to)
	}
	p.QueueUser(user)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	back, err := noFollow.Get(to.String())
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	cb, err := url.Parse(back.Header.Get("Location"))
	if err != nil || cb.Path != "/login/sso/callback" {
		t.Fatalf("the provider sent back to %s", back.Header.Get("Location"))
	}
	return c.do(http.MethodGet, cb.RequestURI(), nil)
}

// TestSingleSignOn: Acme's admin adds an OpenID Connect provider for
// Roadrunner Labs (bad settings refused with the input kept); a user of an
// allowed domain signs in through it (PKCE, state, nonce), is created as a
// developer of Roadrunner Labs and lands in its console; the next sign-in
// finds them by subject, whatever their address became; another domain, an
// address already taken, a replayed or forged way back and an ID token for
// another partner's client are refused.
func TestSingleSignOn(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	idp := startProvider(t)
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	dev, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	form := url.Values{"name": {"Roadrunner Google"}, "customer": {dev.CustomerID}, "issuer": {"ftp://idp.example"},
		"client_id": {idp.ClientID}, "client_secret": {idp.ClientSecret}, "domains": {"roadrunner.example"}, "role": {"developer"}}
	add := func() (*http.Response, string) {
		form.Set("_csrf", admin.csrf("/admin/security"))
		return admin.do(http.MethodPost, "/admin/security/sso", form)
	}
	if res, page := add(); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Type the issuer") ||
		!strings.Contains(page, `value="Roadrunner Google"`) || strings.Contains(page, idp.ClientSecret) {
		t.Fatalf("a bad issuer: %d", res.StatusCode)
	}
	form.Set("issuer", "http://127.0.0.1:1/nothing")
	if res, page := add(); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "does not answer as an OpenID Connect provider") {
		t.Fatalf("an issuer that does not answer: %d", res.StatusCode)
	}
	form.Set("issuer", idp.Issuer())
	form.Set("role", "support")
	if res, page := add(); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Choose a customer") {
		t.Fatalf("a team role for a customer's provider: %d", res.StatusCode)
	}
	form.Set("role", "developer")
	if res, _ := add(); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add the provider: %d", res.StatusCode)
	}
	if _, page := admin.do(http.MethodGet, "/admin/security", nil); !strings.Contains(page, "Roadrunner Google") ||
		!strings.Contains(page, "acme.localhost/login/sso/callback") || strings.Contains(page, idp.ClientSecret) {
		t.Fatal("the security page does not list the provider, or shows its secret")
	}
	var sealed string
	if err := a.db.Get(&sealed, `SELECT client_secret FROM sso_providers`); err != nil || strings.Contains(sealed, idp.ClientSecret) {
		t.Fatalf("the client secret is stored in clear: %v", err)
	}

	wile := &mockoidc.MockUser{Subject: "rr-42", Email: "wile@roadrunner.example", EmailVerified: true}
	c := a.client(t, "acme.localhost")
	res, page := ssoSignIn(t, c, wile, idp)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console" || !c.opens("/console") {
		t.Fatalf("single sign-on: %d to %s\n%s", res.StatusCode, res.Header.Get("Location"), page)
	}
	u, err := a.store.UserByEmail(ctx, acme.ID, "wile@roadrunner.example")
	if err != nil || u.CustomerID != dev.CustomerID || u.Member != tenants.MemberDeveloper {
		t.Fatalf("the new user: %+v, %v", u, err)
	}
	if res, _ := c.do(http.MethodGet, "/console/members", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a developer opened the members: %d", res.StatusCode)
	}
	// No password opens the account: it has none.
	stranger := a.client(t, "acme.localhost")
	if res, _ := stranger.do(http.MethodPost, "/login", url.Values{"_csrf": {stranger.csrf("/login")}, "email": {u.Email}, "password": {"!sso"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a password for a single sign-on user: %d", res.StatusCode)
	}

	// Bound to the subject: a new address at the provider is the same user.
	moved := &mockoidc.MockUser{Subject: "rr-42", Email: "wile.e@roadrunner.example", EmailVerified: true}
	if res, _ := ssoSignIn(t, a.client(t, "acme.localhost"), moved, idp); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the second sign-in: %d", res.StatusCode)
	}
	var n int
	if err := a.db.Get(&n, a.db.Rebind(`SELECT COUNT(*) FROM users WHERE partner_id = ? AND customer_id = ?`), acme.ID, dev.CustomerID); err != nil || n != 2 {
		t.Fatalf("%d users in Roadrunner Labs, want 2 (no duplicate): %v", n, err)
	}
	// An address alone never binds: another subject with dev's address.
	for _, tc := range []struct {
		user *mockoidc.MockUser
		want string
	}{
		{&mockoidc.MockUser{Subject: "rr-7", Email: "dev@acme.example", EmailVerified: true}, "is not an address this sign-in accepts"},
		{&mockoidc.MockUser{Subject: "rr-8", Email: "coyote@roadrunner.example", EmailVerified: false}, "did not confirm your e-mail address"},
		{&mockoidc.MockUser{Subject: "rr-9", Email: "wile@roadrunner.example", EmailVerified: true}, "already uses wile@roadrunner.example"},
	} {
		if res, page := ssoSignIn(t, a.client(t, "acme.localhost"), tc.user, idp); res.StatusCode != http.StatusForbidden || !strings.Contains(page, tc.want) {
			t.Errorf("%s: %d, want 403 %q", tc.user.Email, res.StatusCode, tc.want)
		}
	}

	// A way back replayed (its flow cookie is used up) or forged (its
	// state not the flow's) is refused.
	replay := a.client(t, "acme.localhost")
	_, page = replay.do(http.MethodGet, "/login", nil)
	start := regexpFind(t, page, `href="(/login/sso/[^"]+)" data-testid="sso-button"`)
	res, _ = replay.do(http.MethodGet, start, nil)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("start: %d", res.StatusCode)
	}
	forged := "/login/sso/callback?state=forged&code=x"
	if res, page := replay.do(http.MethodGet, forged, nil); res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "did not succeed") {
		t.Fatalf("a forged state: %d", res.StatusCode)
	}
	if res, page := replay.do(http.MethodGet, forged, nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "took too long") {
		t.Fatalf("a callback without a flow: %d", res.StatusCode)
	}

	// An ID token made for another partner's client is refused.
	idp.otherAudience.Store(true)
	other := a.client(t, "acme.localhost")
	if res, page := ssoSignIn(t, other, wile, idp); res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "did not succeed") || other.opens("/console") {
		t.Fatalf("an ID token for another client: %d", res.StatusCode)
	}
	idp.otherAudience.Store(false)

	// Globex's sign-in page offers none of Acme's providers, and its host
	// does not start them.
	globex := a.client(t, "globex.localhost")
	if _, page := globex.do(http.MethodGet, "/login", nil); strings.Contains(page, "sso-button") {
		t.Fatal("another partner offers Acme's provider")
	}
	if res, _ := globex.do(http.MethodGet, start, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another partner's host started Acme's provider: %d", res.StatusCode)
	}

	// An invitation accepted through the provider: with the invited
	// address only, and once.
	owner := a.client(t, "acme.localhost")
	owner.signIn("dev@acme.example")
	if res, _ := owner.do(http.MethodPost, "/console/members/invite", url.Values{"_csrf": {owner.csrf("/console/members")},
		"email": {"runner@roadrunner.example"}, "role": {"viewer"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	_, text := mailTo(t, a.mail, "runner@roadrunner.example", 1)
	link, _ := url.Parse(inviteLink.FindString(text))
	invitee := a.client(t, "acme.localhost")
	_, page = invitee.do(http.MethodGet, link.RequestURI(), nil)
	accept := html.UnescapeString(regexpFind(t, page, `href="(/login/sso/[^"]+)" data-testid="sso-accept"`))
	if res, page := ssoVia(t, invitee, accept, &mockoidc.MockUser{Subject: "rr-100", Email: "other@roadrunner.example", EmailVerified: true}, idp); res.StatusCode != http.StatusForbidden || !strings.Contains(page, "another address") {
		t.Fatalf("an invitation accepted with another address: %d", res.StatusCode)
	}
	runner := &mockoidc.MockUser{Subject: "rr-100", Email: "runner@roadrunner.example", EmailVerified: true}
	if res, _ := ssoVia(t, invitee, accept, runner, idp); res.StatusCode != http.StatusSeeOther || !invitee.opens("/console") {
		t.Fatalf("an invitation accepted through the provider: %d", res.StatusCode)
	}
	if u, err := a.store.UserByEmail(ctx, acme.ID, "runner@roadrunner.example"); err != nil || u.Member != tenants.MemberViewer || u.CustomerID != dev.CustomerID {
		t.Fatalf("the invitee: %+v %v", u, err)
	}
	if res, _ := ssoVia(t, a.client(t, "acme.localhost"), accept, runner, idp); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusBadRequest {
		t.Fatalf("an invitation accepted twice: %d", res.StatusCode)
	}
	if res, _ := ssoSignIn(t, a.client(t, "acme.localhost"), runner, idp); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the invitee signs in again through the provider: %d", res.StatusCode)
	}

	// Removing the provider keeps the accounts it made.
	var id string
	_ = a.db.Get(&id, `SELECT id FROM sso_providers`)
	if res, _ := admin.do(http.MethodPost, "/admin/security/sso/remove", url.Values{"_csrf": {admin.csrf("/admin/security")}, "provider": {id}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the provider: %d", res.StatusCode)
	}
	if _, err := a.store.UserByEmail(ctx, acme.ID, "wile@roadrunner.example"); err != nil {
		t.Fatal("removing the provider removed its users")
	}
}
