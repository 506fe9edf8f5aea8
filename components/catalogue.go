package components

import "github.com/shopspring/decimal"

// Prices is a price over each period, as exact decimal strings: per hour to
// four decimals ("0.8000"), per day and per 30 days to the currency's minor
// unit ("576.00"), keyed as the period attribute names the periods.
type Prices struct {
	Hour   string `json:"hour"`
	Day    string `json:"day"`
	Days30 string `json:"30-days"`
}

// For returns the price over period ("" for an unknown period).
func (p Prices) For(period string) string {
	switch period {
	case PeriodHour:
		return p.Hour
	case PeriodDay:
		return p.Day
	case Period30Days:
		return p.Days30
	}
	return ""
}

// Plan is one priced size of a product: a runtime flavor or an add-on plan.
type Plan struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
	Price  Prices `json:"price"`
}

// Product kinds.
const (
	KindRuntime = "runtime"
	KindAddon   = "addon"
)

// Product is a runtime variant or an add-on provider, with its plans priced
// in the catalogue's zone.
type Product struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Plans []Plan `json:"plans"`
}

// Zone is a deployment zone a visitor may choose.
type Zone struct {
	ID      string `json:"id"`
	City    string `json:"city"`
	Country string `json:"country"`
}

// Label is how a zone is named to people: "Paris (par)".
func (z Zone) Label() string {
	if z.City == "" {
		return z.ID
	}
	return z.City + " (" + z.ID + ")"
}

// Catalogue is what the widgets show: the zones on offer and the prices of
// every product in one of them, in one currency. The portal serves it as
// JSON to the custom elements and hands it to the server-rendered ones.
type Catalogue struct {
	// Lang is the language of the words and numbers ("en" or "fr").
	Lang string `json:"lang"`
	// Currency is the prices' currency; Currencies every one on offer.
	Currency   string   `json:"currency"`
	Currencies []string `json:"currencies"`
	// Zone is the zone the prices are for; Zones every one on offer.
	Zone  string `json:"zone"`
	Zones []Zone `json:"zones"`
	// Products are the runtimes, then the add-ons, available in Zone.
	Products []Product `json:"products"`
}

// Product returns the product whose id is id.
func (c Catalogue) Product(id string) (Product, bool) {
	for _, p := range c.Products {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// Plans returns the plans a widget shows for product: that product's, or,
// for "", every runtime size once (sizes are priced alike for every runtime).
func (c Catalogue) Plans(product string) []Plan {
	if product != "" {
		p, _ := c.Product(product)
		return p.Plans
	}
	var out []Plan
	seen := map[string]bool{}
	for _, p := range c.Products {
		if p.Kind != KindRuntime {
			continue
		}
		for _, pl := range p.Plans {
			if !seen[pl.ID] {
				seen[pl.ID] = true
				out = append(out, pl)
			}
		}
	}
	return out
}

// Estimate is what a configuration costs over a period: quantity times the
// plan's price over that period, as the price table shows it, so that a
// customer checking by hand finds the same total. It is exact: prices are
// decimal strings and the product of two decimals needs no rounding.
func Estimate(plan Plan, period string, quantity int) string {
	p, err := decimal.NewFromString(plan.Price.For(period))
	if err != nil {
		return ""
	}
	return p.Mul(decimal.NewFromInt(int64(quantity))).StringFixed(max(2, -p.Exponent()))
}
