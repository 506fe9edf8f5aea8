package invoicing

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// Metadata keys the service sets on Stripe objects, to find them again.
const (
	metaCustomer = "grisaille_customer"
	metaPartner  = "grisaille_partner"
	metaInvoice  = "grisaille_invoice"
	metaPeriod   = "grisaille_period"
	metaLine     = "grisaille_line"
)

// Idempotency keys of the Stripe writes; see docs/invoicing.md.
func customerKey(customerID string) string { return "grisaille-cus-" + customerID }
func invoiceKey(invoiceID string) string   { return "grisaille-inv-" + invoiceID }
func itemKey(invoiceID, lineKey string) string {
	return "grisaille-ii-" + invoiceID + "-" + lineKey
}
func finalizeKey(invoiceID string) string { return "grisaille-fin-" + invoiceID }

// stripeInvoice is Stripe's invoice.
type stripeInvoice = stripe.Invoice

// stripeAPI is one partner's Stripe account.
type stripeAPI struct {
	c *client.API
}

// newStripe returns a client of the Stripe account whose secret key is key.
func (s *Service) newStripe(key string) *stripeAPI {
	cfg := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: 80 * time.Second, Transport: rateLimited{base: http.DefaultTransport, pause: s.rateLimitPause}},
		MaxNetworkRetries: stripe.Int64(s.retries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry:   stripe.Bool(false),
	}
	if s.stripeURL != "" {
		cfg.URL = stripe.String(strings.TrimRight(s.stripeURL, "/"))
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
	}
	return &stripeAPI{c: client.New(key, backends)}
}

// params returns request params carrying ctx and an idempotency key.
func params(ctx context.Context, key string) stripe.Params {
	return stripe.Params{Context: ctx, IdempotencyKey: stripe.String(key)}
}

// findCustomer looks up the Stripe customer made for a portal customer by
// an earlier, unanswered request: "" when there is none. Stripe's search
// lags behind writes by about a minute; the idempotency key covers that.
func (a *stripeAPI) findCustomer(ctx context.Context, customerID string) (string, error) {
	it := a.c.Customers.Search(&stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{
		Context: ctx, Query: fmt.Sprintf("metadata['%s']:'%s'", metaCustomer, customerID),
	}})
	for it.Next() {
		if c := it.Customer(); c.Metadata[metaCustomer] == customerID && !c.Deleted {
			return c.ID, nil
		}
	}
	if err := it.Err(); err != nil {
		return "", fmt.Errorf("search Stripe customer: %w", err)
	}
	return "", nil
}

// createCustomer creates the Stripe customer of a portal customer.
func (a *stripeAPI) createCustomer(ctx context.Context, partnerID, customerID, name string) (string, error) {
	p := &stripe.CustomerParams{Params: params(ctx, customerKey(customerID)), Name: stripe.String(name)}
	p.AddMetadata(metaCustomer, customerID)
	p.AddMetadata(metaPartner, partnerID)
	c, err := a.c.Customers.New(p)
	if err != nil {
		return "", fmt.Errorf("create Stripe customer: %w", err)
	}
	return c.ID, nil
}

// findInvoice looks up the draft invoice an earlier, unanswered request made
// for a portal invoice: nil when there is none.
func (a *stripeAPI) findInvoice(ctx context.Context, stripeCustomerID, invoiceID string) (*stripe.Invoice, error) {
	lp := &stripe.InvoiceListParams{Customer: stripe.String(stripeCustomerID)}
	lp.Context = ctx
	it := a.c.Invoices.List(lp)
	for it.Next() {
		if in := it.Invoice(); in.Metadata[metaInvoice] == invoiceID {
			return in, nil
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("list Stripe invoices: %w", err)
	}
	return nil, nil
}

// createInvoice creates the draft Stripe invoice of a portal invoice. It
// takes no pending invoice item and does not advance by itself.
func (a *stripeAPI) createInvoice(ctx context.Context, inv Invoice, stripeCustomerID string) (*stripe.Invoice, error) {
	p := &stripe.InvoiceParams{
		Params:                      params(ctx, invoiceKey(inv.ID)),
		Customer:                    stripe.String(stripeCustomerID),
		Currency:                    stripe.String(strings.ToLower(inv.Currency)),
		AutoAdvance:                 stripe.Bool(false),
		PendingInvoiceItemsBehavior: stripe.String("exclude"),
		Description:                 stripe.String("Period " + inv.Period),
	}
	p.AddMetadata(metaInvoice, inv.ID)
	p.AddMetadata(metaPeriod, inv.Period)
	p.AddMetadata(metaCustomer, inv.CustomerID)
	in, err := a.c.Invoices.New(p)
	if err != nil {
		return nil, fmt.Errorf("create Stripe invoice: %w", err)
	}
	return in, nil
}

// findItems maps the line keys of the invoice items already attached to a
// Stripe invoice to their ids.
func (a *stripeAPI) findItems(ctx context.Context, stripeInvoiceID string) (map[string]string, error) {
	lp := &stripe.InvoiceItemListParams{Invoice: stripe.String(stripeInvoiceID)}
	lp.Context = ctx
	it := a.c.InvoiceItems.List(lp)
	found := map[string]string{}
	for it.Next() {
		ii := it.InvoiceItem()
		if ii.Invoice != nil && ii.Invoice.ID == stripeInvoiceID && ii.Metadata[metaLine] != "" {
			found[ii.Metadata[metaLine]] = ii.ID
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("list Stripe invoice items: %w", err)
	}
	return found, nil
}

// createItem creates the invoice item of one line, attached to the invoice.
func (a *stripeAPI) createItem(ctx context.Context, inv Invoice, l InvoiceLine) (string, error) {
	cents, err := minorUnits(l.Amount, inv.Currency)
	if err != nil {
		return "", err
	}
	p := &stripe.InvoiceItemParams{
		Params:      params(ctx, itemKey(inv.ID, l.Key)),
		Customer:    stripe.String(inv.StripeCustomerID),
		Invoice:     stripe.String(inv.StripeInvoiceID),
		Amount:      stripe.Int64(cents),
		Currency:    stripe.String(strings.ToLower(inv.Currency)),
		Description: stripe.String(l.Description),
	}
	p.AddMetadata(metaInvoice, inv.ID)
	p.AddMetadata(metaLine, l.Key)
	ii, err := a.c.InvoiceItems.New(p)
	if err != nil {
		return "", fmt.Errorf("create Stripe invoice item %s: %w", l.Key, err)
	}
	return ii.ID, nil
}

// getInvoice reads a Stripe invoice.
func (a *stripeAPI) getInvoice(ctx context.Context, id string) (*stripe.Invoice, error) {
	in, err := a.c.Invoices.Get(id, &stripe.InvoiceParams{Params: stripe.Params{Context: ctx}})
	if err != nil {
		return nil, fmt.Errorf("read Stripe invoice %s: %w", id, err)
	}
	return in, nil
}

// finalize finalizes a draft Stripe invoice; from then on Stripe collects
// it (auto_advance).
func (a *stripeAPI) finalize(ctx context.Context, inv Invoice) (*stripe.Invoice, error) {
	in, err := a.c.Invoices.FinalizeInvoice(inv.StripeInvoiceID, &stripe.InvoiceFinalizeInvoiceParams{
		Params: params(ctx, finalizeKey(inv.ID)), AutoAdvance: stripe.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("finalize Stripe invoice %s: %w", inv.StripeInvoiceID, err)
	}
	return in, nil
}
