package pricing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestSaveGridRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.save(t, Grid{PartnerID: e.acme, Name: "2026", Currency: EUR, ValidFrom: day("2026-01-01"), ValidTo: ptr(day("2027-01-01")),
		Rules: []Rule{markupRule("", "", "", "10")}})
	base := func(rules ...Rule) Grid {
		return Grid{PartnerID: e.acme, Name: "g", Currency: EUR, ValidFrom: day("2030-01-01"), Rules: rules}
	}
	tests := []struct {
		name      string
		g         Grid
		wantID    string
		wantIndex int
	}{
		{"tie", base(markupRule("apps", "", "", "10"), markupRule("APPS", "", "", "20")), "grid.rule.tie", 1},
		{"tie on product ignores case", base(fixedRule("", "apps.2XL", "par", "1"), fixedRule("", "apps.2xl", "par", "2")), "grid.rule.tie", 1},
		{"below cost", base(markupRule("", "", "", "10"), markupRule("apps", "", "", "-5")), "grid.rule.below_cost", 1},
		{"fixed below cost", base(fixedRule("", "apps.2XL", "", "0.5")), "grid.rule.below_cost", 0},
		{"tiers below cost", base(Rule{Product: "cellar.storage", Kind: RuleTiers, Tiers: []Tier{{Price: d("0.00001")}}}), "grid.rule.below_cost", 0},
		{"unknown kind", base(Rule{Kind: "discount"}), "grid.rule.kind", 0},
		{"tiers on hourly", base(Rule{Family: "apps", Kind: RuleTiers, Tiers: []Tier{{Price: d("1")}}}), "grid.rule.tiers_on_hourly", 0},
		{"bad tiers", base(Rule{Product: "cellar.storage", Kind: RuleTiers, Tiers: []Tier{{Price: d("1")}, {UpTo: dp("5"), Price: d("1")}}}), "grid.rule.tiers", 0},
		{"percent range", base(markupRule("", "", "", "-100")), "grid.rule.percent_range", 0},
		{"negative price", base(Rule{Product: "apps.2XL", Kind: RuleFixed, Price: d("-1"), LossLeader: true}), "grid.rule.price", 0},
		{"unknown product", base(fixedRule("", "apps.9XL", "", "1")), "grid.rule.unknown_product", 0},
		{"product outside its family", base(fixedRule("redis", "apps.2XL", "", "1")), "grid.rule.unknown_product", 0},
		{"unknown family", base(markupRule("nope", "", "", "1")), "grid.rule.unknown_family", 0},
		{"unknown zone", base(markupRule("", "", "syd", "1")), "grid.rule.unknown_zone", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.store.SaveGrid(ctx, tt.g)
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a *RuleError", err)
			}
			if re.MessageID != tt.wantID || re.Index != tt.wantIndex {
				t.Errorf("got %s at %d, want %s at %d", re.MessageID, re.Index, tt.wantID, tt.wantIndex)
			}
		})
	}
	gridTests := []struct {
		name   string
		g      Grid
		wantID string
	}{
		{"currency", Grid{PartnerID: e.acme, Name: "g", Currency: "GBP", ValidFrom: day("2030-01-01")}, "grid.currency"},
		{"dates", Grid{PartnerID: e.acme, Name: "g", ValidFrom: day("2030-01-01"), ValidTo: ptr(day("2030-01-01"))}, "grid.dates"},
		{"no start", Grid{PartnerID: e.acme, Name: "g"}, "grid.dates"},
		{"name", Grid{PartnerID: e.acme, Name: " ", ValidFrom: day("2030-01-01")}, "grid.name"},
		{"overlap", Grid{PartnerID: e.acme, Name: "g", ValidFrom: day("2026-12-31")}, "grid.overlap"},
		{"another partner's customer", Grid{PartnerID: e.acme, CustomerID: e.initech, Name: "g", ValidFrom: day("2026-01-01")}, "grid.customer"},
	}
	for _, tt := range gridTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.store.SaveGrid(ctx, tt.g)
			var ge *GridError
			if !errors.As(err, &ge) || ge.MessageID != tt.wantID {
				t.Fatalf("got %v, want %s", err, tt.wantID)
			}
		})
	}
	t.Run("allowed", func(t *testing.T) {
		ok := []Grid{
			{PartnerID: e.acme, Name: "adjacent", ValidFrom: day("2027-01-01"), Rules: []Rule{markupRule("", "", "", "5")}},
			{PartnerID: e.acme, Name: "USD overlaps EUR", Currency: "usd", ValidFrom: day("2026-01-01")},
			{PartnerID: e.acme, CustomerID: e.road, Name: "contract overlaps default", ValidFrom: day("2026-01-01"),
				Rules: []Rule{{Family: "apps", Kind: RuleMarkup, Percent: d("-5"), LossLeader: true}}},
			{PartnerID: e.globex, Name: "another partner", ValidFrom: day("2026-01-01")},
		}
		for _, g := range ok {
			if _, err := e.store.SaveGrid(ctx, g); err != nil {
				t.Errorf("%s: %v", g.Name, err)
			}
		}
	})
}

func TestGridVersions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g1 := e.save(t, Grid{PartnerID: e.acme, Name: "v1", ValidFrom: day("2026-01-01"), Rules: []Rule{markupRule("", "", "", "20")}})
	if g1.Version != 1 || g1.ID == "" || g1.Currency != EUR || g1.Rules[0].ID == "" {
		t.Fatalf("got %+v", g1)
	}
	at := day("2026-03-01")
	price := func() string {
		t.Helper()
		q, err := e.engine.Quote(ctx, e.acme, "", "par", EUR, "apps.2XL", at)
		if err != nil {
			t.Fatal(err)
		}
		return Per30Days(q.Price).StringFixed(2)
	}
	if got := price(); got != "576.00" {
		t.Errorf("v1: got %s, want 576.00", got)
	}
	g2 := g1
	g2.Name, g2.Rules = "v2", []Rule{markupRule("", "", "", "10")}
	g2 = e.save(t, g2)
	if g2.Version != 2 || g2.ID != g1.ID {
		t.Fatalf("got version %d of %s", g2.Version, g2.ID)
	}
	if got := price(); got != "528.00" {
		t.Errorf("v2 (cache invalidated): got %s, want 528.00", got)
	}
	vs, err := e.store.Versions(ctx, e.acme, g1.ID)
	if err != nil || len(vs) != 2 || vs[0].Name != "v1" || vs[1].Name != "v2" {
		t.Fatalf("versions: got %v, %v", vs, err)
	}
	g3, err := e.store.RestoreVersion(ctx, e.acme, g1.ID, 1)
	if err != nil || g3.Version != 3 || g3.Name != "v1" || !g3.Rules[0].Percent.Equal(d("20")) {
		t.Fatalf("restore: got %+v, %v", g3, err)
	}
	if got := price(); got != "576.00" {
		t.Errorf("restored: got %s, want 576.00", got)
	}
	cur, err := e.store.Grid(ctx, e.acme, g1.ID)
	if err != nil || cur.Version != 3 || !cur.ValidFrom.Equal(day("2026-01-01")) || cur.ValidTo != nil {
		t.Fatalf("grid: got %+v, %v", cur, err)
	}
	all, err := e.store.Grids(ctx, e.acme)
	if err != nil || len(all) != 1 {
		t.Fatalf("grids: got %d, %v", len(all), err)
	}
	t.Run("tenant isolation", func(t *testing.T) {
		if _, err := e.store.Grid(ctx, e.globex, g1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("grid: got %v, want ErrNotFound", err)
		}
		if _, err := e.store.Versions(ctx, e.globex, g1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("versions: got %v, want ErrNotFound", err)
		}
		if _, err := e.store.RestoreVersion(ctx, e.globex, g1.ID, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("restore: got %v, want ErrNotFound", err)
		}
		foreign := cur
		foreign.PartnerID = e.globex
		if _, err := e.store.SaveGrid(ctx, foreign); !errors.Is(err, ErrNotFound) {
			t.Errorf("save: got %v, want ErrNotFound", err)
		}
		if err := e.store.DeleteGrid(ctx, e.globex, g1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete: got %v, want ErrNotFound", err)
		}
		if gs, err := e.store.Grids(ctx, e.globex); err != nil || len(gs) != 0 {
			t.Errorf("grids: got %d, %v", len(gs), err)
		}
	})
	if err := e.store.DeleteGrid(ctx, e.acme, g1.ID); err != nil {
		t.Fatal(err)
	}
	if got := price(); got != "480.00" {
		t.Errorf("deleted: got %s, want 480.00", got)
	}
	if _, err := e.store.Versions(ctx, e.acme, g1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("versions after delete: got %v", err)
	}
}

func TestCatalogue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lp, err := e.cat.ListPrice(ctx, "par", EUR, "APPS.2xl")
	if err != nil {
		t.Fatal(err)
	}
	if lp.SlugID != "apps.2XL" || lp.Family != "apps" || lp.Kind != KindHourly || lp.Price.String() != "0.666666666666667" {
		t.Errorf("got %+v", lp)
	}
	if got := Per30Days(lp.Price).StringFixed(2); got != "480.00" {
		t.Errorf("per 30 days: got %s, want 480.00", got)
	}
	if got := PerDay(lp.Price).StringFixed(2); got != "16.00" {
		t.Errorf("per day: got %s, want 16.00", got)
	}
	usd, err := e.cat.ListPrice(ctx, "mtl", USD, "apps.2XL")
	if err != nil || !usd.Price.Equal(d("1")) {
		t.Errorf("USD: got %v, %v", usd.Price, err)
	}
	cs, err := e.cat.ListPrice(ctx, "par", EUR, "cellar.storage")
	if err != nil || cs.Kind != KindCountable || cs.Family != "cellar" || len(cs.Tiers) != 4 || cs.Tiers[3].UpTo != nil ||
		!cs.PerQuantity.Equal(d("1000000000")) || cs.TimeUnit != "PT1H" || cs.Unit != "B" {
		t.Errorf("cellar.storage: got %+v, %v", cs, err)
	}
	if ps, _ := e.cat.ListPrice(ctx, "par", EUR, "pulsar_storage_size"); ps.Family != "pulsar" {
		t.Errorf("pulsar_storage_size family: got %q", ps.Family)
	}
	if _, err := e.cat.ListPrice(ctx, "par", EUR, "apps.9XL"); !errors.Is(err, ErrNoPrice) {
		t.Errorf("unknown: got %v", err)
	}
	list, err := e.cat.ListPrices(ctx, "par", EUR)
	if err != nil || len(list) != 256+13 {
		t.Errorf("list: got %d, %v", len(list), err)
	}
	fetched, _ := e.cat.FetchedAt(ctx)

	t.Run("unreachable platform keeps the last good copy", func(t *testing.T) {
		e.src.setFail(true)
		defer e.src.setFail(false)
		if err := e.cat.Refresh(ctx); err == nil {
			t.Fatal("got no error")
		}
		if _, err := e.cat.ListPrice(ctx, "par", EUR, "apps.2XL"); err != nil {
			t.Error(err)
		}
		if got, _ := e.cat.FetchedAt(ctx); !got.Equal(fetched) {
			t.Errorf("fetched at: got %s, want %s", got, fetched)
		}
	})
	t.Run("stored copy survives a restart", func(t *testing.T) {
		src := newFakeSource(t)
		src.setFail(true)
		c2 := NewCatalogue(e.db, src, slog.New(slog.NewTextHandler(io.Discard, nil)))
		lp2, err := c2.ListPrice(ctx, "mtl", EUR, "apps.2XL")
		if err != nil || !lp2.Price.Equal(lp.Price) {
			t.Errorf("got %v, %v", lp2.Price, err)
		}
		if got, _ := c2.FetchedAt(ctx); !got.Equal(fetched) {
			t.Errorf("fetched at: got %s, want %s", got, fetched)
		}
	})
	t.Run("refresher fetches at once when empty", func(t *testing.T) {
		db := newEnv(t).db
		if _, err := db.Exec(`DELETE FROM pricing_list_prices`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`DELETE FROM pricing_refreshes`); err != nil {
			t.Fatal(err)
		}
		src := newFakeSource(t, "par")
		c := NewCatalogue(db, src, slog.New(slog.NewTextHandler(io.Discard, nil)))
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { c.RunRefresher(rctx, time.Hour); close(done) }()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if f, _ := c.FetchedAt(ctx); !f.IsZero() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no refresh")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
	})
}
