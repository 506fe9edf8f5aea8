package invoicing

import (
	"context"
	"errors"
	"net"
	"net/url"

	"github.com/stripe/stripe-go/v76"
)

// The problems of a failed run, as message ids the pages translate: what
// went wrong and what to do, never an error's text.
const (
	ProblemNoStripeKey       = "invoice.problem.no_stripe_key"
	ProblemStripeUnreachable = "invoice.problem.stripe_unreachable"
	ProblemStripeKeyRefused  = "invoice.problem.stripe_key_refused"
	ProblemStripeRefused     = "invoice.problem.stripe_refused"
	ProblemUsage             = "invoice.problem.usage"
	ProblemInterrupted       = "invoice.problem.interrupted"
	ProblemInternal          = "invoice.problem.internal"
)

// errUsage marks a failure to read a customer's consumption.
var errUsage = errors.New("invoicing: the consumption cannot be read")

// ProblemOf is the problem of a run's first error, "" for none.
func ProblemOf(errs []error) string {
	if len(errs) == 0 {
		return ""
	}
	err := errs[0]
	var se *stripe.Error
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.Is(err, ErrNoStripeKey):
		return ProblemNoStripeKey
	case errors.As(err, &se) && (se.HTTPStatusCode == 401 || se.HTTPStatusCode == 403):
		return ProblemStripeKeyRefused
	case errors.As(err, &se) && se.HTTPStatusCode >= 500:
		return ProblemStripeUnreachable
	case errors.As(err, &se):
		return ProblemStripeRefused
	case errors.Is(err, errUsage):
		return ProblemUsage
	case errors.As(err, &ue), errors.As(err, &ne):
		return ProblemStripeUnreachable
	case errors.Is(err, errLeaseLost), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ProblemInterrupted
	}
	return ProblemInternal
}

// dropUnissued removes an invoice that a failed run priced but never
// asked Stripe to draft: nothing of it is in Stripe, so it is not shown as
// being issued; the next run prices it again from the same usage. An
// invoice whose draft was asked for stays, for the next run to finish
// without billing twice.
func (s *Service) dropUnissued(ctx context.Context, invoiceID string) {
	// Its lines go with it (ON DELETE CASCADE).
	if err := s.exec(context.WithoutCancel(ctx), "drop unissued invoice "+invoiceID, `DELETE FROM invoices WHERE id = ? AND state = ?
		AND stripe_requested_at IS NULL AND stripe_invoice_id IS NULL`, invoiceID, StatePending); err != nil {
		s.log.Error("invoicing: drop unissued invoice", "invoice", invoiceID, "err", err)
	}
}
