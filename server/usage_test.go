package server_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/tenants"
)

// amountOf reads "1,234.56 €" back as a decimal.
func amountOf(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(strings.NewReplacer(",", "", " €", "", "\u202f", "", " ", "").Replace(strings.TrimSpace(s)))
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return d
}

// TestUsagePage: last month's usage page agrees with last month's invoice
// (its total, to the cent), its chart has a bar per day with a title, the
// same numbers as its table, and the CSV adds up; this month shows a
// forecast; the page is the owner's and billing's, not a developer's.
func TestUsagePage(t *testing.T) {
	a := newApp(t, withStripe(t))
	adm := a.client(t, "acme.localhost")
	adm.signIn("admin@acme.example")
	now := time.Now().UTC()
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	period := lastMonth.Format("2006-01")
	if res, _ := adm.do(http.MethodPost, "/admin/invoices/run", url.Values{"_csrf": {adm.csrf("/admin/invoices")}, "period": {period}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("run: %d", res.StatusCode)
	}
	invoicesPage := adm.runDone(period, "the run")
	owner := a.client(t, "acme.localhost")
	owner.signIn("dev@acme.example")
	_, invoices := owner.do(http.MethodGet, "/console/invoices", nil)
	invoiced := amountOf(t, regexpFind(t, invoices, `data-testid="invoice-total">([^<]+)<`))

	// The invoice's own page: its lines add up to its total.
	detail := regexpFind(t, invoices, `href="(/console/invoices/[^"]+)" data-testid="invoice-detail"`)
	_, one := owner.do(http.MethodGet, detail, nil)
	var lines decimal.Decimal
	for _, m := range regexp.MustCompile(`data-testid="invoice-line-amount">([^<]+)<`).FindAllStringSubmatch(one, -1) {
		lines = lines.Add(amountOf(t, m[1]))
	}
	if got := amountOf(t, regexpFind(t, one, `data-testid="invoice-detail-total">([^<]+)<`)); !got.Equal(invoiced) || !lines.Equal(invoiced) ||
		!strings.Contains(one, ">storefront <") || !strings.Contains(one, "0.053333 €") {
		t.Fatalf("the invoice's page: total %s, lines %s, invoiced %s\n%s", got, lines, invoiced, one)
	}
	globex := a.client(t, "globex.localhost")
	globex.signIn("dev@globex.example")
	if res, _ := globex.do(http.MethodGet, detail, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another partner's customer opened the invoice: %d", res.StatusCode)
	}

	_, page := owner.do(http.MethodGet, "/console/usage?month="+period, nil)
	total := amountOf(t, regexpFind(t, page, `data-testid="usage-total">([^<]+)<`))
	if !total.Equal(invoiced) || !total.IsPositive() {
		t.Fatalf("last month's usage total %s, invoice total %s", total, invoiced)
	}
	days := lastMonth.AddDate(0, 1, 0).Sub(lastMonth).Hours() / 24
	bars := regexp.MustCompile(`<rect class="bar"[^>]*data-amount="([0-9.]+)"><title>([^<]+)</title></rect>`).FindAllStringSubmatch(page, -1)
	rows := regexp.MustCompile(`(?s)<tr data-testid="usage-day"><td>([^<]+)</td><td class="num">([^<]+)</td></tr>`).FindAllStringSubmatch(page, -1)
	if len(bars) != int(days) || len(rows) != int(days) {
		t.Fatalf("%d bars and %d table rows for a month of %v days", len(bars), len(rows), days)
	}
	var sum decimal.Decimal
	for i, b := range bars {
		amount, _ := decimal.NewFromString(b[1])
		if !amount.Equal(amountOf(t, rows[i][2])) || !strings.Contains(b[2], rows[i][1]) || !strings.Contains(b[2], rows[i][2]) {
			t.Errorf("day %d: bar %s %q, table %q %q", i+1, b[1], b[2], rows[i][1], rows[i][2])
		}
		sum = sum.Add(amount)
	}
	if sum.Sub(total).Abs().GreaterThan(decimal.RequireFromString("0.01").Mul(decimal.NewFromFloat(days))) {
		t.Errorf("the days add up to %s, the month to %s", sum, total)
	}
	var resources decimal.Decimal
	for _, m := range regexp.MustCompile(`(?s)<tr data-testid="usage-resource">.*?<td class="num">([^<]+)</td></tr>`).FindAllStringSubmatch(page, -1) {
		resources = resources.Add(amountOf(t, m[1]))
	}
	if !resources.Equal(total) {
		t.Errorf("the resources add up to %s, the month to %s", resources, total)
	}

	res, body := owner.do(http.MethodGet, "/console/usage.csv?month="+period, nil)
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || len(records) < 2 {
		t.Fatalf("CSV: %d %v %d records", res.StatusCode, err, len(records))
	}
	var csvSum decimal.Decimal
	for _, r := range records[1:] {
		csvSum = csvSum.Add(decimal.RequireFromString(r[4]))
	}
	if csvSum.Sub(total).Abs().GreaterThan(decimal.RequireFromString("1")) {
		t.Errorf("the CSV adds up to %s, the month to %s", csvSum, total)
	}

	// The partner's view: Roadrunner Labs billed what its own page says,
	// and the totals are the invoicing's wholesale view of the month.
	_, partner := adm.do(http.MethodGet, "/admin/usage?month="+period, nil)
	row := regexp.MustCompile(`(?s)<tr data-testid="partner-usage-row"><td><a [^>]*>Roadrunner Labs</a></td><td class="num">([^<]+)</td>`).FindStringSubmatch(partner)
	if row == nil || !amountOf(t, row[1]).Equal(total) {
		t.Fatalf("the partner's usage of Roadrunner Labs: %v, want %s", row, total)
	}
	sums := regexp.MustCompile(`(?s)<tr data-testid="partner-usage-total"><td>Total</td><td class="num">([^<]+)</td><td class="num opt">([^<]+)</td><td class="num">([^<]+)</td>`).FindStringSubmatch(partner)
	if sums == nil {
		t.Fatal("the partner's usage has no total row")
	}
	for i, id := range []string{"billed", "owed", "margin"} {
		want := amountOf(t, regexpFind(t, invoicesPage, `data-testid="`+id+`">([^<]+)<`))
		if got := amountOf(t, sums[[]int{1, 2, 3}[i]]); !got.Equal(want) {
			t.Errorf("the partner's usage %s %s, the invoicing's %s", id, got, want)
		}
	}

	if _, page := owner.do(http.MethodGet, "/console/usage", nil); !strings.Contains(page, `data-testid="usage-forecast"`) {
		t.Error("this month's usage shows no forecast")
	}
	if res, _ := owner.do(http.MethodGet, "/console/usage?month=2999-01", nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a future month: %d", res.StatusCode)
	}
	dev := addMember(t, a, "builder@roadrunner.example", tenants.MemberDeveloper)
	if res, _ := dev.do(http.MethodGet, "/console/usage", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer opened the costs: %d", res.StatusCode)
	}
	billing := addMember(t, a, "money@roadrunner.example", tenants.MemberBilling)
	if res, _ := billing.do(http.MethodGet, "/console/usage?month="+period, nil); res.StatusCode != http.StatusOK {
		t.Errorf("billing cannot open the costs: %d", res.StatusCode)
	}
}
