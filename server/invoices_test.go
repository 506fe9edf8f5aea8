package server_test

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestInvoicingPages runs invoicing from the partner admin against
// stripe-mock, follows the run to its end, and checks the wholesale view
// and the customer's invoices page.
func TestInvoicingPages(t *testing.T) {
	a := newApp(t, withStripe(t))
	adm := a.client(t, "acme.localhost")
	adm.signIn("admin@acme.example")
	now := time.Now().UTC()
	period := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")

	if res, body := adm.do(http.MethodPost, "/admin/invoices/run", url.Values{"_csrf": {adm.csrf("/admin/invoices")}, "period": {"2999-01"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Only past months") {
		t.Fatalf("invoicing a future month: got %d, want 400", res.StatusCode)
	}
	res, _ := adm.do(http.MethodPost, "/admin/invoices/run", url.Values{"_csrf": {adm.csrf("/admin/invoices")}, "period": {period}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("run: %d", res.StatusCode)
	}
	page := adm.runDone(period, "the run")
	if !strings.Contains(page, "1 invoiced, 0 already done, 0 failed") {
		t.Errorf("the run's outcome is not shown")
	}
	owed := regexpFind(t, page, `data-testid="owed">([^<]+)<`)
	billed := regexpFind(t, page, `data-testid="billed">([^<]+)<`)
	margin := regexpFind(t, page, `data-testid="margin">([^<]+)<`)
	if owed == billed || !strings.HasSuffix(margin, "€") || strings.HasPrefix(margin, "-") {
		t.Errorf("wholesale: owed %s, billed %s, margin %s; want billed above owed (+20 %%)", owed, billed, margin)
	}

	c := a.client(t, "acme.localhost")
	c.signIn("dev@acme.example")
	_, mine := c.do(http.MethodGet, "/console/invoices", nil)
	total := regexpFind(t, mine, `data-testid="invoice-total">([^<]+)<`)
	if !strings.Contains(page, total) || !strings.Contains(mine, period) {
		t.Errorf("the customer's invoice (%s) is not the one the partner sees", total)
	}
	g := a.client(t, "globex.localhost")
	g.signIn("dev@globex.example")
	if _, other := g.do(http.MethodGet, "/console/invoices", nil); strings.Contains(other, `data-testid="invoice-row"`) {
		t.Errorf("globex's customer sees an invoice it was never sent")
	}
}

// TestResumeInvoicing shows the lease of a run whose instance died (who,
// since and until when), and resumes it at once from the admin: the run
// that follows invoices the period once.
func TestResumeInvoicing(t *testing.T) {
	a := newApp(t, withStripe(t))
	adm := a.client(t, "acme.localhost")
	adm.signIn("admin@acme.example")
	now := time.Now().UTC()
	period := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	p, err := a.store.PartnerBySlug(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	// The lease of a run whose instance is gone: it lapses in 10 minutes.
	if _, err := a.db.ExecContext(t.Context(), a.db.Rebind(`INSERT INTO invoice_locks (partner_id, period, run_id, holder, taken_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), p.ID, period, "run_dead", "node-7 pid 4242", now.Add(-time.Minute), now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, page := adm.do(http.MethodGet, "/admin/invoices?period="+period, nil)
	if !strings.Contains(page, `data-testid="lease"`) || !strings.Contains(page, "node-7 pid 4242") {
		t.Fatalf("the invoicing page does not say who holds the period")
	}
	res, _ := adm.do(http.MethodPost, "/admin/invoices/resume", url.Values{"_csrf": {adm.csrf("/admin/invoices")}, "period": {period}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume: %d", res.StatusCode)
	}
	page = adm.runDone(period, "the resumed run")
	if strings.Contains(page, `data-testid="lease"`) || !strings.Contains(page, "1 invoiced, 0 already done, 0 failed") {
		t.Errorf("after the resumed run: a lease is still shown, or the outcome is not one invoice")
	}
}

// runDone follows the admin's invoicing page until the period's run is
// done, and returns the page; a failed run, or one not done within 20 s,
// fails the test.
func (c *client) runDone(period, what string) string {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, page := c.do(http.MethodGet, "/admin/invoices?period="+period, nil)
		if strings.Contains(page, `data-status="done"`) {
			return page
		}
		if strings.Contains(page, `data-status="failed"`) || time.Now().After(deadline) {
			c.t.Fatalf("%s did not end well:\n%s", what, regexp.MustCompile(`(?s)<table class="list" data-testid="runs">.*?</table>`).FindString(page))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestInvoicingStripeDown: with Stripe unreachable, the run fails with a
// translated message saying what to do, no error text, and leaves no
// invoice "being issued" (nothing of it reached Stripe: the next run prices
// it again).
func TestInvoicingStripeDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there
	a := newApp(t, func(a *app) { a.stripeURL = down })
	adm := a.client(t, "acme.localhost")
	adm.signIn("admin@acme.example")
	now := time.Now().UTC()
	period := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	if res, _ := adm.do(http.MethodPost, "/admin/invoices/run", url.Values{"_csrf": {adm.csrf("/admin/invoices")}, "period": {period}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("run: %d", res.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	var page string
	for {
		_, page = adm.do(http.MethodGet, "/admin/invoices?period="+period, nil)
		if strings.Contains(page, `data-status="failed"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(page, `data-status="failed"`) || !strings.Contains(page, "Stripe could not be reached") {
		t.Fatalf("the failed run does not say what to do:\n%s", regexp.MustCompile(`(?s)<table class="list" data-testid="runs">.*?</table>`).FindString(page))
	}
	for _, leak := range []string{"dial tcp", "connection refused", "invoicing:", ln.Addr().String()} {
		if strings.Contains(page, leak) {
			t.Errorf("the invoicing page shows internal error text %q", leak)
		}
	}
	if strings.Contains(page, "Being issued") {
		t.Error("a failed run left an invoice being issued")
	}
	var n int
	if err := a.db.Get(&n, `SELECT COUNT(*) FROM invoices WHERE state = 'pending'`); err != nil || n != 0 {
		t.Fatalf("%d pending invoices after Stripe was unreachable: %v", n, err)
	}
}
