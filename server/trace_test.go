package server_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/tokens"
)

// platformTrace is what names the platform or its hosts: its name however
// spelt, its domains, the emulator's domain.
var platformTrace = regexp.MustCompile(`(?i)clever|paas\.localhost|push-[a-z]+\.`)

// poweredBy is the "powered by" line a partner may keep: the one place the
// platform's name may appear.
var poweredBy = regexp.MustCompile(`<span data-testid="powered-by">[^<]*</span>`)

var localLink = regexp.MustCompile(`(?:href|src)="(/[^"]*)"`)

// crawl reads every page a signed-in (or anonymous) client reaches from
// start by following the links and sources of its pages on its own host,
// and answers each path with its body.
func crawl(t *testing.T, c *client, lang string, start ...string) map[string]string {
	t.Helper()
	seen := map[string]string{}
	queue := append([]string(nil), start...)
	for len(queue) > 0 && len(seen) < 400 {
		p := queue[0]
		queue = queue[1:]
		if _, ok := seen[p]; ok {
			continue
		}
		res, body := c.do(http.MethodGet, p, nil, "Accept-Language", lang)
		if res.StatusCode >= 500 {
			t.Errorf("%s %s: status %d", c.host, p, res.StatusCode)
		}
		if loc := res.Header.Get("Location"); res.StatusCode/100 == 3 && strings.HasPrefix(loc, "/") {
			queue = append(queue, loc)
		}
		seen[p] = body
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, m := range localLink.FindAllStringSubmatch(body, -1) {
			link := html.UnescapeString(m[1])
			if strings.HasPrefix(link, "//") {
				continue
			}
			if _, ok := seen[link]; !ok {
				queue = append(queue, link)
			}
		}
	}
	return seen
}

// traces lists the places of body that name the platform, the "powered by"
// line aside when keep is set.
func traces(body string, keep bool) []string {
	if keep {
		body = poweredBy.ReplaceAllString(body, "")
	}
	var out []string
	for _, loc := range platformTrace.FindAllStringIndex(body, 5) {
		from, to := max(loc[0]-60, 0), min(loc[1]+60, len(body))
		out = append(out, body[from:to])
	}
	return out
}

// TestNoTraceOfThePlatform reads every page and every API answer a customer
// of either demo partner reaches, in each of its languages, and fails on
// any mention of the platform or of its hosts outside the "powered by"
// line Acme keeps (Globex turns it off).
func TestNoTraceOfThePlatform(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	for _, dp := range []struct {
		host, slug, email string
		poweredBy         bool
		langs             []string
	}{
		{"acme.localhost", "acme", "dev@acme.example", true, []string{"en", "fr"}},
		{"globex.localhost", "globex", "dev@globex.example", false, []string{"fr"}},
	} {
		t.Run(dp.slug, func(t *testing.T) {
			p, err := a.store.PartnerBySlug(ctx, dp.slug)
			if err != nil {
				t.Fatal(err)
			}
			if p.AppDomain == "" {
				t.Fatalf("demo partner %s has no applications' domain", dp.slug)
			}
			c := a.client(t, dp.host)
			// A fresh application and add-on through the console, as a
			// customer makes them.
			c.signIn(dp.email)
			res, body := c.do(http.MethodPost, "/console/apps", url.Values{"_csrf": {c.csrf("/console/apps/new")},
				"name": {"Trace Shop"}, "runtime": {"node"}, "zone": {"par"}, "flavor": {"S"}, "idempotency_key": {strings.Repeat(dp.slug[:1], 32)}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("create app: %d\n%s", res.StatusCode, body)
			}
			appPath := res.Header.Get("Location")
			_, page := c.do(http.MethodGet, appPath, nil)
			if !strings.Contains(page, "trace-shop-") || !strings.Contains(page, "."+p.AppDomain) {
				t.Errorf("the new application's page shows no host under %s", p.AppDomain)
			}
			if !strings.Contains(page, "http://"+dp.host+"/git/") {
				t.Errorf("the new application's page shows no git remote on %s", dp.host)
			}

			pages := 0
			for _, lang := range dp.langs {
				anon := a.client(t, dp.host)
				for path, body := range crawl(t, anon, lang, "/", "/login", "/widgets/v1.js", "/widgets/v1/theme.css",
					"/widgets/v1/catalogue", "/widgets/v1/catalogue?zone=par&lang="+lang) {
					pages++
					for _, tr := range traces(body, dp.poweredBy) {
						t.Errorf("%s %s (anonymous, %s) names the platform: …%s…", dp.host, path, lang, tr)
					}
				}
				for path, body := range crawl(t, c, lang, "/console", appPath) {
					pages++
					for _, tr := range traces(body, dp.poweredBy) {
						t.Errorf("%s %s (%s) names the platform: …%s…", dp.host, path, lang, tr)
					}
				}
			}
			t.Logf("%s: %d pages read", dp.host, pages)
			if pages < 12 {
				t.Fatalf("the crawl read %d pages only", pages)
			}

			tok := a.allOpsToken(t, dp.slug, dp.email)
			answers := a.apiAnswers(t, dp.host, tok)
			t.Logf("%s: %d API answers read", dp.host, len(answers))
			if len(answers) < 15 {
				t.Fatalf("the API read %d answers only", len(answers))
			}
			for path, body := range answers {
				for _, tr := range traces(body, false) {
					t.Errorf("API %s %s names the platform: …%s…", dp.host, path, tr)
				}
			}
		})
	}
}

// allOpsToken mints a token for a demo customer with every customer
// operation.
func (a *app) allOpsToken(t *testing.T, slug, email string) string {
	t.Helper()
	return a.customerTokenWith(t, slug, email, tokens.OpOrgRead, tokens.OpAppRead, tokens.OpAppWrite, tokens.OpAppDeploy,
		tokens.OpAddonRead, tokens.OpAddonWrite, tokens.OpTokenRead, tokens.OpTokenWrite)
}

// apiAnswers calls every read of the compatible API on every object the
// customer has, and a create of each kind, and answers each path with its
// body.
func (a *app) apiAnswers(t *testing.T, host, tok string) map[string]string {
	t.Helper()
	out := map[string]string{}
	get := func(path string) []byte {
		st, _, body := a.api(t, host, http.MethodGet, path, tok, nil)
		if st >= 500 {
			t.Errorf("API %s %s: status %d", host, path, st)
		}
		out[path] = string(body)
		return body
	}
	ids := func(body []byte, key string) []string {
		var list []map[string]any
		_ = json.Unmarshal(body, &list)
		var out []string
		for _, o := range list {
			if s, _ := o[key].(string); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	for _, p := range []string{"/v2/self", "/v2/self/tokens/current", "/v2/summary", "/v4/products/zones",
		"/v2/products/instances", "/v2/products/addonproviders", "/api/v1/tokens",
		"/v2/organisations/orga_missing/applications", "/v4/products/zones/nowhere"} {
		get(p)
	}
	var zone string
	if z := ids([]byte(out["/v4/products/zones"]), "name"); len(z) > 0 {
		zone = z[0]
		get("/v4/products/zones/" + zone)
		get("/v4/billing/price-system?zone_id=" + zone + "&currency=EUR")
	}
	var orgs []string
	for _, o := range ids(get("/v2/organisations"), "id") {
		orgs = append(orgs, o)
	}
	if len(orgs) == 0 {
		t.Fatalf("API %s: no organisation", host)
	}
	for _, org := range orgs {
		base := "/v2/organisations/" + org
		get(base)
		st, _, created := a.api(t, host, http.MethodPost, base+"/applications", tok, map[string]any{
			"name": "API Shop", "zone": zone, "deploy": "git", "instanceType": "node", "instanceVersion": "20210421",
			"instanceVariant": "node", "minInstances": 1, "maxInstances": 1, "minFlavor": "S", "maxFlavor": "S"})
		out["POST "+base+"/applications"] = string(created)
		if st != http.StatusOK {
			t.Logf("API create application: %d %s", st, created)
		}
		for i, app := range ids(get(base+"/applications"), "id") {
			ab := base + "/applications/" + app
			for _, p := range []string{"", "/env", "/vhosts", "/vhosts/favourite", "/applications/missing"} {
				get(ab + p)
			}
			for _, d := range ids(get(ab+"/deployments"), "uuid") {
				get(ab + "/deployments/" + d)
			}
			if i == 0 { // the log stream follows until the client leaves: one is enough
				logs := "/v4/logs/organisations/" + org + "/applications/" + app + "/logs?limit=50"
				out[logs] = a.stream(t, host, logs, tok)
			}
		}
		for _, addon := range ids(get(base+"/addons"), "id") {
			get(base + "/addons/" + addon)
		}
	}
	return out
}

// stream reads what a server-sent events answer sends within a second.
func (a *app) stream(t *testing.T, host, path, tok string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("API %s %s: status %d", host, path, res.StatusCode)
	}
	b, _ := io.ReadAll(res.Body) // ends with the deadline
	return string(b)
}
