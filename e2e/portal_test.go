package e2e

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/tokens"
)

// binary is the grisaille command built once for the package's tests.
var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// buildPortal builds the grisaille command from the module root, the same
// binary the README's run command runs.
func buildPortal(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "grisaille-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "grisaille")
		cmd := exec.Command("go", "build", "-o", binary, ".")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// portal is a running `grisaille serve --demo` on a fresh data directory.
type portal struct {
	Port string
	Data string
	// Database is the portal's database: a SQLite file under Data, or a
	// PostgreSQL schema of its own when the tests run on PostgreSQL.
	Database string
	logs     *bytes.Buffer
}

// env is the environment of the portal's commands: its database.
func (p *portal) env() []string {
	return append(os.Environ(), "GRISAILLE_DATABASE="+p.Database)
}

// URL returns the address of path on the partner served at host.
func (p *portal) URL(host, path string) string {
	return "http://" + host + ":" + p.Port + path
}

// startPortal runs the portal with its demo data and in-process platform
// emulator, waits until it answers /healthz, and stops it (SIGTERM, as an
// operator would) when the test ends.
func startPortal(t testing.TB, extra ...string) *portal {
	t.Helper()
	bin := buildPortal(t)
	p := &portal{Port: freePort(t), Data: t.TempDir(), logs: &bytes.Buffer{}}
	p.Database = dbtest.Database(t, p.Data, "grisaille.db")
	args := append([]string{"serve", "--demo", "--addr", "127.0.0.1:" + p.Port,
		"--emulator-addr", "127.0.0.1:" + freePort(t), "--data", p.Data}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout = p.logs
	cmd.Stderr = p.logs
	cmd.Env = append(p.env(), "GRISAILLE_LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("portal did not shut down cleanly: %v", err)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("portal did not stop within 15 s of SIGINT")
		}
		if t.Failed() {
			t.Logf("portal logs:\n%s", p.logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.servesItself() {
			return p
		}
		select {
		case err := <-done:
			t.Fatalf("portal exited before serving: %v\n%s", err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal not healthy after 60 s:\n%s", p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// servesItself reports whether the portal answers on its port: the server
// there is healthy and publishes the public key of this portal's data
// directory (tests of other packages running at the same time may have
// taken the port between freePort and the portal's start).
func (p *portal) servesItself() bool {
	res, err := http.Get("http://127.0.0.1:" + p.Port + "/.well-known/biscuit-public-key")
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var key struct {
		PublicKey string `json:"public_key"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&key) != nil {
		return false
	}
	seed, err := os.ReadFile(filepath.Join(p.Data, tokens.RootKeyFile))
	if err != nil {
		return false
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(seed)))
	if err != nil || len(raw) != ed25519.SeedSize {
		return false
	}
	return key.PublicKey == hex.EncodeToString(ed25519.NewKeyFromSeed(raw).Public().(ed25519.PublicKey))
}

// mustContain fails the test unless text holds every want.
func mustContain(t testing.TB, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Fatalf("%s does not show %q; it shows:\n%s", what, w, text)
		}
	}
}

// mustNotContain fails the test if text holds any of unwanted.
func mustNotContain(t testing.TB, what, text string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			t.Fatalf("%s shows %q, which it must not; it shows:\n%s", what, w, text)
		}
	}
}
