package pricing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
)

// PriceSource is what the Catalogue imports from: the platform's zones and
// price systems. *platform.Client satisfies it.
type PriceSource interface {
	Zones(ctx context.Context) ([]platform.Zone, error)
	PriceSystem(ctx context.Context, zone, currency string) (platform.PriceSystem, error)
}

// Currencies lists the currencies the catalogue imports, in order.
var Currencies = []string{EUR, USD}

// ListPrice is the platform's price of one product in one zone and currency:
// what the partner pays.
type ListPrice struct {
	// SlugID is the product's id as the platform spells it ("apps.2XL",
	// "cellar.storage"); lookups ignore its case.
	SlugID string
	// Family is the price system's source for hourly products ("apps",
	// "postgresql"); for countables, the service's prefix before its first
	// '.' or '_' ("cellar", "pulsar").
	Family string
	// Kind is KindHourly or KindCountable.
	Kind string
	// TimeUnit is the period a price applies to: "PT1H" for hourly products,
	// the countable's time_interval_for_price ("PT1H", "PT720H") or "" when
	// the quantity is priced without a period (traffic).
	TimeUnit string
	// Price is the price per hour of an hourly product; zero for countables.
	Price decimal.Decimal
	// Tiers are a countable's graduated prices (price_plans); nil for hourly
	// products.
	Tiers []Tier
	// Unit is a countable's data unit ("B", "User").
	Unit string
	// PerQuantity is the number of data units a tier price applies to
	// (data_quantity_for_price.quantity, 1e9 for prices per GB); 1 for
	// hourly products.
	PerQuantity decimal.Decimal
	// WholeBlocks says quantities are counted in whole blocks of
	// PerQuantity (the platform's "insecable" data quantity).
	WholeBlocks bool
	// WholePeriods says periods are counted in whole TimeUnits (the
	// platform's "insecable" time interval).
	WholePeriods bool
	// Zone and Currency are where and in what the price applies.
	Zone, Currency string
}

// Catalogue is the stored copy of the platform's price systems, one per zone
// and currency, refreshed from a PriceSource and cached in memory. It is
// safe for concurrent use.
type Catalogue struct {
	db  *sqlx.DB
	src PriceSource
	log *slog.Logger
	now func() time.Time

	// refreshMu serialises Refresh, so that two refreshes never interleave
	// their fetches and writes.
	refreshMu sync.Mutex
	// loadMu serialises loading snap from the database.
	loadMu sync.Mutex
	// snap is the immutable in-memory copy of the stored catalogue; nil
	// until first loaded. Refresh replaces it as a whole.
	snap atomic.Pointer[snapshot]
	// onChange are called after each successful refresh; set before use.
	onChange []func()
}

// snapshot is one consistent copy of the catalogue. It is never modified
// once published.
type snapshot struct {
	fetchedAt time.Time
	prices    map[priceKey]*ListPrice
	lists     map[zoneCurrency][]ListPrice
	zones     []string
}

// priceKey finds a list price: zone, currency and lowercased slug id.
type priceKey struct{ zone, currency, slug string }

// zoneCurrency names one price system.
type zoneCurrency struct{ zone, currency string }

// NewCatalogue returns a catalogue stored in db and refreshed from src.
func NewCatalogue(db *sqlx.DB, src PriceSource, log *slog.Logger) *Catalogue {
	if log == nil {
		log = slog.Default()
	}
	return &Catalogue{db: db, src: src, log: log, now: time.Now}
}

// Refresh fetches every zone's price system in every currency and replaces
// the stored copy with them in one transaction, only when every fetch
// succeeded: when the platform is unreachable the last good copy is kept.
func (c *Catalogue) Refresh(ctx context.Context) error {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	zones, err := c.src.Zones(ctx)
	if err != nil {
		return fmt.Errorf("pricing: refresh catalogue: zones: %w", err)
	}
	var all []ListPrice
	for _, z := range zones {
		for _, cur := range Currencies {
			ps, err := c.src.PriceSystem(ctx, z.Name, cur)
			if err != nil {
				return fmt.Errorf("pricing: refresh catalogue: price system %s %s: %w", z.Name, cur, err)
			}
			prices, err := parsePriceSystem(z.Name, cur, ps)
			if err != nil {
				return fmt.Errorf("pricing: refresh catalogue: price system %s %s: %w", z.Name, cur, err)
			}
			all = append(all, prices...)
		}
	}
	fetched := c.now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it
	if err := c.store(ctx, all, fetched); err != nil {
		return err
	}
	c.snap.Store(newSnapshot(all, fetched))
	c.log.Info("pricing: catalogue refreshed", "zones", len(zones), "prices", len(all))
	for _, f := range c.onChange {
		f()
	}
	return nil
}

// store replaces the stored catalogue with prices in one transaction.
func (c *Catalogue) store(ctx context.Context, prices []ListPrice, fetched time.Time) error {
	tx, err := c.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("pricing: store catalogue: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM pricing_list_prices`); err != nil {
		return fmt.Errorf("pricing: store catalogue: %w", err)
	}
	stmt, err := tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO pricing_list_prices
		(zone, currency, slug_key, slug_id, family, kind, time_unit, price, tiers, data_unit, per_quantity, whole_blocks, whole_periods)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("pricing: store catalogue: %w", err)
	}
	defer stmt.Close()
	for _, p := range prices {
		if _, err := stmt.ExecContext(ctx, p.Zone, p.Currency, strings.ToLower(p.SlugID), p.SlugID, p.Family, p.Kind,
			p.TimeUnit, p.Price.String(), FormatTiers(p.Tiers), p.Unit, p.PerQuantity.String(), p.WholeBlocks, p.WholePeriods); err != nil {
			return fmt.Errorf("pricing: store catalogue: %s %s %s: %w", p.Zone, p.Currency, p.SlugID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM pricing_refreshes WHERE id = ?`), "catalogue"); err != nil {
		return fmt.Errorf("pricing: store catalogue: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO pricing_refreshes (id, fetched_at) VALUES (?, ?)`), "catalogue", fetched); err != nil {
		return fmt.Errorf("pricing: store catalogue: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("pricing: store catalogue: %w", err)
	}
	return nil
}

// RunRefresher refreshes the catalogue every interval until ctx ends. The
// first refresh happens at once when the stored copy is empty or older than
// every. Failures are logged and the last good copy kept.
func (c *Catalogue) RunRefresher(ctx context.Context, every time.Duration) {
	fetched, err := c.FetchedAt(ctx)
	if err != nil || fetched.IsZero() || c.now().Sub(fetched) >= every {
		c.refreshLogged(ctx)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.refreshLogged(ctx)
		}
	}
}

// refreshLogged refreshes and logs a failure.
func (c *Catalogue) refreshLogged(ctx context.Context) {
	if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
		c.log.Warn("pricing: catalogue refresh failed; keeping the last good copy", "err", err)
	}
}

// FetchedAt returns when the stored catalogue was fetched; the zero time
// when it never was.
func (c *Catalogue) FetchedAt(ctx context.Context) (time.Time, error) {
	s, err := c.snapshot(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return s.fetchedAt, nil
}

// ListPrice returns the list price of product slugID (any case) in a zone
// and currency (default EUR), or an error wrapping ErrNoPrice.
func (c *Catalogue) ListPrice(ctx context.Context, zone, currency, slugID string) (ListPrice, error) {
	s, err := c.snapshot(ctx)
	if err != nil {
		return ListPrice{}, err
	}
	p, ok := s.prices[priceKey{zone, normCurrency(currency), strings.ToLower(slugID)}]
	if !ok {
		return ListPrice{}, fmt.Errorf("pricing: %s in %s %s: %w", slugID, zone, normCurrency(currency), ErrNoPrice)
	}
	return *p, nil
}

// ListPrices returns the list prices of a zone and currency (default EUR),
// sorted by family then slug id, or an error wrapping ErrNoPrice when there
// are none.
func (c *Catalogue) ListPrices(ctx context.Context, zone, currency string) ([]ListPrice, error) {
	s, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	l, ok := s.lists[zoneCurrency{zone, normCurrency(currency)}]
	if !ok {
		return nil, fmt.Errorf("pricing: prices of %s %s: %w", zone, normCurrency(currency), ErrNoPrice)
	}
	return append([]ListPrice(nil), l...), nil
}

// snapshot returns the in-memory catalogue, loading it from the database the
// first time.
func (c *Catalogue) snapshot(ctx context.Context) (*snapshot, error) {
	if s := c.snap.Load(); s != nil {
		return s, nil
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	if s := c.snap.Load(); s != nil {
		return s, nil
	}
	s, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	c.snap.CompareAndSwap(nil, s)
	return c.snap.Load(), nil
}

// listPriceRow is a pricing_list_prices row.
type listPriceRow struct {
	Zone         string `db:"zone"`
	Currency     string `db:"currency"`
	SlugID       string `db:"slug_id"`
	Family       string `db:"family"`
	Kind         string `db:"kind"`
	TimeUnit     string `db:"time_unit"`
	Price        string `db:"price"`
	Tiers        string `db:"tiers"`
	DataUnit     string `db:"data_unit"`
	PerQuantity  string `db:"per_quantity"`
	WholeBlocks  bool   `db:"whole_blocks"`
	WholePeriods bool   `db:"whole_periods"`
}

// load reads the stored catalogue.
func (c *Catalogue) load(ctx context.Context) (*snapshot, error) {
	var fetched time.Time
	err := c.db.GetContext(ctx, &fetched, c.db.Rebind(`SELECT fetched_at FROM pricing_refreshes WHERE id = ?`), "catalogue")
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("pricing: load catalogue: %w", err)
	}
	var rows []listPriceRow
	if err := c.db.SelectContext(ctx, &rows, `SELECT zone, currency, slug_id, family, kind, time_unit, price, tiers,
		data_unit, per_quantity, whole_blocks, whole_periods FROM pricing_list_prices`); err != nil {
		return nil, fmt.Errorf("pricing: load catalogue: %w", err)
	}
	prices := make([]ListPrice, 0, len(rows))
	for _, r := range rows {
		p := ListPrice{SlugID: r.SlugID, Family: r.Family, Kind: r.Kind, TimeUnit: r.TimeUnit, Unit: r.DataUnit,
			WholeBlocks: r.WholeBlocks, WholePeriods: r.WholePeriods, Zone: r.Zone, Currency: r.Currency}
		if p.Price, err = decimal.NewFromString(r.Price); err != nil {
			return nil, fmt.Errorf("pricing: load catalogue: %s price: %w", r.SlugID, err)
		}
		if p.PerQuantity, err = decimal.NewFromString(r.PerQuantity); err != nil {
			return nil, fmt.Errorf("pricing: load catalogue: %s per quantity: %w", r.SlugID, err)
		}
		if p.Tiers, err = ParseTiers(r.Tiers); err != nil {
			return nil, fmt.Errorf("pricing: load catalogue: %s: %w", r.SlugID, err)
		}
		prices = append(prices, p)
	}
	if fetched.IsZero() && len(prices) == 0 {
		return newSnapshot(nil, time.Time{}), nil
	}
	return newSnapshot(prices, fetched.UTC()), nil
}

// newSnapshot indexes prices.
func newSnapshot(prices []ListPrice, fetched time.Time) *snapshot {
	s := &snapshot{fetchedAt: fetched, prices: make(map[priceKey]*ListPrice, len(prices)), lists: map[zoneCurrency][]ListPrice{}}
	sorted := append([]ListPrice(nil), prices...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Zone != b.Zone {
			return a.Zone < b.Zone
		}
		if a.Currency != b.Currency {
			return a.Currency < b.Currency
		}
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		return strings.ToLower(a.SlugID) < strings.ToLower(b.SlugID)
	})
	// Sorted by zone and currency first, each price system's list is a run
	// of sorted: the lists share its prices rather than copy them.
	seen := map[string]bool{}
	start := 0
	for i := range sorted {
		p := &sorted[i]
		s.prices[priceKey{p.Zone, p.Currency, strings.ToLower(p.SlugID)}] = p
		if zc := (zoneCurrency{p.Zone, p.Currency}); i+1 == len(sorted) || zc != (zoneCurrency{sorted[i+1].Zone, sorted[i+1].Currency}) {
			s.lists[zc] = sorted[start : i+1 : i+1]
			start = i + 1
		}
		if !seen[p.Zone] {
			seen[p.Zone] = true
			s.zones = append(s.zones, p.Zone)
		}
	}
	return s
}

// countableJSON is one countable[] entry of a price system.
type countableJSON struct {
	Service              string `json:"service"`
	DataUnit             string `json:"data_unit"`
	DataQuantityForPrice struct {
		Secability string      `json:"secability"`
		Quantity   json.Number `json:"quantity"`
	} `json:"data_quantity_for_price"`
	TimeIntervalForPrice *struct {
		Secability string `json:"secability"`
		Interval   string `json:"interval"`
	} `json:"time_interval_for_price"`
	PricePlans []struct {
		MaxQuantity *json.Number `json:"max_quantity"`
		Price       json.Number  `json:"price"`
	} `json:"price_plans"`
}

// parsePriceSystem converts a price system into list prices, parsing every
// number from its JSON text so that it is exact.
func parsePriceSystem(zone, currency string, ps platform.PriceSystem) ([]ListPrice, error) {
	out := make([]ListPrice, 0, len(ps.Runtime)+len(ps.Countable))
	for _, r := range ps.Runtime {
		price, err := decimal.NewFromString(r.Price.String())
		if err != nil {
			return nil, fmt.Errorf("runtime %s: price %q: %w", r.SlugID, r.Price, err)
		}
		if r.SlugID == "" {
			return nil, fmt.Errorf("runtime %s: no slug_id", r.RuntimePolicyID)
		}
		if r.TimeUnit != "PT1H" {
			return nil, fmt.Errorf("runtime %s: time unit %q, want PT1H", r.SlugID, r.TimeUnit)
		}
		out = append(out, ListPrice{SlugID: r.SlugID, Family: r.Source, Kind: KindHourly, TimeUnit: r.TimeUnit,
			Price: price, PerQuantity: decimal.NewFromInt(1), Zone: zone, Currency: currency})
	}
	for i, raw := range ps.Countable {
		var cj countableJSON
		if err := json.Unmarshal(raw, &cj); err != nil {
			return nil, fmt.Errorf("countable %d: %w", i, err)
		}
		p := ListPrice{SlugID: cj.Service, Family: countableFamily(cj.Service), Kind: KindCountable, Unit: cj.DataUnit,
			WholeBlocks: cj.DataQuantityForPrice.Secability == "insecable", Zone: zone, Currency: currency}
		if cj.Service == "" {
			return nil, fmt.Errorf("countable %d: no service", i)
		}
		per, err := decimal.NewFromString(cj.DataQuantityForPrice.Quantity.String())
		if err != nil || !per.IsPositive() {
			return nil, fmt.Errorf("countable %s: data quantity %q is not a positive number", cj.Service, cj.DataQuantityForPrice.Quantity)
		}
		p.PerQuantity = per
		if ti := cj.TimeIntervalForPrice; ti != nil {
			if _, err := parsePeriod(ti.Interval); err != nil {
				return nil, fmt.Errorf("countable %s: %w", cj.Service, err)
			}
			p.TimeUnit, p.WholePeriods = ti.Interval, ti.Secability == "insecable"
		}
		for _, pl := range cj.PricePlans {
			var t Tier
			if t.Price, err = decimal.NewFromString(pl.Price.String()); err != nil {
				return nil, fmt.Errorf("countable %s: price %q: %w", cj.Service, pl.Price, err)
			}
			if pl.MaxQuantity != nil {
				d, err := decimal.NewFromString(pl.MaxQuantity.String())
				if err != nil {
					return nil, fmt.Errorf("countable %s: max quantity %q: %w", cj.Service, *pl.MaxQuantity, err)
				}
				t.UpTo = &d
			}
			p.Tiers = append(p.Tiers, t)
		}
		if !validTiers(p.Tiers) {
			return nil, fmt.Errorf("countable %s: price plans are not increasing intervals ending unbounded", cj.Service)
		}
		out = append(out, p)
	}
	return out, nil
}

// countableFamily is a countable service's prefix before its first '.' or
// '_': "cellar.storage" and "pulsar_storage_size" are "cellar" and "pulsar".
func countableFamily(service string) string {
	if i := strings.IndexAny(service, "._"); i > 0 {
		return service[:i]
	}
	return service
}

// parsePeriod parses the ISO 8601 durations the price system uses for
// periods: PnD, PTnH, PTnM, PTnS and their combinations, whole numbers only.
func parsePeriod(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, fmt.Errorf("period %q: not an ISO 8601 duration", s)
	}
	var d time.Duration
	inTime := false
	num := ""
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			num += string(r)
		case r == 'T' && !inTime && num == "":
			inTime = true
		default:
			n, err := strconv.Atoi(num)
			if err != nil {
				return 0, fmt.Errorf("period %q: not an ISO 8601 duration", s)
			}
			unit := map[string]time.Duration{"D": 24 * time.Hour, "TH": time.Hour, "TM": time.Minute, "TS": time.Second}
			key := string(r)
			if inTime {
				key = "T" + key
			}
			u, ok := unit[key]
			if !ok {
				return 0, fmt.Errorf("period %q: unsupported unit %c", s, r)
			}
			d += time.Duration(n) * u
			num = ""
		}
	}
	if num != "" || d <= 0 {
		return 0, fmt.Errorf("period %q: not an ISO 8601 duration", s)
	}
	return d, nil
}
