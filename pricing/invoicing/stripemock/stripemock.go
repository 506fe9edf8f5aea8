// Package stripemock runs stripe-mock, Stripe's API mock, on loopback for
// tests that talk to Stripe: the invoicing tests, the server's and the
// end-to-end ones. It lives apart from package invoicing so that the
// portal's binary does not link the testing package.
package stripemock

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Env names the environment variable that gives the stripe-mock
// binary's path (.ci/run sets it).
const Env = "GRISAILLE_STRIPE_MOCK"

// stripeMockBinary finds stripe-mock: $GRISAILLE_STRIPE_MOCK, then
// ~/.cache/grisaille/bin/stripe-mock, then PATH; "" when absent.
func stripeMockBinary() string {
	if p := os.Getenv(Env); p != "" {
		return p
	}
	if dir, err := os.UserCacheDir(); err == nil {
		p := filepath.Join(dir, "grisaille", "bin", "stripe-mock")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "grisaille", "bin", "stripe-mock")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	return ""
}

// Start starts stripe-mock for a test, listening on loopback only
// (HTTP and HTTPS, on ports the system chooses), and returns its HTTP base
// URL, to give to WithStripeURL. It stops it when the test ends. Without
// the binary it skips the test, or fails it when the CI environment
// variable is set.
//
// stripe-mock answers fixtures: it validates requests but remembers no
// object and honours no idempotency key.
func Start(t testing.TB) (baseURL string) {
	t.Helper()
	bin := stripeMockBinary()
	if bin == "" {
		msg := "stripe-mock not found: set " + Env + ", or run `go install github.com/stripe/stripe-mock@v0.162.0` " +
			"and put it in ~/.cache/grisaille/bin or on PATH"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stripe-mock: %v", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("stripe-mock: start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	addr := make(chan string, 1)
	go func() {
		const prefix = "Listening for HTTP at address: "
		sc := bufio.NewScanner(stdout)
		var sent bool
		for sc.Scan() {
			if line := sc.Text(); !sent && strings.HasPrefix(line, prefix) {
				addr <- strings.TrimSpace(strings.TrimPrefix(line, prefix))
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // keep draining until it exits
		if !sent {
			close(addr)
		}
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("stripe-mock: exited before listening")
		}
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("stripe-mock: not listening after 30s")
	}
	return ""
}
