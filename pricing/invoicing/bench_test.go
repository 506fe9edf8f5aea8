package invoicing_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/tenants"
)

// BenchmarkRunLatency invoices many customers against stripe-mock behind
// a proxy that adds a fixed latency to each Stripe call, as the real Stripe
// has, one customer at a time and several at once, side by side. It prints
// each run's duration and the speed-up. GRISAILLE_BENCH_CUSTOMERS (default
// 48) and GRISAILLE_BENCH_LATENCY (default 100ms) size it; each run bills
// every line once (checked).
func BenchmarkRunLatency(b *testing.B) {
	customers := 48
	if n, err := strconv.Atoi(os.Getenv("GRISAILLE_BENCH_CUSTOMERS")); err == nil && n > 0 {
		customers = n
	}
	latency := 100 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("GRISAILLE_BENCH_LATENCY")); err == nil {
		latency = d
	}
	took := map[int]time.Duration{}
	for _, workers := range []int{1, invoicing.DefaultWorkers} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				f := newFixture(b)
				var cs []tenants.Customer
				for i := range customers {
					org := fmt.Sprintf("orga_%d", i)
					cs = append(cs, tenants.Customer{ID: fmt.Sprintf("cus_%d", i), PartnerID: f.partner, Name: org, OrganisationID: org})
					f.usage.byOrg[org] = []platform.Consumption{consumption(org, "app_"+org, "apps.XS", "720")}
				}
				f.customers[f.partner] = cs
				f.stripe.before = func(stripeRequest) action { time.Sleep(latency); return forward }
				start := time.Now()
				res, err := f.service(invoicing.WithWorkers(workers)).Run(context.Background(), f.partner, period, nil)
				took[workers] = time.Since(start)
				if err != nil || len(res.Errors) > 0 || res.Created != customers {
					b.Fatalf("run: %v %v, %d created of %d", err, res.Errors, res.Created, customers)
				}
				for k, n := range keyCounts(f.stripe.requests(), "grisaille-") {
					if n != 1 {
						b.Fatalf("key %s written %d times", k, n)
					}
				}
			}
			b.ReportMetric(took[workers].Seconds(), "s/run")
		})
	}
	if took[1] > 0 && took[invoicing.DefaultWorkers] > 0 {
		b.Logf("%d customers, %v per Stripe call: one at a time %v, %d at once %v: %.1f× faster", customers, latency,
			took[1].Round(time.Millisecond), invoicing.DefaultWorkers, took[invoicing.DefaultWorkers].Round(time.Millisecond),
			took[1].Seconds()/took[invoicing.DefaultWorkers].Seconds())
	}
}
