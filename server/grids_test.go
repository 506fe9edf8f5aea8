package server_test

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// rulesHeader is the header line of a grid's rules in CSV.
const rulesHeader = "family,product,zone,kind,percent,price,tiers,loss_leader\n"

// upload posts a multipart form with one file in field "file".
func (c *client) upload(path string, fields url.Values, filename string, content []byte) (*http.Response, string) {
	c.t.Helper()
	return c.uploadAs(path, "file", fields, filename, content)
}

// uploadAs posts a multipart form with one file in field.
func (c *client) uploadAs(path, field string, fields url.Values, filename string, content []byte) (*http.Response, string) {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		c.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.a.srv.URL+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Host = c.host
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// gridForm is a grid form with a fresh CSRF token.
func gridForm(c *client, name, customer, currency, from, to, rules string) url.Values {
	return url.Values{"_csrf": {c.csrf("/admin/grids/new")}, "name": {name}, "customer": {customer}, "currency": {currency},
		"valid_from": {from}, "valid_to": {to}, "rules": {rules}}
}

// createGrid posts the new-grid form and returns the grid's path.
func createGrid(t *testing.T, c *client, form url.Values) string {
	t.Helper()
	res, body := c.do(http.MethodPost, "/admin/grids", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create grid: got %d, want 303\n%s", res.StatusCode, body)
	}
	loc := res.Header.Get("Location")
	if !regexp.MustCompile(`^/admin/grids/grid_[0-9a-f-]{36}$`).MatchString(loc) {
		t.Fatalf("create grid: redirected to %q", loc)
	}
	return loc
}

// wantRefusal checks a 400 page whose form error says want.
func wantRefusal(t *testing.T, res *http.Response, body string, want ...string) {
	t.Helper()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %d, want 400\n%s", res.StatusCode, body)
	}
	m := regexp.MustCompile(`data-testid="form-error">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form error on the page:\n%s", body)
	}
	msg := html.UnescapeString(m[1])
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("form error %q lacks %q", msg, w)
		}
	}
	if strings.Contains(msg, "pricing:") || strings.Contains(msg, "grid.") {
		t.Errorf("form error shows a raw error or message id: %q", msg)
	}
}

func TestGridsCreateAndList(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")

	_, list := c.do(http.MethodGet, "/admin/grids", nil)
	if !strings.Contains(list, "Acme list prices") || !strings.Contains(list, "All customers") || !strings.Contains(list, `href="/admin/grids"`) {
		t.Fatalf("grid list lacks the demo default grid or the nav link:\n%s", list)
	}

	path := createGrid(t, c, gridForm(c, "Dollar prices", "", "USD", "2026-01-01", "",
		rulesHeader+"apps,,,markup,25,,,false\n,apps.2XL,par,fixed,,2,,false\n"))
	_, list = c.do(http.MethodGet, "/admin/grids", nil)
	row := regexp.MustCompile(`(?s)<tr data-testid="grid-row">.{0,400}?Dollar prices.*?</tr>`).FindString(list)
	if row == "" {
		t.Fatalf("the new grid is not listed:\n%s", list)
	}
	for _, want := range []string{path, "All customers", "USD", "Jan 1, 2026", "Open-ended", "v1", ">2<"} {
		if !strings.Contains(row, want) {
			t.Errorf("grid row lacks %q:\n%s", want, row)
		}
	}

	res, page := c.do(http.MethodGet, path, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("editor: %d", res.StatusCode)
	}
	for _, want := range []string{`value="Dollar prices"`, "apps,,,markup,25,,,false", ",apps.2XL,par,fixed,,2,,false",
		`data-testid="preview-row"`, "This grid", `data-testid="version-row"`, "Columns and kinds of rules"} {
		if !strings.Contains(page, want) {
			t.Errorf("editor lacks %q", want)
		}
	}
	// apps.2XL in par at a fixed 2 $/h: 1,440.00 $ per 30 days.
	if !regexp.MustCompile(`(?s)apps\.2XL</td><td>par</td>.*?data-testid="preview-price">1,440.00 \$<`).MatchString(page) {
		t.Errorf("preview lacks apps.2XL in par at 1,440.00 $ / 30 days")
	}
	// Another family, by a link (no JavaScript needed).
	_, pg := c.do(http.MethodGet, path+"?family=postgresql", nil)
	if !strings.Contains(pg, "postgresql.") || strings.Contains(pg, "apps.2XL</td>") {
		t.Errorf("the postgresql preview does not show postgresql's products only")
	}
}

func TestGridsRefusals(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	_, newPage := c.do(http.MethodGet, "/admin/grids/new", nil)
	customer := regexpFind(t, newPage, `<option value="([^"]+)">Roadrunner Labs</option>`)

	t.Run("a bad CSV line is refused with its number", func(t *testing.T) {
		rules := rulesHeader + "apps,,,markup,10,,,false\n,apps.XS,,markup,ten,,,false\n"
		res, body := c.do(http.MethodPost, "/admin/grids", gridForm(c, "Typo", customer, "EUR", "2026-01-01", "", rules))
		wantRefusal(t, res, body, "Line 3", "percent", "not a number")
		if !strings.Contains(body, ",apps.XS,,markup,ten,,,false") || !strings.Contains(body, `value="Typo"`) {
			t.Errorf("the form lost what was typed")
		}
	})
	t.Run("a bad date is refused", func(t *testing.T) {
		res, body := c.do(http.MethodPost, "/admin/grids", gridForm(c, "No date", customer, "EUR", "soon", "", rulesHeader))
		wantRefusal(t, res, body, "YYYY-MM-DD")
	})
	t.Run("an overlap with the default grid is refused", func(t *testing.T) {
		res, body := c.do(http.MethodPost, "/admin/grids", gridForm(c, "Twice", "", "EUR", "2026-01-01", "", rulesHeader))
		wantRefusal(t, res, body, "Another grid")
	})
	t.Run("in French", func(t *testing.T) {
		g := a.client(t, "globex.localhost")
		g.signIn("admin@globex.example")
		res, body := g.do(http.MethodPost, "/admin/grids", gridForm(g, "Coquille", "", "USD", "2026-01-01", "",
			rulesHeader+"apps,,,discount,10,,,false\n"))
		wantRefusal(t, res, body, "Ligne 2", "le type doit être markup, fixed ou tiers")
	})

	below := rulesHeader + "apps,,,markup,-5,,,false\n"
	t.Run("below cost is refused", func(t *testing.T) {
		res, body := c.do(http.MethodPost, "/admin/grids", gridForm(c, "Contract", customer, "EUR", "2026-01-01", "", below))
		wantRefusal(t, res, body, "Rule 1 (line 2)", "below the platform's list price", "loss_leader")
	})
	t.Run("below cost is accepted as a loss leader", func(t *testing.T) {
		path := createGrid(t, c, gridForm(c, "Contract", customer, "EUR", "2026-01-01", "", strings.Replace(below, "false", "true", 1)))
		_, page := c.do(http.MethodGet, path, nil)
		for _, want := range []string{`data-testid="badge-loss-leader"`, `data-testid="badge-below-cost"`, "This grid"} {
			if !strings.Contains(page, want) {
				t.Errorf("preview lacks %q", want)
			}
		}
		// apps.2XL: the platform's 480.00 € − 5 %.
		if !strings.Contains(page, ">456.00 €<") {
			t.Errorf("preview lacks the contract price 456.00 €")
		}
	})
}

func TestGridsVersionsExportImport(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	v1 := rulesHeader + "apps,,,markup,25,,,false\n"
	path := createGrid(t, c, gridForm(c, "Dollar prices", "", "USD", "2026-01-01", "2027-01-01", v1))

	// Version 2 changes the markup.
	form := gridForm(c, "Dollar prices", "", "USD", "2026-01-01", "2027-01-01", rulesHeader+"apps,,,markup,30,,,false\n")
	res, body := c.do(http.MethodPost, path, form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save v2: got %d\n%s", res.StatusCode, body)
	}
	_, page := c.do(http.MethodGet, path, nil)
	if !strings.Contains(page, "apps,,,markup,30,,,false") || strings.Count(page, `data-testid="version-row"`) != 2 {
		t.Fatalf("v2 not current or versions not listed:\n%s", page)
	}
	// A refused save keeps the current version and says why.
	res, body = c.do(http.MethodPost, path, gridForm(c, "Dollar prices", "", "USD", "2026-01-01", "2025-01-01", v1))
	wantRefusal(t, res, body, "end must come after its start")

	// Restore version 1: saved again as version 3.
	res, body = c.do(http.MethodPost, path+"/restore", url.Values{"_csrf": {c.csrf(path)}, "version": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("restore v1: got %d\n%s", res.StatusCode, body)
	}
	_, page = c.do(http.MethodGet, path, nil)
	if !strings.Contains(page, "apps,,,markup,25,,,false") || strings.Count(page, `data-testid="version-row"`) != 3 ||
		!regexp.MustCompile(`v3\s*<span class="badge up">Current`).MatchString(page) {
		t.Fatalf("restore did not make v1's content the current v3:\n%s", page)
	}
	res, _ = c.do(http.MethodPost, path+"/restore", url.Values{"_csrf": {c.csrf(path)}, "version": {"9"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("restore of a missing version: got %d, want 404", res.StatusCode)
	}

	// Export as CSV, import it back as a new grid for the next year.
	res, csv := c.do(http.MethodGet, path+"/export?format=csv", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="dollar-prices-v3.csv"`) ||
		!strings.HasPrefix(csv, rulesHeader) {
		t.Fatalf("export csv: %d %q\n%s", res.StatusCode, res.Header.Get("Content-Disposition"), csv)
	}
	fields := url.Values{"_csrf": {c.csrf("/admin/grids")}, "name": {"Dollar prices 2027"}, "currency": {"USD"}, "valid_from": {"2027-01-01"}}
	res, body = c.upload("/admin/grids/import", fields, "rules.csv", []byte(csv))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import csv: got %d\n%s", res.StatusCode, body)
	}
	_, page = c.do(http.MethodGet, res.Header.Get("Location"), nil)
	if !strings.Contains(page, `value="Dollar prices 2027"`) || !strings.Contains(page, "apps,,,markup,25,,,false") {
		t.Fatalf("imported grid lacks its name or rules:\n%s", page)
	}

	// The JSON export carries the whole grid: imported as is, it overlaps
	// the original, until the original is deleted.
	res, js := c.do(http.MethodGet, path+"/export?format=json&version=2", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "dollar-prices-v2.json") || !strings.Contains(js, `"percent": "30"`) {
		t.Fatalf("export json of v2: %d\n%s", res.StatusCode, js)
	}
	res, body = c.upload("/admin/grids/import", url.Values{"_csrf": {c.csrf("/admin/grids")}}, "grid.json", []byte(js))
	wantRefusal(t, res, body, "Another grid")
	res, _ = c.do(http.MethodPost, path+"/delete", url.Values{"_csrf": {c.csrf(path)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: got %d", res.StatusCode)
	}
	if res, _ = c.do(http.MethodGet, path, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted grid: got %d, want 404", res.StatusCode)
	}
	res, body = c.upload("/admin/grids/import", url.Values{"_csrf": {c.csrf("/admin/grids")}}, "grid.json", []byte(js))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import json: got %d\n%s", res.StatusCode, body)
	}

	t.Run("a bad file is refused with its line", func(t *testing.T) {
		bad := rulesHeader + "apps,,,markup,25,,,false\napps,,,markup,30,,,false\n"
		res, body := c.upload("/admin/grids/import", fields, "rules.csv", []byte(bad))
		wantRefusal(t, res, body, "Line 3", "another rule has the same family, product and zone")
		res, body = c.upload("/admin/grids/import", fields, "rules.csv", []byte("name,kind\n"))
		wantRefusal(t, res, body, "Line 1")
		res, body = c.upload("/admin/grids/import", url.Values{"_csrf": {c.csrf("/admin/grids")}}, "grid.json",
			[]byte("{\n  \"name\": \"x\",\n  \"currency\": \"EUR\",\n  \"valid_from\": \"2031-01-01T00:00:00Z\",\n  \"rules\": [\n    {\"family\": \"apps\", \"kind\": \"discount\"}\n  ]\n}\n"))
		wantRefusal(t, res, body, "Line 6", "rules[0].kind", "markup, fixed or tiers")
	})
}

func TestForeignGridIsNotFound(t *testing.T) {
	a := newApp(t)
	g := a.client(t, "globex.localhost")
	g.signIn("admin@globex.example")
	_, list := g.do(http.MethodGet, "/admin/grids", nil)
	id := regexpFind(t, list, `href="/admin/grids/(grid_[0-9a-f-]+)"`)

	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	tok := c.csrf("/admin/grids")
	tests := []struct {
		name, method, path string
		form               url.Values
	}{
		{"editor", http.MethodGet, "/admin/grids/" + id, nil},
		{"export", http.MethodGet, "/admin/grids/" + id + "/export?format=json", nil},
		{"save", http.MethodPost, "/admin/grids/" + id, url.Values{"_csrf": {tok}, "name": {"Mine"}, "currency": {"EUR"},
			"valid_from": {"2030-01-01"}, "rules": {rulesHeader}}},
		{"restore", http.MethodPost, "/admin/grids/" + id + "/restore", url.Values{"_csrf": {tok}, "version": {"1"}}},
		{"delete", http.MethodPost, "/admin/grids/" + id + "/delete", url.Values{"_csrf": {tok}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := c.do(tt.method, tt.path, tt.form)
			if res.StatusCode != http.StatusNotFound || strings.Contains(body, "Tarifs Globex") {
				t.Fatalf("got %d, want 404 showing nothing of globex's grid", res.StatusCode)
			}
		})
	}
	if _, list := g.do(http.MethodGet, "/admin/grids", nil); !strings.Contains(list, "/admin/grids/"+id) {
		t.Fatalf("globex's grid is gone after acme's attempts")
	}
}

// TestGridDraftPreview previews an edited grid without saving it.
func TestGridDraftPreview(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")
	path := createGrid(t, c, gridForm(c, "Dollar list", "", "USD", "2020-01-01", "", rulesHeader+",,,markup,20,,,false\n"))
	form := url.Values{"_csrf": {c.csrf(path)}, "name": {"Dollar list"}, "currency": {"USD"}, "valid_from": {"2020-01-01"},
		"rules": {rulesHeader + "apps,,,markup,50,,,false\n"}, "preview": {"1"}, "family": {"apps"}}
	res, body := c.do(http.MethodPost, path, form)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="draft-preview"`) {
		t.Fatalf("preview: got %d, want the draft's preview", res.StatusCode)
	}
	if !strings.Contains(body, "+50") && !strings.Contains(body, "50.0") {
		t.Errorf("the preview does not price the draft's +50 %%")
	}
	_, page := c.do(http.MethodGet, path, nil)
	if strings.Contains(page, "apps,,,markup,50") {
		t.Fatalf("previewing saved the draft")
	}
	form.Set("_csrf", c.csrf(path))
	form.Set("rules", rulesHeader+"apps,,,markup,-10,,,false\n")
	res, body = c.do(http.MethodPost, path, form)
	wantRefusal(t, res, body, "below")
}
