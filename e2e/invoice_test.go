package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/pricing/invoicing/stripemock/stripemocktest"
)

// listPrices reads the platform's hourly list prices (zone par, EUR) from
// the reference copy the pricing tests use.
func listPrices(t *testing.T) map[string]decimal.Decimal {
	t.Helper()
	raw, err := os.ReadFile("../pricing/testdata/price-system-par-EUR.json")
	if err != nil {
		t.Fatal(err)
	}
	var ps struct {
		Runtime []struct {
			SlugID string      `json:"slug_id"`
			Price  json.Number `json:"price"`
		} `json:"runtime"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&ps); err != nil {
		t.Fatal(err)
	}
	out := map[string]decimal.Decimal{}
	for _, r := range ps.Runtime {
		out[strings.ToLower(r.SlugID)] = decimal.RequireFromString(r.Price.String())
	}
	return out
}

// TestInvoiceRunCLI runs `grisaille invoice run` on the demo data for last
// month against stripe-mock: one invoice per customer, totals that follow
// each customer's grid, and nothing new on a second run.
func TestInvoiceRunCLI(t *testing.T) {
	stripeURL := stripemocktest.Start(t)
	p := startPortal(t)
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	from := first.AddDate(0, -1, 0)
	period := from.Format("2006-01")
	hours := decimal.NewFromInt(int64(first.Sub(from) / time.Hour))

	// The demo's usage of last month, priced by hand from the list prices:
	// Acme sells at +20 %; Globex's customer has −5 % on runtimes and
	// Globex's +10 % on the rest.
	list := listPrices(t)
	amount := func(slug, factor string) decimal.Decimal {
		return list[slug].Mul(decimal.RequireFromString(factor)).Mul(hours).Round(2)
	}
	want := map[string]string{
		"Roadrunner Labs": amount("apps.s", "1.2").Add(amount("apps.xs", "1.2")).Add(amount("postgresql.xs_sml", "1.2")).StringFixed(2),
		"Initech":         amount("apps.xs", "0.95").Add(amount("apps.s", "0.95")).Add(amount("redis.s", "1.1")).StringFixed(2),
	}

	run := func() string {
		cmd := exec.Command(buildPortal(t), "invoice", "run", "--data", p.Data, "--period", period, "--stripe-url", stripeURL)
		cmd.Env = p.env()
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("invoice run: %v\n%s\n%s", err, out.String(), errOut.String())
		}
		return out.String()
	}
	line := regexp.MustCompile(`invoice inv_\S+\s+(.+?)\s+(\d+) line\(s\)\s+total (\S+) EUR\s+(created|already invoiced)`)
	check := func(out, state string) {
		t.Helper()
		got := map[string]string{}
		for _, m := range line.FindAllStringSubmatch(out, -1) {
			if m[4] != state {
				t.Errorf("%s: got %q, want %q", m[1], m[4], state)
			}
			if m[2] != "3" {
				t.Errorf("%s: %s lines, want 3", m[1], m[2])
			}
			got[m[1]] = m[3]
		}
		if len(got) != len(want) {
			t.Fatalf("got invoices %v, want one per customer %v\n%s", got, want, out)
		}
		for cust, total := range want {
			if got[cust] != total {
				t.Errorf("%s: total %s, want %s", cust, got[cust], total)
			}
		}
	}
	out := run()
	check(out, "created")
	if !strings.Contains(out, "1 created, 0 already done, 0 failed") {
		t.Errorf("first run summary:\n%s", out)
	}
	again := run()
	check(again, "already invoiced")
	if strings.Count(again, "0 created, 1 already done, 0 failed") != 2 {
		t.Errorf("the second run created something:\n%s", again)
	}
}
