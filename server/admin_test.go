package server_test

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/tenants"
)

func TestAdminCustomers(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")

	form := url.Values{"_csrf": {c.csrf("/admin/customers/new")}, "name": {"Tortoise Ltd"}, "email": {"Shell@Tortoise.example"},
		"user_name": {"Sam Shell"}, "language": {"fr"}, "zones": {"par", "sgp"}}
	res, body := c.do(http.MethodPost, "/admin/customers", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create customer: %d\n%s", res.StatusCode, body)
	}
	custPath := res.Header.Get("Location")
	_, page := c.do(http.MethodGet, custPath, nil)
	if !strings.Contains(page, "Tortoise Ltd") || !strings.Contains(page, "shell@tortoise.example") ||
		!regexp.MustCompile(`orga_[0-9a-f-]{36}`).MatchString(page) {
		t.Fatalf("customer page lacks its name, user or organisation:\n%s", page)
	}

	// The first owner is invited, in the language chosen for them, and
	// chooses their own password.
	m, text := mailTo(t, a.mail, "shell@tortoise.example", 1)
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "Vous êtes invité sur Acme Cloud" || !strings.Contains(text, "Tortoise Ltd") || !strings.Contains(text, "Propriétaire") {
		t.Fatalf("the first owner's invitation %q:\n%s", subject, text)
	}
	if strings.Contains(page, `name="password"`) {
		t.Fatal("the partner's admin still types the customer's password")
	}
	link, _ := url.Parse(inviteLink.FindString(text))
	owner := a.client(t, "acme.localhost")
	if _, accept := owner.do(http.MethodGet, link.RequestURI(), nil); !strings.Contains(accept, `value="Sam Shell"`) {
		t.Fatal("the invitation's page does not suggest the name the partner typed")
	}
	if res, _ := owner.do(http.MethodPost, "/invite", url.Values{"_csrf": {owner.csrf(link.RequestURI())}, "token": {link.Query().Get("token")},
		"name": {"Sam Shell"}, "password": {"slow-and-steady"}, "confirm": {"slow-and-steady"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}

	t.Run("the same email again is refused", func(t *testing.T) {
		form.Set("_csrf", c.csrf("/admin/customers/new"))
		form.Set("name", "Another")
		res, body := c.do(http.MethodPost, "/admin/customers", form)
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already exists") {
			t.Fatalf("got %d, want 409 with a message", res.StatusCode)
		}
	})
	t.Run("a zone the partner does not sell is refused", func(t *testing.T) {
		f := url.Values{"_csrf": {c.csrf("/admin/customers/new")}, "name": {"Zoned"}, "email": {"z@z.example"},
			"password": {"long-enough-pw"}, "zones": {"mtl"}}
		res, body := c.do(http.MethodPost, "/admin/customers", f)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Zone mtl is not available") {
			t.Fatalf("got %d, want 403\n%s", res.StatusCode, body)
		}
	})
	t.Run("the new customer signs in and sees only its zones", func(t *testing.T) {
		u := a.client(t, "acme.localhost")
		u.signInWith("shell@tortoise.example", "slow-and-steady")
		_, dash := u.do(http.MethodGet, "/console", nil)
		if !strings.Contains(dash, "Tortoise Ltd") || strings.Contains(dash, "storefront") {
			t.Fatalf("new customer's dashboard shows another customer's applications or lacks its name:\n%s", dash)
		}
		if !strings.Contains(dash, "Aucune application") {
			t.Errorf("new customer's dashboard is not in the language chosen for them")
		}
		_, newApp := u.do(http.MethodGet, "/console/apps/new", nil)
		zones := regexp.MustCompile(`<option value="([a-z]+)"[^>]*>[^<]*\((?:par|rbx|sgp|mtl)\)`).FindAllStringSubmatch(newApp, -1)
		var got []string
		for _, z := range zones {
			got = append(got, z[1])
		}
		if strings.Join(got, ",") != "par,sgp" {
			t.Fatalf("zones offered: got %v, want [par sgp]", got)
		}
	})
	t.Run("narrowing a customer's zones", func(t *testing.T) {
		res, _ := c.do(http.MethodPost, custPath+"/zones", url.Values{"_csrf": {c.csrf(custPath)}, "zones": {"par"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save zones: %d", res.StatusCode)
		}
		res, body := c.do(http.MethodPost, custPath+"/zones", url.Values{"_csrf": {c.csrf(custPath)}, "zones": {"par", "mtl"}})
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("customer zone outside the partner's: got %d, want 403\n%s", res.StatusCode, body)
		}
	})
	t.Run("another partner's admin can't see the customer", func(t *testing.T) {
		g := a.client(t, "globex.localhost")
		g.signIn("admin@globex.example")
		res, _ := g.do(http.MethodGet, custPath, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("globex admin opened acme's customer: %d, want 404", res.StatusCode)
		}
	})
}

func TestAdminBrandAndZones(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "globex.localhost")
	c.signIn("admin@globex.example")
	brand := url.Values{"name": {"Globex Cloud"}, "primary": {"#075"}, "accent": {"#7c3aed"}, "background": {"#ffffff"},
		"text": {"#111111"}, "font": {"serif"}, "language": {"fr"}}

	brand.Set("_csrf", c.csrf("/admin"))
	res, body := c.do(http.MethodPost, "/admin/brand", brand)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save brand: %d\n%s", res.StatusCode, body)
	}
	_, css := a.client(t, "globex.localhost").do(http.MethodGet, "/theme.css", nil)
	if !strings.Contains(css, "--brand-primary:#007755") {
		t.Fatalf("theme.css does not follow the new brand:\n%s", css)
	}
	_, login := a.client(t, "globex.localhost").do(http.MethodGet, "/login", nil)
	if !strings.Contains(login, "Globex Cloud") {
		t.Fatalf("sign-in page lacks the new name")
	}

	// Globex speaks French by default, and this client asks for no language.
	for _, bad := range []struct{ field, value, want string }{
		{"primary", "red;}body{display:none", "Saisissez une couleur"},
		{"text", "#fefefe", "La couleur du texte sur le fond contraste à 1,0:1 ; un texte demande au moins 4,5:1"},
		{"primary", "#00aa77", "La couleur principale sur le fond contraste à 2,9:1"},
		{"accent", "#ff8800", "La couleur d’accent sur le fond contraste à 2,3:1"},
		{"name", "", "Saisissez un nom de marque"},
	} {
		f := url.Values{}
		for k, v := range brand {
			f[k] = v
		}
		f.Set(bad.field, bad.value)
		f.Set("_csrf", c.csrf("/admin"))
		res, body := c.do(http.MethodPost, "/admin/brand", f)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.want) {
			t.Errorf("%s=%q: got %d, want 400 with %q\n%s", bad.field, bad.value, res.StatusCode, bad.want, body)
		}
	}

	// Dropping mtl from the partner drops it from its customer too.
	res, _ = c.do(http.MethodPost, "/admin/zones", url.Values{"_csrf": {c.csrf("/admin")}, "zones": {"par"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save zones: %d", res.StatusCode)
	}
	u := a.client(t, "globex.localhost")
	u.signIn("dev@globex.example")
	_, newApp := u.do(http.MethodGet, "/console/apps/new", nil)
	if strings.Contains(newApp, `value="mtl"`) || !strings.Contains(newApp, `value="par"`) {
		t.Fatalf("customer still offered mtl after the partner dropped it")
	}
}

// TestListPages pages the partner's customers by 50, with the total, and
// keeps the rest of the query in the links.
func TestListPages(t *testing.T) {
	a := newApp(t)
	p, err := a.store.PartnerBySlug(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 55 {
		if _, err := a.store.CreateCustomer(t.Context(), p.ID, tenants.CustomerCreate{Name: fmt.Sprintf("Customer %02d", i),
			OrganisationID: fmt.Sprintf("orga_page_%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	_, first := c.do(http.MethodGet, "/admin", nil)
	_, second := c.do(http.MethodGet, "/admin?page=2", nil)
	rows := func(page string) int { return strings.Count(page, `data-testid="customer-row"`) }
	if rows(first) != 50 || rows(second) != 6 {
		t.Errorf("got %d then %d customers, want 50 then the 6 others (56 in all)", rows(first), rows(second))
	}
	if !strings.Contains(first, "Page 1 of 2 · 56 in all") || !strings.Contains(first, `href="/admin?page=2"`) ||
		!strings.Contains(second, `href="/admin?page=1"`) {
		t.Errorf("the pages do not link to each other with the total")
	}
}

// TestPartnerLanguages sets Globex to French only: a browser asking for
// English gets French, the language switch is gone and English is refused;
// a default outside the languages offered, or no language, is refused with
// the brand form kept.
func TestPartnerLanguages(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "globex.localhost")
	c.signIn("admin@globex.example")
	brand := url.Values{"name": {"Globex"}, "primary": {"#0f766e"}, "accent": {"#7c3aed"}, "background": {"#ffffff"},
		"text": {"#111111"}, "font": {"system"}, "language": {"fr"}, "languages_sent": {"1"}, "languages": {"fr"}}
	brand.Set("_csrf", c.csrf("/admin"))
	if res, body := c.do(http.MethodPost, "/admin/brand", brand); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save brand: %d\n%s", res.StatusCode, body)
	}

	visitor := a.client(t, "globex.localhost")
	res, login := visitor.do(http.MethodGet, "/login", nil, "Accept-Language", "en-US,en;q=0.9")
	if res.Header.Get("Content-Language") != "fr" || !strings.Contains(login, `lang="fr"`) {
		t.Errorf("an English browser got %q, want French", res.Header.Get("Content-Language"))
	}
	if strings.Contains(login, `id="lang-select"`) {
		t.Errorf("the sign-in page of a French-only partner still offers a language switch")
	}
	res, _ = visitor.do(http.MethodPost, "/language", url.Values{"_csrf": {visitor.csrf("/login")}, "lang": {"en"}, "next": {"/login"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("switching a French-only partner to English: %d, want 400", res.StatusCode)
	}
	// Acme still offers both.
	acme := a.client(t, "acme.localhost")
	if res, page := acme.do(http.MethodGet, "/login", nil, "Accept-Language", "fr"); res.Header.Get("Content-Language") != "fr" ||
		!strings.Contains(page, `id="lang-select"`) {
		t.Errorf("Acme: %q, switch shown %v; want French and the switch", res.Header.Get("Content-Language"), strings.Contains(page, `id="lang-select"`))
	}

	for _, bad := range []struct {
		name      string
		languages []string
		def, want string
	}{
		{"default not offered", []string{"fr"}, "en", "La langue par défaut doit être l’une des langues proposées."},
		{"no language", nil, "fr", "Choisissez les langues proposées"},
	} {
		f := url.Values{}
		for k, v := range brand {
			f[k] = v
		}
		f["languages"] = bad.languages
		f.Set("language", bad.def)
		f.Set("name", "Globex Kept")
		f.Set("_csrf", c.csrf("/admin"))
		res, body := c.do(http.MethodPost, "/admin/brand", f)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.want) || !strings.Contains(body, `value="Globex Kept"`) {
			t.Errorf("%s: got %d, want 400 with %q and the form kept\n%s", bad.name, res.StatusCode, bad.want, body)
		}
	}
}

// TestRefusedLogoKeepsTheForm uploads logos the portal refuses (20 MB, and
// SVGs with script hidden from a naive filter): each answer says why, in
// the partner's language, and keeps what the partner typed.
func TestRefusedLogoKeepsTheForm(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	for _, tt := range []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"20 MB", "logo.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 20<<20)...), "The logo must be 256 KiB at most."},
		{"prefixed script", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></svg>`), "This SVG holds something a logo may not"},
		{"g onload", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><g onload="alert(1)"><rect width="1" height="1"/></g></svg>`), "This SVG holds something a logo may not"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fields := url.Values{"_csrf": {c.csrf("/admin")}, "name": {"Acme Typed"}, "primary": {"#123456"}, "accent": {"#c2410c"},
				"background": {"#ffffff"}, "text": {"#111111"}, "font": {"serif"}, "language": {"en"}}
			res, body := c.uploadAs("/admin/brand", "logo", fields, tt.file, tt.content)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d, want 400 with %q\n%.2000s", res.StatusCode, tt.want, body)
			}
			if !strings.Contains(body, `value="Acme Typed"`) || !strings.Contains(body, `value="#123456"`) {
				t.Errorf("the form lost what was typed")
			}
		})
	}
	if _, page := a.client(t, "acme.localhost").do(http.MethodGet, "/login", nil); strings.Contains(page, "Acme Typed") {
		t.Errorf("a refused form changed the brand")
	}
}

// TestOversizedBrandForm posts a brand form over its limit: 413, said
// plainly, not a CSRF refusal.
func TestOversizedBrandForm(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	res, _ := c.uploadAs("/admin/brand", "logo", url.Values{"_csrf": {c.csrf("/admin")}, "name": {"Acme"}}, "logo.png", make([]byte, 40<<20))
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 40 MB brand form: %d, want 413", res.StatusCode)
	}
}
