package invoicing_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing/invoicing"
)

// byCustomer indexes invoices by customer id.
func byCustomer(invs []invoicing.Invoice) map[string]invoicing.Invoice {
	m := map[string]invoicing.Invoice{}
	for _, inv := range invs {
		m[inv.CustomerID] = inv
	}
	return m
}

// keyCounts counts the POSTs per idempotency key whose key has prefix.
func keyCounts(rs []stripeRequest, prefix string) map[string]int {
	m := map[string]int{}
	for _, r := range writes(rs) {
		if strings.HasPrefix(r.Key, prefix) {
			m[r.Key]++
		}
	}
	return m
}

func TestRunInvoicesEachCustomer(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	var steps []string
	res, err := svc.Run(context.Background(), f.partner, period, func(p invoicing.Progress) {
		steps = append(steps, p.Customer+":"+p.Step)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("got errors %v, want none", res.Errors)
	}
	if res.Created != 2 || res.Empty != 1 || res.AlreadyDone != 0 {
		t.Errorf("got created %d, empty %d, already done %d; want 2, 1, 0", res.Created, res.Empty, res.AlreadyDone)
	}
	invs := byCustomer(res.Invoices)
	tests := []struct {
		customer, total, list, state, status string
		lines, items                         int
	}{
		{"cus_road", "19.85", "15.66", invoicing.StateFinalized, "", 3, 3},
		{"cus_coyote", "0.13", "0.1", invoicing.StateFinalized, "", 2, 1},
		{"cus_idle", "0", "0", invoicing.StateEmpty, invoicing.StatusEmpty, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.customer, func(t *testing.T) {
			inv, ok := invs[tt.customer]
			if !ok {
				t.Fatalf("got no invoice, want one")
			}
			if !inv.Total.Equal(decimal.RequireFromString(tt.total)) {
				t.Errorf("got total %s, want %s", inv.Total, tt.total)
			}
			if !inv.ListTotal.Equal(decimal.RequireFromString(tt.list)) {
				t.Errorf("got list total %s, want %s", inv.ListTotal, tt.list)
			}
			if inv.State != tt.state {
				t.Errorf("got state %q, want %q", inv.State, tt.state)
			}
			if tt.status != "" && inv.Status != tt.status {
				t.Errorf("got status %q, want %q", inv.Status, tt.status)
			}
			if len(inv.Lines) != tt.lines {
				t.Errorf("got %d lines, want %d", len(inv.Lines), tt.lines)
			}
			items := 0
			for _, l := range inv.Lines {
				if l.StripeItemID != "" {
					items++
				}
			}
			if items != tt.items {
				t.Errorf("got %d lines sent to Stripe, want %d", items, tt.items)
			}
			if tt.state == invoicing.StateFinalized && (inv.StripeInvoiceID == "" || inv.StripeCustomerID == "") {
				t.Errorf("got Stripe invoice %q customer %q, want both", inv.StripeInvoiceID, inv.StripeCustomerID)
			}
			if tt.state == invoicing.StateEmpty && inv.StripeInvoiceID != "" {
				t.Errorf("got Stripe invoice %q for an empty invoice, want none", inv.StripeInvoiceID)
			}
		})
	}

	// What reached Stripe: 2 customers, 2 drafts, 4 items, 2 finalizations.
	ws := writes(f.stripe.requests())
	var amounts []string
	kinds := map[string]int{}
	for _, r := range ws {
		switch {
		case strings.HasPrefix(r.Key, "grisaille-cus-"):
			kinds["customer"]++
			if got := r.Form.Get("metadata[grisaille_customer]"); "grisaille-cus-"+got != r.Key {
				t.Errorf("got customer metadata %q for key %q", got, r.Key)
			}
		case strings.HasPrefix(r.Key, "grisaille-inv-"):
			kinds["invoice"]++
			if r.Form.Get("pending_invoice_items_behavior") != "exclude" || r.Form.Get("auto_advance") != "false" ||
				r.Form.Get("metadata[grisaille_period]") != period {
				t.Errorf("got draft invoice form %v, want exclude, no auto advance, the period", r.Form)
			}
		case strings.HasPrefix(r.Key, "grisaille-ii-"):
			kinds["item"]++
			amounts = append(amounts, r.Form.Get("amount")+" "+r.Form.Get("currency"))
		case strings.HasPrefix(r.Key, "grisaille-fin-"):
			kinds["finalize"]++
		default:
			t.Errorf("got a Stripe write %s %s with key %q, want a grisaille key", r.Method, r.Path, r.Key)
		}
	}
	for kind, want := range map[string]int{"customer": 2, "invoice": 2, "item": 4, "finalize": 2} {
		if kinds[kind] != want {
			t.Errorf("got %d %s writes, want %d", kinds[kind], kind, want)
		}
	}
	sort.Strings(amounts)
	if got, want := strings.Join(amounts, ","), "13 eur,276 eur,744 eur,965 eur"; got != want {
		t.Errorf("got item amounts %s, want %s", got, want)
	}
	// Customers are invoiced several at once: each one's steps end with done.
	last := map[string]string{}
	for _, st := range steps {
		cus, step, _ := strings.Cut(st, ":")
		last[cus] = step
	}
	for _, cus := range []string{"cus_idle", "cus_road", "cus_coyote"} {
		if last[cus] != "done" {
			t.Errorf("got progress %v, want %s's steps to end with done", steps, cus)
		}
	}

	// The stored invoices are those the run answered.
	stored, err := svc.CustomerInvoices(context.Background(), f.partner, "cus_road")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].ID != invs["cus_road"].ID || len(stored[0].Lines) != 3 {
		t.Errorf("got stored %+v, want the run's invoice with 3 lines", stored)
	}
	if other, err := svc.CustomerInvoices(context.Background(), "another-partner", "cus_road"); err != nil || len(other) != 0 {
		t.Errorf("got %d invoices, %v for another partner, want none", len(other), err)
	}
	runs, err := svc.Runs(context.Background(), f.partner)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != invoicing.RunDone || runs[0].Done != 3 || runs[0].Created != 2 ||
		runs[0].FinishedAt.IsZero() {
		t.Errorf("got runs %+v, want one done run of 3 customers, 2 created", runs)
	}
}

func TestRerunCreatesNothing(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	first, err := svc.Run(context.Background(), f.partner, period, nil)
	if err != nil || len(first.Errors) > 0 {
		t.Fatalf("first run: %v %v", err, first.Errors)
	}
	f.stripe.requests()
	priced, read := f.pricer.count(), f.usage.count()

	second, err := svc.Run(context.Background(), f.partner, period, nil)
	if err != nil || len(second.Errors) > 0 {
		t.Fatalf("second run: %v %v", err, second.Errors)
	}
	if got := f.stripe.requests(); len(got) != 0 {
		t.Errorf("got %d Stripe requests on the re-run (%v), want none", len(got), got)
	}
	if f.pricer.count() != priced || f.usage.count() != read {
		t.Errorf("got %d prices and %d usage reads on the re-run, want none",
			f.pricer.count()-priced, f.usage.count()-read)
	}
	if second.Created != 0 || second.AlreadyDone != 3 {
		t.Errorf("got created %d, already done %d; want 0, 3", second.Created, second.AlreadyDone)
	}
	a, b := byCustomer(first.Invoices), byCustomer(second.Invoices)
	for id, inv := range a {
		if b[id].ID != inv.ID || !b[id].Total.Equal(inv.Total) {
			t.Errorf("customer %s: got invoice %s %s, want %s %s", id, b[id].ID, b[id].Total, inv.ID, inv.Total)
		}
	}
	runs, _ := svc.Runs(context.Background(), f.partner)
	if len(runs) != 2 || runs[0].AlreadyDone != 3 || runs[0].Status != invoicing.RunDone {
		t.Errorf("got runs %+v, want two, the newest with 3 already done", runs)
	}
}

func TestKilledRunBillsEachLineOnce(t *testing.T) {
	tests := []struct {
		name string
		// killAfter chooses the answered request after which the run is
		// killed: the next request is cancelled before it reaches Stripe.
		killAfter func(r stripeRequest, items int) bool
	}{
		{"after the first item", func(_ stripeRequest, items int) bool { return items == 1 }},
		{"after the third item", func(_ stripeRequest, items int) bool { return items == 3 }},
		{"after a draft invoice", func(r stripeRequest, _ int) bool { return strings.HasPrefix(r.Key, "grisaille-inv-") }},
		{"after a finalization", func(r stripeRequest, _ int) bool { return strings.HasPrefix(r.Key, "grisaille-fin-") }},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, invoicing.DefaultWorkers} {
			t.Run(fmt.Sprintf("%s, %d at once", tt.name, workers), func(t *testing.T) {
				f := newFixture(t)
				svc := f.service(invoicing.WithWorkers(workers))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var mu sync.Mutex
				items, armed, killed := 0, false, false
				f.stripe.after = func(r stripeRequest) {
					mu.Lock()
					defer mu.Unlock()
					if strings.HasPrefix(r.Key, "grisaille-ii-") {
						items++
					}
					if !killed && !armed && tt.killAfter(r, items) {
						armed = true
					}
				}
				f.stripe.before = func(stripeRequest) action {
					mu.Lock()
					defer mu.Unlock()
					if armed && !killed {
						killed = true
						cancel()
						return block
					}
					return forward
				}
				_, err := svc.Run(ctx, f.partner, period, nil)
				mu.Lock()
				wasKilled := killed
				mu.Unlock()
				// Several customers at once, the other requests may all be
				// sent when the kill is armed: there is nothing left to kill.
				if !errors.Is(err, context.Canceled) && (workers == 1 || wasKilled) {
					t.Fatalf("got killed run error %v, want context.Canceled", err)
				}
				f.stripe.after, f.stripe.before = nil, nil
				res, err := svc.Run(context.Background(), f.partner, period, nil)
				if err != nil || len(res.Errors) > 0 {
					t.Fatalf("re-run: %v %v", err, res.Errors)
				}
				all := f.stripe.requests()
				for prefix, want := range map[string]int{"grisaille-ii-": 4, "grisaille-inv-": 2, "grisaille-fin-": 2, "grisaille-cus-": 2} {
					counts := keyCounts(all, prefix)
					if len(counts) != want {
						t.Errorf("got %d distinct %s keys, want %d", len(counts), prefix, want)
					}
					for k, n := range counts {
						// One customer at a time, the kill cuts one request, whose
						// retry is the re-run's; several at once, a request of
						// another customer may be cut in flight too and sent again
						// with its key, which Stripe answers once.
						if n != 1 && (workers == 1 || n > 2) {
							t.Errorf("got %d writes with key %s, want 1", n, k)
						}
					}
				}
				invs, err := svc.Invoices(context.Background(), f.partner)
				if err != nil {
					t.Fatal(err)
				}
				for _, inv := range invs {
					if inv.State != invoicing.StateFinalized && inv.State != invoicing.StateEmpty {
						t.Errorf("customer %s: got state %q, want finalized", inv.CustomerID, inv.State)
					}
				}
				runs, _ := svc.Runs(context.Background(), f.partner)
				first := invoicing.RunFailed
				if !wasKilled {
					first = invoicing.RunDone
				}
				if len(runs) != 2 || runs[1].Status != first || runs[0].Status != invoicing.RunDone {
					t.Errorf("got runs %+v, want a %s run then a done one", runs, first)
				}
			})
		}
	}
}

// TestLostAnswerResendsSameKey: Stripe created an item but its answer was
// lost. The re-run first lists the invoice's items to find it, and only
// then sends the creation again, with the same idempotency key, so that
// Stripe answers with the item it already made (stripe-mock, stateless,
// makes another: the test checks the key, not the mock's memory).
func TestLostAnswerResendsSameKey(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	var lost string
	f.stripe.before = func(r stripeRequest) action {
		if lost == "" && strings.HasPrefix(r.Key, "grisaille-ii-") {
			lost = r.Key
			return lose
		}
		return forward
	}
	res, err := svc.Run(context.Background(), f.partner, period, nil)
	if err != nil || len(res.Errors) != 1 {
		t.Fatalf("got %v and errors %v, want one customer error", err, res.Errors)
	}
	f.stripe.before = nil
	first := f.stripe.requests()
	res, err = svc.Run(context.Background(), f.partner, period, nil)
	if err != nil || len(res.Errors) > 0 || res.Created != 1 || res.AlreadyDone != 2 || res.Empty != 0 {
		t.Fatalf("re-run: %v %v, created %d, already done %d", err, res.Errors, res.Created, res.AlreadyDone)
	}
	second := f.stripe.requests()
	listed := -1
	for i, r := range second {
		if r.Method == http.MethodGet && r.Path == "/v1/invoiceitems" && listed < 0 {
			listed = i
		}
		if r.Key == lost && listed < 0 {
			t.Errorf("got the item re-sent before any lookup, want a lookup first")
		}
	}
	if listed < 0 {
		t.Errorf("got no lookup of the invoice's items, want one")
	}
	counts := keyCounts(append(first, second...), "grisaille-ii-")
	for k, n := range counts {
		want := 1
		if k == lost {
			want = 2 // the lost one, then its replay under the same key
		}
		if n != want {
			t.Errorf("got %d writes with key %s, want %d", n, k, want)
		}
	}
	if len(counts) != 4 {
		t.Errorf("got %d item keys, want 4", len(counts))
	}
}

func TestMissingStripeKey(t *testing.T) {
	tests := []struct {
		name string
		keys invoicing.Keys
	}{
		{"no key", fakeKeys{}},
		{"unreadable key", failingKeys{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			svc := invoicing.NewService(f.db, f.pricer, f.customers, f.usage, tt.keys,
				invoicing.WithStripeURL(f.stripe.URL))
			res, err := svc.Run(context.Background(), f.partner, period, nil)
			if err != nil {
				t.Fatalf("got run error %v, want per-customer errors", err)
			}
			if len(res.Errors) != 3 {
				t.Fatalf("got %d errors, want one per customer (3): %v", len(res.Errors), res.Errors)
			}
			for _, e := range res.Errors {
				if tt.name == "no key" && !errors.Is(e, invoicing.ErrNoStripeKey) {
					t.Errorf("got %v, want ErrNoStripeKey", e)
				}
				if !strings.Contains(e.Error(), "cus_") {
					t.Errorf("got %q, want the customer named", e)
				}
			}
			if f.pricer.count() != 0 || len(f.stripe.requests()) != 0 {
				t.Errorf("got %d prices and Stripe requests, want none without a key", f.pricer.count())
			}
			runs, _ := svc.Runs(context.Background(), f.partner)
			if len(runs) != 1 || runs[0].Status != invoicing.RunFailed || runs[0].Failed != 3 || runs[0].Error == "" {
				t.Errorf("got runs %+v, want one failed run with 3 failures and their text", runs)
			}
		})
	}
}

// failingKeys cannot read any key.
type failingKeys struct{}

func (failingKeys) StripeKey(context.Context, string) (string, error) {
	return "", errors.New("sealed key unreadable")
}

func TestCustomerErrorsDoNotStopTheRun(t *testing.T) {
	f := newFixture(t)
	f.usage.byOrg["orga_coyote"] = append(f.usage.byOrg["orga_coyote"], consumption("orga_coyote", "app_9", "unknown", "1"))
	f.pricer.currency["cus_road"] = "USD"
	f.usage.byOrg["orga_idle"] = []platform.Consumption{consumption("orga_idle", "app_5", "apps.XS", "1")}
	res, err := f.service().Run(context.Background(), f.partner, period, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "cus_coyote") {
		t.Fatalf("got errors %v, want one for cus_coyote's unpriced line", res.Errors)
	}
	invs := byCustomer(res.Invoices)
	if invs["cus_road"].Currency != "USD" || invs["cus_idle"].State != invoicing.StateFinalized {
		t.Errorf("got %+v, want cus_road in USD and cus_idle finalized", invs)
	}
}

func TestConcurrentRunRefused(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	var inner error
	once := sync.Once{}
	_, err := svc.Run(context.Background(), f.partner, period, func(invoicing.Progress) {
		once.Do(func() { _, inner = svc.Run(context.Background(), f.partner, period, nil) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inner, invoicing.ErrRunInProgress) {
		t.Errorf("got concurrent run error %v, want ErrRunInProgress", inner)
	}
	if _, err := svc.Run(context.Background(), f.partner, period, nil); err != nil {
		t.Errorf("got %v after the first run ended, want the lease released", err)
	}
}

func TestWholesale(t *testing.T) {
	f := newFixture(t)
	f.pricer.currency["cus_coyote"] = "USD"
	svc := f.service()
	if _, err := svc.Run(context.Background(), f.partner, period, nil); err != nil {
		t.Fatal(err)
	}
	w, err := svc.Wholesale(context.Background(), f.partner, period)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		currency, list, billed, margin string
		invoices                       int
	}{
		{"EUR", "15.66", "19.85", "4.19", 1},
		{"USD", "0.1", "0.13", "0.03", 1},
	}
	if len(w.Currencies) != len(want) {
		t.Fatalf("got %+v, want %d currencies", w.Currencies, len(want))
	}
	for i, tt := range want {
		got := w.Currencies[i]
		if got.Currency != tt.currency || got.Invoices != tt.invoices || !got.List.Equal(decimal.RequireFromString(tt.list)) ||
			!got.Billed.Equal(decimal.RequireFromString(tt.billed)) || !got.Margin.Equal(decimal.RequireFromString(tt.margin)) {
			t.Errorf("got %s: list %s billed %s margin %s (%d invoices), want %s: %s %s %s (%d)", got.Currency,
				got.List, got.Billed, got.Margin, got.Invoices, tt.currency, tt.list, tt.billed, tt.margin, tt.invoices)
		}
	}
	if w, err := svc.Wholesale(context.Background(), f.partner, "2025-04"); err != nil || len(w.Currencies) != 0 {
		t.Errorf("got %+v, %v for an uninvoiced month, want nothing", w, err)
	}
	if _, err := svc.Wholesale(context.Background(), f.partner, "2025-3"); !errors.Is(err, invoicing.ErrInvalidPeriod) {
		t.Errorf("got %v for a bad period, want ErrInvalidPeriod", err)
	}
}
