// Package invoicing bills a partner's customers through the partner's own
// Stripe account: for a period (a UTC month, "YYYY-MM") and each customer of
// the partner, it reads the customer's consumption from the platform, prices
// each line with the customer's grid, and creates in Stripe the customer
// (once, ever), one invoice item per billable line and the invoice —
// exactly once per customer and period, across re-runs and runs killed
// half-way.
//
// Exactly once comes from the portal's own records, not from Stripe's
// idempotency keys alone (they expire after 24 hours): every Stripe write is
// recorded as an intent before the call and as an outcome (the Stripe id)
// after it. A re-run skips what has an outcome; for what has an intent but
// no outcome it first looks the object up in Stripe, then sends the same
// request again with the same idempotency key. Priced lines are stored with
// their invoice in one transaction and never re-priced. See docs/invoicing.md.
package invoicing

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
)

// Line is one priced usage line, as the pricing engine answers it for a
// customer (the integrator adapts pricing.Line to it). Amounts are exact
// decimals; the service rounds them once, to the currency's minor unit.
type Line struct {
	// SlugID is the priced product ("apps.XS", "postgresql.xs_sml", ...).
	SlugID string
	// Zone is the zone the resource ran in.
	Zone string
	// Quantity is the consumed quantity, in the consumption's unit.
	Quantity decimal.Decimal
	// UnitPrice is the customer's price of one unit.
	UnitPrice decimal.Decimal
	// Amount is what the customer pays for the line (Quantity × UnitPrice
	// after the grid's rules), exact.
	Amount decimal.Decimal
	// ListAmount is the platform's list price of the line, what the partner
	// owes the platform, exact.
	ListAmount decimal.Decimal
	// Currency is the ISO 4217 code of both amounts ("EUR", "USD", ...).
	Currency string
	// Description is the line's text on the invoice; empty lets the
	// service write one.
	Description string
}

// Pricer prices one consumption line with the customer's grid.
type Pricer interface {
	PriceLine(ctx context.Context, partnerID, customerID string, c platform.Consumption) (Line, error)
}

// Customers lists a partner's customers; *tenants.Store satisfies it.
type Customers interface {
	Customers(ctx context.Context, partnerID string) ([]tenants.Customer, error)
}

// Usage reads an organisation's consumption between from (inclusive) and to
// (exclusive), with the partner's platform credential.
type Usage interface {
	Consumptions(ctx context.Context, partnerID, org string, from, to time.Time) ([]platform.Consumption, error)
}

// Keys gives a partner's Stripe secret key, decrypted; "" means the partner
// has not configured one.
type Keys interface {
	StripeKey(ctx context.Context, partnerID string) (string, error)
}

// Errors the service wraps.
var (
	// ErrNoStripeKey reports a partner without a Stripe secret key: none of
	// its customers can be invoiced until it configures one.
	ErrNoStripeKey = errors.New("invoicing: the partner has no Stripe secret key configured")
	// ErrInvalidPeriod reports a period that is not a "YYYY-MM" month.
	ErrInvalidPeriod = errors.New("invoicing: invalid period, want YYYY-MM")
	// ErrRunInProgress reports another run invoicing the same partner and
	// period right now.
	ErrRunInProgress = errors.New("invoicing: another run is invoicing this partner and period")
	// ErrMixedCurrencies reports a customer whose lines are priced in more
	// than one currency: a Stripe invoice has a single currency.
	ErrMixedCurrencies = errors.New("invoicing: lines priced in more than one currency")
)

// Invoice states, the portal's progress on an invoice.
const (
	// StatePending is an invoice priced and stored, not yet fully in Stripe.
	StatePending = "pending"
	// StateItemized is an invoice whose every item is in Stripe.
	StateItemized = "itemized"
	// StateFinalized is an invoice finalized in Stripe: done.
	StateFinalized = "finalized"
	// StateEmpty is an invoice with nothing to bill: no Stripe invoice.
	StateEmpty = "empty"
)

// StatusEmpty is the Status of an invoice with nothing to bill.
const StatusEmpty = "empty"

// Progress steps.
const (
	StepUsage          = "usage"
	StepPriced         = "priced"
	StepStripeCustomer = "stripe customer"
	StepItems          = "items"
	StepInvoice        = "invoice"
	StepDone           = "done"
	StepSkipped        = "skipped"
)

// Run statuses.
const (
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// Invoice is one customer's invoice for one period.
type Invoice struct {
	// ID is the portal's id of the invoice ("inv_…").
	ID         string
	PartnerID  string
	CustomerID string
	// Period is the invoiced month, "YYYY-MM".
	Period string
	// Currency is the ISO 4217 code of the invoice, upper case.
	Currency string
	// State is the portal's progress: StatePending, StateItemized,
	// StateFinalized or StateEmpty.
	State string
	// Status is the invoice's status as Stripe last answered it ("draft",
	// "open", "paid", ...), StatusEmpty for an invoice with nothing to
	// bill, "" before the Stripe invoice exists.
	Status           string
	StripeCustomerID string
	StripeInvoiceID  string
	// HostedURL is Stripe's page of the finalized invoice, PDFURL its PDF.
	HostedURL, PDFURL string
	// Total is the sum of the rounded lines' amounts; ListTotal that of
	// their list amounts.
	Total     decimal.Decimal
	ListTotal decimal.Decimal
	Lines     []InvoiceLine
	CreatedAt time.Time
}

// InvoiceLine is one priced line of an invoice.
type InvoiceLine struct {
	// Key identifies the line within its invoice: a stable hash of the
	// resource id, slug and usage interval.
	Key          string
	ResourceID   string
	ResourceType string
	SlugID       string
	Zone         string
	// From and To are the usage interval, as the platform gave it.
	From, To  string
	Quantity  decimal.Decimal
	Unit      string
	UnitPrice decimal.Decimal
	// Amount and ListAmount are rounded to the currency's minor unit.
	Amount       decimal.Decimal
	ListAmount   decimal.Decimal
	Description  string
	StripeItemID string
}

// Progress reports a run's progress on one customer.
type Progress struct {
	// Customer is the customer's id.
	Customer string
	// Step is one of the Step* constants.
	Step string
	// Done customers of Total are complete (with or without an error).
	Done, Total int
	// Invoice is set on StepDone and StepSkipped.
	Invoice *Invoice
}

// RunResult is the outcome of one run.
type RunResult struct {
	RunID  string
	Period string
	// Invoices are this run's invoices, finalized or empty.
	Invoices []Invoice
	// Created counts the invoices this run finalized; AlreadyDone those
	// found finalized or empty; Empty those found with nothing to bill.
	Created, AlreadyDone, Empty int
	// Errors holds one error per customer that failed: the run goes on.
	Errors []error
}

// RunRecord is one run as the history keeps it.
type RunRecord struct {
	ID        string
	PartnerID string
	Period    string
	// Status is RunRunning, RunDone or RunFailed.
	Status string
	// Total customers, Done of them, and of those: Created, AlreadyDone,
	// Empty, Failed.
	Total, Done, Created, AlreadyDone, Empty, Failed int
	// Error is the text of the run's errors, "" if none: for logs and
	// operators, never shown on a page.
	Error string
	// Problem is the message id of what went wrong and what to do
	// (ProblemOf), "" if nothing did.
	Problem   string
	StartedAt time.Time
	UpdatedAt time.Time
	// FinishedAt is zero while the run is running.
	FinishedAt time.Time
}

// Wholesale is what a partner owes the platform and bills its customers for
// one period, per currency.
type Wholesale struct {
	PartnerID  string
	Period     string
	Currencies []WholesaleTotal
}

// WholesaleTotal is one currency's sums over a period's invoices.
type WholesaleTotal struct {
	Currency string
	// Invoices counts the invoices summed, whatever their state.
	Invoices int
	// List is the sum of the lines' list amounts, what the partner owes;
	// Billed the sum of their amounts; Margin is Billed − List.
	List, Billed, Margin decimal.Decimal
}

// Service invoices partners' customers. It is safe for concurrent use; runs
// of the same partner and period exclude each other.
type Service struct {
	db        *sqlx.DB
	pricer    Pricer
	customers Customers
	usage     Usage
	keys      Keys
	stripeURL string
	retries   int64
	lease     time.Duration
	holder    string
	// workers is how many customers a run invoices at once.
	workers int
	// rateLimitPause is the first pause after Stripe answers 429.
	rateLimitPause time.Duration
	// stats counts what the runs did, for metrics.
	stats runStats
	now   func() time.Time
	log   *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithStripeURL sends every Stripe call to base (stripe-mock, in tests);
// "" is api.stripe.com.
func WithStripeURL(base string) Option { return func(s *Service) { s.stripeURL = base } }

// WithClock makes the service read the time from now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger makes the service log to l.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// DefaultWorkers is how many customers a run invoices at once.
const DefaultWorkers = 8

// WithWorkers sets how many customers a run invoices at once (default
// DefaultWorkers, at least 1); Stripe's rate limits are met by backing off
// on 429.
func WithWorkers(n int) Option { return func(s *Service) { s.workers = n } }

// WithRateLimitPause sets the first pause after Stripe refuses a request
// with 429 (default 250 ms; the next ones double).
func WithRateLimitPause(d time.Duration) Option { return func(s *Service) { s.rateLimitPause = d } }

// WithNetworkRetries sets how many times the Stripe client retries a request
// that failed on the network (default 2). Retries are safe: every write
// carries an idempotency key.
func WithNetworkRetries(n int64) Option { return func(s *Service) { s.retries = n } }

// NewService returns the invoicing service over db, whose schema is
// migrated.
func NewService(db *sqlx.DB, pricer Pricer, customers Customers, usage Usage, keys Keys, opts ...Option) *Service {
	s := &Service{
		db: db, pricer: pricer, customers: customers, usage: usage, keys: keys,
		retries: 2, lease: DefaultLease, holder: defaultHolder(), workers: DefaultWorkers, rateLimitPause: rateLimitPause, now: time.Now,
		log: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// clock is the service's current time in UTC.
func (s *Service) clock() time.Time { return s.now().UTC() }
