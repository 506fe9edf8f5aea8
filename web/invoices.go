package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// runTimeout bounds one invoicing run started from the admin.
const runTimeout = 30 * time.Minute

// InvoiceRow is one invoice in a list.
type InvoiceRow struct {
	invoicing.Invoice
	Customer string
}

// InvoicesVM is the partner's invoicing page.
type InvoicesVM struct {
	Chrome    Chrome
	Period    string // the period the run form and the wholesale view show
	Runs      []invoicing.RunRecord
	Invoices  []InvoiceRow
	Page      components.Pagination
	Wholesale invoicing.Wholesale
	Running   bool
	// Leases are the runs in progress: who runs them, until when.
	Leases []invoicing.Lease
}

// lastMonth is the previous calendar month, "YYYY-MM", in UTC.
func lastMonth(now time.Time) string {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.AddDate(0, -1, 0).Format("2006-01")
}

// validPeriod reports whether p is a "YYYY-MM" month.
func validPeriod(p string) bool {
	_, err := time.Parse("2006-01", p)
	return err == nil && len(p) == 7
}

// AdminInvoices shows the partner's invoicing runs with their progress and
// outcome, its invoices, and what it owes the platform and bills for a
// period (the wholesale view).
func (h *Handler) AdminInvoices(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	period := c.QueryParam("period")
	if !validPeriod(period) {
		period = lastMonth(time.Now().UTC())
	}
	runs, err := h.cfg.Invoicing.Runs(ctx, p.ID)
	if err != nil {
		return err
	}
	invoices, err := h.cfg.Invoicing.Invoices(ctx, p.ID)
	if err != nil {
		return err
	}
	custs, err := h.cfg.Tenants.Customers(ctx, p.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, cu := range custs {
		names[cu.ID] = cu.Name
	}
	ws, err := h.cfg.Invoicing.Wholesale(ctx, p.ID, period)
	if err != nil {
		return err
	}
	vm := InvoicesVM{Chrome: h.chrome(c, i18n.T(ctx, "invoice.title")), Period: period, Runs: runs, Wholesale: ws}
	for _, inv := range invoices {
		vm.Invoices = append(vm.Invoices, InvoiceRow{Invoice: inv, Customer: names[inv.CustomerID]})
	}
	vm.Invoices, vm.Page = pageOf(c, vm.Invoices)
	if vm.Leases, err = h.cfg.Invoicing.Leases(ctx, p.ID); err != nil {
		return err
	}
	for _, r := range runs {
		if r.Status == invoicing.RunRunning {
			vm.Running = true
			vm.Chrome.Refresh = 3 // the page follows the run's progress
		}
	}
	return render(c, http.StatusOK, invoicesPage(vm))
}

// RunInvoicing starts invoicing the partner's customers for a period, in
// the background; the invoicing page shows its progress and outcome.
func (h *Handler) RunInvoicing(c echo.Context) error {
	period, err := runPeriod(c)
	if err != nil {
		return err
	}
	h.audit(c, "invoice.run", period, nil)
	return h.startRun(c, period)
}

// ResumeInvoicing takes back the lease of a run that holds a period (one
// whose instance died) and starts a run that carries on from where it
// stopped, billing nothing twice.
func (h *Handler) ResumeInvoicing(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	period, err := runPeriod(c)
	if err != nil {
		return err
	}
	l, err := h.cfg.Invoicing.Release(ctx, p.ID, period)
	if err != nil && !errors.Is(err, invoicing.ErrNoLease) {
		return err
	}
	h.audit(c, "invoice.resume", period+" "+l.RunID, nil)
	return h.startRun(c, period)
}

// runPeriod reads and checks the period a run form sends.
func runPeriod(c echo.Context) (string, error) {
	period := c.FormValue("period")
	if !validPeriod(period) {
		return "", NewUserError(http.StatusBadRequest, "invoice.error.period")
	}
	if period >= time.Now().UTC().Format("2006-01") {
		return "", NewUserError(http.StatusBadRequest, "invoice.error.future")
	}
	return period, nil
}

// startRun runs the partner's invoicing of period in the background and
// sends the admin to the invoicing page, which follows it.
func (h *Handler) startRun(c echo.Context, period string) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	// The run outlives the request: it has its own deadline, and a run cut
	// short (a restart, say) is finished by the next one without billing
	// anything twice.
	runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runTimeout)
	// Once the run reports its first step it is recorded, and the page it
	// redirects to shows it; a run that ends at once (nothing to do, or a
	// refusal) is shown too.
	started := make(chan struct{})
	var once sync.Once
	signal := func() { once.Do(func() { close(started) }) }
	go func() {
		defer cancel()
		defer signal()
		_, err := h.cfg.Invoicing.Run(runCtx, p.ID, period, func(invoicing.Progress) { signal() })
		if err != nil && !errors.Is(err, invoicing.ErrRunInProgress) {
			h.cfg.Logger.Error("invoicing run", slog.String("partner", p.Slug), slog.String("period", period), slog.String("error", err.Error()))
		}
	}()
	select {
	case <-started:
	case <-time.After(2 * time.Second):
	}
	setFlash(c, "ok", "flash.invoicing_started")
	return c.Redirect(http.StatusSeeOther, "/admin/invoices?period="+period)
}

// CustomerInvoicesVM is the customer's invoices page.
type CustomerInvoicesVM struct {
	Chrome   Chrome
	Invoices []invoicing.Invoice
	Page     components.Pagination
}

// ConsoleInvoices lists the customer's invoices: period, total, status and
// a link to pay or download each.
func (h *Handler) ConsoleInvoices(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	invoices, err := h.cfg.Invoicing.CustomerInvoices(ctx, s.partner.ID, s.customer.ID)
	if err != nil {
		return err
	}
	vm := CustomerInvoicesVM{Chrome: h.chrome(c, i18n.T(ctx, "invoice.title"))}
	for _, inv := range invoices {
		if inv.State == invoicing.StateFinalized || inv.State == invoicing.StateEmpty {
			vm.Invoices = append(vm.Invoices, inv)
		}
	}
	vm.Invoices, vm.Page = pageOf(c, vm.Invoices)
	return render(c, http.StatusOK, customerInvoicesPage(vm))
}

// ConsoleInvoice shows one of the customer's invoices with its lines and
// Stripe's page and PDF; another customer's invoice does not exist here.
func (h *Handler) ConsoleInvoice(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	invoices, err := h.cfg.Invoicing.CustomerInvoices(ctx, s.partner.ID, s.customer.ID)
	if err != nil {
		return err
	}
	for _, inv := range invoices {
		if inv.ID != c.Param("invoice") || inv.State != invoicing.StateFinalized {
			continue
		}
		names, err := h.resourceNames(ctx, s)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, customerInvoicePage(CustomerInvoiceVM{Chrome: h.chrome(c, i18n.T(ctx, "invoice.title")),
			Invoice: inv, Names: names}))
	}
	return echo.ErrNotFound
}
