// Package stripemocktest starts stripe-mock for the tests that talk to
// Stripe: the invoicing tests, the server's and the end-to-end ones.
package stripemocktest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/grisaille/grisaille/pricing/invoicing/stripemock"
)

// Start starts stripe-mock for a test, on loopback ports the system
// chooses, and returns its HTTP base URL, to give to WithStripeURL. It
// stops it when the test ends. Without stripe-mock it skips the test, or
// fails it when the CI environment variable is set.
//
// stripe-mock answers fixtures: it validates requests but remembers no
// object and honours no idempotency key.
func Start(t testing.TB) (baseURL string) {
	t.Helper()
	command, err := stripemock.Command()
	if errors.Is(err, stripemock.ErrNotFound) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	p, err := stripemock.Run(context.Background(), command, "127.0.0.1:", 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p.URL
}
