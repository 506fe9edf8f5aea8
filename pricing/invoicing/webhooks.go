package invoicing

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/stripe/stripe-go/v76"
)

// EventOutcome is what applying a Stripe event did.
type EventOutcome struct {
	// Duplicate reports an event applied before (Stripe delivers at least
	// once): nothing changed.
	Duplicate bool
	// Invoice is the portal's invoice the event changed, "" for none (an
	// event about something else, or an invoice the portal did not make).
	Invoice string
	// Status is the invoice's Stripe status after the event.
	Status string
}

// ApplyStripeEvent applies a verified event of the partner's Stripe
// account, once per event id: an invoice event (paid, payment failed,
// finalized, voided, uncollectible, updated) records the invoice's status
// and hosted page as Stripe sends them. Events of other types are recorded
// and ignored.
func (s *Service) ApplyStripeEvent(ctx context.Context, partnerID string, ev stripe.Event) (EventOutcome, error) {
	var out EventOutcome
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("invoicing: stripe event: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO stripe_events (partner_id, event_id, event_type, received_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (partner_id, event_id) DO NOTHING`), partnerID, ev.ID, string(ev.Type), s.clock())
	if err != nil {
		return out, fmt.Errorf("invoicing: stripe event %s: %w", ev.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		out.Duplicate = true
		return out, nil
	}
	if strings.HasPrefix(string(ev.Type), "invoice.") && ev.Data != nil {
		if err := s.applyInvoiceEvent(ctx, tx, partnerID, ev, &out); err != nil {
			return out, err
		}
	}
	if err := tx.Commit(); err != nil {
		return out, fmt.Errorf("invoicing: stripe event %s: %w", ev.ID, err)
	}
	return out, nil
}

func (s *Service) applyInvoiceEvent(ctx context.Context, tx *sqlx.Tx, partnerID string, ev stripe.Event, out *EventOutcome) error {
	var inv stripe.Invoice
	if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
		return fmt.Errorf("invoicing: stripe event %s: %w", ev.ID, err)
	}
	if inv.ID == "" || inv.Status == "" {
		return nil
	}
	var id string
	err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM invoices WHERE partner_id = ? AND stripe_invoice_id = ?`), partnerID, inv.ID)
	if err != nil {
		return nil // not one of the portal's invoices
	}
	// The hosted page and the PDF are kept when an event leaves them out.
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE invoices SET stripe_status = ?, updated_at = ?,
		hosted_url = CASE WHEN ? = '' THEN hosted_url ELSE ? END, pdf_url = CASE WHEN ? = '' THEN pdf_url ELSE ? END
		WHERE id = ?`), string(inv.Status), s.clock(), inv.HostedInvoiceURL, inv.HostedInvoiceURL, inv.InvoicePDF, inv.InvoicePDF, id); err != nil {
		return fmt.Errorf("invoicing: stripe event %s: %w", ev.ID, err)
	}
	out.Invoice, out.Status = id, string(inv.Status)
	return nil
}
