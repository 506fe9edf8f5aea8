package invoicing

import (
	"context"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
)

// EnginePricer prices lines with the pricing engine: the same function that
// prices the console, the API and the estimates.
func EnginePricer(e *pricing.Engine) Pricer { return enginePricer{e} }

type enginePricer struct{ e *pricing.Engine }

// PriceLine prices one consumption line with the customer's grid in force
// when the usage happened.
func (p enginePricer) PriceLine(ctx context.Context, partnerID, customerID string, c platform.Consumption) (Line, error) {
	pl, err := p.e.PriceLine(ctx, partnerID, customerID, c)
	if err != nil {
		return Line{}, err
	}
	q := pl.Quote
	return Line{SlugID: q.SlugID, Zone: q.Zone, Quantity: pl.Quantity, UnitPrice: q.Price, Amount: pl.Amount,
		ListAmount: pl.ListAmount, Currency: q.Currency}, nil
}

// Credentials gives a partner's platform credential; *tenants.Store
// satisfies it.
type Credentials interface {
	PlatformToken(ctx context.Context, partnerID string) (string, error)
}

// PlatformUsage reads consumption from the platform with each partner's
// own credential.
func PlatformUsage(api *platform.Client, creds Credentials) Usage { return platformUsage{api, creds} }

type platformUsage struct {
	api   *platform.Client
	creds Credentials
}

// Consumptions reads an organisation's usage over [from, to).
func (u platformUsage) Consumptions(ctx context.Context, partnerID, org string, from, to time.Time) ([]platform.Consumption, error) {
	tok, err := u.creds.PlatformToken(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	return u.api.WithToken(tok).Consumptions(ctx, org, from, to)
}
