package pricing

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Rule kinds.
const (
	// RuleMarkup prices at list × (1 + Percent/100).
	RuleMarkup = "markup"
	// RuleFixed prices at Price per unit (per hour for hourly products, per
	// block of PerQuantity for countables, over their whole range).
	RuleFixed = "fixed"
	// RuleTiers prices a countable with its own graduated Tiers.
	RuleTiers = "tiers"
)

// Specificity scores of a rule's scope: a rule naming the product beats one
// naming the family, which beats one naming neither; naming the zone adds 1.
// The scores are bits, so each combination has its own score and two rules
// matching the same product never tie unless their scopes are equal, which
// validation refuses.
const (
	ScoreProduct = 4
	ScoreFamily  = 2
	ScoreZone    = 1
)

// Rule is one line of a price grid: what it applies to (each of Family,
// Product and Zone "" for any) and how it prices.
type Rule struct {
	// ID identifies the rule across versions; SaveGrid assigns one when empty.
	ID string
	// Family is a list price's family ("apps", "postgresql", "cellar").
	Family string
	// Product is a slug id ("apps.2XL"), matched case-insensitively.
	Product string
	// Zone is a zone name ("par").
	Zone string
	// Kind is RuleMarkup, RuleFixed or RuleTiers.
	Kind string
	// Percent is a markup's percentage: +20 is +20 %, -5 a 5 % discount.
	Percent decimal.Decimal
	// Price is a fixed price per unit (per hour for hourly products).
	Price decimal.Decimal
	// Tiers are graduated prices, for countable services only, in the
	// catalogue's units (bounds in data units, prices per PerQuantity).
	Tiers []Tier
	// LossLeader allows the rule to sell below the platform's list price.
	LossLeader bool
}

// Score is the rule's specificity: ScoreProduct, ScoreFamily and ScoreZone
// added up for each of its scope fields that is set.
func (r Rule) Score() int {
	s := 0
	if r.Product != "" {
		s += ScoreProduct
	}
	if r.Family != "" {
		s += ScoreFamily
	}
	if r.Zone != "" {
		s += ScoreZone
	}
	return s
}

// matches reports whether the rule's scope covers the list price.
func (r Rule) matches(lp *ListPrice) bool {
	return (r.Family == "" || r.Family == lp.Family) &&
		(r.Product == "" || strings.EqualFold(r.Product, lp.SlugID)) &&
		(r.Zone == "" || r.Zone == lp.Zone)
}

// apply prices lp with the rule: the hourly price, or the countable's
// tiers. ok is false when the rule cannot price that kind of product (tiers
// on an hourly product).
func (r Rule) apply(lp *ListPrice) (price decimal.Decimal, tiers []Tier, ok bool) {
	switch {
	case r.Kind == RuleMarkup && lp.Kind == KindHourly:
		return markup(lp.Price, r.Percent), nil, true
	case r.Kind == RuleMarkup:
		return decimal.Zero, mapTiers(lp.Tiers, func(p decimal.Decimal) decimal.Decimal { return markup(p, r.Percent) }), true
	case r.Kind == RuleFixed && lp.Kind == KindHourly:
		return r.Price, nil, true
	case r.Kind == RuleFixed:
		return decimal.Zero, []Tier{{Price: r.Price}}, true
	case r.Kind == RuleTiers && lp.Kind == KindCountable:
		return decimal.Zero, r.Tiers, true
	}
	return decimal.Zero, nil, false
}

// belowCost reports whether the rule sells lp below its list price.
func (r Rule) belowCost(lp *ListPrice) bool {
	price, tiers, ok := r.apply(lp)
	if !ok {
		return false
	}
	if lp.Kind == KindHourly {
		return price.LessThan(lp.Price)
	}
	return !tiersCover(tiers, lp.Tiers)
}

// markup returns p × (1 + percent/100), exactly.
func markup(p, percent decimal.Decimal) decimal.Decimal {
	return p.Add(p.Mul(percent).Shift(-2))
}

// Grid is a partner's price grid: its default grid for every customer
// (CustomerID "") or a customer's contract grid, in one currency, in force
// from ValidFrom (inclusive) to ValidTo (exclusive).
type Grid struct {
	// ID identifies the grid across its versions; SaveGrid assigns one to a
	// new grid.
	ID string
	// PartnerID is the partner owning the grid.
	PartnerID string
	// CustomerID is the customer of a contract grid, "" for the partner's
	// default grid.
	CustomerID string
	// Name is the grid's name for the partner, 1–100 characters.
	Name string
	// Currency is EUR or USD (default EUR).
	Currency string
	// ValidFrom is when the grid comes into force (inclusive).
	ValidFrom time.Time
	// ValidTo is when it stops (exclusive); nil = open-ended.
	ValidTo *time.Time
	// Rules are the grid's rules; at most one per scope.
	Rules []Rule
	// Version numbers a grid's saved versions from 1.
	Version int
	// CreatedAt is when this version was saved.
	CreatedAt time.Time
}

// InForce reports whether the grid applies at instant at: ValidFrom ≤ at <
// ValidTo. A line starting exactly at ValidTo is priced by the next grid.
func (g Grid) InForce(at time.Time) bool {
	return !at.Before(g.ValidFrom) && (g.ValidTo == nil || at.Before(*g.ValidTo))
}

// overlaps reports whether two grids are in force at a common instant.
func (g Grid) overlaps(o Grid) bool {
	return (g.ValidTo == nil || o.ValidFrom.Before(*g.ValidTo)) && (o.ValidTo == nil || g.ValidFrom.Before(*o.ValidTo))
}

// RuleError is a refused rule: the index of the rule in the grid, an i18n
// message id ("grid.rule.tie", "grid.rule.below_cost", …) and, when one is
// concerned, the product and zone.
type RuleError struct {
	Index     int
	MessageID string
	SlugID    string
	Zone      string
}

// Error describes the refusal for logs.
func (e *RuleError) Error() string {
	if e.SlugID != "" {
		return fmt.Sprintf("pricing: rule %d: %s (%s in %s)", e.Index, e.MessageID, e.SlugID, e.Zone)
	}
	return fmt.Sprintf("pricing: rule %d: %s", e.Index, e.MessageID)
}

// GridError is a refused grid: an i18n message id ("grid.currency",
// "grid.dates", "grid.overlap", "grid.name", "grid.customer",
// "grid.catalogue_unavailable") and, for an overlap, the other grid.
type GridError struct {
	MessageID string
	OtherID   string
}

// Error describes the refusal for logs.
func (e *GridError) Error() string {
	if e.OtherID != "" {
		return fmt.Sprintf("pricing: grid: %s (grid %s)", e.MessageID, e.OtherID)
	}
	return "pricing: grid: " + e.MessageID
}

// normalize trims and canonicalises a grid before validation: currency upper
// case (default EUR), family and zone lower case, times in UTC to the
// microsecond (what PostgreSQL keeps).
func normalize(g Grid) Grid {
	g.Name = strings.TrimSpace(g.Name)
	g.Currency = normCurrency(strings.TrimSpace(g.Currency))
	g.ValidFrom = g.ValidFrom.UTC().Truncate(time.Microsecond)
	if g.ValidTo != nil {
		t := g.ValidTo.UTC().Truncate(time.Microsecond)
		g.ValidTo = &t
	}
	rules := make([]Rule, len(g.Rules))
	for i, r := range g.Rules {
		r.Family = strings.ToLower(strings.TrimSpace(r.Family))
		r.Product = strings.TrimSpace(r.Product)
		r.Zone = strings.ToLower(strings.TrimSpace(r.Zone))
		r.Kind = strings.ToLower(strings.TrimSpace(r.Kind))
		rules[i] = r
	}
	g.Rules = rules
	return g
}

// validate checks a normalised grid against itself and the catalogue: the
// grid's fields, each rule's shape, ties between rules, rules matching no
// product, and rules selling below the list price without LossLeader.
func validate(g Grid, s *snapshot) error {
	if g.Name == "" || utf8.RuneCountInString(g.Name) > 100 {
		return &GridError{MessageID: "grid.name"}
	}
	if !supportedCurrency(g.Currency) {
		return &GridError{MessageID: "grid.currency"}
	}
	if g.ValidFrom.IsZero() || (g.ValidTo != nil && !g.ValidTo.After(g.ValidFrom)) {
		return &GridError{MessageID: "grid.dates"}
	}
	if s == nil || len(s.prices) == 0 {
		return &GridError{MessageID: "grid.catalogue_unavailable"}
	}
	scopes := map[scopeKey]int{}
	for i, r := range g.Rules {
		if err := validateShape(i, r); err != nil {
			return err
		}
		key := scopeOf(r)
		if _, dup := scopes[key]; dup {
			return &RuleError{Index: i, MessageID: "grid.rule.tie"}
		}
		scopes[key] = i
		if err := validateAgainst(i, r, g.Currency, s); err != nil {
			return err
		}
	}
	return nil
}

// validateShape checks one rule on its own.
func validateShape(i int, r Rule) error {
	switch r.Kind {
	case RuleMarkup:
		if !r.Percent.GreaterThan(decimal.NewFromInt(-100)) || r.Percent.GreaterThan(decimal.NewFromInt(1000)) {
			return &RuleError{Index: i, MessageID: "grid.rule.percent_range"}
		}
	case RuleFixed:
		if r.Price.IsNegative() {
			return &RuleError{Index: i, MessageID: "grid.rule.price"}
		}
	case RuleTiers:
		if !validTiers(r.Tiers) {
			return &RuleError{Index: i, MessageID: "grid.rule.tiers"}
		}
	default:
		return &RuleError{Index: i, MessageID: "grid.rule.kind"}
	}
	return nil
}

// validateAgainst checks one rule against the catalogue's prices in the
// grid's currency: it must match a product, tiers must price countables
// only, and no product may be sold below its list price unless the rule is
// a loss leader.
func validateAgainst(i int, r Rule, currency string, s *snapshot) error {
	matched := false
	for _, zone := range s.zones {
		if r.Zone != "" && r.Zone != zone {
			continue
		}
		for j := range s.lists[zoneCurrency{zone, currency}] {
			lp := &s.lists[zoneCurrency{zone, currency}][j]
			if !r.matches(lp) {
				continue
			}
			matched = true
			if r.Kind == RuleTiers && lp.Kind == KindHourly {
				return &RuleError{Index: i, MessageID: "grid.rule.tiers_on_hourly", SlugID: lp.SlugID, Zone: zone}
			}
			if !r.LossLeader && r.belowCost(lp) {
				return &RuleError{Index: i, MessageID: "grid.rule.below_cost", SlugID: lp.SlugID, Zone: zone}
			}
		}
	}
	if !matched {
		switch {
		case r.Product != "":
			return &RuleError{Index: i, MessageID: "grid.rule.unknown_product"}
		case r.Family != "":
			return &RuleError{Index: i, MessageID: "grid.rule.unknown_family"}
		default:
			return &RuleError{Index: i, MessageID: "grid.rule.unknown_zone"}
		}
	}
	return nil
}

// scopeKey is a rule's scope, product lowercased.
type scopeKey struct{ family, product, zone string }

// scopeOf returns r's scope.
func scopeOf(r Rule) scopeKey {
	return scopeKey{r.Family, strings.ToLower(r.Product), r.Zone}
}
