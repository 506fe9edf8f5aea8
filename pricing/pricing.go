// Package pricing turns the platform's list prices into the prices a
// partner's customers pay. It owns three things:
//
//   - the Catalogue, a stored copy of the platform's price system (hourly
//     runtime prices and tiered countable prices, per zone and currency);
//   - the Store of price grids: a partner's default grid and its customers'
//     contract grids, each a list of rules (markup, fixed price, graduated
//     tiers) scoped by family, product and zone, with effective dates and
//     every saved version kept;
//   - the Engine, the one function that prices everything: the console, the
//     platform-compatible price system, widgets, estimates and invoices.
//
// Money is never a float64: prices are parsed from the platform's JSON text
// into exact decimals, and amounts are rounded once, half-up to the
// currency's minor unit, per invoice line. See docs/pricing.md.
package pricing

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Currencies the platform prices in.
const (
	EUR = "EUR"
	USD = "USD"
)

// DefaultCurrency is the currency used when none is given.
const DefaultCurrency = EUR

// minorUnit is the number of decimal places of the supported currencies.
const minorUnit = 2

// hoursPerDay and hoursPer30Days convert hourly prices for display.
var (
	hoursPerDay    = decimal.NewFromInt(24)
	hoursPer30Days = decimal.NewFromInt(720)
)

// ErrNoPrice reports that the catalogue has no price for a product in a zone
// and currency.
var ErrNoPrice = errors.New("pricing: no list price")

// ErrNotFound reports a grid that does not exist or belongs to another
// partner: the two look the same.
var ErrNotFound = errors.New("pricing: grid not found")

// Kinds of list prices.
const (
	KindHourly    = "hourly"
	KindCountable = "countable"
)

// Tier is one interval of a graduated price: it runs from the previous
// tier's UpTo (0 for the first) to its own UpTo (nil = unbounded), in the
// service's data unit (bytes, users), and Price applies per block of
// ListPrice.PerQuantity units of the quantity within the interval.
type Tier struct {
	UpTo  *decimal.Decimal
	Price decimal.Decimal
}

// supportedCurrency reports whether cur is a currency the platform prices in.
func supportedCurrency(cur string) bool {
	return cur == EUR || cur == USD
}

// normCurrency upper-cases cur and defaults it to EUR.
func normCurrency(cur string) string {
	if cur == "" {
		return DefaultCurrency
	}
	return strings.ToUpper(cur)
}

// Round rounds an amount half-up (half away from zero) to the currency's
// minor unit, 2 decimal places for EUR and USD.
func Round(amount decimal.Decimal) decimal.Decimal {
	return amount.Round(minorUnit)
}

// PerHour returns an hourly price rounded for display.
func PerHour(p decimal.Decimal) decimal.Decimal { return Round(p) }

// PerDay returns an hourly price for 24 hours, rounded for display.
func PerDay(p decimal.Decimal) decimal.Decimal { return Round(p.Mul(hoursPerDay)) }

// Per30Days returns an hourly price for 720 hours, rounded for display:
// 0.666666666666667 €/h is 480.00 € per 30 days.
func Per30Days(p decimal.Decimal) decimal.Decimal { return Round(p.Mul(hoursPer30Days)) }

// Total is an invoice's total: the sum of its lines' rounded amounts, so
// that it always equals the sum of the amounts printed on the lines.
func Total(lines []Line) decimal.Decimal {
	sum := decimal.Zero
	for _, l := range lines {
		sum = sum.Add(l.Amount)
	}
	return sum
}

// FormatTiers writes tiers as "upto:price|upto:price|:price", the form used
// by CSV files and the database.
func FormatTiers(tiers []Tier) string {
	var b strings.Builder
	for i, t := range tiers {
		if i > 0 {
			b.WriteByte('|')
		}
		if t.UpTo != nil {
			b.WriteString(t.UpTo.String())
		}
		b.WriteByte(':')
		b.WriteString(t.Price.String())
	}
	return b.String()
}

// ParseTiers reads tiers written by FormatTiers. It checks the syntax only;
// validateTiers checks their order.
func ParseTiers(s string) ([]Tier, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, "|")
	tiers := make([]Tier, 0, len(parts))
	for _, p := range parts {
		upTo, price, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("pricing: tier %q: want upto:price", p)
		}
		var t Tier
		if upTo = strings.TrimSpace(upTo); upTo != "" {
			d, err := decimal.NewFromString(upTo)
			if err != nil {
				return nil, fmt.Errorf("pricing: tier %q: bound: %w", p, err)
			}
			t.UpTo = &d
		}
		d, err := decimal.NewFromString(strings.TrimSpace(price))
		if err != nil {
			return nil, fmt.Errorf("pricing: tier %q: price: %w", p, err)
		}
		t.Price = d
		tiers = append(tiers, t)
	}
	return tiers, nil
}

// validTiers reports whether tiers are well formed: at least one, bounds
// strictly increasing and positive, only the last one unbounded, prices not
// negative.
func validTiers(tiers []Tier) bool {
	if len(tiers) == 0 {
		return false
	}
	prev := decimal.Zero
	for i, t := range tiers {
		if t.Price.IsNegative() {
			return false
		}
		last := i == len(tiers)-1
		if t.UpTo == nil {
			if !last {
				return false
			}
			continue
		}
		if last || !t.UpTo.GreaterThan(prev) {
			return false
		}
		prev = *t.UpTo
	}
	return true
}

// mapTiers returns tiers with f applied to each price.
func mapTiers(tiers []Tier, f func(decimal.Decimal) decimal.Decimal) []Tier {
	out := make([]Tier, len(tiers))
	for i, t := range tiers {
		out[i] = Tier{UpTo: t.UpTo, Price: f(t.Price)}
	}
	return out
}

// tieredCost returns Σ (quantity within tier i) × price_i for quantity q, in
// price × data units (divide by the block size to get money).
func tieredCost(tiers []Tier, q decimal.Decimal) decimal.Decimal {
	cost := decimal.Zero
	lo := decimal.Zero
	for _, t := range tiers {
		if !q.GreaterThan(lo) {
			break
		}
		hi := q
		if t.UpTo != nil && t.UpTo.LessThan(q) {
			hi = *t.UpTo
		}
		cost = cost.Add(hi.Sub(lo).Mul(t.Price))
		if t.UpTo == nil {
			break
		}
		lo = *t.UpTo
	}
	return cost
}

// tiersCover reports whether the unit price of a is at least that of b
// everywhere: on every interval between the union of their bounds.
func tiersCover(a, b []Tier) bool {
	bounds := []decimal.Decimal{decimal.Zero}
	for _, ts := range [][]Tier{a, b} {
		for _, t := range ts {
			if t.UpTo != nil {
				bounds = append(bounds, *t.UpTo)
			}
		}
	}
	for _, x := range bounds {
		// the unit price just above x
		if priceAt(a, x).LessThan(priceAt(b, x)) {
			return false
		}
	}
	return true
}

// priceAt returns the unit price of the tier holding quantities just above x.
func priceAt(tiers []Tier, x decimal.Decimal) decimal.Decimal {
	for _, t := range tiers {
		if t.UpTo == nil || t.UpTo.GreaterThan(x) {
			return t.Price
		}
	}
	if len(tiers) == 0 {
		return decimal.Zero
	}
	return tiers[len(tiers)-1].Price
}
