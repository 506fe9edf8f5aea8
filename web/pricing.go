package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/web/i18n"
)

// PriceRow is one product's price for a customer.
type PriceRow struct {
	Name, Detail, SlugID       string
	PerHour, PerDay, Per30Days decimal.Decimal
	Discounted                 bool // a grid sets the price, not the list
}

// PriceGroup is one add-on provider's plans.
type PriceGroup struct {
	Name string
	Rows []PriceRow
}

// PricingVM is the customer's pricing page.
type PricingVM struct {
	Chrome   Chrome
	Zone     string
	Zones    []Option
	Currency string
	Symbol   string
	Runtimes []PriceRow
	Addons   []PriceGroup
}

// currencySymbol is how a currency is shown next to amounts.
func currencySymbol(c string) string {
	switch c {
	case pricing.USD:
		return "$"
	case pricing.EUR:
		return "€"
	}
	return c
}

// customerCurrency is the currency a customer is priced in: that of its
// contract grid in force, else of its partner's default grid in force, else
// the default currency.
func (h *Handler) customerCurrency(ctx context.Context, partnerID, customerID string) (string, error) {
	grids, err := h.cfg.Grids.Grids(ctx, partnerID)
	if err != nil {
		return "", err
	}
	now := time.Now()
	currency := pricing.DefaultCurrency
	for _, g := range grids {
		if !g.InForce(now) {
			continue
		}
		if g.CustomerID == customerID && customerID != "" {
			return g.Currency, nil
		}
		if g.CustomerID == "" {
			currency = g.Currency
		}
	}
	return currency, nil
}

// quoteRow prices one product for the customer in scope; ok is false when
// the platform has no price for it in that zone.
func (h *Handler) quoteRow(ctx context.Context, s scope, zone, currency, slug string) (PriceRow, bool, error) {
	q, err := h.cfg.Prices.Quote(ctx, s.partner.ID, s.customer.ID, zone, currency, slug, time.Now())
	if errors.Is(err, pricing.ErrNoPrice) || err == nil && q.Kind != pricing.KindHourly {
		return PriceRow{}, false, nil
	}
	if err != nil {
		return PriceRow{}, false, err
	}
	return PriceRow{SlugID: slug, PerHour: pricing.PerHour(q.Price), PerDay: pricing.PerDay(q.Price),
		Per30Days: pricing.Per30Days(q.Price), Discounted: q.Source != pricing.SourceList}, true, nil
}

// runtimeFlavors are the flavors of the runtimes, once each, in the
// catalogue's order (the same sizes are priced alike for every runtime).
func runtimeFlavors(cat platform.CatalogueSnapshot) []platform.Flavor {
	var out []platform.Flavor
	seen := map[string]bool{}
	for _, rt := range cat.Runtimes() {
		for _, f := range rt.Flavors {
			if f.Available && !f.MachineLearning && !seen[f.PriceID] {
				seen[f.PriceID] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Pricing shows the customer's own prices: its zones, its currency, per
// hour, per day and per 30 days.
func (h *Handler) Pricing(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	zones := s.zones()
	if len(zones) == 0 {
		return NewUserError(http.StatusNotFound, "console.no_zones")
	}
	zone := c.QueryParam("zone")
	if !slices.Contains(zones, zone) {
		zone = zones[0]
	}
	currency, err := h.customerCurrency(ctx, s.partner.ID, s.customer.ID)
	if err != nil {
		return err
	}
	vm := PricingVM{Chrome: h.chrome(c, i18n.T(ctx, "pricing.title")), Zone: zone, Zones: zoneOptions(ctx, s.cat, zones),
		Currency: currency, Symbol: currencySymbol(currency)}
	for _, f := range runtimeFlavors(s.cat) {
		row, ok, err := h.quoteRow(ctx, s, zone, currency, f.PriceID)
		if err != nil {
			return err
		}
		if ok {
			row.Name, row.Detail = f.Name, i18n.T(ctx, "flavor.cpus", map[string]any{"Count": f.CPUs})+" · "+f.Memory.Formatted
			vm.Runtimes = append(vm.Runtimes, row)
		}
	}
	for _, p := range s.cat.Providers {
		if !slices.Contains(addonZones(s, p), zone) {
			continue
		}
		g := PriceGroup{Name: p.Name}
		for _, pl := range p.Plans {
			row, ok, err := h.quoteRow(ctx, s, zone, currency, pl.PriceID)
			if err != nil {
				return err
			}
			if ok {
				row.Name = pl.Name
				g.Rows = append(g.Rows, row)
			}
		}
		if len(g.Rows) > 0 {
			vm.Addons = append(vm.Addons, g)
		}
	}
	return render(c, http.StatusOK, pricingPage(vm))
}

// estimate is the price of a product for 30 days, as forms show it next
// to a choice ("≈ 576.00 € / 30 days"); "" when it has no price.
func (h *Handler) estimate(ctx context.Context, s scope, zone, currency, slug string) string {
	row, ok, err := h.quoteRow(ctx, s, zone, currency, slug)
	if err != nil || !ok {
		return ""
	}
	return i18n.T(ctx, "pricing.estimate", map[string]any{
		"Amount": i18n.Number(ctx, row.Per30Days.StringFixed(2)), "Symbol": currencySymbol(currency)})
}

// estimateZone is the zone a form's estimates are for: the chosen one, else
// the first the customer may use.
func estimateZone(s scope, chosen string) string {
	zones := s.zones()
	if slices.Contains(zones, chosen) || len(zones) == 0 {
		return chosen
	}
	return zones[0]
}

// withEstimate appends an estimate to an option label.
func withEstimate(label, estimate string) string {
	if estimate == "" {
		return label
	}
	return strings.Join([]string{label, estimate}, " — ")
}
