package pricing

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
)

// randomLines returns n consumption lines of random products of the par and
// mtl catalogues in 2026.
func randomLines(t testing.TB, e *env, rng *rand.Rand, n int) []platform.Consumption {
	t.Helper()
	var prices []ListPrice
	for _, z := range []string{"par", "mtl"} {
		l, err := e.cat.ListPrices(context.Background(), z, EUR)
		if err != nil {
			t.Fatal(err)
		}
		prices = append(prices, l...)
	}
	out := make([]platform.Consumption, n)
	for i := range out {
		lp := prices[rng.IntN(len(prices))]
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(365*24)) * time.Hour)
		h := 1 + rng.IntN(720)
		c := platform.Consumption{Zone: lp.Zone, SlugID: lp.SlugID, Unit: "PT1H",
			From: start.Format(time.RFC3339), To: start.Add(time.Duration(h) * time.Hour).Format(time.RFC3339),
			Quantity: json.Number(decimal.New(int64(rng.IntN(72000)), -2).String())}
		if lp.Kind == KindCountable {
			c.Unit, c.Quantity = lp.Unit, json.Number(fmt.Sprint(rng.Int64N(5e13)))
		}
		out[i] = c
	}
	return out
}

// TestNoLineBelowCostProperty saves random grids (those validation accepts)
// and checks that no line is priced below its list amount unless its rule
// is a loss leader, and that the invoice total is the sum of the rounded
// lines.
func TestNoLineBelowCostProperty(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	lines := randomLines(t, e, rng, 300)
	saved := 0
	for i := range 40 {
		g := randomGrid(rng)
		g.PartnerID, g.Currency = e.acme, EUR
		g.ValidFrom, g.ValidTo = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil
		if i%2 == 1 {
			g.CustomerID = e.road
		}
		// one grid of each kind at a time
		for _, old := range mustGrids(t, e) {
			if old.CustomerID == g.CustomerID {
				if err := e.store.DeleteGrid(ctx, e.acme, old.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := e.store.SaveGrid(ctx, g); err != nil {
			continue // refused: below cost, unknown product…
		}
		saved++
		priced := make([]Line, 0, len(lines))
		for _, c := range lines {
			l, err := e.engine.PriceLine(ctx, e.acme, e.road, c)
			if err != nil {
				t.Fatal(err)
			}
			if l.Amount.LessThan(l.ListAmount) && !l.Quote.LossLeader {
				t.Fatalf("grid %d: %s in %s: %s below cost %s with rule %s", i, c.SlugID, c.Zone, l.Amount, l.ListAmount, l.Quote.RuleID)
			}
			if !l.Amount.Equal(Round(l.Amount)) {
				t.Fatalf("amount %s is not rounded", l.Amount)
			}
			priced = append(priced, l)
		}
		sum := decimal.Zero
		for _, l := range priced {
			sum = sum.Add(l.Amount)
		}
		if !Total(priced).Equal(sum) || Total(priced).Exponent() < -2 {
			t.Fatalf("total %s, sum of lines %s", Total(priced), sum)
		}
	}
	if saved < 5 {
		t.Errorf("only %d random grids accepted: the property is barely exercised", saved)
	}
}

func mustGrids(t testing.TB, e *env) []Grid {
	t.Helper()
	gs, err := e.store.Grids(context.Background(), e.acme)
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

// BenchmarkPriceLines prices 100,000 lines of mixed products and zones with
// a partner grid and a contract grid loaded.
func BenchmarkPriceLines(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	e.save(b, Grid{PartnerID: e.acme, Name: "default", ValidFrom: day("2026-01-01"), Rules: []Rule{
		markupRule("", "", "", "20"), markupRule("apps", "", "mtl", "30"), fixedRule("", "apps.XS", "", "0.05"),
		markupRule("postgresql", "", "", "25"), markupRule("cellar", "", "", "15"),
	}})
	e.save(b, Grid{PartnerID: e.acme, CustomerID: e.road, Name: "contract", ValidFrom: day("2026-01-01"), Rules: []Rule{
		fixedRule("", "apps.2XL", "", "0.75"), markupRule("redis", "", "par", "5"),
	}})
	lines := randomLines(b, e, rand.New(rand.NewPCG(5, 6)), 100_000)
	b.ResetTimer()
	for b.Loop() {
		for _, c := range lines {
			if _, err := e.engine.PriceLine(ctx, e.acme, e.road, c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(lines))/b.Elapsed().Seconds(), "lines/s")
}
