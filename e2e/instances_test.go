package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/platform/emulator"
	"github.com/grisaille/grisaille/pricing/invoicing/stripemock/stripemocktest"
)

// instance is one `grisaille serve` of a cluster sharing a database.
type instance struct {
	port string
	cmd  *exec.Cmd
}

// cluster is several portal instances on one PostgreSQL database, with the
// same keys and one standalone platform emulator, behind a loopback
// round-robin balancer.
type cluster struct {
	env          []string
	data         string
	emulatorData string
	instances    []*instance
	balancer     string // port of the balancer
}

// startCluster starts the emulator, then n instances one after the other
// (the first seeds the demo data) with extra flags, then the balancer.
func startCluster(t *testing.T, n int, extra ...string) *cluster {
	t.Helper()
	bin := buildPortal(t)
	key := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	c := &cluster{data: t.TempDir(), emulatorData: t.TempDir()}
	rootKey := key()
	c.env = append(os.Environ(), "GRISAILLE_LOG_LEVEL=warn", "GRISAILLE_DATABASE="+dbtest.Database(t, c.data, "grisaille.db"),
		"GRISAILLE_SECRET_KEY="+key(), "GRISAILLE_BISCUIT_ROOT_KEY="+rootKey)
	emuPort := freePort(t)
	startProcess(t, "emulator", bin, c.env, []string{"emulator", "--data", c.emulatorData, "--emulator-addr", "127.0.0.1:" + emuPort,
		"--accounts", "demo:s3cret"}, func() bool { return answers(emuPort, "/v4/products/zones") }, false)
	for i := range n {
		in := &instance{port: freePort(t)}
		args := []string{"serve", "--addr", "127.0.0.1:" + in.port, "--data", t.TempDir(),
			"--platform-url", "http://127.0.0.1:" + emuPort, "--platform-token", "s3cret"}
		if i == 0 {
			args = append(args, "--demo")
		}
		args = append(args, extra...)
		// The killed instance of a test exits uncleanly: on purpose.
		in.cmd = startProcess(t, "instance "+string(rune('A'+i)), bin, c.env, args,
			func() bool { return publishesKey(in.port, rootKey) }, false).cmd
		c.instances = append(c.instances, in)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		in := c.instances[next.Add(1)%uint64(len(c.instances))]
		r.SetURL(&url.URL{Scheme: "http", Host: "127.0.0.1:" + in.port})
		r.Out.Host = r.In.Host // the tenant is the Host header
	}}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, c.balancer, _ = net.SplitHostPort(ln.Addr().String())
	return c
}

// browserless is a cookie-keeping HTTP client of one partner host that
// picks, per request, which port (instance or balancer) it talks to.
type browserless struct {
	t    *testing.T
	host string
	http *http.Client
	jar  *recordingJar
}

func newBrowserless(t *testing.T, host string) *browserless {
	inner, _ := cookiejar.New(nil)
	jar := &recordingJar{CookieJar: inner, set: map[string]string{}}
	return &browserless{t: t, host: host, jar: jar, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// recordingJar is a cookie jar that remembers the last value the portal
// set for each cookie, so that a test can replay a cookie signed out.
type recordingJar struct {
	http.CookieJar
	mu  sync.Mutex
	set map[string]string
}

func (j *recordingJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	for _, c := range cookies {
		if c.MaxAge >= 0 && c.Value != "" {
			j.set[c.Name] = c.Value
		}
	}
	j.mu.Unlock()
	j.CookieJar.SetCookies(u, cookies)
}

func (b *browserless) do(port, method, path string, form url.Values, header ...string) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "http://127.0.0.1:"+port+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Host = b.host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf reads the CSRF token of a page's form.
func (b *browserless) csrf(port, path string) string {
	b.t.Helper()
	_, page := b.do(port, http.MethodGet, path, nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF field on %s", path)
	}
	return m[1]
}

func (b *browserless) signIn(port, email string) {
	b.t.Helper()
	st, page := b.do(port, http.MethodPost, "/login", url.Values{"_csrf": {b.csrf(port, "/login")}, "email": {email}, "password": {"grisaille-demo"}})
	if st != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: %d\n%s", email, st, page)
	}
}

// within polls check every 20 ms until it holds or d has passed, and says
// how long it took.
func within(d time.Duration, check func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if check() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoInstances runs two portal instances on one PostgreSQL database
// behind a loopback balancer: a person signed in through one acts through
// the other and the balancer; a token revoked through A is refused by B, and
// a brand changed through A shows on B, each within a second.
func TestTwoInstances(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("several instances share a PostgreSQL database: this test runs in make test-postgres")
	}
	c := startCluster(t, 2)
	a, b := c.instances[0].port, c.instances[1].port

	// Sign in through A; the session holds on B and through the balancer.
	dev := newBrowserless(t, "acme.localhost")
	dev.signIn(a, "dev@acme.example")
	for _, port := range []string{b, c.balancer, c.balancer} {
		if st, page := dev.do(port, http.MethodGet, "/console", nil); st != http.StatusOK || !strings.Contains(page, "Roadrunner Labs") {
			t.Fatalf("the console through port %s: %d", port, st)
		}
	}
	// Create an application through B; A lists it.
	form := url.Values{"_csrf": {dev.csrf(b, "/console/apps/new")}, "name": {"two-instances"}, "runtime": {"node"},
		"zone": {"par"}, "flavor": {"XS"}, "instances": {"1"}, "idempotency_key": {strings.Repeat("e", 32)}}
	if st, page := dev.do(b, http.MethodPost, "/console/apps", form); st != http.StatusSeeOther {
		t.Fatalf("create an application through B: %d\n%s", st, page)
	}
	if _, page := dev.do(a, http.MethodGet, "/console", nil); !strings.Contains(page, "two-instances") {
		t.Errorf("A does not list the application created through B")
	}

	// A token revoked through A is refused by B within a second.
	admin := newBrowserless(t, "acme.localhost")
	admin.signIn(a, "admin@acme.example")
	st, page := admin.do(a, http.MethodPost, "/admin/tokens/partner", url.Values{"_csrf": {admin.csrf(a, "/admin/tokens")}, "label": {"two instances"}})
	token := regexp.MustCompile(`data-testid="token-value">([^<]+)<`).FindStringSubmatch(page)
	if st != http.StatusCreated || token == nil {
		t.Fatalf("mint a partner token through A: %d", st)
	}
	rid := regexp.MustCompile(`name="revocation_id" value="([^"]+)"`).FindStringSubmatch(page)
	if rid == nil {
		t.Fatal("no revocation id on the token page")
	}
	api := newBrowserless(t, "acme.localhost")
	if st, _ := api.do(b, http.MethodGet, "/v2/organisations", nil, "Authorization", "Bearer "+token[1]); st != http.StatusOK {
		t.Fatalf("B refuses the new token: %d", st)
	}
	if st, _ := admin.do(a, http.MethodPost, "/admin/tokens/revoke", url.Values{"_csrf": {admin.csrf(a, "/admin/tokens")},
		"revocation_id": {rid[1]}}); st != http.StatusSeeOther && st != http.StatusOK {
		t.Fatalf("revoke through A: %d", st)
	}
	took, ok := within(time.Second, func() bool {
		st, _ := api.do(b, http.MethodGet, "/v2/organisations", nil, "Authorization", "Bearer "+token[1])
		return st == http.StatusUnauthorized
	})
	if !ok {
		t.Errorf("B still takes the token revoked through A after %v", took)
	}
	t.Logf("revocation on A refused by B after %v", took)

	// A brand changed through A shows on B within a second; B had it cached.
	visitor := newBrowserless(t, "acme.localhost")
	if _, page := visitor.do(b, http.MethodGet, "/login", nil); !strings.Contains(page, "Acme Cloud") {
		t.Fatalf("B's sign-in page is not Acme's")
	}
	brand := url.Values{"_csrf": {admin.csrf(a, "/admin")}, "name": {"Acme Cloud Europe"}, "primary": {"#c2410c"}, "accent": {"#0f766e"},
		"background": {"#fffaf5"}, "text": {"#1c1917"}, "font": {"humanist"}, "language": {"en"}, "powered_by": {"on"}}
	if st, page := admin.do(a, http.MethodPost, "/admin/brand", brand); st != http.StatusSeeOther {
		t.Fatalf("change the brand through A: %d\n%s", st, page)
	}
	took, ok = within(time.Second, func() bool {
		_, page := visitor.do(b, http.MethodGet, "/login", nil)
		return strings.Contains(page, "Acme Cloud Europe")
	})
	if !ok {
		t.Errorf("B still shows the old brand %v after it changed on A", took)
	}
	t.Logf("brand change on A shown by B after %v", took)

	// A session B has cached, signed out through A, is refused by B
	// within a second.
	session := "session=" + dev.jar.set["session"]
	stolen := newBrowserless(t, "acme.localhost") // the old cookie, kept after sign-out
	if st, _ := stolen.do(b, http.MethodGet, "/console", nil, "Cookie", session); session == "session=" || st != http.StatusOK {
		t.Fatalf("the console through B before signing out (cookie %q): %d", session, st)
	}
	if st, _ := dev.do(a, http.MethodPost, "/logout", url.Values{"_csrf": {dev.csrf(a, "/console")}}); st != http.StatusSeeOther {
		t.Fatalf("sign out through A: %d", st)
	}
	took, ok = within(time.Second, func() bool {
		st, _ := stolen.do(b, http.MethodGet, "/console", nil, "Cookie", session)
		return st == http.StatusSeeOther
	})
	if !ok {
		t.Errorf("B still takes the session signed out through A after %v", took)
	}
	t.Logf("sign-out on A refused by B after %v", took)
}

// slowStripe is stripe-mock behind a proxy that answers each call after a
// pause, as the real Stripe's latency makes a run last.
func slowStripe(t *testing.T, pause time.Duration) string {
	t.Helper()
	target, err := url.Parse(stripemocktest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(pause)
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestInvoicingAcrossInstances starts an invoicing run on A and on B at
// once, against a Stripe that answers in 300 ms: the customer ends with one
// invoice. Then A dies in the middle of a run, and B resumes it at once.
func TestInvoicingAcrossInstances(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("several instances share a PostgreSQL database: this test runs in make test-postgres")
	}
	c := startCluster(t, 2, "--stripe-url", slowStripe(t, 300*time.Millisecond))
	a, b := c.instances[0].port, c.instances[1].port
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	period := first.AddDate(0, -1, 0).Format("2006-01")
	// Last month's usage on the platform: an XS for the month in every
	// organisation (the demo records usage only on its in-process emulator).
	emu, err := emulator.Open(t.Context(), filepath.Join(c.emulatorData, "emulator.db"))
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := emu.Organisations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range orgs {
		for _, months := range []int{1} {
			if err := emu.RecordConsumption(t.Context(), org, platform.Consumption{OwnerID: org, ResourceID: "app_usage", ResourceType: "application",
				Zone: "par", SlugID: "apps.XS", Quantity: "720", Unit: "PT1H", From: first.AddDate(0, -months, 0).Format(time.RFC3339),
				To: first.AddDate(0, 1-months, 0).Format(time.RFC3339)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	emu.Close()
	onA, onB := newBrowserless(t, "acme.localhost"), newBrowserless(t, "acme.localhost")
	onA.signIn(a, "admin@acme.example")
	onB.signIn(b, "admin@acme.example")

	// Both at once: one takes the month, the other sees whose it is.
	formA := url.Values{"_csrf": {onA.csrf(a, "/admin/invoices")}, "period": {period}}
	formB := url.Values{"_csrf": {onB.csrf(b, "/admin/invoices")}, "period": {period}}
	done := make(chan struct{})
	var stA int
	go func() { stA, _ = onA.do(a, http.MethodPost, "/admin/invoices/run", formA); close(done) }()
	stB, bodyB := onB.do(b, http.MethodPost, "/admin/invoices/run", formB)
	<-done
	if stA != http.StatusSeeOther || stB != http.StatusSeeOther {
		t.Fatalf("start the runs: %d on A, %d on B\n%.1500s", stA, stB, bodyB)
	}
	waitRun := func(port string, who *browserless) string {
		t.Helper()
		var page string
		took, ok := within(30*time.Second, func() bool {
			_, page = who.do(port, http.MethodGet, "/admin/invoices?period="+period, nil)
			return !strings.Contains(page, `data-status="running"`) && !strings.Contains(page, `data-testid="lease"`)
		})
		if !ok {
			t.Fatalf("the run is still going after %v", took)
		}
		return page
	}
	page := waitRun(b, onB)
	// Refused while the other held the month, or run after it and finding
	// the customer already invoiced: one invoice either way.
	if n := strings.Count(page, `data-testid="invoice-row"`); n != 1 || strings.Contains(page, `data-status="failed"`) {
		t.Errorf("after two runs started at once: %d invoices (want one), or a failed run", n)
	}

	// A dies in the middle of Globex's run (Initech's usage, 300 ms a
	// Stripe call): B shows whose lease holds the month, resumes the run at
	// once, and the customer ends with one invoice.
	gA, gB := newBrowserless(t, "globex.localhost"), newBrowserless(t, "globex.localhost")
	gA.signIn(a, "admin@globex.example")
	gB.signIn(b, "admin@globex.example")
	gA.do(a, http.MethodPost, "/admin/invoices/run", url.Values{"_csrf": {gA.csrf(a, "/admin/invoices")}, "period": {period}})
	if _, ok := within(10*time.Second, func() bool {
		_, page := gB.do(b, http.MethodGet, "/admin/invoices?period="+period, nil)
		return strings.Contains(page, `data-testid="lease"`) && strings.Contains(page, " pid ")
	}); !ok {
		t.Fatal("B never showed whose lease holds Globex's month while A ran it")
	}
	if err := c.instances[0].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if st, _ := gB.do(b, http.MethodPost, "/admin/invoices/resume", url.Values{"_csrf": {gB.csrf(b, "/admin/invoices")}, "period": {period}}); st != http.StatusSeeOther {
		t.Fatalf("resume on B: %d", st)
	}
	page = waitRun(b, gB)
	t.Logf("the run A left behind was resumed on B at once and ended %v later", time.Since(start).Round(time.Millisecond))
	if n := strings.Count(page, `data-testid="invoice-row"`); n != 1 || !strings.Contains(page, `data-status="done"`) {
		t.Errorf("after the resumed run: %d invoices (want one), or no run done", n)
	}
}
