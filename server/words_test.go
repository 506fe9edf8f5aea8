package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWording: a partner rewords the portal's texts and renames products
// per language; the wording is checked against the message ids and their
// placeholders, refused with the input kept, seen in the studio's preview
// before customers see it, then on the console and in the API once
// published.
func TestWording(t *testing.T) {
	a := newApp(t)
	adm := a.client(t, "acme.localhost")
	adm.signIn("admin@acme.example")
	cust := a.client(t, "acme.localhost")
	cust.signIn("dev@acme.example")

	_, found := adm.do(http.MethodGet, "/admin/brand/words?lang=en&q=applications", nil)
	if !strings.Contains(found, `data-id="console.apps"`) {
		t.Fatalf("searching “applications” does not list console.apps:\n%s", found)
	}
	save := func(lang string, kv ...string) (*http.Response, string) {
		f := url.Values{"_csrf": {adm.csrf("/admin/brand/words")}, "lang": {lang}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Add("id", kv[i])
			f.Add("text", kv[i+1])
		}
		return adm.do(http.MethodPost, "/admin/brand/words", f)
	}

	// Refusals name the text at fault and keep what was typed.
	res, page := save("en", "console.apps", "Services", "no.such.text", "Whatever")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "“no.such.text” is not one of the portal") ||
		!strings.Contains(page, ">Services</textarea>") || !strings.Contains(page, ">Whatever</textarea>") {
		t.Fatalf("an unknown id: %d\n%s", res.StatusCode, page)
	}
	res, page = save("en", "footer.powered_by", "Made with love")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must keep exactly these placeholders: {{.Platform}}") ||
		!strings.Contains(page, ">Made with love</textarea>") {
		t.Fatalf("a dropped placeholder: %d\n%s", res.StatusCode, page)
	}
	res, page = save("en", "footer.powered_by", "Built on {{.Platform}} {{.Secret}}")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "placeholders") {
		t.Fatalf("an added placeholder: %d\n%s", res.StatusCode, page)
	}

	// Saved into the draft: the preview shows it, customers do not.
	res, page = save("en", "console.apps", "Services", "addon.provider.redis-addon.name", "Acme Cache", "console.addons", "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save wording: %d\n%s", res.StatusCode, page)
	}
	if res, page := save("fr", "console.apps", "Vos services"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save French wording: %d\n%s", res.StatusCode, page)
	}
	_, mine := adm.do(http.MethodGet, "/admin/brand/words?lang=en", nil)
	if !strings.Contains(mine, ">Services</textarea>") || !strings.Contains(mine, ">Acme Cache</textarea>") ||
		!strings.Contains(mine, "Your wording (2)") {
		t.Fatalf("the wording page does not list the overrides:\n%s", mine)
	}
	if _, dash := cust.do(http.MethodGet, "/console", nil); strings.Contains(dash, "<h2>Services</h2>") || !strings.Contains(dash, "<h2>Applications</h2>") {
		t.Fatal("customers see the draft's wording before it is published")
	}
	_, preview := adm.do(http.MethodGet, "/admin/brand/preview/dashboard", nil)
	if !strings.Contains(preview, "<h2>Services</h2>") {
		t.Fatalf("the preview does not show the draft's wording:\n%s", preview)
	}
	_, previewFR := adm.do(http.MethodGet, "/admin/brand/preview/dashboard", nil, "Accept-Language", "fr")
	if !strings.Contains(previewFR, "<h2>Vos services</h2>") {
		t.Fatal("the French preview does not show the French wording")
	}

	// Published: the console and the API say it.
	if res, _ := adm.do(http.MethodPost, "/admin/brand/publish", url.Values{"_csrf": {adm.csrf("/admin")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	_, dash := cust.do(http.MethodGet, "/console", nil)
	if !strings.Contains(dash, "<h2>Services</h2>") || !strings.Contains(dash, "Add-ons") {
		t.Fatalf("the published wording is not on the console:\n%s", dash)
	}
	if _, dashFR := cust.do(http.MethodGet, "/console", nil, "Accept-Language", "fr"); !strings.Contains(dashFR, "<h2>Vos services</h2>") {
		t.Fatal("the French console does not say the French wording")
	}
	_, addon := cust.do(http.MethodGet, "/console/addons/new", nil)
	if !strings.Contains(addon, "Acme Cache") {
		t.Fatal("the add-on form does not show the renamed product")
	}
	tok := a.allOpsToken(t, "acme", "dev@acme.example")
	st, _, body := a.api(t, "acme.localhost", http.MethodGet, "/v2/products/addonproviders", tok, nil)
	var providers []struct{ ID, Name string }
	if err := json.Unmarshal(body, &providers); st != http.StatusOK || err != nil {
		t.Fatalf("addonproviders: %d %v", st, err)
	}
	redis := ""
	for _, p := range providers {
		if p.ID == "redis-addon" {
			redis = p.Name
		}
	}
	if redis != "Acme Cache" {
		t.Fatalf("the API names the Redis provider %q, want the partner's “Acme Cache”", redis)
	}

	// The history says what changed; an emptied text gives the portal's back.
	if _, admin := adm.do(http.MethodGet, "/admin", nil); !strings.Contains(admin, "wording") {
		t.Fatal("the brand history does not say the wording changed")
	}
	if res, _ := save("en", "console.apps", ""); res.StatusCode != http.StatusSeeOther {
		t.Fatal("emptying an override is refused")
	}
	_, preview = adm.do(http.MethodGet, "/admin/brand/preview/dashboard", nil)
	if !strings.Contains(preview, "<h2>Applications</h2>") {
		t.Fatal("an emptied override does not give the portal's text back")
	}
}

// TestWordingLanguages: Globex, set to French only, rewords French only.
func TestWordingLanguages(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	g, err := a.store.PartnerBySlug(ctx, "globex")
	if err != nil {
		t.Fatal(err)
	}
	b := g.Brand
	b.Offered = []string{"fr"}
	if err := a.store.UpdateBrand(ctx, g.ID, b); err != nil {
		t.Fatal(err)
	}
	adm := a.client(t, "globex.localhost")
	adm.signIn("admin@globex.example")
	_, page := adm.do(http.MethodGet, "/admin/brand/words?lang=en&q=applications", nil, "Accept-Language", "en")
	if strings.Contains(page, `<option value="en"`) || !strings.Contains(page, `name="lang" value="fr"`) {
		t.Fatalf("the wording page of a French-only partner offers English or edits something else:\n%s", page)
	}
	res, _ := adm.do(http.MethodPost, "/admin/brand/words", url.Values{"_csrf": {adm.csrf("/admin/brand/words")}, "lang": {"en"},
		"id": {"console.apps"}, "text": {"Services"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("rewording a language the partner does not offer: %d, want 400", res.StatusCode)
	}
}
