package pricing

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// sampleRules has one rule of each kind.
var sampleRules = []Rule{
	{Family: "apps", Kind: RuleMarkup, Percent: d("20")},
	{Product: "apps.2XL", Zone: "par", Kind: RuleFixed, Price: d("0.75")},
	{Family: "apps", Zone: "mtl", Kind: RuleMarkup, Percent: d("-5"), LossLeader: true},
	{Product: "cellar.storage", Kind: RuleTiers, Tiers: []Tier{{UpTo: dp("100000000"), Price: d("0")}, {Price: d("0.00003")}}},
}

func TestCSVRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := ExportCSV(&buf, Grid{Rules: sampleRules}); err != nil {
		t.Fatal(err)
	}
	want := `family,product,zone,kind,percent,price,tiers,loss_leader
apps,,,markup,20,,,false
,apps.2XL,par,fixed,,0.75,,false
apps,,mtl,markup,-5,,,true
,cellar.storage,,tiers,,,100000000:0|:0.00003,false
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	g, err := ImportCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !rulesEqual(g.Rules, sampleRules) {
		t.Errorf("got %+v, want %+v", g.Rules, sampleRules)
	}
}

func TestImportCSVErrors(t *testing.T) {
	const head = "family,product,zone,kind,percent,price,tiers,loss_leader\n"
	tests := []struct {
		name, file string
		want       LineError
	}{
		{"empty", "", LineError{Line: 1, MessageID: "grid.import.header"}},
		{"bad header", "family,product,zone,kind,percent,cost,tiers,loss_leader\n", LineError{Line: 1, Field: "price", MessageID: "grid.import.header"}},
		{"missing column", head + "apps,,,markup,20,,\n", LineError{Line: 2, MessageID: "grid.import.syntax"}},
		{"bad kind", head + "apps,,,markup,20,,,false\napps,,par,discount,,,,false\n", LineError{Line: 3, Field: "kind", MessageID: "grid.rule.kind"}},
		{"bad percent", head + "apps,,,markup,twenty,,,false\n", LineError{Line: 2, Field: "percent", MessageID: "grid.import.decimal"}},
		{"percent range", head + "apps,,,markup,-150,,,false\n", LineError{Line: 2, Field: "percent", MessageID: "grid.rule.percent_range"}},
		{"bad price", head + ",apps.XS,,fixed,,1€,,false\n", LineError{Line: 2, Field: "price", MessageID: "grid.import.decimal"}},
		{"bad tiers", head + ",cellar.storage,,tiers,,,10-0|:1,false\n", LineError{Line: 2, Field: "tiers", MessageID: "grid.rule.tiers"}},
		{"tiers out of order", head + ",cellar.storage,,tiers,,,:1|10:0,false\n", LineError{Line: 2, Field: "tiers", MessageID: "grid.rule.tiers"}},
		{"bad bool", head + "apps,,,markup,20,,,maybe\n", LineError{Line: 2, Field: "loss_leader", MessageID: "grid.import.bool"}},
		{"tie", head + "apps,,,markup,20,,,false\nAPPS,,,markup,10,,,false\n", LineError{Line: 3, MessageID: "grid.rule.tie"}},
		{"quoted multi-line field counts lines", head + "\"apps\n\",,,markup,20,,,false\napps,,,bad,,,,\n", LineError{Line: 4, Field: "kind", MessageID: "grid.rule.kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ImportCSV(strings.NewReader(tt.file))
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a *LineError", err)
			}
			if *le != tt.want {
				t.Errorf("got %+v, want %+v", *le, tt.want)
			}
		})
	}
}

func TestImportJSONErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       LineError
	}{
		{"syntax", "{\n\"name\": \"g\",\n\"rules\": [\n{\"kind\": \"markup\",}\n]}", LineError{Line: 4, MessageID: "grid.import.syntax"}},
		{"type", "{\n\"name\": 3\n}", LineError{Line: 2, Field: "name", MessageID: "grid.import.syntax"}},
		{"bad rule", "{\n\"name\": \"g\",\n\"rules\": [\n{\"kind\": \"markup\", \"percent\": \"5\"},\n  {\"kind\": \"nope\"}\n]}",
			LineError{Line: 5, Field: "rules[1].kind", MessageID: "grid.rule.kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ImportJSON(strings.NewReader(tt.file))
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a *LineError", err)
			}
			if *le != tt.want {
				t.Errorf("got %+v, want %+v", *le, tt.want)
			}
		})
	}
}

// TestJSONRoundTripProperty exports and imports random grids.
func TestJSONRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		g := randomGrid(rng)
		var buf bytes.Buffer
		if err := ExportJSON(&buf, g); err != nil {
			t.Fatal(err)
		}
		got, err := ImportJSON(&buf)
		if err != nil {
			t.Fatalf("grid %d: %v\n%s", i, err, buf.String())
		}
		if got.Name != g.Name || got.CustomerID != g.CustomerID || got.Currency != g.Currency || !got.ValidFrom.Equal(g.ValidFrom) ||
			(got.ValidTo == nil) != (g.ValidTo == nil) || (g.ValidTo != nil && !got.ValidTo.Equal(*g.ValidTo)) || !rulesEqual(got.Rules, g.Rules) {
			t.Fatalf("grid %d: got %+v, want %+v", i, got, g)
		}
		var csvBuf bytes.Buffer
		if err := ExportCSV(&csvBuf, g); err != nil {
			t.Fatal(err)
		}
		fromCSV, err := ImportCSV(&csvBuf)
		if err != nil {
			t.Fatalf("grid %d csv: %v", i, err)
		}
		for j := range g.Rules {
			g.Rules[j].ID = ""
		}
		if !rulesEqual(fromCSV.Rules, g.Rules) {
			t.Fatalf("grid %d csv: got %+v, want %+v", i, fromCSV.Rules, g.Rules)
		}
	}
}

// randomGrid returns a well-formed grid with distinct rule scopes.
func randomGrid(rng *rand.Rand) Grid {
	families := []string{"", "apps", "postgresql", "cellar", "redis"}
	products := []string{"", "apps.2XL", "apps.XS", "cellar.storage", "postgresql.xs_sml"}
	zones := []string{"", "par", "mtl"}
	g := Grid{Name: fmt.Sprintf("grid %d, \"quoted\"", rng.IntN(100)), Currency: []string{EUR, USD}[rng.IntN(2)],
		ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(1e6)) * time.Second)}
	if rng.IntN(2) == 0 {
		g.ValidTo = ptr(g.ValidFrom.Add(time.Duration(1+rng.IntN(1e6)) * time.Second))
	}
	seen := map[scopeKey]bool{}
	for range rng.IntN(8) {
		r := Rule{ID: fmt.Sprintf("rule_%d", rng.IntN(1e6)), Family: families[rng.IntN(len(families))],
			Product: products[rng.IntN(len(products))], Zone: zones[rng.IntN(len(zones))], LossLeader: rng.IntN(2) == 0}
		if seen[scopeOf(r)] {
			continue
		}
		seen[scopeOf(r)] = true
		switch rng.IntN(3) {
		case 0:
			r.Kind, r.Percent = RuleMarkup, decimal.New(int64(rng.IntN(20000))-5000, -2)
		case 1:
			r.Kind, r.Price = RuleFixed, decimal.New(int64(rng.IntN(1e9)), -int32(rng.IntN(12)))
		default:
			r.Kind = RuleTiers
			bound := decimal.Zero
			for range rng.IntN(3) {
				bound = bound.Add(decimal.NewFromInt(int64(1 + rng.IntN(1e12))))
				r.Tiers = append(r.Tiers, Tier{UpTo: dp(bound.String()), Price: decimal.New(int64(rng.IntN(1e6)), -9)})
			}
			r.Tiers = append(r.Tiers, Tier{Price: decimal.New(int64(rng.IntN(1e6)), -9)})
		}
		g.Rules = append(g.Rules, r)
	}
	if g.Rules == nil {
		g.Rules = []Rule{}
	}
	return g
}

// rulesEqual compares rules by value, decimals numerically.
func rulesEqual(a, b []Rule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ID != y.ID || x.Family != y.Family || x.Product != y.Product || x.Zone != y.Zone || x.Kind != y.Kind ||
			x.LossLeader != y.LossLeader || FormatTiers(x.Tiers) != FormatTiers(y.Tiers) {
			return false
		}
		if x.Kind == RuleMarkup && !x.Percent.Equal(y.Percent) || x.Kind == RuleFixed && !x.Price.Equal(y.Price) {
			return false
		}
	}
	return true
}
