package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/tokens"
)

// PebbleEnv names the pebble binary (github.com/letsencrypt/pebble/v2/cmd/pebble,
// which .ci/run installs); else pebble is looked up on PATH.
const PebbleEnv = "GRISAILLE_PEBBLE"

// pebble is a running ACME test CA.
type pebble struct {
	// Directory is its ACME directory URL; CAFile the PEM of the root its
	// own HTTPS is signed by; RootFile the PEM of the root it issues under.
	Directory, CAFile, RootFile string
	logs                        *bytes.Buffer
	mu                          *sync.Mutex
}

// orders counts the ACME orders pebble has received.
func (p *pebble) orders() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Count(p.logs.String(), "Added order")
}

// lockedBuffer is a buffer written by a process and read by the test.
type lockedBuffer struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (b lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// startPebble runs pebble with every challenge taken as valid
// (PEBBLE_VA_ALWAYS_VALID: the portal's hosts cannot be reached from a CA
// here) and no nonce refused, on its own HTTPS certificate.
func startPebble(t *testing.T) *pebble {
	t.Helper()
	bin := os.Getenv(PebbleEnv)
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("pebble"); err != nil {
			if inCI() {
				t.Fatalf("pebble not found (%s or PATH); CI is set, so the TLS tests must run", PebbleEnv)
			}
			t.Skipf("skipping: pebble not found (%s or PATH); go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3", PebbleEnv)
		}
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeServingCert(t, caFile, certFile, keyFile)
	port, mgmt := freePort(t), freePort(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": "127.0.0.1:" + port, "managementListenAddress": "127.0.0.1:" + mgmt,
		"certificate": certFile, "privateKey": keyFile, "httpPort": 5002, "tlsPort": 5001,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
	}}
	cfgFile := filepath.Join(dir, "pebble.json")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &pebble{Directory: "https://127.0.0.1:" + port + "/dir", CAFile: caFile, RootFile: filepath.Join(dir, "root.pem"),
		logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	cmd := exec.Command(bin, "-config", cfgFile, "-strict=false")
	cmd.Env = append(os.Environ(), "PEBBLE_VA_ALWAYS_VALID=1", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	cmd.Stdout, cmd.Stderr = lockedBuffer{p.mu, p.logs}, lockedBuffer{p.mu, p.logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("pebble logs:\n%s", p.logs.String())
			p.mu.Unlock()
		}
	})
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := client.Get("https://127.0.0.1:" + mgmt + "/roots/0")
		if err == nil {
			root, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && bytes.Contains(root, []byte("BEGIN CERTIFICATE")) {
				if err := os.WriteFile(p.RootFile, root, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble not serving after 30 s: %v\n%s", err, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeServingCert writes a throwaway CA and a certificate it signs for
// 127.0.0.1 and localhost, for pebble's own HTTPS.
func writeServingCert(t *testing.T, caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA of pebble's own HTTPS"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	caCert, _ := x509.ParseCertificate(caDER)
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	for file, block := range map[string]*pem.Block{caFile: {Type: "CERTIFICATE", Bytes: caDER},
		certFile: {Type: "CERTIFICATE", Bytes: leafDER}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeDNS is a DNS server on loopback answering the records a test sets: a
// partner's DNS provider.
type fakeDNS struct {
	Addr  string
	mu    sync.Mutex
	cname map[string]string
	txt   map[string][]string
}

func startDNS(t *testing.T) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{Addr: pc.LocalAddr().String(), cname: map[string]string{}, txt: map[string][]string{}}
	srv := &dns.Server{PacketConn: pc, Handler: f}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return f
}

func (f *fakeDNS) set(name, cname string, txt ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cname[dns.Fqdn(name)] = dns.Fqdn(cname)
	f.txt[dns.Fqdn("_grisaille-challenge."+name)] = txt
}

// ServeDNS answers CNAME, TXT and address queries (an address query of a
// CNAME gets the CNAME and the loopback address of its target).
func (f *fakeDNS) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	name := q.Question[0].Name
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
	}
	known := false
	switch q.Question[0].Qtype {
	case dns.TypeTXT:
		if v := f.txt[name]; len(v) > 0 {
			known = true
			for _, s := range v {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{s}})
			}
		}
	case dns.TypeCNAME, dns.TypeA, dns.TypeAAAA:
		if c := f.cname[name]; c != "." {
			known = c != ""
			if known {
				m.Answer = append(m.Answer, &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: c})
				if q.Question[0].Qtype == dns.TypeA {
					m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: c, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
						A: net.IPv4(127, 0, 0, 1)})
				}
			}
		}
	}
	if !known {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// peerCert returns the certificate the portal presents for name, or the
// handshake's error.
func peerCert(addr, name string, roots *x509.CertPool) (*x509.Certificate, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// TestCustomDomainTLS: Acme's admin adds console.acme.test in Chromium, the
// partner's DNS answers its records, the domain verifies, and Chromium,
// trusting pebble's root, opens https://console.acme.test on a
// certificate pebble issued on demand, showing Acme's brand; a name no
// partner has fails its handshake, and pebble gets no order for it.
func TestCustomDomainTLS(t *testing.T) {
	ca := startPebble(t)
	zone := startDNS(t)
	bin := buildPortal(t)
	data := t.TempDir()
	httpsPort, httpPort := freePort(t), freePort(t)
	args := []string{"serve", "--demo", "--tls", "--https-addr", "127.0.0.1:" + httpsPort, "--http-addr", "127.0.0.1:" + httpPort,
		"--acme-ca", ca.Directory, "--acme-ca-root", ca.CAFile, "--acme-email", "ops@grisaille.test",
		"--edge-host", "edge.grisaille.test", "--dns-server", zone.Addr,
		"--emulator-addr", "127.0.0.1:" + freePort(t), "--data", data}
	env := append(os.Environ(), "GRISAILLE_DATABASE="+dbtest.Database(t, data, "grisaille.db"), "GRISAILLE_LOG_LEVEL=warn")
	startProcess(t, "portal", bin, env, args, func() bool {
		_, err := os.Stat(filepath.Join(data, tokens.RootKeyFile))
		return err == nil && answers(httpPort, "/healthz")
	}, true)
	https := func(host, path string) string { return "https://" + host + ":" + httpsPort + path }

	roots := x509.NewCertPool()
	rootPEM, _ := os.ReadFile(ca.RootFile)
	roots.AppendCertsFromPEM(rootPEM)
	addr := "127.0.0.1:" + httpsPort

	// A name no partner is served on: refused at once, no order.
	before := ca.orders()
	if _, err := peerCert(addr, "random-name.example", roots); err == nil {
		t.Fatal("a random name got a certificate")
	}
	// Plain HTTP redirects to HTTPS.
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		Get("http://127.0.0.1:" + httpPort + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "https://127.0.0.1:"+httpsPort+"/login" {
		t.Fatalf("plain HTTP: %d %q", res.StatusCode, res.Header.Get("Location"))
	}

	ctx := NewBrowser(t, TrustingRoot(ca.RootFile), ResolvingTo("127.0.0.1"))
	// The operator's host for Acme gets its certificate on the first visit.
	run(t, ctx, "sign in on Acme's operator host over HTTPS",
		chromedp.Navigate(https("acme.localhost", "/login")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=login-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "admin@acme.example"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "grisaille-demo"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=login-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=user-email]`)),
		chromedp.Navigate(https("acme.localhost", "/admin/domains")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=domain-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=domain]`), "console.acme.test"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=domain-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-domain="console.acme.test"][data-state=pending]`)),
	)
	mustContain(t, "the domains page", body(t, ctx), "Pending", "_grisaille-challenge.console.acme.test", "edge.grisaille.test",
		"No TXT record was found")
	token, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-domain="console.acme.test"] [data-testid=txt-value]`)))
	if err != nil || !strings.HasPrefix(token, "grisaille-") {
		t.Fatalf("the TXT value: %q, %v", token, err)
	}

	// Chromium cannot open the domain yet: no partner is served on it.
	if _, err := peerCert(addr, "console.acme.test", roots); err == nil {
		t.Fatal("a pending domain got a certificate")
	}
	if n := ca.orders(); n != before+1 {
		t.Fatalf("pebble got %d orders, want 1 (acme.localhost's) and none for refused names", n-before)
	}

	zone.set("console.acme.test", "edge.grisaille.test", token)
	run(t, ctx, "check the domain",
		chromedp.Click(`[data-domain="console.acme.test"] form[action$="/check"] button`),
		chromedp.WaitVisible(chromedp.CSS(`[data-domain="console.acme.test"][data-state=verified]`)),
	)
	mustContain(t, "the verified domain", body(t, ctx), "The domain is verified.", "Verified")

	run(t, ctx, "open the partner's own domain", chromedp.Navigate(https("console.acme.test", "/login")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=login-form]`)))
	text := body(t, ctx)
	mustContain(t, "Acme's own domain", text, "Acme Cloud", "Sign in")
	mustNotContain(t, "Acme's own domain", text, "Globex")
	cert, err := peerCert(addr, "console.acme.test", roots)
	if err != nil {
		t.Fatalf("console.acme.test's certificate: %v", err)
	}
	if !strings.Contains(cert.Issuer.CommonName, "Pebble") || cert.Subject.CommonName != "console.acme.test" && !slices.Contains(cert.DNSNames, "console.acme.test") {
		t.Fatalf("certificate of %v issued by %q", cert.DNSNames, cert.Issuer.CommonName)
	}

	// Still nothing for a random name: a TLS failure in Chromium, no order.
	orders := ca.orders()
	err = chromedp.Do(ctx, chromedp.Navigate(https("random-name.example", "/login")))
	if err == nil {
		t.Fatalf("Chromium opened a random name:\n%s", body(t, ctx))
	}
	if !strings.Contains(err.Error(), "ERR_") {
		t.Fatalf("random name: %v", err)
	}
	t.Logf("Chromium on a random name: %v; console.acme.test's certificate: %v by %q", err, cert.DNSNames, cert.Issuer.CommonName)
	if n := ca.orders(); n != orders {
		t.Fatalf("pebble got %d orders for a random name", n-orders)
	}
}
