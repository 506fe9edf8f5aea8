package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/tenants"
)

// gridsSince is when the demo grids come into force: before any demo usage.
var gridsSince = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Grids returns a demo partner's price grids: Acme sells everything at the
// platform's price +20 %; Globex at +10 %, and its demo customer has a
// contract at −5 % on runtimes (family "apps"), below the platform's price,
// which Globex allows explicitly for that rule.
func Grids(p tenants.Partner, customer tenants.Customer) []pricing.Grid {
	markup := func(percent int64) pricing.Rule {
		return pricing.Rule{Kind: pricing.RuleMarkup, Percent: decimal.NewFromInt(percent)}
	}
	switch p.Slug {
	case "acme":
		return []pricing.Grid{{PartnerID: p.ID, Name: "Acme list prices", Currency: pricing.EUR, ValidFrom: gridsSince,
			Rules: []pricing.Rule{markup(20)}}}
	case "globex":
		contract := markup(-5)
		contract.Family, contract.LossLeader = "apps", true
		return []pricing.Grid{
			{PartnerID: p.ID, Name: "Tarifs Globex", Currency: pricing.EUR, ValidFrom: gridsSince, Rules: []pricing.Rule{markup(10)}},
			{PartnerID: p.ID, CustomerID: customer.ID, Name: "Contrat " + customer.Name, Currency: pricing.EUR, ValidFrom: gridsSince,
				Rules: []pricing.Rule{contract}},
		}
	}
	return nil
}

// SeedGrids returns the AfterPartner step that saves a demo partner's grids.
func SeedGrids(store *pricing.Store) func(ctx context.Context, p tenants.Partner, customer tenants.Customer) error {
	return func(ctx context.Context, p tenants.Partner, customer tenants.Customer) error {
		for _, g := range Grids(p, customer) {
			if _, err := store.SaveGrid(ctx, g); err != nil {
				return fmt.Errorf("demo: grid %q: %w", g.Name, err)
			}
		}
		return nil
	}
}
