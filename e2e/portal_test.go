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
	p := &portal{Port: freePort(t), Data: t.TempDir()}
	p.Database = dbtest.Database(t, p.Data, "grisaille.db")
	args := append([]string{"serve", "--demo", "--addr", "127.0.0.1:" + p.Port,
		"--emulator-addr", "127.0.0.1:" + freePort(t), "--demo-smtp-addr", "127.0.0.1:" + freePort(t), "--demo-stripe-addr", "127.0.0.1:" + freePort(t), "--data", p.Data}, extra...)
	p.logs = startProcess(t, "portal", bin, append(p.env(), "GRISAILLE_LOG_LEVEL=warn"), args, p.servesItself, true).logs
	return p
}

// process is a grisaille command a test started.
type process struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

// startProcess runs a grisaille command until the test ends (then SIGINT,
// as an operator would, and SIGKILL after 15 s; with cleanExit, any other
// end fails the test) and waits at most 60 s until ready reports it serves.
func startProcess(t testing.TB, name, bin string, env, args []string, ready func() bool, cleanExit bool) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), logs: &bytes.Buffer{}}
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = env, p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil && cleanExit {
				t.Errorf("%s did not shut down cleanly: %v", name, err)
			}
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			t.Errorf("%s did not stop within 15 s of SIGINT", name)
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, p.logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		select {
		case err := <-done:
			t.Fatalf("%s exited before serving: %v\n%s", name, err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving after 60 s:\n%s", name, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p
}

// answers reports whether a server on port answers path without a server
// error.
func answers(port, path string) bool {
	res, err := http.Get("http://127.0.0.1:" + port + path)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode < 500
}

// servesItself reports whether the portal answers on its port: the server
// there is healthy and publishes the public key of this portal's data
// directory (tests of other packages running at the same time may have
// taken the port between freePort and the portal's start).
func (p *portal) servesItself() bool {
	seed, err := os.ReadFile(filepath.Join(p.Data, tokens.RootKeyFile))
	return err == nil && publishesKey(p.Port, strings.TrimSpace(string(seed)))
}

// publishesKey reports whether the portal on port publishes the public key
// of the root key whose seed is seedHex.
func publishesKey(port, seedHex string) bool {
	res, err := http.Get("http://127.0.0.1:" + port + "/.well-known/biscuit-public-key")
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var key struct {
		PublicKey string `json:"public_key"`
	}
	seed, err := hex.DecodeString(seedHex)
	if err != nil || len(seed) != ed25519.SeedSize || json.NewDecoder(res.Body).Decode(&key) != nil {
		return false
	}
	return key.PublicKey == hex.EncodeToString(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
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
