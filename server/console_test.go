package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/tenants"
)

// firstApp returns the path of the first application on the dashboard.
func firstApp(t *testing.T, c *client, name string) string {
	t.Helper()
	_, dash := c.do(http.MethodGet, "/console", nil)
	m := regexp.MustCompile(`href="(/console/apps/app_[a-z0-9-]+)"[^>]*>` + regexp.QuoteMeta(name) + `<`).FindStringSubmatch(dash)
	if m == nil {
		t.Fatalf("no application %q on the dashboard:\n%s", name, dash)
	}
	return m[1]
}

func TestConsoleApplicationActions(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	app := firstApp(t, c, "invoice-worker")

	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		if form == nil {
			form = url.Values{}
		}
		form.Set("_csrf", c.csrf(app))
		res, body := c.do(http.MethodPost, path, form)
		return res.StatusCode, body
	}
	page := func() string {
		_, body := c.do(http.MethodGet, app, nil)
		return body
	}

	if st, body := post(app+"/env", url.Values{"name": {"DATABASE_URL"}, "value": {"postgres://db"}}); st != http.StatusSeeOther {
		t.Fatalf("set env: %d\n%s", st, body)
	}
	if p := page(); !strings.Contains(p, "DATABASE_URL") || !strings.Contains(p, "postgres://db") || !strings.Contains(p, "The variable was saved") {
		t.Fatalf("the variable is not shown after saving it")
	}
	if st, body := post(app+"/env", url.Values{"name": {"1BAD NAME"}, "value": {"kept value"}}); st != http.StatusBadRequest ||
		!regexp.MustCompile(`(?s)name="name" value="1BAD NAME".*A variable name starts with`).MatchString(body) ||
		!strings.Contains(body, `name="value" value="kept value"`) || !strings.Contains(body, `data-testid="app-title"`) {
		t.Fatalf("bad env name: got %d, want 400 on the application's page, the input kept and the message next to it\n%s", st, body)
	}
	if st, _ := post(app+"/env/delete", url.Values{"name": {"DATABASE_URL"}}); st != http.StatusSeeOther {
		t.Fatalf("delete env: %d", st)
	}
	if strings.Contains(page(), "DATABASE_URL") {
		t.Fatalf("the variable is still shown after removing it")
	}

	if st, _ := post(app+"/restart", nil); st != http.StatusSeeOther {
		t.Fatalf("restart: %d", st)
	}
	if p := page(); !strings.Contains(p, "The application is restarting.") || !strings.Contains(p, `data-testid="deployment-row"`) {
		t.Fatalf("restart left no deployment or message")
	}

	// Deleting needs the application's name typed in.
	if st, body := post(app+"/delete", url.Values{"confirm": {"not-its-name"}}); st != http.StatusBadRequest || !strings.Contains(body, "nothing was deleted") {
		t.Fatalf("delete with a wrong name: got %d, want 400", st)
	}
	if st, _ := post(app+"/delete", url.Values{"confirm": {"invoice-worker"}}); st != http.StatusSeeOther {
		t.Fatalf("delete: %d", st)
	}
	if res, _ := c.do(http.MethodGet, app, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted application still answers %d", res.StatusCode)
	}
}

func TestConsoleAddons(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")

	_, pick := c.do(http.MethodGet, "/console/addons/new", nil)
	if !strings.Contains(pick, "PostgreSQL") {
		t.Fatalf("the add-on picker lacks PostgreSQL:\n%s", pick)
	}
	_, form := c.do(http.MethodGet, "/console/addons/new?provider=redis-addon", nil)
	if strings.Contains(form, `value="mtl"`) || !strings.Contains(form, `value="par"`) {
		t.Fatalf("the add-on form offers zones outside Acme's")
	}
	create := url.Values{"_csrf": {c.csrf("/console/addons/new")}, "name": {"sessions"}, "provider": {"redis-addon"},
		"plan": {"s"}, "zone": {"par"}, "idempotency_key": {strings.Repeat("c", 32)}}
	for range 2 { // a retried submission creates one add-on
		if res, body := c.do(http.MethodPost, "/console/addons", create); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create add-on: %d\n%s", res.StatusCode, body)
		}
	}
	_, dash := c.do(http.MethodGet, "/console", nil)
	if n := strings.Count(dash, "<td>sessions</td>"); n != 1 {
		t.Fatalf("dashboard lists %d add-ons named sessions, want 1", n)
	}
	create.Set("zone", "mtl")
	create.Set("idempotency_key", strings.Repeat("d", 32))
	if res, _ := c.do(http.MethodPost, "/console/addons", create); res.StatusCode != http.StatusForbidden {
		t.Fatalf("add-on in a refused zone: got %d, want 403", res.StatusCode)
	}
	m := regexp.MustCompile(`/console/addons/(addon_[a-z0-9-]+)/delete`).FindAllStringSubmatch(dash, -1)
	if len(m) != 2 {
		t.Fatalf("want 2 add-on delete links, got %d", len(m))
	}
	for _, id := range m {
		_, confirm := c.do(http.MethodGet, "/console/addons/"+id[1]+"/delete", nil)
		name := regexp.MustCompile(`Type (\S+) to confirm`).FindStringSubmatch(confirm)
		if name == nil {
			t.Fatalf("no confirmation asked:\n%s", confirm)
		}
		res, _ := c.do(http.MethodPost, "/console/addons/"+id[1]+"/delete", url.Values{"_csrf": {c.csrf("/console")}, "confirm": {name[1]}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete add-on: %d", res.StatusCode)
		}
	}
	_, dash = c.do(http.MethodGet, "/console", nil)
	if !strings.Contains(dash, "No add-ons yet.") {
		t.Fatalf("add-ons still listed after deleting them")
	}
}

func TestLanguage(t *testing.T) {
	a := newApp(t)
	tests := []struct {
		name, host, accept, cookie, want string
	}{
		{"partner default", "globex.localhost", "", "", "Connexion"},
		{"accept-language over partner default", "globex.localhost", "en-US,en;q=0.8", "", "Sign in"},
		{"accept-language french", "acme.localhost", "fr-FR", "", "Connexion"},
		{"chosen language over accept-language", "acme.localhost", "en", "lang=fr", "Connexion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := []string{"Accept-Language", tt.accept}
			if tt.cookie != "" {
				h = append(h, "Cookie", tt.cookie)
			}
			_, body := a.client(t, tt.host).do(http.MethodGet, "/login", nil, h...)
			if !strings.Contains(body, "<h1>"+tt.want+"</h1>") {
				t.Fatalf("got a page without %q", tt.want)
			}
		})
	}
	t.Run("a signed-in user's choice is kept on the account", func(t *testing.T) {
		c := a.client(t, "acme.localhost")
		c.signIn("dev@acme.example")
		res, _ := c.do(http.MethodPost, "/language", url.Values{"_csrf": {c.csrf("/console")}, "lang": {"fr"}, "next": {"//evil.example/x"}})
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Fatalf("language switch answered %d to %q, want 303 to /", res.StatusCode, loc)
		}
		// A new browser (no language cookie) gets French for this user.
		fresh := a.client(t, "acme.localhost")
		fresh.signIn("dev@acme.example")
		_, dash := fresh.do(http.MethodGet, "/console", nil, "Accept-Language", "en")
		if !strings.Contains(dash, "Tableau de bord") {
			t.Fatalf("the user's language choice was not kept")
		}
	})
}

// TestAddonProvidersInThePortalsWords opens Globex's (French, no "powered
// by") add-on pages: the providers are named and described in the portal's
// own French words, and the platform's name appears nowhere.
func TestAddonProvidersInThePortalsWords(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "globex.localhost")
	c.signIn("dev@globex.example")
	for path, want := range map[string]string{
		"/console/addons/new":                       "Stockage objet (S3)",
		"/console/addons/new?provider=redis-addon":  "Une base clé-valeur en mémoire pour les caches, files et sessions.",
		"/console/addons/new?provider=cellar-addon": "Stockage objet compatible S3",
		"/console/pricing":                          "<h3>Redis</h3>",
	} {
		res, page := c.do(http.MethodGet, path, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("%s: %d, want %q", path, res.StatusCode, want)
		}
		for _, trace := range []string{"Clever Cloud", "clever-cloud", "Cellar"} {
			if strings.Contains(page, trace) {
				t.Errorf("%s shows %q", path, trace)
			}
		}
	}
}

// TestAppActionsByState: the application page offers what its state
// allows (a running application restarts and stops, a stopped one starts),
// and shows environment values masked until revealed.
func TestAppActionsByState(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	app := firstApp(t, c, "invoice-worker")
	buttons := func() (start, restart, stop bool) {
		_, p := c.do(http.MethodGet, app, nil)
		return strings.Contains(p, `data-testid="app-start"`), strings.Contains(p, `data-testid="app-restart"`), strings.Contains(p, `data-testid="app-stop"`)
	}
	post := func(path string, form url.Values) int {
		t.Helper()
		if form == nil {
			form = url.Values{}
		}
		form.Set("_csrf", c.csrf(app))
		res, _ := c.do(http.MethodPost, path, form)
		return res.StatusCode
	}
	if post(app+"/start", nil) != http.StatusSeeOther {
		t.Fatal("start")
	}
	if start, restart, stop := buttons(); start || !stop || !restart && !stop {
		t.Errorf("a started application offers start %v, restart %v, stop %v", start, restart, stop)
	}
	if post(app+"/stop", nil) != http.StatusSeeOther {
		t.Fatal("stop")
	}
	if start, restart, stop := buttons(); !start || restart || stop {
		t.Errorf("a stopped application offers start %v, restart %v, stop %v; want start only", start, restart, stop)
	}
	if post(app+"/env", url.Values{"name": {"API_KEY"}, "value": {"s3cr3t-value"}}) != http.StatusSeeOther {
		t.Fatal("set env")
	}
	_, p := c.do(http.MethodGet, app, nil)
	if !regexp.MustCompile(`<details class="secret" data-testid="env-value"><summary><span aria-hidden="true">•+</span> <span class="reveal">Show</span></summary>\s*<code>s3cr3t-value</code></details>`).MatchString(p) {
		t.Errorf("the environment value is not masked behind a reveal:\n%s", regexpFindAll(p, `(?s)<table[^>]*data-testid="env".*?</table>`))
	}
}

func regexpFindAll(s, pattern string) string {
	return strings.Join(regexp.MustCompile(pattern).FindAllString(s, -1), "\n")
}

// TestAppDomains: a customer adds a domain to an application, reads the DNS
// record to create, is refused a malformed name or one of the platform's
// with the input kept, and removes it; a viewer cannot add one.
func TestAppDomains(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	app := firstApp(t, c, "invoice-worker")
	if _, page := c.do(http.MethodGet, app, nil); !strings.Contains(page, `href="`+app+`/domains"`) {
		t.Fatal("the application's page has no link to its domains")
	}
	add := func(fqdn string) (int, string) {
		res, body := c.do(http.MethodPost, app+"/domains", url.Values{"_csrf": {c.csrf(app + "/domains")}, "fqdn": {fqdn}})
		return res.StatusCode, body
	}
	for _, bad := range []struct{ fqdn, msg string }{
		{"not a domain", "Type a domain name"},
		{"my-app.cleverapps.io", "cannot be used"},
	} {
		if st, body := add(bad.fqdn); st != http.StatusBadRequest || !strings.Contains(body, bad.msg) || !strings.Contains(body, `value="`+bad.fqdn+`"`) {
			t.Errorf("%q: %d, want 400 with %q and the input kept", bad.fqdn, st, bad.msg)
		}
	}
	if st, _ := add("WWW.Roadrunner.example."); st != http.StatusSeeOther {
		t.Fatalf("add a domain: %d", st)
	}
	_, page := c.do(http.MethodGet, app+"/domains", nil)
	if !strings.Contains(page, ">www.roadrunner.example<") || !strings.Contains(page, "The domain was added") {
		t.Fatalf("the domains page after adding:\n%s", regexpFindAll(page, `(?s)<table[^>]*data-testid="app-domains".*?</table>`))
	}
	// The added name becomes the primary one.
	if res, _ := c.do(http.MethodPost, app+"/domains/primary", url.Values{"_csrf": {c.csrf(app + "/domains")}, "fqdn": {"www.roadrunner.example"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("make primary: %d", res.StatusCode)
	}
	if _, page := c.do(http.MethodGet, app+"/domains", nil); !regexp.MustCompile(`www\.roadrunner\.example <span class="badge ok" data-testid="primary-domain">Primary</span>`).MatchString(page) ||
		strings.Contains(page, `name="fqdn" value="www.roadrunner.example"> <button class="btn small secondary" type="submit" data-testid="make-primary"`) {
		t.Fatalf("the primary domain is not marked, or is still offered to become primary:\n%s", regexpFindAll(page, `(?s)<table[^>]*data-testid="app-domains".*?</table>`))
	}
	tok := a.allOpsToken(t, "acme", "dev@acme.example")
	if s, obj, raw := a.api(t, "acme.localhost", "GET", "/v2/organisations/"+orgOf(t, a)+"/applications/"+strings.TrimPrefix(app, "/console/apps/")+"/vhosts/favourite", tok, nil); s != http.StatusOK || obj["fqdn"] != "www.roadrunner.example" {
		t.Fatalf("the API's favourite domain: %d %s", s, raw)
	}
	viewer := addMember(t, a, "looker@roadrunner.example", tenants.MemberViewer)
	if res, _ := viewer.do(http.MethodPost, app+"/domains", url.Values{"_csrf": {viewer.csrf(app + "/domains")}, "fqdn": {"x.roadrunner.example"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer added a domain: %d", res.StatusCode)
	}
	res, _ := c.do(http.MethodPost, app+"/domains/remove", url.Values{"_csrf": {c.csrf(app + "/domains")}, "fqdn": {"www.roadrunner.example"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if _, page := c.do(http.MethodGet, app+"/domains", nil); strings.Contains(page, ">www.roadrunner.example<") {
		t.Fatal("the domain is still listed after removing it")
	}
}

// orgOf is Roadrunner Labs' organisation.
func orgOf(t *testing.T, a *app) string {
	t.Helper()
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	dev, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	cust, err := a.store.Customer(ctx, acme.ID, dev.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	return cust.OrganisationID
}

// TestAppScaling: an application's scaling page offers its runtime's sizes
// with the customer's prices and an estimate; a scaling that does not hold
// together is refused next to its field with the input kept; a good one is
// saved on the platform; a viewer cannot scale.
func TestAppScaling(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	app := firstApp(t, c, "invoice-worker")
	if _, page := c.do(http.MethodGet, app, nil); !strings.Contains(page, `href="`+app+`/scaling"`) {
		t.Fatal("the application's page has no link to its scaling")
	}
	_, page := c.do(http.MethodGet, app+"/scaling", nil)
	if !regexp.MustCompile(`<option value="M"[^>]*>M · [^<]*€`).MatchString(page) || !strings.Contains(page, `data-testid="scaling-estimate"`) {
		t.Fatalf("the scaling page shows no sizes with prices, or no estimate:\n%s", regexpFindAll(page, `(?s)<form[^>]*data-testid="scaling-form".*?</form>`))
	}
	scale := func(kv ...string) (int, string) {
		f := url.Values{"_csrf": {c.csrf(app + "/scaling")}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		res, body := c.do(http.MethodPost, app+"/scaling", f)
		return res.StatusCode, body
	}
	if st, body := scale("min_flavor", "L", "max_flavor", "S", "min_instances", "1", "max_instances", "2"); st != http.StatusBadRequest ||
		!strings.Contains(body, "cannot be smaller than the smallest") || !regexp.MustCompile(`<option value="L" selected`).MatchString(body) {
		t.Errorf("sizes the wrong way round: %d", st)
	}
	if st, body := scale("min_flavor", "S", "max_flavor", "M", "min_instances", "3", "max_instances", "2"); st != http.StatusBadRequest ||
		!strings.Contains(body, "cannot be fewer than the fewest") || !strings.Contains(body, `name="min_instances" value="3"`) {
		t.Errorf("instances the wrong way round: %d", st)
	}
	if st, _ := scale("min_flavor", "S", "max_flavor", "M", "min_instances", "2", "max_instances", "3"); st != http.StatusSeeOther {
		t.Fatalf("scale: %d", st)
	}
	tok := a.allOpsToken(t, "acme", "dev@acme.example")
	_, obj, raw := a.api(t, "acme.localhost", "GET", "/v2/organisations/"+orgOf(t, a)+"/applications/"+strings.TrimPrefix(app, "/console/apps/"), tok, nil)
	inst, _ := obj["instance"].(map[string]any)
	if inst["minInstances"] != float64(2) || inst["maxInstances"] != float64(3) || inst["maxFlavor"].(map[string]any)["name"] != "M" {
		t.Fatalf("the platform's application after scaling: %s", raw)
	}
	viewer := addMember(t, a, "peek@roadrunner.example", tenants.MemberViewer)
	if res, _ := viewer.do(http.MethodPost, app+"/scaling", url.Values{"_csrf": {viewer.csrf(app + "/scaling")}, "min_flavor": {"XS"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer scaled: %d", res.StatusCode)
	}
}
