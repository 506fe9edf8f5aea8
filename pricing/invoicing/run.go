package invoicing

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/grisaille/grisaille/tenants"
)

// outcome is what a run did with one customer.
type outcome int

const (
	outCreated outcome = iota
	outAlreadyDone
	outEmpty
)

// maxErrorText is the longest error text a run record keeps.
const maxErrorText = 2000

// Run invoices every customer of a partner for period ("YYYY-MM", a UTC
// month), exactly once per customer: a customer already invoiced for the
// period is skipped, one left half-way by an earlier run is completed with
// the lines stored then. A customer that fails is reported in
// RunResult.Errors and the run goes on; progress, if not nil, is called as
// each customer advances. The run is recorded (see Runs) and updated as
// customers complete. Run returns an error only when the whole run fails:
// a bad period, another run of the same partner and period in progress
// (ErrRunInProgress), the customers unreadable, or ctx cancelled.
func (s *Service) Run(ctx context.Context, partnerID, period string, progress func(Progress)) (RunResult, error) {
	res := RunResult{Period: period}
	if _, _, err := periodBounds(period); err != nil {
		return res, err
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	runID, err := s.startRun(ctx, partnerID, period)
	if err != nil {
		return res, err
	}
	res.RunID = runID
	// The run's own context ends when its lease is lost (released to
	// resume it elsewhere) or a record can't be written.
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go s.heartbeat(runCtx, partnerID, period, runID, func() { stop(errLeaseLost) })
	s.stats.running.Add(1)
	defer s.stats.running.Add(-1)
	rec := &RunRecord{ID: runID, PartnerID: partnerID, Period: period, Status: RunRunning}
	log := s.log.With("partner", partnerID, "period", period, "run", runID)
	log.Info("invoicing run started")

	fail := func(err error) (RunResult, error) {
		rec.Status = RunFailed
		rec.Error = errorText(append([]error{err}, res.Errors...))
		rec.Problem = ProblemOf(append([]error{err}, res.Errors...))
		if serr := s.saveRun(ctx, partnerID, period, rec); serr != nil {
			log.Error("invoicing run not saved", "err", serr)
		}
		log.Error("invoicing run failed", "err", err)
		return res, err
	}

	customers, err := s.customers.Customers(ctx, partnerID)
	if err != nil {
		return fail(fmt.Errorf("invoicing: customers of %s: %w", partnerID, err))
	}
	rec.Total = len(customers)
	if err := s.saveRun(ctx, partnerID, period, rec); err != nil {
		return fail(err)
	}
	var api *stripeAPI
	key, keyErr := s.keys.StripeKey(ctx, partnerID)
	switch {
	case keyErr != nil:
		keyErr = fmt.Errorf("invoicing: Stripe key of %s: %w", partnerID, keyErr)
	case key == "":
		keyErr = ErrNoStripeKey
	default:
		api = s.newStripe(key)
	}

	// Several customers at once, each exactly once: every Stripe write
	// carries its idempotency key, and the records are written under mu.
	var (
		mu       sync.Mutex // guards rec, res, results and saveErr
		results  = make([]customerResult, len(customers))
		saveErr  error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, max(s.workers, 1))
		customer = func(i int, c tenants.Customer) {
			report := func(step string, inv *Invoice) {
				mu.Lock()
				defer mu.Unlock()
				progress(Progress{Customer: c.ID, Step: step, Done: rec.Done, Total: rec.Total, Invoice: inv})
			}
			var r customerResult
			if c.PartnerID != "" && c.PartnerID != partnerID {
				r.err = fmt.Errorf("belongs to partner %s, not %s", c.PartnerID, partnerID)
			} else {
				c.PartnerID = partnerID
				r.inv, r.out, r.err = s.invoiceCustomer(runCtx, api, keyErr, runID, c, period, report)
				if r.err != nil && r.inv.ID != "" {
					s.dropUnissued(ctx, r.inv.ID)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			rec.Done++
			s.stats.count(r)
			switch {
			case r.err != nil:
				r.err = fmt.Errorf("invoicing: customer %s (%s): %w", c.ID, c.Name, r.err)
				rec.Failed++
				log.Warn("invoicing customer failed", "customer", c.ID, "err", r.err)
			case r.out == outAlreadyDone:
				rec.AlreadyDone++
				res.AlreadyDone++
				progress(Progress{Customer: c.ID, Step: StepSkipped, Done: rec.Done, Total: rec.Total, Invoice: &r.inv})
			default:
				if r.out == outEmpty {
					rec.Empty++
					res.Empty++
				} else {
					rec.Created++
					res.Created++
				}
				progress(Progress{Customer: c.ID, Step: StepDone, Done: rec.Done, Total: rec.Total, Invoice: &r.inv})
			}
			r.done = true
			results[i] = r
			if err := s.saveRun(ctx, partnerID, period, rec); err != nil && saveErr == nil {
				saveErr = err
				stop(err)
			}
		}
	)
	for i, c := range customers {
		if runCtx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			customer(i, c)
		}()
	}
	wg.Wait()
	for _, r := range results { // in the customers' order
		switch {
		case !r.done:
		case r.err != nil:
			res.Errors = append(res.Errors, r.err)
		default:
			res.Invoices = append(res.Invoices, r.inv)
		}
	}
	if saveErr != nil {
		return fail(saveErr)
	}
	if cause := context.Cause(runCtx); runCtx.Err() != nil && ctx.Err() == nil {
		return fail(fmt.Errorf("invoicing: run %s stopped: %w", runID, cause))
	}
	if err := ctx.Err(); err != nil {
		return fail(fmt.Errorf("invoicing: run %s interrupted: %w", runID, err))
	}

	// A run whose lease was released while its heartbeat slept must not
	// report success: the run that resumed it owns the period now.
	var held int
	if err := s.db.GetContext(ctx, &held, s.db.Rebind(`SELECT COUNT(*) FROM invoice_locks WHERE partner_id = ? AND period = ?
		AND run_id = ?`), partnerID, period, runID); err != nil {
		return fail(fmt.Errorf("invoicing: run %s: %w", runID, err))
	}
	if held == 0 {
		return fail(fmt.Errorf("invoicing: run %s stopped: %w", runID, errLeaseLost))
	}
	rec.Status = RunDone
	if len(res.Errors) > 0 {
		rec.Status = RunFailed
		rec.Error, rec.Problem = errorText(res.Errors), ProblemOf(res.Errors)
	}
	if err := s.saveRun(ctx, partnerID, period, rec); err != nil {
		return res, err
	}
	log.Info("invoicing run finished", "created", res.Created, "already_done", res.AlreadyDone,
		"empty", res.Empty, "failed", len(res.Errors))
	return res, nil
}

// errorText joins errors for a run record, cut to maxErrorText.
func errorText(errs []error) string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	t := b.String()
	if len(t) > maxErrorText {
		t = t[:maxErrorText] + "…"
	}
	return t
}

// invoiceCustomer brings one customer's invoice for the period to its end:
// finalized in Stripe, or empty.
func (s *Service) invoiceCustomer(ctx context.Context, api *stripeAPI, keyErr error, runID string,
	c tenants.Customer, period string, report func(string, *Invoice)) (Invoice, outcome, error) {
	r, err := s.loadRecord(ctx, c.PartnerID, c.ID, period)
	if err != nil {
		return Invoice{}, 0, err
	}
	if r != nil && (r.inv.State == StateFinalized || r.inv.State == StateEmpty) {
		return r.inv, outAlreadyDone, nil
	}
	if keyErr != nil {
		return Invoice{}, 0, keyErr
	}
	if r == nil {
		if r, err = s.price(ctx, runID, c, period, report); err != nil {
			return Invoice{}, 0, err
		}
		if r.inv.State == StateEmpty {
			return r.inv, outEmpty, nil
		}
	}
	inv := &r.inv

	report(StepStripeCustomer, nil)
	if inv.StripeCustomerID == "" {
		sid, err := s.ensureCustomer(ctx, api, c)
		if err != nil {
			return *inv, 0, err
		}
		inv.StripeCustomerID = sid
		if err := s.exec(ctx, "record Stripe customer of "+inv.ID, `UPDATE invoices SET stripe_customer_id = ?,
			updated_at = ? WHERE id = ?`, sid, s.clock(), inv.ID); err != nil {
			return *inv, 0, err
		}
	}

	if inv.StripeInvoiceID == "" {
		if err := s.ensureDraft(ctx, api, r); err != nil {
			return *inv, 0, err
		}
	}

	report(StepItems, nil)
	if inv.State == StatePending {
		if err := s.ensureItems(ctx, api, r); err != nil {
			return *inv, 0, err
		}
	}

	report(StepInvoice, nil)
	if err := s.ensureFinalized(ctx, api, r); err != nil {
		return *inv, 0, err
	}
	return *inv, outCreated, nil
}

// price reads a customer's consumption, prices it and stores the invoice
// with its lines in one transaction: from then on, re-runs reuse them.
func (s *Service) price(ctx context.Context, runID string, c tenants.Customer, period string,
	report func(string, *Invoice)) (*record, error) {
	from, to, err := periodBounds(period)
	if err != nil {
		return nil, err
	}
	report(StepUsage, nil)
	cons, err := s.usage.Consumptions(ctx, c.PartnerID, c.OrganisationID, from, to)
	if err != nil {
		return nil, fmt.Errorf("consumption of %s: %w: %w", c.OrganisationID, errUsage, err)
	}
	priced := make([]Line, len(cons))
	for i, cn := range cons {
		if priced[i], err = s.pricer.PriceLine(ctx, c.PartnerID, c.ID, cn); err != nil {
			return nil, fmt.Errorf("price %s of %s: %w", cn.SlugID, cn.ResourceID, err)
		}
	}
	lines, currency, err := buildLines(cons, priced)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("invoice id: %w", err)
	}
	inv := Invoice{
		ID: "inv_" + id.String(), PartnerID: c.PartnerID, CustomerID: c.ID, Period: period, Currency: currency,
		State: StatePending, Lines: lines, CreatedAt: s.clock(),
	}
	inv.Total, inv.ListTotal = totals(lines)
	if !billable(lines) {
		inv.State, inv.Status = StateEmpty, StatusEmpty
	}
	if err := s.insertInvoice(ctx, inv, runID); err != nil {
		return nil, err
	}
	report(StepPriced, nil)
	r := &record{inv: inv, itemRequested: map[string]bool{}}
	return r, nil
}

// ensureCustomer returns the customer's Stripe customer, creating it once.
func (s *Service) ensureCustomer(ctx context.Context, api *stripeAPI, c tenants.Customer) (string, error) {
	sid, requested, err := s.stripeCustomer(ctx, c.PartnerID, c.ID)
	if err != nil || sid != "" {
		return sid, err
	}
	if requested {
		// An earlier request went unanswered: it may have created one.
		if sid, err = api.findCustomer(ctx, c.ID); err != nil {
			return "", err
		}
	} else if err := s.exec(ctx, "record Stripe customer intent of "+c.ID, `INSERT INTO stripe_customers
		(customer_id, partner_id, requested_at) VALUES (?, ?, ?)`, c.ID, c.PartnerID, s.clock()); err != nil {
		return "", err
	}
	if sid == "" {
		if sid, err = api.createCustomer(ctx, c.PartnerID, c.ID, c.Name); err != nil {
			return "", err
		}
	}
	if err := s.exec(ctx, "record Stripe customer of "+c.ID, `UPDATE stripe_customers SET stripe_id = ?,
		created_at = ? WHERE customer_id = ?`, sid, s.clock(), c.ID); err != nil {
		return "", err
	}
	return sid, nil
}

// ensureDraft creates the invoice's draft in Stripe once and records it.
func (s *Service) ensureDraft(ctx context.Context, api *stripeAPI, r *record) error {
	inv := &r.inv
	var (
		found *stripeInvoice
		err   error
	)
	if r.stripeRequested {
		if found, err = api.findInvoice(ctx, inv.StripeCustomerID, inv.ID); err != nil {
			return err
		}
	} else if err := s.exec(ctx, "record Stripe invoice intent of "+inv.ID, `UPDATE invoices
		SET stripe_requested_at = ?, updated_at = ? WHERE id = ?`, s.clock(), s.clock(), inv.ID); err != nil {
		return err
	}
	r.stripeRequested = true
	if found == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		if found, err = api.createInvoice(ctx, *inv, inv.StripeCustomerID); err != nil {
			return err
		}
	}
	inv.StripeInvoiceID, inv.Status = found.ID, string(found.Status)
	return s.exec(ctx, "record Stripe invoice of "+inv.ID, `UPDATE invoices SET stripe_invoice_id = ?,
		stripe_status = ?, updated_at = ? WHERE id = ?`, inv.StripeInvoiceID, inv.Status, s.clock(), inv.ID)
}

// ensureItems creates, once each, the invoice items of the invoice's
// billable lines, recording each one as it comes back, then marks the
// invoice itemized.
func (s *Service) ensureItems(ctx context.Context, api *stripeAPI, r *record) error {
	inv := &r.inv
	var existing map[string]string // items found in Stripe, read once when needed
	for i := range inv.Lines {
		l := &inv.Lines[i]
		if l.StripeItemID != "" || l.Amount.IsZero() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		id := ""
		if r.itemRequested[l.Key] {
			if existing == nil {
				var err error
				if existing, err = api.findItems(ctx, inv.StripeInvoiceID); err != nil {
					return err
				}
			}
			id = existing[l.Key]
		} else if err := s.exec(ctx, "record item intent of "+inv.ID, `UPDATE invoice_lines
			SET item_requested_at = ? WHERE invoice_id = ? AND line_key = ?`, s.clock(), inv.ID, l.Key); err != nil {
			return err
		}
		r.itemRequested[l.Key] = true
		if id == "" {
			var err error
			if id, err = api.createItem(ctx, *inv, *l); err != nil {
				return err
			}
		}
		l.StripeItemID = id
		if err := s.exec(ctx, "record item of "+inv.ID, `UPDATE invoice_lines SET stripe_item_id = ?
			WHERE invoice_id = ? AND line_key = ?`, id, inv.ID, l.Key); err != nil {
			return err
		}
	}
	inv.State = StateItemized
	return s.exec(ctx, "record invoice itemized "+inv.ID, `UPDATE invoices SET state = ?, updated_at = ?
		WHERE id = ?`, StateItemized, s.clock(), inv.ID)
}

// ensureFinalized finalizes the invoice in Stripe once and records its
// status and page.
func (s *Service) ensureFinalized(ctx context.Context, api *stripeAPI, r *record) error {
	inv := &r.inv
	var (
		got *stripeInvoice
		err error
	)
	if r.finalizeRequested {
		// An earlier request went unanswered: it may have finalized it.
		if got, err = api.getInvoice(ctx, inv.StripeInvoiceID); err != nil {
			return err
		}
		if got.Status == "draft" {
			got = nil
		}
	} else if err := s.exec(ctx, "record finalize intent of "+inv.ID, `UPDATE invoices
		SET finalize_requested_at = ?, updated_at = ? WHERE id = ?`, s.clock(), s.clock(), inv.ID); err != nil {
		return err
	}
	r.finalizeRequested = true
	if got == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		if got, err = api.finalize(ctx, *inv); err != nil {
			return err
		}
	}
	inv.State, inv.Status, inv.HostedURL, inv.PDFURL = StateFinalized, string(got.Status), got.HostedInvoiceURL, got.InvoicePDF
	now := s.clock()
	return s.exec(ctx, "record invoice finalized "+inv.ID, `UPDATE invoices SET state = ?, stripe_status = ?,
		hosted_url = ?, pdf_url = ?, finalized_at = ?, updated_at = ? WHERE id = ?`,
		inv.State, inv.Status, inv.HostedURL, inv.PDFURL, now, now, inv.ID)
}

// customerResult is what a run did with one customer.
type customerResult struct {
	done bool
	inv  Invoice
	out  outcome
	err  error
}

// runStats counts the customers the runs of this process invoiced, by
// outcome, and the runs in progress.
type runStats struct {
	created, alreadyDone, empty, failed atomic.Uint64
	running                             atomic.Int64
}

func (st *runStats) count(r customerResult) {
	switch {
	case r.err != nil:
		st.failed.Add(1)
	case r.out == outAlreadyDone:
		st.alreadyDone.Add(1)
	case r.out == outEmpty:
		st.empty.Add(1)
	default:
		st.created.Add(1)
	}
}

// RunStats is what this process's runs did: customers by outcome, and the
// runs in progress.
type RunStats struct {
	Created, AlreadyDone, Empty, Failed uint64
	Running                             int64
}

// Stats returns what this process's runs did.
func (s *Service) Stats() RunStats {
	return RunStats{Created: s.stats.created.Load(), AlreadyDone: s.stats.alreadyDone.Load(), Empty: s.stats.empty.Load(),
		Failed: s.stats.failed.Load(), Running: s.stats.running.Load()}
}
