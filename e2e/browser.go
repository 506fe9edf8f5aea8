// Package e2e holds the end-to-end tests of Grisaille, which drive the portal
// through a real headless Chromium, and the harness that those tests share.
//
// A test gets a browser tab with [NewBrowser], navigates with chromedp, and
// reads what a person would see with [BodyText]. Tenants are told apart by
// host name, and Chromium resolves every *.localhost name to the loopback
// address, so a test reaches tenant "acme" of a server on 127.0.0.1:PORT at
// http://acme.localhost:PORT/ without any DNS set-up.
//
// The harness looks for Chromium in the environment variable
// GRISAILLE_CHROMIUM, then at /usr/bin/chromium, then as "chromium" in PATH.
// When it finds none, a test fails if the environment variable CI is set, and
// is skipped otherwise. When GRISAILLE_SCREENSHOTS names a directory, a test
// that fails leaves a PNG of its page there.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// ChromiumEnv is the environment variable that names the Chromium
	// binary to use. It wins over the default locations.
	ChromiumEnv = "GRISAILLE_CHROMIUM"

	// ScreenshotsEnv is the environment variable that names a directory.
	// When it is set, every test that fails saves a PNG of its page there,
	// named after the test.
	ScreenshotsEnv = "GRISAILLE_SCREENSHOTS"

	// DefaultChromiumPath is where Debian's chromium package installs the
	// browser.
	DefaultChromiumPath = "/usr/bin/chromium"

	// BrowserTimeout bounds everything a test does with the browser of
	// [NewBrowser], start included. When it passes, the browser is stopped
	// and every later action on its context fails.
	BrowserTimeout = 60 * time.Second

	// WindowWidth and WindowHeight are the size of the browser window, in
	// CSS pixels.
	WindowWidth  = 1280
	WindowHeight = 900
)

// ErrNoChromium is returned by [FindChromium] when no Chromium binary is
// found.
var ErrNoChromium = errors.New("e2e: no Chromium found")

// FindChromium returns the path of the Chromium binary to use: the value of
// GRISAILLE_CHROMIUM when it is set, else /usr/bin/chromium when it exists,
// else "chromium" looked up in PATH. It returns an error that wraps
// [ErrNoChromium] when none of them is an executable file.
func FindChromium() (string, error) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%q is not an executable: %v", ErrNoChromium, ChromiumEnv, p, err)
		}
		return found, nil
	}
	if found, err := exec.LookPath(DefaultChromiumPath); err == nil {
		return found, nil
	}
	if found, err := exec.LookPath("chromium"); err == nil {
		return found, nil
	}
	return "", fmt.Errorf("%w: %s is unset, %s does not exist and there is no chromium in PATH",
		ErrNoChromium, ChromiumEnv, DefaultChromiumPath)
}

// inCI reports whether the process runs under continuous integration, where a
// missing browser is an error and not a reason to skip.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// NewBrowser starts a fresh headless Chromium for the test and returns the
// chromedp context of its first tab. Run chromedp actions on it:
//
//	ctx := e2e.NewBrowser(t)
//	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
//		t.Fatal(err)
//	}
//
// The browser runs with --headless --no-sandbox --disable-gpu --disable-quic
// --no-first-run --disable-background-networking --disable-component-update
// --disable-sync, a window of [WindowWidth] x [WindowHeight], and a new
// profile in a directory under t.TempDir(); chromedp adds only what it needs
// to talk to the browser (--remote-debugging-pipe and the first page,
// about:blank). The whole browser lives at most [BrowserTimeout], or until
// the deadline of the test if that comes first. A cleanup of the test stops
// the browser and waits for it to exit.
//
// When no Chromium is found (see [FindChromium]), NewBrowser fails the test
// if the environment variable CI is set, and skips it otherwise. When the
// browser cannot start, it fails the test.
//
// The returned context belongs to one tab: do not use it from several
// goroutines at once. For a second tab of the same browser, derive a context
// with chromedp.NewContext(ctx).
func NewBrowser(t testing.TB, opts ...BrowserOption) context.Context {
	t.Helper()

	path, err := FindChromium()
	if err != nil {
		if inCI() {
			t.Fatalf("%v; CI is set, so the browser tests must run: install Debian's chromium package or set %s", err, ChromiumEnv)
		}
		t.Skipf("skipping browser test: %v (install Debian's chromium package or set %s)", err, ChromiumEnv)
	}

	// The profile directory is made before the cleanup below is
	// registered, so that its removal runs after the browser has exited.
	profile := filepath.Join(t.TempDir(), "chromium-profile")

	timeout := BrowserTimeout
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			// Leave the test a moment to report and clean up.
			if left := time.Until(deadline) - 5*time.Second; left < timeout {
				timeout = max(left, time.Second)
			}
		}
	}
	// Not t.Context: it is canceled before the cleanups run, and the
	// screenshot of a failed test needs the browser then.
	parent, cancelTimeout := context.WithTimeout(context.Background(), timeout)

	output := &tailBuffer{max: 16 << 10}
	allocOpts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(WindowWidth, WindowHeight),
		chromedp.CombinedOutput(output),
	}
	for _, o := range opts {
		allocOpts = append(allocOpts, o(t)...)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent, allocOpts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)

	t.Cleanup(func() {
		// Close the browser gracefully first, so that its helper
		// processes exit and stop writing in the profile before
		// t.TempDir removes it; cancelTab and cancelAlloc then kill
		// whatever is left and wait for the process.
		// Cancel is only for a browser that started: without one, it
		// would take the token that cancelTab waits for.
		if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil {
			closeCtx, cancelClose := context.WithTimeout(ctx, 5*time.Second)
			_ = chromedp.Cancel(closeCtx)
			cancelClose()
		}
		cancelTab()
		cancelAlloc()
		cancelTimeout()
		if t.Failed() {
			if out := withoutNoise(output.String()); out != "" {
				t.Logf("Chromium output (its end, D-Bus errors left out):\n%s", out)
			}
		}
	})
	// Registered after the cleanup above, so it runs first, while the
	// browser is still up.
	t.Cleanup(func() {
		dir := os.Getenv(ScreenshotsEnv)
		if dir == "" || !t.Failed() {
			return
		}
		file := filepath.Join(dir, screenshotName(t.Name()))
		if err := saveScreenshot(ctx, file); err != nil {
			t.Logf("no screenshot of the failed test: %v", err)
			return
		}
		t.Logf("screenshot of the failed test: %s", file)
	})

	// The first action starts the browser and binds it to ctx.
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium %s: %v\n%s", path, err, output.String())
	}
	t.Logf("Chromium %s started in %v", path, time.Since(start).Round(time.Millisecond))
	return ctx
}

// Screenshot saves a PNG of the whole page of the tab ctx at path, making its
// directory if needed. It marks the test as failed when it cannot. It is
// meant for debugging; see also GRISAILLE_SCREENSHOTS in the package
// documentation for screenshots of failed tests.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	if err := saveScreenshot(ctx, path); err != nil {
		t.Errorf("screenshot %s: %v", path, err)
	}
}

// saveScreenshot writes a full-page PNG of the tab ctx to path. It gives the
// browser at most ten seconds.
func saveScreenshot(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// screenshotName turns a test name such as "TestTenants/acme" into a file
// name such as "TestTenants_acme.png".
func screenshotName(testName string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		default:
			return '_'
		}
	}, testName)
	return name + ".png"
}

// BodyText returns document.body.innerText of the page in the tab ctx: the
// text that a person sees, without markup. A page without a body gives "".
func BodyText(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
}

// withoutNoise drops from Chromium's output the lines that it prints on
// every start on a machine without D-Bus, which tell nothing about a test.
func withoutNoise(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if !strings.Contains(line, "ERROR:dbus/") {
			b.WriteString(line)
		}
	}
	return strings.TrimSpace(b.String())
}

// tailBuffer is an io.Writer, safe for concurrent use, that keeps the last
// max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// Write implements io.Writer.
func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// String returns the bytes kept, as text.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// BrowserOption adds to the browser [NewBrowser] starts.
type BrowserOption func(t testing.TB) []chromedp.ExecAllocatorOption

// TrustingRoot makes the browser trust the CA certificate in the PEM file
// rootPEM, as an operator's machine trusting a private CA would: the root
// goes into the NSS database of a home directory of the browser's own
// (Chromium on Linux reads $HOME/.pki/nssdb), made with NSS's certutil
// (Debian's libnss3-tools).
func TrustingRoot(rootPEM string) BrowserOption {
	return func(t testing.TB) []chromedp.ExecAllocatorOption {
		t.Helper()
		certutil, err := exec.LookPath("certutil")
		if err != nil {
			t.Fatalf("certutil (Debian's libnss3-tools) is needed to trust a root in Chromium: %v", err)
		}
		home := t.TempDir()
		db := filepath.Join(home, ".pki", "nssdb")
		if err := os.MkdirAll(db, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"-d", "sql:" + db, "-N", "--empty-password"},
			{"-d", "sql:" + db, "-A", "-t", "C,,", "-n", "test root", "-i", rootPEM},
		} {
			if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
				t.Fatalf("certutil %v: %v\n%s", args, err, out)
			}
		}
		return []chromedp.ExecAllocatorOption{chromedp.Env("HOME=" + home)}
	}
}

// ResolvingTo makes the browser resolve every host name to ip, as the
// partners' DNS records would point their domains at the portal.
func ResolvingTo(ip string) BrowserOption {
	return func(testing.TB) []chromedp.ExecAllocatorOption {
		return []chromedp.ExecAllocatorOption{chromedp.Flag("host-resolver-rules", "MAP * "+ip)}
	}
}
