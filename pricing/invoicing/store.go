package invoicing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// invoiceRow is an invoices row.
type invoiceRow struct {
	ID                  string          `db:"id"`
	PartnerID           string          `db:"partner_id"`
	CustomerID          string          `db:"customer_id"`
	Period              string          `db:"period"`
	Currency            string          `db:"currency"`
	State               string          `db:"state"`
	StripeStatus        string          `db:"stripe_status"`
	Total               decimal.Decimal `db:"total"`
	ListTotal           decimal.Decimal `db:"list_total"`
	StripeCustomerID    string          `db:"stripe_customer_id"`
	StripeInvoiceID     sql.NullString  `db:"stripe_invoice_id"`
	StripeRequestedAt   sql.NullTime    `db:"stripe_requested_at"`
	FinalizeRequestedAt sql.NullTime    `db:"finalize_requested_at"`
	HostedURL           string          `db:"hosted_url"`
	PDFURL              string          `db:"pdf_url"`
	CreatedAt           time.Time       `db:"created_at"`
}

const invoiceColumns = `id, partner_id, customer_id, period, currency, state, stripe_status, total, list_total,
	stripe_customer_id, stripe_invoice_id, stripe_requested_at, finalize_requested_at, hosted_url, pdf_url, created_at`

// lineRow is an invoice_lines row.
type lineRow struct {
	InvoiceID       string          `db:"invoice_id"`
	Key             string          `db:"line_key"`
	Position        int             `db:"position"`
	ResourceID      string          `db:"resource_id"`
	ResourceType    string          `db:"resource_type"`
	SlugID          string          `db:"slug_id"`
	Zone            string          `db:"zone"`
	From            string          `db:"usage_from"`
	To              string          `db:"usage_to"`
	Quantity        decimal.Decimal `db:"quantity"`
	Unit            string          `db:"unit"`
	UnitPrice       decimal.Decimal `db:"unit_price"`
	Amount          decimal.Decimal `db:"amount"`
	ListAmount      decimal.Decimal `db:"list_amount"`
	Description     string          `db:"description"`
	StripeItemID    sql.NullString  `db:"stripe_item_id"`
	ItemRequestedAt sql.NullTime    `db:"item_requested_at"`
}

const lineColumns = `invoice_id, line_key, position, resource_id, resource_type, slug_id, zone, usage_from, usage_to,
	quantity, unit, unit_price, amount, list_amount, description, stripe_item_id, item_requested_at`

// record is an invoice as the service works on it: the invoice, and its
// lines' Stripe intents.
type record struct {
	inv               Invoice
	stripeRequested   bool
	finalizeRequested bool
	itemRequested     map[string]bool
}

func (r invoiceRow) invoice() Invoice {
	status := r.StripeStatus
	if r.State == StateEmpty {
		status = StatusEmpty
	}
	return Invoice{
		ID: r.ID, PartnerID: r.PartnerID, CustomerID: r.CustomerID, Period: r.Period, Currency: r.Currency,
		State: r.State, Status: status, StripeCustomerID: r.StripeCustomerID, StripeInvoiceID: r.StripeInvoiceID.String,
		HostedURL: r.HostedURL, PDFURL: r.PDFURL, Total: r.Total, ListTotal: r.ListTotal, CreatedAt: r.CreatedAt.UTC(),
	}
}

func (r lineRow) line() InvoiceLine {
	return InvoiceLine{
		Key: r.Key, ResourceID: r.ResourceID, ResourceType: r.ResourceType, SlugID: r.SlugID, Zone: r.Zone,
		From: r.From, To: r.To, Quantity: r.Quantity, Unit: r.Unit, UnitPrice: r.UnitPrice,
		Amount: r.Amount, ListAmount: r.ListAmount, Description: r.Description, StripeItemID: r.StripeItemID.String,
	}
}

// loadRecord reads a customer's invoice for a period with its lines; nil
// when there is none.
func (s *Service) loadRecord(ctx context.Context, partnerID, customerID, period string) (*record, error) {
	var row invoiceRow
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT `+invoiceColumns+` FROM invoices
		WHERE partner_id = ? AND customer_id = ? AND period = ?`), partnerID, customerID, period)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("invoicing: load invoice of %s for %s: %w", customerID, period, err)
	}
	var lines []lineRow
	if err := s.db.SelectContext(ctx, &lines, s.db.Rebind(`SELECT `+lineColumns+` FROM invoice_lines
		WHERE invoice_id = ? ORDER BY position`), row.ID); err != nil {
		return nil, fmt.Errorf("invoicing: load lines of %s: %w", row.ID, err)
	}
	rec := &record{
		inv: row.invoice(), stripeRequested: row.StripeRequestedAt.Valid,
		finalizeRequested: row.FinalizeRequestedAt.Valid, itemRequested: map[string]bool{},
	}
	for _, l := range lines {
		rec.inv.Lines = append(rec.inv.Lines, l.line())
		rec.itemRequested[l.Key] = l.ItemRequestedAt.Valid
	}
	return rec, nil
}

// insertInvoice stores a new invoice with its lines in one transaction.
func (s *Service) insertInvoice(ctx context.Context, inv Invoice, runID string) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("invoicing: store invoice %s: %w", inv.ID, err)
	}
	defer tx.Rollback()
	now := s.clock()
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO invoices (id, partner_id, customer_id, period, currency,
		state, stripe_status, total, list_total, run_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`),
		inv.ID, inv.PartnerID, inv.CustomerID, inv.Period, inv.Currency, inv.State,
		inv.Total.String(), inv.ListTotal.String(), runID, now, now); err != nil {
		return fmt.Errorf("invoicing: store invoice %s: %w", inv.ID, err)
	}
	for i, l := range inv.Lines {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO invoice_lines (invoice_id, line_key, position,
			resource_id, resource_type, slug_id, zone, usage_from, usage_to, quantity, unit, unit_price, amount,
			list_amount, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			inv.ID, l.Key, i, l.ResourceID, l.ResourceType, l.SlugID, l.Zone, l.From, l.To, l.Quantity.String(),
			l.Unit, l.UnitPrice.String(), l.Amount.String(), l.ListAmount.String(), l.Description); err != nil {
			return fmt.Errorf("invoicing: store line %s of %s: %w", l.Key, inv.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("invoicing: store invoice %s: %w", inv.ID, err)
	}
	return nil
}

// exec runs one write. Outcomes of Stripe calls are written even when ctx
// was cancelled meanwhile: losing one would send the call again later.
func (s *Service) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := s.db.ExecContext(context.WithoutCancel(ctx), s.db.Rebind(query), args...); err != nil {
		return fmt.Errorf("invoicing: %s: %w", what, err)
	}
	return nil
}

// stripeCustomer reads the recorded Stripe customer of a portal customer:
// its id ("" when Stripe has not answered yet) and whether its creation was
// requested.
func (s *Service) stripeCustomer(ctx context.Context, partnerID, customerID string) (id string, requested bool, err error) {
	var sid sql.NullString
	err = s.db.GetContext(ctx, &sid, s.db.Rebind(`SELECT stripe_id FROM stripe_customers
		WHERE partner_id = ? AND customer_id = ?`), partnerID, customerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("invoicing: load Stripe customer of %s: %w", customerID, err)
	}
	return sid.String, true, nil
}

// Invoices lists a partner's invoices, newest period first, with their lines.
func (s *Service) Invoices(ctx context.Context, partnerID string) ([]Invoice, error) {
	return s.listInvoices(ctx, `i.partner_id = ?`, partnerID)
}

// CustomerInvoices lists one customer's invoices, newest period first, with
// their lines. A customer of another partner has none.
func (s *Service) CustomerInvoices(ctx context.Context, partnerID, customerID string) ([]Invoice, error) {
	return s.listInvoices(ctx, `i.partner_id = ? AND i.customer_id = ?`, partnerID, customerID)
}

// listInvoices reads the invoices (alias i) matching where, and their lines.
func (s *Service) listInvoices(ctx context.Context, where string, args ...any) ([]Invoice, error) {
	var rows []invoiceRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+invoiceColumns+` FROM invoices i
		WHERE `+where+` ORDER BY period DESC, customer_id`), args...); err != nil {
		return nil, fmt.Errorf("invoicing: list invoices: %w", err)
	}
	var lines []lineRow
	if err := s.db.SelectContext(ctx, &lines, s.db.Rebind(`SELECT l.invoice_id, l.line_key, l.position,
		l.resource_id, l.resource_type, l.slug_id, l.zone, l.usage_from, l.usage_to, l.quantity, l.unit, l.unit_price,
		l.amount, l.list_amount, l.description, l.stripe_item_id, l.item_requested_at FROM invoice_lines l
		JOIN invoices i ON i.id = l.invoice_id WHERE `+where+` ORDER BY l.invoice_id, l.position`), args...); err != nil {
		return nil, fmt.Errorf("invoicing: list invoice lines: %w", err)
	}
	byInvoice := map[string][]InvoiceLine{}
	for _, l := range lines {
		byInvoice[l.InvoiceID] = append(byInvoice[l.InvoiceID], l.line())
	}
	out := make([]Invoice, 0, len(rows))
	for _, r := range rows {
		inv := r.invoice()
		inv.Lines = byInvoice[r.ID]
		out = append(out, inv)
	}
	return out, nil
}

// Wholesale sums a partner's invoices of a period per currency: what it owes
// the platform at list price, what it bills its customers, and the margin.
// Every stored invoice counts, finalized or not, as its lines are fixed.
func (s *Service) Wholesale(ctx context.Context, partnerID, period string) (Wholesale, error) {
	if _, _, err := periodBounds(period); err != nil {
		return Wholesale{}, err
	}
	var rows []struct {
		Currency  string          `db:"currency"`
		Total     decimal.Decimal `db:"total"`
		ListTotal decimal.Decimal `db:"list_total"`
	}
	// Decimals are TEXT: sum them in Go, exactly.
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT currency, total, list_total FROM invoices
		WHERE partner_id = ? AND period = ?`), partnerID, period); err != nil {
		return Wholesale{}, fmt.Errorf("invoicing: wholesale of %s: %w", period, err)
	}
	by := map[string]*WholesaleTotal{}
	for _, r := range rows {
		cur := r.Currency
		if cur == "" {
			continue // an empty invoice without any line: no money, no currency
		}
		t := by[cur]
		if t == nil {
			t = &WholesaleTotal{Currency: cur}
			by[cur] = t
		}
		t.Invoices++
		t.List = t.List.Add(r.ListTotal)
		t.Billed = t.Billed.Add(r.Total)
	}
	w := Wholesale{PartnerID: partnerID, Period: period}
	for _, t := range by {
		t.Margin = t.Billed.Sub(t.List)
		w.Currencies = append(w.Currencies, *t)
	}
	sort.Slice(w.Currencies, func(i, j int) bool { return w.Currencies[i].Currency < w.Currencies[j].Currency })
	return w, nil
}

// runRow is an invoice_runs row.
type runRow struct {
	ID          string       `db:"id"`
	PartnerID   string       `db:"partner_id"`
	Period      string       `db:"period"`
	Status      string       `db:"status"`
	Total       int          `db:"total"`
	Done        int          `db:"done"`
	Created     int          `db:"created"`
	AlreadyDone int          `db:"already_done"`
	Empty       int          `db:"empty"`
	Failed      int          `db:"failed"`
	Error       string       `db:"error"`
	Problem     string       `db:"problem"`
	StartedAt   time.Time    `db:"started_at"`
	UpdatedAt   time.Time    `db:"updated_at"`
	FinishedAt  sql.NullTime `db:"finished_at"`
}

// Runs lists a partner's invoicing runs, newest first.
func (s *Service) Runs(ctx context.Context, partnerID string) ([]RunRecord, error) {
	var rows []runRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, partner_id, period, status, total, done,
		created, already_done, empty, failed, error, problem, started_at, updated_at, finished_at
		FROM invoice_runs WHERE partner_id = ? ORDER BY started_at DESC, id DESC`), partnerID); err != nil {
		return nil, fmt.Errorf("invoicing: list runs: %w", err)
	}
	out := make([]RunRecord, 0, len(rows))
	for _, r := range rows {
		rec := RunRecord{
			ID: r.ID, PartnerID: r.PartnerID, Period: r.Period, Status: r.Status, Total: r.Total, Done: r.Done,
			Created: r.Created, AlreadyDone: r.AlreadyDone, Empty: r.Empty, Failed: r.Failed, Error: r.Error,
			Problem: r.Problem, StartedAt: r.StartedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		}
		if r.FinishedAt.Valid {
			rec.FinishedAt = r.FinishedAt.Time.UTC()
		}
		out = append(out, rec)
	}
	return out, nil
}

// startRun takes the partner's lease on the period and records a running
// run. It answers ErrRunInProgress while another run holds a live lease.
func (s *Service) startRun(ctx context.Context, partnerID, period string) (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("invoicing: run id: %w", err)
	}
	runID := "run_" + id.String()
	now := s.clock()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("invoicing: start run: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM invoice_locks
		WHERE partner_id = ? AND period = ? AND expires_at < ?`), partnerID, period, now); err != nil {
		return "", fmt.Errorf("invoicing: start run: %w", err)
	}
	var held []leaseRow
	if err := tx.SelectContext(ctx, &held, tx.Rebind(`SELECT partner_id, period, run_id, holder, taken_at, expires_at
		FROM invoice_locks WHERE partner_id = ? AND period = ?`), partnerID, period); err != nil {
		return "", fmt.Errorf("invoicing: start run: %w", err)
	}
	if len(held) > 0 {
		return "", &LeaseError{Lease: held[0].lease()}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO invoice_locks (partner_id, period, run_id, holder, taken_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), partnerID, period, runID, s.holder, now, now.Add(s.lease)); err != nil {
		// A concurrent run took the lease between our check and insert.
		return "", fmt.Errorf("%w (%v)", ErrRunInProgress, err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO invoice_runs (id, partner_id, period, status,
		started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`), runID, partnerID, period, RunRunning, now, now); err != nil {
		return "", fmt.Errorf("invoicing: start run: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("invoicing: start run: %w", err)
	}
	return runID, nil
}

// saveRun records a run's counts and extends its lease; a finished run
// gets its final status and releases the lease.
func (s *Service) saveRun(ctx context.Context, partnerID, period string, r *RunRecord) error {
	now := s.clock()
	var finished any
	if r.Status != RunRunning {
		finished = now
	}
	if err := s.exec(ctx, "save run "+r.ID, `UPDATE invoice_runs SET status = ?, total = ?, done = ?, created = ?,
		already_done = ?, empty = ?, failed = ?, error = ?, problem = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
		r.Status, r.Total, r.Done, r.Created, r.AlreadyDone, r.Empty, r.Failed, r.Error, r.Problem, now, finished, r.ID); err != nil {
		return err
	}
	if r.Status != RunRunning {
		return s.exec(ctx, "release run "+r.ID, `DELETE FROM invoice_locks WHERE partner_id = ? AND period = ?
			AND run_id = ?`, partnerID, period, r.ID)
	}
	return s.exec(ctx, "extend run "+r.ID, `UPDATE invoice_locks SET expires_at = ? WHERE partner_id = ?
		AND period = ? AND run_id = ?`, now.Add(s.lease), partnerID, period, r.ID)
}
