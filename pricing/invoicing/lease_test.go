package invoicing_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/pricing/invoicing"
)

// TestLeaseNamesItsHolder refuses a second run while one holds the
// partner's period, saying whose the lease is and until when; the
// heartbeat keeps a slow run's lease well past its length.
func TestLeaseNamesItsHolder(t *testing.T) {
	f := newFixture(t)
	const lease = 300 * time.Millisecond
	svc := f.service(invoicing.WithHolder("instance A"), invoicing.WithLease(lease))
	other := f.service(invoicing.WithHolder("instance B"), invoicing.WithLease(lease))
	release := make(chan struct{})
	var once sync.Once
	f.stripe.before = func(stripeRequest) action {
		once.Do(func() { <-release }) // the first Stripe call waits: the run is slow
		return forward
	}
	done := make(chan error, 1)
	go func() {
		_, err := svc.Run(context.Background(), f.partner, period, nil)
		done <- err
	}()
	// Three lease lengths later, the heartbeat still holds it.
	time.Sleep(3 * lease)
	_, err := other.Run(context.Background(), f.partner, period, nil)
	var le *invoicing.LeaseError
	if !errors.As(err, &le) || !errors.Is(err, invoicing.ErrRunInProgress) {
		t.Fatalf("a second run while the first holds the lease: got %v, want a LeaseError", err)
	}
	if le.Lease.Holder != "instance A" || !le.Lease.Until.After(time.Now()) || le.Lease.TakenAt.IsZero() {
		t.Errorf("got lease %+v, want instance A's, live", le.Lease)
	}
	leases, err := other.Leases(context.Background(), f.partner)
	if err != nil || len(leases) != 1 || leases[0].RunID != le.Lease.RunID {
		t.Errorf("Leases: got %+v, %v", leases, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if leases, _ := other.Leases(context.Background(), f.partner); len(leases) != 0 {
		t.Errorf("a finished run still holds %+v", leases)
	}
}

// TestReleaseResumesAtOnce takes back the lease of a run stuck half-way (as
// a dead process's would be): that run stops at its next heartbeat, a new
// run starts at once and bills each line exactly once.
func TestReleaseResumesAtOnce(t *testing.T) {
	f := newFixture(t)
	const lease = 300 * time.Millisecond
	stuck := f.service(invoicing.WithHolder("dead instance"), invoicing.WithLease(lease), invoicing.WithWorkers(1))
	var mu sync.Mutex
	items := 0
	hang := make(chan struct{})
	f.stripe.after = func(r stripeRequest) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasPrefix(r.Key, "grisaille-ii-") {
			items++
		}
	}
	f.stripe.before = func(stripeRequest) action {
		mu.Lock()
		n := items
		mu.Unlock()
		if n >= 1 {
			<-hang // half-way: after the first item, the process hangs
			return block
		}
		return forward
	}
	done := make(chan error, 1)
	go func() {
		_, err := stuck.Run(context.Background(), f.partner, period, nil)
		done <- err
	}()
	operator := f.service(invoicing.WithHolder("operator"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ls, _ := operator.Leases(context.Background(), f.partner); len(ls) == 1 {
			mu.Lock()
			n := items
			mu.Unlock()
			if n >= 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never got half-way")
		}
		time.Sleep(10 * time.Millisecond)
	}
	released, err := operator.Release(context.Background(), f.partner, period)
	if err != nil || released.Holder != "dead instance" {
		t.Fatalf("release: %+v, %v", released, err)
	}
	f.stripe.before, f.stripe.after = nil, nil
	res, err := operator.Run(context.Background(), f.partner, period, nil)
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("the resumed run: %v %v", err, res.Errors)
	}
	// Were the stuck process alive, its next heartbeat finds its lease gone
	// and stops it.
	time.Sleep(lease)
	close(hang)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("the stuck run: got %v, want it stopped, its lease released", err)
	}
	all := f.stripe.requests()
	for prefix, want := range map[string]int{"grisaille-ii-": 4, "grisaille-inv-": 2, "grisaille-fin-": 2} {
		counts := keyCounts(all, prefix)
		if len(counts) != want {
			t.Errorf("got %d distinct %s keys, want %d", len(counts), prefix, want)
		}
	}
	if _, err := operator.Release(context.Background(), f.partner, period); !errors.Is(err, invoicing.ErrNoLease) {
		t.Errorf("release with no run: got %v, want ErrNoLease", err)
	}
}

// TestRateLimitedRun has Stripe refuse one request in three with 429: the
// run backs off and tries again, and bills each line exactly once.
func TestRateLimitedRun(t *testing.T) {
	f := newFixture(t)
	svc := f.service(invoicing.WithRateLimitPause(5 * time.Millisecond))
	var mu sync.Mutex
	n, limited := 0, 0
	f.stripe.before = func(stripeRequest) action {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%3 == 0 {
			limited++
			return limit
		}
		return forward
	}
	res, err := svc.Run(context.Background(), f.partner, period, nil)
	if err != nil || len(res.Errors) > 0 || res.Created != 2 {
		t.Fatalf("a rate-limited run: %v %v, %d created", err, res.Errors, res.Created)
	}
	if limited == 0 {
		t.Fatal("Stripe refused nothing: the test proves nothing")
	}
	all := f.stripe.requests()
	for prefix, want := range map[string]int{"grisaille-ii-": 4, "grisaille-inv-": 2, "grisaille-fin-": 2, "grisaille-cus-": 2} {
		for k, c := range keyCounts(all, prefix) {
			if c != 1 {
				t.Errorf("got %d forwarded writes with key %s, want 1", c, k)
			}
		}
		if got := len(keyCounts(all, prefix)); got != want {
			t.Errorf("got %d distinct %s keys, want %d", got, prefix, want)
		}
	}
}
