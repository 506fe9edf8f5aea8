package server_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tenants/fonttest"
)

// TestBrandStudio: a draft is previewed by the partner without changing
// what its customers see; publishing changes it; a rollback restores the
// version before exactly (settings and logo); a low-contrast pair is
// refused naming the pair and its ratio, the form kept.
func TestBrandStudio(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	customer := a.client(t, "acme.localhost")
	customer.signIn("dev@acme.example")
	live := func() (css, logo string, logoStatus int) {
		_, css = customer.do(http.MethodGet, "/theme.css", nil)
		res, logo := customer.do(http.MethodGet, "/brand/logo", nil)
		return css, logo, res.StatusCode
	}
	css0, logo0, logoStatus0 := live()
	_, dash0 := customer.do(http.MethodGet, "/console", nil)

	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 4, 4))
	m.Set(1, 1, color.RGBA{200, 10, 10, 255})
	_ = png.Encode(&img, m)
	fields := url.Values{"_csrf": {c.csrf("/admin")}, "name": {"Acme Next"}, "primary": {"#5b21b6"}, "accent": {"#7c3aed"},
		"background": {"#ffffff"}, "text": {"#111111"}, "font": {"serif"}, "language": {"en"}, "action": {"draft"},
		"support_url": {"mailto:support@acme.example"}, "terms_url": {"https://acme.example/terms"}, "privacy_url": {"https://acme.example/privacy"}}
	res, body := c.uploadAs("/admin/brand", "logo", fields, "logo.png", img.Bytes())
	// What is stored is the upload re-encoded, its pixels and nothing else.
	stored, _, err := tenants.CleanLogo(img.Bytes(), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save draft: %d\n%s", res.StatusCode, body)
	}
	// Customers see nothing of it.
	if css, logo, st := live(); css != css0 || logo != logo0 || st != logoStatus0 {
		t.Fatal("saving a draft changed what customers see")
	}
	if _, dash := customer.do(http.MethodGet, "/console", nil); strings.Contains(dash, "Acme Next") || dash0 == "" {
		t.Fatal("the customer's dashboard shows the draft's name")
	}
	if res, _ := customer.do(http.MethodGet, "/admin/brand/draft.css", nil); res.StatusCode == http.StatusOK {
		t.Fatal("a customer reads the draft")
	}
	if res, _ := customer.do(http.MethodGet, "/admin/brand/preview/login", nil); res.StatusCode == http.StatusOK {
		t.Fatal("a customer opens the preview")
	}
	// The partner previews it on the customers' pages.
	_, admin := c.do(http.MethodGet, "/admin", nil)
	for _, want := range []string{"Unpublished draft.", `value="Acme Next"`, "/admin/brand/preview/dashboard"} {
		if !strings.Contains(admin, want) {
			t.Fatalf("the admin page lacks %q", want)
		}
	}
	for page, want := range map[string]string{"login": "Sign in", "dashboard": "Example customer", "pricing": "€", "widget": "data-testid=\"preview\""} {
		res, body := c.do(http.MethodGet, "/admin/brand/preview/"+page, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="brand-name">Acme Next<`) ||
			!strings.Contains(body, `href="/admin/brand/draft.css"`) || !strings.Contains(body, "/admin/brand/draft-logo") ||
			!strings.Contains(body, "Preview of your draft") || !strings.Contains(body, want) {
			t.Fatalf("preview of %s: %d\n%s", page, res.StatusCode, body)
		}
	}
	if _, css := c.do(http.MethodGet, "/admin/brand/draft.css", nil); !strings.Contains(css, "#5b21b6") {
		t.Fatalf("draft.css:\n%s", css)
	}
	if _, logo := c.do(http.MethodGet, "/admin/brand/draft-logo", nil); logo != string(stored) {
		t.Fatal("the draft's logo is not the one uploaded")
	}

	// Publishing: customers see it.
	res, _ = c.do(http.MethodPost, "/admin/brand/publish", url.Values{"_csrf": {c.csrf("/admin")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	css1, logo1, _ := live()
	if !strings.Contains(css1, "#5b21b6") || logo1 != string(stored) {
		t.Fatalf("published brand not live:\n%s", css1)
	}
	if _, dash := customer.do(http.MethodGet, "/console", nil); !strings.Contains(dash, "Acme Next") {
		t.Fatal("the dashboard does not show the published name")
	}
	_, admin = c.do(http.MethodGet, "/admin", nil)
	if strings.Contains(admin, "Unpublished draft.") || !strings.Contains(admin, "name, colours, font, “powered by” line, logo") ||
		!strings.Contains(admin, `data-version="2"`) || !strings.Contains(admin, "Restore version 1") {
		t.Fatalf("history after publishing:\n%s", admin)
	}

	// Rollback: exactly the brand before.
	res, _ = c.do(http.MethodPost, "/admin/brand/rollback", url.Values{"_csrf": {c.csrf("/admin")}, "version": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rollback: %d", res.StatusCode)
	}
	if css, logo, st := live(); css != css0 || logo != logo0 || st != logoStatus0 {
		t.Fatalf("rollback did not restore the brand exactly:\n%s\nwant\n%s", css, css0)
	}
	if _, dash := customer.do(http.MethodGet, "/console", nil); strings.Contains(dash, "Acme Next") {
		t.Fatal("the dashboard still shows the rolled-back name")
	}
	_, admin = c.do(http.MethodGet, "/admin", nil)
	if !strings.Contains(admin, "(restored from version 1)") || !strings.Contains(admin, `data-version="3"`) {
		t.Fatalf("history after the rollback:\n%s", admin)
	}
	if res, _ := c.do(http.MethodPost, "/admin/brand/rollback", url.Values{"_csrf": {c.csrf("/admin")}, "version": {"99"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("rollback to a missing version: %d", res.StatusCode)
	}

	// A low-contrast pair: refused, naming the pair and its ratio.
	fields = url.Values{"_csrf": {c.csrf("/admin")}, "name": {"Acme Pale"}, "primary": {"#5b21b6"}, "accent": {"#7c3aed"},
		"background": {"#ffffff"}, "text": {"#aaaaaa"}, "font": {"serif"}, "language": {"en"}, "action": {"draft"}}
	res, body = c.do(http.MethodPost, "/admin/brand", fields)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "2.3:1") || !strings.Contains(body, "4.5:1") ||
		!strings.Contains(body, `value="Acme Pale"`) {
		t.Fatalf("low contrast: %d\n%s", res.StatusCode, body)
	}
	if res, _ := c.do(http.MethodGet, "/admin/brand/preview/login", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a refused draft was saved: %d", res.StatusCode)
	}
}

// TestFooterLinks: the partner's support, terms and privacy links are in
// every page's footer; a link that is not https (or mailto: for support)
// is refused naming the field, with the rest of the form kept.
func TestFooterLinks(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	_, login := a.client(t, "acme.localhost").do(http.MethodGet, "/login", nil)
	for _, want := range []string{`href="mailto:support@acme.example"`, `href="https://acme.example/terms"`, `href="https://acme.example/privacy"`} {
		if !strings.Contains(login, want) {
			t.Fatalf("the demo's sign-in page lacks %s", want)
		}
	}
	if _, g := a.client(t, "globex.localhost").do(http.MethodGet, "/login", nil); strings.Contains(g, `data-testid="footer-links"`) {
		t.Fatal("globex, which has no links, shows a links list")
	}
	form := func(support, terms string) url.Values {
		f := acmeBrandForm(c, "publish")
		f.Set("support_url", support)
		f.Set("terms_url", terms)
		f.Set("privacy_url", "")
		return f
	}
	for _, bad := range []struct{ support, terms, want string }{
		{"javascript:alert(1)", "", "The support link must be an https:// address or a mailto: e-mail address."},
		{"", "http://acme.example/terms", "The terms link must be an https:// address."},
		{"", "https://user:pw@acme.example/", "The terms link must be an https:// address."},
		{"mailto:a@b.example?cc=x@y.example", "", "The support link must be"},
	} {
		res, page := c.do(http.MethodPost, "/admin/brand", form(bad.support, bad.terms))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, bad.want) || !strings.Contains(page, `value="Acme Cloud"`) {
			t.Fatalf("support %q terms %q: %d, want 400 saying %q with the form kept", bad.support, bad.terms, res.StatusCode, bad.want)
		}
	}
	if res, page := c.do(http.MethodPost, "/admin/brand", form("https://help.acme.example", "")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save links: %d\n%s", res.StatusCode, page)
	}
	_, dash := a.client(t, "acme.localhost").do(http.MethodGet, "/login", nil)
	if !strings.Contains(dash, `href="https://help.acme.example"`) || strings.Contains(dash, "acme.example/terms") {
		t.Fatal("the footer does not show the links saved")
	}
	if _, admin := c.do(http.MethodGet, "/admin", nil); !strings.Contains(admin, "footer links") {
		t.Fatal("the brand history does not say the footer links changed")
	}
}

// TestSuspendedPartner: a partner the operator suspends is served on none
// of its hosts (pages, API, widgets) while the others keep serving, and
// serves again, signed-in sessions included, once resumed.
func TestSuspendedPartner(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, err := a.store.PartnerBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	tok := a.allOpsToken(t, "acme", "dev@acme.example")
	if err := a.store.SuspendPartner(ctx, acme.ID, "unpaid"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/login", "/console", "/widgets/v1/catalogue", "/theme.css"} {
		if res, body := c.do(http.MethodGet, p, nil); res.StatusCode != http.StatusNotFound || strings.Contains(body, "Acme") {
			t.Errorf("suspended acme %s: %d", p, res.StatusCode)
		}
	}
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v2/summary", tok, nil); st != http.StatusNotFound {
		t.Errorf("suspended acme's API: %d, want 404", st)
	}
	if res, _ := a.client(t, "globex.localhost").do(http.MethodGet, "/login", nil); res.StatusCode != http.StatusOK {
		t.Errorf("globex stopped serving: %d", res.StatusCode)
	}
	if err := a.store.ResumePartner(ctx, acme.ID); err != nil {
		t.Fatal(err)
	}
	if res, body := c.do(http.MethodGet, "/console", nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "Acme Cloud") {
		t.Errorf("resumed acme's console: %d", res.StatusCode)
	}
}

// TestBrandIcon: the icon is the browser tab's favicon, drafted, previewed,
// published and rolled back with the rest of the brand; without one the
// logo serves.
func TestBrandIcon(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	visitor := a.client(t, "acme.localhost")
	favicon := func(page string) string {
		return regexpFind(t, page, `<link rel="icon" href="([^"]+)"`)
	}
	if _, login := visitor.do(http.MethodGet, "/login", nil); favicon(login) != "/brand/logo" {
		t.Fatalf("without an icon the favicon is %q, want the logo", favicon(login))
	}
	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 32, 32))
	m.Set(3, 3, color.RGBA{10, 200, 10, 255})
	_ = png.Encode(&img, m)
	fields := acmeBrandForm(c, "draft")
	if res, body := c.uploadAs("/admin/brand", "icon", fields, "icon.png", img.Bytes()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the icon as a draft: %d\n%s", res.StatusCode, body)
	}
	if _, login := visitor.do(http.MethodGet, "/login", nil); favicon(login) != "/brand/logo" {
		t.Fatal("a drafted icon reached the customers")
	}
	if _, preview := c.do(http.MethodGet, "/admin/brand/preview/login", nil); favicon(preview) != "/admin/brand/draft-icon" {
		t.Fatalf("the preview's favicon is %q", favicon(preview))
	}
	if res, _ := c.do(http.MethodGet, "/admin/brand/draft-icon", nil); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("the draft's icon: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := c.do(http.MethodPost, "/admin/brand/publish", url.Values{"_csrf": {c.csrf("/admin")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	_, login := visitor.do(http.MethodGet, "/login", nil)
	res, icon := visitor.do(http.MethodGet, favicon(login), nil)
	if favicon(login) != "/brand/icon" || res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("the published favicon %q: %d", favicon(login), res.StatusCode)
	}
	if got, err := png.Decode(strings.NewReader(icon)); err != nil || got.Bounds() != m.Bounds() {
		t.Fatalf("the icon served is not the one uploaded: %v", err)
	}
	if _, admin := c.do(http.MethodGet, "/admin", nil); !strings.Contains(admin, ">icon <") {
		t.Fatalf("the history does not say the icon changed")
	}
	if res, _ := c.do(http.MethodPost, "/admin/brand/rollback", url.Values{"_csrf": {c.csrf("/admin")}, "version": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rollback: %d", res.StatusCode)
	}
	if res, _ := visitor.do(http.MethodGet, "/brand/icon", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("the icon after rolling back to a version without one: %d", res.StatusCode)
	}
	bad := url.Values{}
	for k, v := range fields {
		bad[k] = v
	}
	bad.Set("_csrf", c.csrf("/admin"))
	bad.Set("name", "Kept Name")
	res, page := c.uploadAs("/admin/brand", "icon", bad, "icon.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><g onload="alert(1)"/></svg>`))
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "This SVG holds something") || !strings.Contains(page, `value="Kept Name"`) {
		t.Fatalf("an unsafe SVG icon: %d", res.StatusCode)
	}
}

// TestBrandDarkVariants: a logo for dark backgrounds is drawn on the dark
// top bar (Acme's orange) while the light page keeps the logo; an icon for
// dark browser themes is offered to them by media query; both are drafted
// and previewed before customers see them, named in the history, refused
// when unsafe with the form kept, and removed.
func TestBrandDarkVariants(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	visitor := a.client(t, "acme.localhost")
	barLogo := func(page string) string {
		return regexpFind(t, page, `<a class="brand" href="/" data-testid="brand"><img src="([^"]+)"`)
	}
	pageLogo := func(page string) string {
		return regexpFind(t, page, `<div class="brand-big"><img src="([^"]+)"`)
	}
	darkIcon := `<link rel="icon" href="%s" media="(prefers-color-scheme: dark)">`
	if _, login := visitor.do(http.MethodGet, "/login", nil); barLogo(login) != "/brand/logo" || strings.Contains(login, "prefers-color-scheme") {
		t.Fatalf("without dark variants the bar shows %q", barLogo(login))
	}
	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 64, 16))
	m.Set(1, 1, color.RGBA{250, 250, 250, 255})
	_ = png.Encode(&img, m)

	fields := acmeBrandForm(c, "draft")
	if res, body := c.uploadAs("/admin/brand", "logo_dark", fields, "logo-dark.png", img.Bytes()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft the dark logo: %d\n%s", res.StatusCode, body)
	}
	if res, body := c.uploadAs("/admin/brand", "icon_dark", acmeBrandForm(c, "draft"), "icon-dark.png", img.Bytes()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft the dark icon: %d\n%s", res.StatusCode, body)
	}
	if _, login := visitor.do(http.MethodGet, "/login", nil); barLogo(login) != "/brand/logo" {
		t.Fatal("a drafted dark logo reached the customers")
	}
	_, preview := c.do(http.MethodGet, "/admin/brand/preview/login", nil)
	if barLogo(preview) != "/admin/brand/draft-logo-dark" || pageLogo(preview) != "/admin/brand/draft-logo" ||
		!strings.Contains(preview, fmt.Sprintf(darkIcon, "/admin/brand/draft-icon-dark")) {
		t.Fatalf("the preview draws %q on the bar and %q on the page", barLogo(preview), pageLogo(preview))
	}
	if res, got := c.do(http.MethodGet, "/admin/brand/draft-logo-dark", nil); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || len(got) == 0 {
		t.Fatalf("the draft's dark logo: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := c.do(http.MethodPost, "/admin/brand/publish", url.Values{"_csrf": {c.csrf("/admin")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	_, login := visitor.do(http.MethodGet, "/login", nil)
	if barLogo(login) != "/brand/logo-dark" || pageLogo(login) != "/brand/logo" || !strings.Contains(login, fmt.Sprintf(darkIcon, "/brand/icon-dark")) {
		t.Fatalf("published: the bar draws %q, the page %q", barLogo(login), pageLogo(login))
	}
	res, got := visitor.do(http.MethodGet, "/brand/logo-dark", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("the dark logo: %d", res.StatusCode)
	}
	if back, err := png.Decode(strings.NewReader(got)); err != nil || back.Bounds() != m.Bounds() {
		t.Fatalf("the dark logo served is not the one uploaded: %v", err)
	}
	if res, _ := visitor.do(http.MethodGet, "/brand/icon-dark", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the dark icon: %d", res.StatusCode)
	}
	if _, admin := c.do(http.MethodGet, "/admin", nil); !strings.Contains(admin, "logo for dark backgrounds") || !strings.Contains(admin, "icon for dark themes") {
		t.Fatal("the history does not name the dark variants")
	}

	bad := acmeBrandForm(c, "publish")
	bad.Set("name", "Kept Name")
	res, page := c.uploadAs("/admin/brand", "logo_dark", bad, "dark.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script></svg>`))
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "This SVG holds something") || !strings.Contains(page, `value="Kept Name"`) {
		t.Fatalf("an unsafe dark logo: %d", res.StatusCode)
	}

	remove := acmeBrandForm(c, "publish")
	remove.Set("logo_dark_remove", "on")
	remove.Set("icon_dark_remove", "on")
	if res, body := c.do(http.MethodPost, "/admin/brand", remove); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the dark variants: %d\n%s", res.StatusCode, body)
	}
	if res, _ := visitor.do(http.MethodGet, "/brand/logo-dark", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("the removed dark logo still serves: %d", res.StatusCode)
	}
	if _, login := visitor.do(http.MethodGet, "/login", nil); barLogo(login) != "/brand/logo" || strings.Contains(login, "prefers-color-scheme") {
		t.Fatalf("after removal the bar draws %q", barLogo(login))
	}
}

// TestBrandFont: a partner's own WOFF2 font is drafted (the draft's
// stylesheet loads it), published (the customers' stylesheet loads it
// before the safe-list font, its fallback), removed, and a file that is not
// one is refused with the form kept.
func TestBrandFont(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	visitor := a.client(t, "acme.localhost")
	font := fonttest.WOFF2(fonttest.TrueType, bytes.Repeat([]byte("glyphs "), 200), 1400)
	fields := func(action string) url.Values {
		f := acmeBrandForm(c, action)
		f.Set("font", "serif")
		return f
	}
	if res, body := c.uploadAs("/admin/brand", "font_file", fields("draft"), "brand.woff2", font); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the font as a draft: %d\n%s", res.StatusCode, body)
	}
	if _, css := c.do(http.MethodGet, "/admin/brand/draft.css", nil); !strings.Contains(css, `src:url("/admin/brand/draft-font.woff2") format("woff2")`) ||
		!strings.Contains(css, `--brand-font:"Brand Font",Charter`) {
		t.Fatalf("the draft's stylesheet does not load the font:\n%s", css)
	}
	if res, got := c.do(http.MethodGet, "/admin/brand/draft-font.woff2", nil); res.StatusCode != http.StatusOK || got != string(font) {
		t.Fatalf("the draft's font: %d", res.StatusCode)
	}
	if _, css := visitor.do(http.MethodGet, "/theme.css", nil); strings.Contains(css, "@font-face") {
		t.Fatal("a drafted font reached the customers")
	}
	if res, _ := c.do(http.MethodPost, "/admin/brand/publish", url.Values{"_csrf": {c.csrf("/admin")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	if _, css := visitor.do(http.MethodGet, "/theme.css", nil); !strings.Contains(css, `url("/brand/font.woff2")`) {
		t.Fatalf("the published stylesheet does not load the font:\n%s", css)
	}
	res, got := visitor.do(http.MethodGet, "/brand/font.woff2", nil)
	if res.StatusCode != http.StatusOK || got != string(font) || res.Header.Get("Content-Type") != "font/woff2" {
		t.Fatalf("the published font: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	bad := fields("publish")
	bad.Set("name", "Kept Name")
	res, page := c.uploadAs("/admin/brand", "font_file", bad, "brand.woff2", []byte("<html>not a font</html>"))
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "This file is not a WOFF2 font") || !strings.Contains(page, `value="Kept Name"`) {
		t.Fatalf("a file that is not a font: %d", res.StatusCode)
	}
	remove := fields("publish")
	remove.Set("font_remove", "on")
	if res, body := c.do(http.MethodPost, "/admin/brand", remove); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the font: %d\n%s", res.StatusCode, body)
	}
	if res, _ := visitor.do(http.MethodGet, "/brand/font.woff2", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("the removed font still serves: %d", res.StatusCode)
	}
	if _, css := visitor.do(http.MethodGet, "/theme.css", nil); strings.Contains(css, "@font-face") {
		t.Fatal("the stylesheet still loads the removed font")
	}
}

// acmeBrandForm is the brand form as the demo's Acme has it, to post with
// action "draft" or "publish".
func acmeBrandForm(c *client, action string) url.Values {
	return url.Values{"_csrf": {c.csrf("/admin")}, "name": {"Acme Cloud"}, "primary": {"#c2410c"}, "accent": {"#0f766e"},
		"background": {"#fffaf5"}, "text": {"#1c1917"}, "font": {"humanist"}, "language": {"en"}, "powered_by": {"on"},
		"support_url": {"mailto:support@acme.example"}, "terms_url": {"https://acme.example/terms"},
		"privacy_url": {"https://acme.example/privacy"}, "action": {action}}
}
