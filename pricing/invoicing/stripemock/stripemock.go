// Package stripemock runs stripe-mock, Stripe's API mock, on loopback: for
// the demo (which invoices through it out of the box) and, through
// stripemocktest, for the tests that talk to Stripe. It links no testing
// package, so that the portal's binary can use it.
package stripemock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Env names the environment variable that gives the stripe-mock
// binary's path (.ci/run sets it).
const Env = "GRISAILLE_STRIPE_MOCK"

// Version is the stripe-mock the project pins (go.mod's tool, .ci/run).
const Version = "v0.162.0"

// ErrNotFound reports that no stripe-mock can be run here.
var ErrNotFound = errors.New("stripemock: stripe-mock not found: set " + Env + ", or run `go install github.com/stripe/stripe-mock@" +
	Version + "` and put it in ~/.cache/grisaille/bin or on PATH")

// Command is how to run stripe-mock: $GRISAILLE_STRIPE_MOCK, then
// ~/.cache/grisaille/bin/stripe-mock, then PATH, then, with the Go
// toolchain in this module's directory, `go tool stripe-mock` (go.mod's
// tool). It returns ErrNotFound when none is there.
func Command() ([]string, error) {
	if p := os.Getenv(Env); p != "" {
		return []string{p}, nil
	}
	for _, dir := range cacheDirs() {
		p := filepath.Join(dir, "grisaille", "bin", "stripe-mock")
		if _, err := os.Stat(p); err == nil {
			return []string{p}, nil
		}
	}
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return []string{p}, nil
	}
	if goBin, err := exec.LookPath("go"); err == nil {
		if mod, err := exec.Command(goBin, "env", "GOMOD").Output(); err == nil && strings.TrimSpace(string(mod)) != "" &&
			strings.TrimSpace(string(mod)) != os.DevNull {
			if raw, err := os.ReadFile(strings.TrimSpace(string(mod))); err == nil && strings.Contains(string(raw), "github.com/stripe/stripe-mock") {
				return []string{goBin, "tool", "stripe-mock"}, nil
			}
		}
	}
	return nil, ErrNotFound
}

func cacheDirs() []string {
	var out []string
	if dir, err := os.UserCacheDir(); err == nil {
		out = append(out, dir)
	}
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".cache"))
	}
	return out
}

// Process is a running stripe-mock.
type Process struct {
	// URL is its HTTP base URL, to give to invoicing.WithStripeURL.
	URL string
	cmd *exec.Cmd
}

// Run starts stripe-mock with command (from Command), listening on loopback
// only: HTTP on httpAddr ("127.0.0.1:" for a port the system chooses) and
// HTTPS on a port the system chooses. It waits up to wait for it to listen
// (`go tool` may build it first). The process ends with ctx, or Stop.
func Run(ctx context.Context, command []string, httpAddr string, wait time.Duration) (*Process, error) {
	args := append(append([]string{}, command[1:]...), "-http-addr", httpAddr, "-https-addr", "127.0.0.1:")
	cmd := exec.CommandContext(ctx, command[0], args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("stripemock: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("stripemock: start %s: %w", command[0], err)
	}
	p := &Process{cmd: cmd}
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
			_ = cmd.Wait()
			return nil, errors.New("stripemock: stripe-mock exited before listening")
		}
		p.URL = "http://" + a
		return p, nil
	case <-time.After(wait):
		p.Stop()
		return nil, fmt.Errorf("stripemock: stripe-mock not listening after %v", wait)
	}
}

// Stop ends the process.
func (p *Process) Stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	_ = p.cmd.Wait()
}
