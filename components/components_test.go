package components

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func TestMoney(t *testing.T) {
	tests := []struct{ lang, currency, amount, want string }{
		{"en", "EUR", "576.00", "€576.00"},
		{"fr", "EUR", "576.00", "576,00\u00a0€"},
		{"en", "USD", "1234567.5", "$1,234,567.50"},
		{"fr", "USD", "1234567.5", "1\u202f234\u202f567,50\u00a0$"},
		{"en", "EUR", "0.0075", "€0.0075"},
		{"en", "EUR", "0.8000", "€0.80"},
		{"fr", "EUR", "-12.5", "-12,50\u00a0€"},
		{"en", "EUR", "7", "€7.00"},
		{"en", "GBP", "1.5", "GBP1.50"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.amount, func(t *testing.T) {
			if got := Money(tt.lang, tt.currency, tt.amount); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	plan := Plan{ID: "2XL", Price: Prices{Hour: "0.8000", Day: "19.20", Days30: "576.00"}}
	tests := []struct {
		period string
		qty    int
		want   string
	}{
		{Period30Days, 1, "576.00"}, {Period30Days, 3, "1728.00"}, {PeriodDay, 2, "38.40"}, {PeriodHour, 3, "2.4000"}, {"week", 1, ""},
	}
	for _, tt := range tests {
		if got := Estimate(plan, tt.period, tt.qty); got != tt.want {
			t.Errorf("%d × %s: got %q, want %q", tt.qty, tt.period, got, tt.want)
		}
	}
}

// catalogue is a small catalogue with two runtimes sharing sizes and one add-on.
func catalogue() Catalogue {
	xs := Plan{ID: "XS", Name: "XS", Detail: "1 vCPU", Price: Prices{Hour: "0.0267", Day: "0.64", Days30: "19.20"}}
	xl := Plan{ID: "2XL", Name: "2XL", Detail: "12 vCPU", Price: Prices{Hour: "0.8000", Day: "19.20", Days30: "576.00"}}
	return Catalogue{Lang: "en", Currency: "EUR", Currencies: []string{"EUR"}, Zone: "par",
		Zones: []Zone{{ID: "par", City: "Paris", Country: "France"}, {ID: "rbx", City: "Roubaix", Country: "France"}},
		Products: []Product{
			{ID: "node", Name: "Node", Kind: KindRuntime, Plans: []Plan{xs, xl}},
			{ID: "php", Name: "PHP", Kind: KindRuntime, Plans: []Plan{xs}},
			{ID: "redis-addon", Name: "Redis", Kind: KindAddon, Plans: []Plan{{ID: "s", Name: "S", Price: Prices{Hour: "0.0175", Day: "0.42", Days30: "12.60"}}}},
		}}
}

func TestPlans(t *testing.T) {
	c := catalogue()
	ids := func(ps []Plan) (out []string) {
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	if got := ids(c.Plans("")); !slices.Equal(got, []string{"XS", "2XL"}) {
		t.Errorf("runtime sizes: got %v, want each size once", got)
	}
	if got := ids(c.Plans("redis-addon")); !slices.Equal(got, []string{"s"}) {
		t.Errorf("redis plans: got %v", got)
	}
	if got := c.Plans("nope"); got != nil {
		t.Errorf("unknown product: got %v", got)
	}
}

func words() Words {
	return NewWords("en", func(id string) string { return "[" + id + "]" })
}

// render renders a component and parses it.
func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestPriceTable(t *testing.T) {
	w := Widget{State: StateLoaded, Catalogue: catalogue(), Words: words(), Source: "/console/widgets/catalogue"}
	doc := render(t, PriceTable(PriceTableProps{Widget: w, Product: "node", TestID: "prices"}))
	el := doc.Find("gl-price-table")
	for attr, want := range map[string]string{"zone": "par", "currency": "EUR", "lang": "en", "product": "node",
		"data-catalogue": "/console/widgets/catalogue", "data-testid": "prices"} {
		if got, _ := el.Attr(attr); got != want {
			t.Errorf("%s: got %q, want %q", attr, got, want)
		}
	}
	if _, ok := el.Attr("selectable"); ok {
		t.Errorf("a console price table must not be selectable")
	}
	root := el.Find(`template[shadowrootmode="open"]`)
	if root.Length() != 1 {
		t.Fatalf("no declarative shadow root")
	}
	if href, _ := root.Find(`link[rel=stylesheet]`).Attr("href"); href != StylesheetPath {
		t.Errorf("stylesheet: %q", href)
	}
	if got := root.Find(`tr[data-plan="2XL"] td[data-period="30-days"]`).Text(); got != "€576.00" {
		t.Errorf("2XL per 30 days: got %q", got)
	}
	if got := root.Find("thead th").Length(); got != 4 {
		t.Errorf("got %d headings, want the plan and three periods", got)
	}
	if got := root.Find(`th[scope=row]`).Length(); got != 2 {
		t.Errorf("got %d rows, want node's two sizes", got)
	}

	one := render(t, PriceTable(PriceTableProps{Widget: w, Period: PeriodDay, Selectable: true}))
	if got := one.Find("td").Length(); got != 2 {
		t.Errorf("one period: got %d price cells, want 2", got)
	}
	if got := one.Find(`button.plan[data-plan="XS"]`).Length(); got != 1 {
		t.Errorf("a selectable table has no plan button")
	}

	w.State, w.Error = StateError, "The zone “x” is not offered here."
	if got := render(t, PriceTable(PriceTableProps{Widget: w})).Find(`[role=alert]`).Text(); got != w.Error {
		t.Errorf("error state: got %q", got)
	}
	w.State = StateLoading
	if got := render(t, PriceTable(PriceTableProps{Widget: w})).Find(`[role=status]`).Text(); got != "[widget.loading]" {
		t.Errorf("loading state: got %q", got)
	}
}

func TestZonePicker(t *testing.T) {
	w := Widget{State: StateLoaded, Catalogue: catalogue(), Words: words()}
	doc := render(t, ZonePicker(ZonePickerProps{Widget: w, Action: "/console/pricing"}))
	form := doc.Find(`template form[method=get][action="/console/pricing"]`)
	if form.Length() != 1 || form.Find(`button[type=submit]`).Length() != 1 {
		t.Fatalf("without JavaScript the picker needs a GET form with a button")
	}
	if got := form.Find(`fieldset legend`).Text(); got != "[widget.zones]" {
		t.Errorf("legend: %q", got)
	}
	if v, _ := form.Find(`input[type=radio][name=zone][checked]`).Attr("value"); v != "par" {
		t.Errorf("checked zone: %q", v)
	}
	if got := form.Find(`label input[type=radio]`).Length(); got != 2 {
		t.Errorf("got %d labelled radios, want 2", got)
	}
	if render(t, ZonePicker(ZonePickerProps{Widget: w})).Find("form").Length() != 0 {
		t.Errorf("a picker without action has no form")
	}
}

func TestEstimator(t *testing.T) {
	w := Widget{State: StateLoaded, Catalogue: catalogue(), Words: words()}
	doc := render(t, Estimator(EstimatorProps{Widget: w, Product: "node", Plan: "2XL", Quantity: 3, Period: Period30Days, Form: "f"}))
	if got := doc.Find(".amount").Text(); got != "€1,728.00" {
		t.Errorf("total: got %q", got)
	}
	if doc.Find("select, input").Length() != 0 {
		t.Errorf("an estimator following a form has no controls of its own")
	}
	if f, _ := doc.Find("gl-estimator").Attr("form"); f != "f" {
		t.Errorf("form attribute: %q", f)
	}
	own := render(t, Estimator(EstimatorProps{Widget: w, Product: "node", Plan: "XS", Quantity: 1, Period: PeriodDay}))
	if v, _ := own.Find(`select[name=plan] option[selected]`).Attr("value"); v != "XS" || own.Find(`input[name=quantity]`).Length() != 1 {
		t.Errorf("own controls: plan %q", v)
	}
	if got := own.Find(".amount").Text(); got != "€0.64" {
		t.Errorf("one XS for a day: %q", got)
	}
}

func TestDataTable(t *testing.T) {
	empty := render(t, DataTable(DataTableProps{TestID: "apps", Empty: "No applications yet."}))
	if got := empty.Find(`[data-testid=apps-empty]`).Text(); got != "No applications yet." || empty.Find("table").Length() != 0 {
		t.Errorf("empty state: %q", got)
	}
	p := DataTableProps{TestID: "apps", Columns: []Column{{Label: "Name"}, {Label: "Price", Class: "num"}},
		Rows: []Row{{Attrs: templ.Attributes{"data-testid": "row"}, Cells: []Cell{{Content: Text("shop")}, {Content: Text("€1.00"), Class: "num"}}}},
		Page: Pagination{Page: 2, Pages: 3, PrevURL: "/x?page=1", NextURL: "/x?page=3", Label: "Page 2 of 3", PrevLabel: "Previous", NextLabel: "Next"}}
	doc := render(t, DataTable(p))
	if got := doc.Find(`[data-testid=row] td.num`).Text(); got != "€1.00" {
		t.Errorf("cell: %q", got)
	}
	if doc.Find(`th[scope=col]`).Length() != 2 {
		t.Errorf("headings")
	}
	if prev, _ := doc.Find(`[data-testid=pager] a[rel=prev]`).Attr("href"); prev != "/x?page=1" {
		t.Errorf("previous page link: %q", prev)
	}
	p.Page = Pagination{Page: 1, Pages: 1, Label: "Page 1 of 1"}
	if render(t, DataTable(p)).Find(`[data-testid=pager]`).Length() != 0 {
		t.Errorf("one page shows no pager")
	}
	cursor := render(t, DataTable(DataTableProps{Rows: p.Rows, Page: Pagination{NextURL: "/audit?before=x", NextLabel: "Older"}}))
	if got := cursor.Find(`[data-testid=pager] a[rel=next]`).Text(); got != "Older" {
		t.Errorf("a list paged by a cursor shows its link: %q", got)
	}
}

func TestFormField(t *testing.T) {
	doc := render(t, FormField(FieldProps{Kind: FieldSelect, Name: "zone", Label: "Zone", Value: "rbx",
		Options: []Option{{Value: "par", Label: "Paris"}, {Value: "rbx", Label: "Roubaix"}}, Required: true, Error: "Choose a zone."}))
	if v, _ := doc.Find(`label select[name=zone][required] option[selected]`).Attr("value"); v != "rbx" {
		t.Errorf("selected: %q", v)
	}
	if inv, _ := doc.Find("select").Attr("aria-invalid"); inv != "true" || doc.Find(`[role=alert]`).Text() != "Choose a zone." {
		t.Errorf("error: aria-invalid %q", inv)
	}
	in := render(t, FormField(FieldProps{Kind: FieldNumber, Name: "instances", Label: "Instances", Value: "3", Attrs: templ.Attributes{"min": "1"}}))
	if v, _ := in.Find(`input[type=number][name=instances][min="1"]`).Attr("value"); v != "3" {
		t.Errorf("number field keeps its value: %q", v)
	}
}

func TestStateBadge(t *testing.T) {
	for state, kind := range map[string]string{AppUp: "up", AppStarting: "starting", AppDown: "down", "": "down"} {
		doc := render(t, StateBadge(StateBadgeProps{State: state, Label: "x"}))
		if !doc.Find("span.badge").HasClass(kind) {
			t.Errorf("%q: want class %s", state, kind)
		}
	}
}

// TestElementWords checks that every message id the custom elements use
// exists in every language, and that the languages have the same ids.
func TestElementWords(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("elements", "widgets.js"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(widget\.[a-z0-9.-]*[a-z0-9])"`).FindAllStringSubmatch(string(src), -1) {
		used[m[1]] = true
	}
	for _, p := range []string{"hour", "day", "30-days"} { // built as "widget.per." + period
		used["widget.per."+p] = true
	}
	if len(used) < 10 {
		t.Fatalf("found only %d ids in widgets.js: the scan is broken", len(used))
	}
	langs := map[string]map[string]string{}
	for _, lang := range []string{"en", "fr"} {
		b, err := Locales.ReadFile("locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		langs[lang] = m
		for id := range used {
			if m[id] == "" {
				t.Errorf("widgets.js uses %q, missing from %s.json", id, lang)
			}
		}
	}
	for id := range langs["en"] {
		if _, ok := langs["fr"][id]; !ok {
			t.Errorf("%q is in en.json, not in fr.json", id)
		}
	}
	for id, text := range langs["fr"] {
		if _, ok := langs["en"][id]; !ok {
			t.Errorf("%q is in fr.json, not in en.json", id)
		}
		if strings.Contains(langs["en"][id], "{{.Value}}") != strings.Contains(text, "{{.Value}}") {
			t.Errorf("%q: the languages disagree on {{.Value}}", id)
		}
	}
}
