package pricing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
)

// Price sources of a quote.
const (
	SourceList     = "list"
	SourcePartner  = "partner"
	SourceContract = "contract"
)

// divPrecision is the number of decimal places kept when a countable's
// amount is divided by its block size and period, before the one rounding
// to the minor unit. Hourly amounts involve no division and are exact.
const divPrecision = 24

// Engine prices everything: the console, the platform-compatible price
// system, widgets, estimates and invoices all call it. It reads the
// catalogue and the grids from their in-memory copies, so pricing a line
// runs no SQL once both are loaded. It is safe for concurrent use.
type Engine struct {
	cat   *Catalogue
	store *Store
}

// NewEngine returns an engine pricing cat's list prices with store's grids.
func NewEngine(cat *Catalogue, store *Store) *Engine {
	return &Engine{cat: cat, store: store}
}

// Quote is the price of one product for one customer at one instant.
type Quote struct {
	// SlugID is the product as the platform spells it.
	SlugID string
	// Zone, Currency and Family are the product's.
	Zone, Currency, Family string
	// Kind is KindHourly or KindCountable.
	Kind string
	// List is the platform's price per hour of an hourly product; Price is
	// the customer's, exact. Both are zero for countables.
	List, Price decimal.Decimal
	// ListTiers and Tiers are the graduated prices of a countable, per
	// PerQuantity units; nil for hourly products.
	ListTiers, Tiers []Tier
	// Unit, PerQuantity and TimeUnit are the countable's data unit, block
	// size and period (see ListPrice).
	Unit        string
	PerQuantity decimal.Decimal
	TimeUnit    string
	// WholeBlocks and WholePeriods say the countable counts quantities in
	// whole blocks and periods in whole TimeUnits.
	WholeBlocks, WholePeriods bool
	// Source is SourceList, SourcePartner or SourceContract: which grid set
	// the price.
	Source string
	// GridID, GridVersion and RuleID identify the rule that set the price
	// ("" and 0 for list prices).
	GridID      string
	GridVersion int
	RuleID      string
	// LossLeader says the rule may sell below the list price.
	LossLeader bool
}

// Quote prices product slugID in a zone and currency (default EUR) for a
// customer of a partner (customerID "" for the partner's default price) at
// instant at: the list price, then the partner's default grid in force at
// that instant, then the customer's contract grid in force, where it has a
// matching rule. Within a grid the most specific matching rule applies
// (see Rule.Score).
func (e *Engine) Quote(ctx context.Context, partnerID, customerID, zone, currency, slugID string, at time.Time) (Quote, error) {
	return e.quote(ctx, partnerID, customerID, zone, currency, slugID, at, nil)
}

// QuoteDraft prices slugID as Quote would if draft were saved: draft stands
// in for its owner's grid (the partner's default grid, or the customer's
// contract grid) whatever its dates, so that a grid being edited can be
// previewed before it is saved. The draft is priced as it is: check it with
// Store.ValidateGrid first.
func (e *Engine) QuoteDraft(ctx context.Context, draft Grid, zone, slugID string, at time.Time) (Quote, error) {
	draft = normalize(draft)
	return e.quote(ctx, draft.PartnerID, draft.CustomerID, zone, draft.Currency, slugID, at, compile(draft))
}

// quote is Quote with, when draft is not nil, the draft in place of its
// owner's grid in force.
func (e *Engine) quote(ctx context.Context, partnerID, customerID, zone, currency, slugID string, at time.Time, draft *compiledGrid) (Quote, error) {
	currency = normCurrency(currency)
	snap, err := e.cat.snapshot(ctx)
	if err != nil {
		return Quote{}, fmt.Errorf("pricing: quote %s: %w", slugID, err)
	}
	lp, ok := snap.prices[priceKey{zone, currency, strings.ToLower(slugID)}]
	if !ok {
		return Quote{}, fmt.Errorf("pricing: quote %s in %s %s: %w", slugID, zone, currency, ErrNoPrice)
	}
	pg, err := e.store.partnerGrids(ctx, partnerID)
	if err != nil {
		return Quote{}, fmt.Errorf("pricing: quote %s: %w", slugID, err)
	}
	q := Quote{SlugID: lp.SlugID, Zone: lp.Zone, Currency: lp.Currency, Family: lp.Family, Kind: lp.Kind,
		List: lp.Price, Price: lp.Price, ListTiers: lp.Tiers, Tiers: lp.Tiers, Unit: lp.Unit,
		PerQuantity: lp.PerQuantity, TimeUnit: lp.TimeUnit, WholeBlocks: lp.WholeBlocks, WholePeriods: lp.WholePeriods,
		Source: SourceList}
	grid := func(customer string) *compiledGrid {
		if draft != nil && draft.grid.CustomerID == customer {
			return draft
		}
		return pg.inForce(customer, currency, at)
	}
	if g := grid(""); g != nil {
		g.price(lp, &q, SourcePartner)
	}
	if customerID != "" {
		if g := grid(customerID); g != nil {
			g.price(lp, &q, SourceContract)
		}
	}
	return q, nil
}

// Line is one priced consumption line.
type Line struct {
	// Consumption is the platform's usage line.
	Consumption platform.Consumption
	// Quote is the price in force when the usage started.
	Quote Quote
	// Quantity is the consumption's quantity, exact.
	Quantity decimal.Decimal
	// Amount is what the customer pays for the line: unit price × quantity
	// (tiered and per period for countables), rounded once half-up to the
	// currency's minor unit.
	Amount decimal.Decimal
	// ListAmount is the same at list price: what the partner pays.
	ListAmount decimal.Decimal
}

// PriceLine prices a consumption line for a customer of a partner in
// currency EUR, with the grids in force at the line's start (From): usage is
// priced with the grid in force when it happened, and a line starting
// exactly at a grid's ValidTo is priced by the next grid.
func (e *Engine) PriceLine(ctx context.Context, partnerID, customerID string, c platform.Consumption) (Line, error) {
	return e.PriceLineIn(ctx, partnerID, customerID, DefaultCurrency, c)
}

// PriceLineIn is PriceLine in a given currency.
func (e *Engine) PriceLineIn(ctx context.Context, partnerID, customerID, currency string, c platform.Consumption) (Line, error) {
	from, err := time.Parse(time.RFC3339, c.From)
	if err != nil {
		return Line{}, fmt.Errorf("pricing: line %s: from: %w", c.SlugID, err)
	}
	qty, err := decimal.NewFromString(c.Quantity.String())
	if err != nil {
		return Line{}, fmt.Errorf("pricing: line %s: quantity %q: %w", c.SlugID, c.Quantity, err)
	}
	if qty.IsNegative() {
		return Line{}, fmt.Errorf("pricing: line %s: negative quantity %s", c.SlugID, qty)
	}
	q, err := e.Quote(ctx, partnerID, customerID, c.Zone, currency, c.SlugID, from)
	if err != nil {
		return Line{}, err
	}
	l := Line{Consumption: c, Quote: q, Quantity: qty}
	if q.Kind == KindHourly {
		if c.Unit != "" && c.Unit != "PT1H" {
			return Line{}, fmt.Errorf("pricing: line %s: unit %q, want PT1H", c.SlugID, c.Unit)
		}
		l.Amount, l.ListAmount = Round(q.Price.Mul(qty)), Round(q.List.Mul(qty))
		return l, nil
	}
	if c.Unit != "" && !strings.EqualFold(c.Unit, q.Unit) {
		return Line{}, fmt.Errorf("pricing: line %s: unit %q, want %q", c.SlugID, c.Unit, q.Unit)
	}
	periods, err := countablePeriods(q, c, from)
	if err != nil {
		return Line{}, fmt.Errorf("pricing: line %s: %w", c.SlugID, err)
	}
	l.Amount = countableAmount(q.Tiers, q, qty, periods)
	l.ListAmount = countableAmount(q.ListTiers, q, qty, periods)
	return l, nil
}

// countablePeriods returns how many of the countable's periods the line
// spans (1 when it has no period): (To − From) / TimeUnit, rounded up to a
// whole number when periods are counted whole.
func countablePeriods(q Quote, c platform.Consumption, from time.Time) (decimal.Decimal, error) {
	if q.TimeUnit == "" {
		return decimal.NewFromInt(1), nil
	}
	to, err := time.Parse(time.RFC3339, c.To)
	if err != nil {
		return decimal.Zero, fmt.Errorf("to: %w", err)
	}
	if !to.After(from) {
		return decimal.Zero, fmt.Errorf("to %s is not after from %s", c.To, c.From)
	}
	period, err := parsePeriod(q.TimeUnit)
	if err != nil {
		return decimal.Zero, err
	}
	n := decimal.NewFromInt(int64(to.Sub(from))).DivRound(decimal.NewFromInt(int64(period)), divPrecision)
	if q.WholePeriods {
		n = n.Ceil()
	}
	return n, nil
}

// countableAmount prices quantity qty of a countable over periods with
// tiers: Σ (quantity within tier) × tier price / PerQuantity × periods,
// rounded once to the minor unit. Quantities counted in whole blocks are
// first rounded up to a multiple of PerQuantity.
func countableAmount(tiers []Tier, q Quote, qty, periods decimal.Decimal) decimal.Decimal {
	if q.WholeBlocks {
		qty = qty.Div(q.PerQuantity).Ceil().Mul(q.PerQuantity)
	}
	cost := tieredCost(tiers, qty).Mul(periods)
	return Round(cost.DivRound(q.PerQuantity, divPrecision))
}
