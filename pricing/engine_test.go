package pricing

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
)

// seedGrids gives acme a default grid for the first half of 2026, another
// from July, a USD grid, and a contract grid for customer road; globex a
// +10 % grid and a −5 % loss-leader contract on family apps for initech.
func seedGrids(t *testing.T, e *env) {
	e.save(t, Grid{PartnerID: e.acme, Name: "H1", Currency: EUR, ValidFrom: day("2026-01-01"), ValidTo: ptr(day("2026-07-01")),
		Rules: []Rule{
			markupRule("", "", "", "20"),           // score 0
			markupRule("apps", "", "mtl", "30"),    // score 3
			fixedRule("", "apps.XS", "", "0.05"),   // score 4
			fixedRule("", "apps.M", "mtl", "0.2"),  // score 5
			markupRule("postgresql", "", "", "25"), // score 2
		}})
	e.save(t, Grid{PartnerID: e.acme, Name: "H2", Currency: EUR, ValidFrom: day("2026-07-01"),
		Rules: []Rule{markupRule("", "", "", "10")}})
	e.save(t, Grid{PartnerID: e.acme, Name: "USD", Currency: USD, ValidFrom: day("2026-01-01"),
		Rules: []Rule{markupRule("", "", "", "50")}})
	e.save(t, Grid{PartnerID: e.acme, CustomerID: e.road, Name: "Road contract", Currency: EUR, ValidFrom: day("2026-02-01"),
		Rules: []Rule{fixedRule("", "APPS.2xl", "", "0.75")}})
	e.save(t, Grid{PartnerID: e.globex, Name: "Globex", Currency: EUR, ValidFrom: day("2026-01-01"),
		Rules: []Rule{markupRule("", "", "", "10")}})
	e.save(t, Grid{PartnerID: e.globex, CustomerID: e.initech, Name: "Initech", Currency: EUR, ValidFrom: day("2026-01-01"),
		Rules: []Rule{{Family: "apps", Kind: RuleMarkup, Percent: d("-5"), LossLeader: true}}})
}

func TestQuote(t *testing.T) {
	e := newEnv(t)
	seedGrids(t, e)
	march := day("2026-03-01")
	tests := []struct {
		name                    string
		partner, customer, zone string
		currency, slug          string
		at                      time.Time
		wantPrice, want30d      string
		wantSource              string
		wantLossLeader          bool
	}{
		{"list before any grid", e.acme, "", "par", EUR, "apps.2XL", day("2025-12-31"), "0.666666666666667", "480.00", SourceList, false},
		{"grid for all products +20 %", e.acme, "", "par", EUR, "apps.2XL", march, "0.8000000000000004", "576.00", SourcePartner, false},
		{"family and zone beat everything", e.acme, "", "mtl", EUR, "apps.2XL", march, "0.8666666666666671", "624.00", SourcePartner, false},
		{"product beats family and zone", e.acme, "", "mtl", EUR, "apps.XS", march, "0.05", "36.00", SourcePartner, false},
		{"product in a zone", e.acme, "", "mtl", EUR, "apps.M", march, "0.2", "144.00", SourcePartner, false},
		{"product rule not in its zone", e.acme, "", "par", EUR, "apps.M", march, "0.1266666666666672", "91.20", SourcePartner, false},
		{"family", e.acme, "", "par", EUR, "postgresql.xs_sml", march, "", "", SourcePartner, false},
		{"slug case ignored", e.acme, "", "par", EUR, "APPS.2xl", march, "0.8000000000000004", "576.00", SourcePartner, false},
		{"last instant of H1", e.acme, "", "par", EUR, "apps.2XL", day("2026-07-01").Add(-time.Nanosecond), "0.8000000000000004", "576.00", SourcePartner, false},
		{"first instant of H2", e.acme, "", "par", EUR, "apps.2XL", day("2026-07-01"), "0.7333333333333337", "528.00", SourcePartner, false},
		{"USD grid", e.acme, "", "par", USD, "apps.2XL", march, "1.5", "1080.00", SourcePartner, false},
		{"default currency is EUR", e.acme, "", "par", "", "apps.2XL", march, "0.8000000000000004", "576.00", SourcePartner, false},
		{"contract overrides", e.acme, e.road, "par", EUR, "apps.2XL", march, "0.75", "540.00", SourceContract, false},
		{"contract before it starts", e.acme, e.road, "par", EUR, "apps.2XL", day("2026-01-15"), "0.8000000000000004", "576.00", SourcePartner, false},
		{"contract without a matching rule", e.acme, e.road, "par", EUR, "apps.XL", march, "0.5066666666666664", "364.80", SourcePartner, false},
		{"customer without contract", e.acme, e.coyote, "par", EUR, "apps.2XL", march, "0.8000000000000004", "576.00", SourcePartner, false},
		{"Globex +10 %", e.globex, "", "par", EUR, "apps.2XL", march, "0.7333333333333337", "528.00", SourcePartner, false},
		{"Globex contract −5 % on apps", e.globex, e.initech, "par", EUR, "apps.2XL", march, "0.63333333333333365", "456.00", SourceContract, true},
		{"Globex contract leaves other families", e.globex, e.initech, "par", EUR, "redis.S", march, "", "", SourcePartner, false},
		{"another partner's contract is not applied", e.globex, e.road, "par", EUR, "apps.2XL", march, "0.7333333333333337", "528.00", SourcePartner, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := e.engine.Quote(context.Background(), tt.partner, tt.customer, tt.zone, tt.currency, tt.slug, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPrice != "" && !q.Price.Equal(d(tt.wantPrice)) {
				t.Errorf("price: got %s, want %s", q.Price, tt.wantPrice)
			}
			if tt.want30d != "" && Per30Days(q.Price).StringFixed(2) != tt.want30d {
				t.Errorf("per 30 days: got %s, want %s", Per30Days(q.Price).StringFixed(2), tt.want30d)
			}
			if q.Source != tt.wantSource {
				t.Errorf("source: got %s, want %s", q.Source, tt.wantSource)
			}
			if q.LossLeader != tt.wantLossLeader {
				t.Errorf("loss leader: got %v, want %v", q.LossLeader, tt.wantLossLeader)
			}
			if q.Source == SourceList && q.RuleID != "" || q.Source != SourceList && q.RuleID == "" {
				t.Errorf("rule id: got %q with source %s", q.RuleID, q.Source)
			}
		})
	}
}

func TestQuoteFamilyMarkup(t *testing.T) {
	e := newEnv(t)
	seedGrids(t, e)
	ctx := context.Background()
	lp, err := e.cat.ListPrice(ctx, "par", EUR, "postgresql.xs_sml")
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.engine.Quote(ctx, e.acme, "", "par", EUR, "postgresql.xs_sml", day("2026-03-01"))
	if err != nil {
		t.Fatal(err)
	}
	if want := lp.Price.Mul(d("1.25")); !q.Price.Equal(want) {
		t.Errorf("got %s, want %s", q.Price, want)
	}
}

func TestQuoteUnknown(t *testing.T) {
	e := newEnv(t)
	_, err := e.engine.Quote(context.Background(), e.acme, "", "par", EUR, "apps.nope", day("2026-03-01"))
	if !errorsIs(err, ErrNoPrice) {
		t.Errorf("got %v, want ErrNoPrice", err)
	}
	_, err = e.engine.Quote(context.Background(), e.acme, "", "syd", EUR, "apps.2XL", day("2026-03-01"))
	if !errorsIs(err, ErrNoPrice) {
		t.Errorf("unknown zone: got %v, want ErrNoPrice", err)
	}
}

func TestPriceLine(t *testing.T) {
	e := newEnv(t)
	seedGrids(t, e)
	ctx := context.Background()
	tests := []struct {
		name           string
		customer       string
		c              platform.Consumption
		wantAmount     string
		wantListAmount string
	}{
		{"2XL for 720 h", "", hours("par", "apps.2XL", day("2026-03-01"), 720), "576.00", "480.00"},
		{"line starting at valid_to is priced by the next grid", "", hours("par", "apps.2XL", day("2026-07-01"), 720), "528.00", "480.00"},
		{"line ending at valid_to", "", hours("par", "apps.2XL", day("2026-06-01"), 720), "576.00", "480.00"},
		{"contract", e.road, hours("par", "apps.2XL", day("2026-03-01"), 720), "540.00", "480.00"},
		{"rounded once: 1 h of XS at list", "", hours("par", "apps.XS", day("2025-03-01"), 1), "0.02", "0.02"},
		{"fractional hours", "", platform.Consumption{Zone: "par", SlugID: "apps.2XL", Quantity: "1.5", Unit: "PT1H",
			From: "2026-03-01T00:00:00Z", To: "2026-03-01T01:30:00Z"}, "1.20", "1.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := e.engine.PriceLine(ctx, e.acme, tt.customer, tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Amount.StringFixed(2); got != tt.wantAmount {
				t.Errorf("amount: got %s, want %s", got, tt.wantAmount)
			}
			if got := l.ListAmount.StringFixed(2); got != tt.wantListAmount {
				t.Errorf("list amount: got %s, want %s", got, tt.wantListAmount)
			}
		})
	}
	t.Run("bad lines", func(t *testing.T) {
		bad := []platform.Consumption{
			{Zone: "par", SlugID: "apps.2XL", Quantity: "1", Unit: "PT1H", From: "yesterday", To: "2026-03-01T01:00:00Z"},
			{Zone: "par", SlugID: "apps.2XL", Quantity: "x", Unit: "PT1H", From: "2026-03-01T00:00:00Z", To: "2026-03-01T01:00:00Z"},
			{Zone: "par", SlugID: "apps.2XL", Quantity: "-1", Unit: "PT1H", From: "2026-03-01T00:00:00Z", To: "2026-03-01T01:00:00Z"},
			{Zone: "par", SlugID: "apps.2XL", Quantity: "1", Unit: "B", From: "2026-03-01T00:00:00Z", To: "2026-03-01T01:00:00Z"},
			{Zone: "par", SlugID: "cellar.storage", Quantity: "1", Unit: "PT1H", From: "2026-03-01T00:00:00Z", To: "2026-03-01T01:00:00Z"},
			{Zone: "par", SlugID: "cellar.storage", Quantity: "1", Unit: "B", From: "2026-03-01T00:00:00Z", To: "2026-03-01T00:00:00Z"},
			{Zone: "par", SlugID: "nope", Quantity: "1", Unit: "PT1H", From: "2026-03-01T00:00:00Z", To: "2026-03-01T01:00:00Z"},
		}
		for i, c := range bad {
			if _, err := e.engine.PriceLine(ctx, e.acme, "", c); err == nil {
				t.Errorf("line %d: got no error, want one", i)
			}
		}
	})
}

func TestCountableTiers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// cellar.storage EUR: 0–100 MB free, then 2.84444444444444e-05 €/GB/h up
	// to 1 TB, 2.13333333333333e-05 up to 25 TB, 1.42222222222222e-05 above.
	const gb = 1_000_000_000
	line := func(bytes int64, h int) platform.Consumption {
		start := day("2026-03-01")
		return platform.Consumption{Zone: "par", SlugID: "cellar.storage", Quantity: json.Number(decimal.NewFromInt(bytes).String()),
			Unit: "B", From: start.Format(time.RFC3339), To: start.Add(time.Duration(h) * time.Hour).Format(time.RFC3339)}
	}
	tier1, tier2 := d("0.0000284444444444444"), d("0.0000213333333333333")
	tests := []struct {
		name  string
		bytes int64
		hours int
		want  decimal.Decimal
	}{
		{"within the free tier", 100_000_000, 720, decimal.Zero},
		{"just above the free tier", 100_000_000 + gb, 720, tier1.Mul(d("720"))},
		{"exactly at a boundary", 1000 * gb, 720, tier1.Mul(d("999.9")).Mul(d("720"))},
		{"across a boundary", 2000 * gb, 720, tier1.Mul(d("999.9")).Add(tier2.Mul(d("1000"))).Mul(d("720"))},
		{"one hour", 2000 * gb, 1, tier1.Mul(d("999.9")).Add(tier2.Mul(d("1000")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := e.engine.PriceLine(ctx, e.acme, "", line(tt.bytes, tt.hours))
			if err != nil {
				t.Fatal(err)
			}
			if want := Round(tt.want); !l.ListAmount.Equal(want) || !l.Amount.Equal(want) {
				t.Errorf("got %s (list %s), want %s", l.Amount, l.ListAmount, want)
			}
		})
	}
	t.Run("partner tiers", func(t *testing.T) {
		e.save(t, Grid{PartnerID: e.acme, Name: "storage", Currency: EUR, ValidFrom: day("2026-01-01"),
			Rules: []Rule{{Product: "cellar.storage", Kind: RuleTiers, Tiers: []Tier{
				{UpTo: dp("100000000"), Price: d("0")},
				{UpTo: dp("1000000000000"), Price: d("0.00005")},
				{Price: d("0.00003")},
			}}}})
		l, err := e.engine.PriceLine(ctx, e.acme, "", line(2000*gb, 720))
		if err != nil {
			t.Fatal(err)
		}
		want := Round(d("0.00005").Mul(d("999.9")).Add(d("0.00003").Mul(d("1000"))).Mul(d("720")))
		if !l.Amount.Equal(want) || l.Quote.Source != SourcePartner {
			t.Errorf("got %s from %s, want %s from partner", l.Amount, l.Quote.Source, want)
		}
	})
	t.Run("traffic has no period", func(t *testing.T) {
		// cellar.outbound: 0.09 €/GB up to 10 TB
		c := line(10*gb, 5)
		c.SlugID = "cellar.outbound"
		l, err := e.engine.PriceLine(ctx, e.acme, "", c)
		if err != nil {
			t.Fatal(err)
		}
		if !l.ListAmount.Equal(d("0.90")) {
			t.Errorf("got %s, want 0.90", l.ListAmount)
		}
	})
	t.Run("whole blocks and periods", func(t *testing.T) {
		// heptapod.public_active_users: per 100 users per 720 h, whole
		// blocks; first 101 users free, then 8 € per 100
		c := line(150, 1)
		c.SlugID, c.Unit = "heptapod.public_active_users", "User"
		l, err := e.engine.PriceLine(ctx, e.acme, "", c)
		if err != nil {
			t.Fatal(err)
		}
		// 150 users → 200 (whole blocks); (200 − 101) × 8 / 100 × 1 period
		if !l.ListAmount.Equal(d("7.92")) {
			t.Errorf("got %s, want 7.92", l.ListAmount)
		}
	})
}

// TestQuoteDraft prices with a grid being edited in place of the saved one,
// without saving it.
func TestQuoteDraft(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	saved := e.save(t, Grid{PartnerID: e.acme, Name: "default", Currency: EUR, ValidFrom: day("2020-01-01"),
		Rules: []Rule{{Kind: RuleMarkup, Percent: d("20")}}})
	draft := saved
	draft.Rules = []Rule{{Kind: RuleMarkup, Percent: d("50")}}
	if err := e.store.ValidateGrid(ctx, draft); err != nil {
		t.Fatal(err)
	}
	at := day("2026-06-01")
	q, err := e.engine.QuoteDraft(ctx, draft, "par", "apps.2XL", at)
	if err != nil {
		t.Fatal(err)
	}
	if got := Per30Days(q.Price).StringFixed(2); got != "720.00" {
		t.Errorf("draft +50 %%: got %s per 30 days, want 720.00", got)
	}
	q, err = e.engine.Quote(ctx, e.acme, "", "par", EUR, "apps.2XL", at)
	if err != nil {
		t.Fatal(err)
	}
	if got := Per30Days(q.Price).StringFixed(2); got != "576.00" {
		t.Errorf("the saved grid changed: got %s, want 576.00", got)
	}
	draft.Rules = []Rule{{Kind: RuleMarkup, Percent: d("-10")}}
	if err := e.store.ValidateGrid(ctx, draft); err == nil {
		t.Error("a below-cost draft validated")
	}
}
