package server_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/grisaille/grisaille/tenants"
)

// zone is a fake DNS zone the domain checks read.
type zone struct {
	mu    sync.Mutex
	txt   map[string][]string
	cname map[string]string
}

func (z *zone) set(domain, cname string, txt ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.cname[domain], z.txt[tenants.ChallengeLabel+"."+domain] = cname, txt
}

func (z *zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if v := z.txt[name]; len(v) > 0 {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (z *zone) LookupCNAME(_ context.Context, name string) (string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if v := z.cname[name]; v != "" {
		return v + ".", nil
	}
	return "", &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func TestCustomDomain(t *testing.T) {
	dns := &zone{txt: map[string][]string{}, cname: map[string]string{}}
	a := newApp(t, func(a *app) { a.resolver = dns })
	c := a.client(t, "acme.localhost")
	c.signIn("admin@acme.example")

	// A bad name is refused, what was typed kept.
	res, page := c.do(http.MethodPost, "/admin/domains", url.Values{"_csrf": {c.csrf("/admin/domains")}, "domain": {"not a domain"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "is not a host name") || !strings.Contains(page, `value="not a domain"`) {
		t.Fatalf("bad domain: %d\n%s", res.StatusCode, page)
	}
	res, _ = c.do(http.MethodPost, "/admin/domains", url.Values{"_csrf": {c.csrf("/admin/domains")}, "domain": {"console.acme.test"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add domain: %d", res.StatusCode)
	}
	_, page = c.do(http.MethodGet, "/admin/domains", nil)
	for _, want := range []string{`data-state="pending"`, "_grisaille-challenge.console.acme.test", "edge.grisaille.test",
		"No TXT record was found on _grisaille-challenge.console.acme.test."} {
		if !strings.Contains(page, want) {
			t.Fatalf("domains page lacks %q:\n%s", want, page)
		}
	}
	token := regexpFind(t, page, `data-testid="txt-value">(grisaille-[a-z0-9]+)<`)
	id := regexpFind(t, page, `/admin/domains/(dom_[^/]+)/check`)
	// Not served while pending.
	if res, _ := a.client(t, "console.acme.test").do(http.MethodGet, "/login", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("pending domain answered %d", res.StatusCode)
	}
	// Globex cannot see, check or remove Acme's domain.
	g := a.client(t, "globex.localhost")
	g.signIn("admin@globex.example")
	if res, _ := g.do(http.MethodPost, "/admin/domains/"+id+"/remove", url.Values{"_csrf": {g.csrf("/admin/domains")}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another partner removed the domain: %d", res.StatusCode)
	}

	dns.set("console.acme.test", "edge.grisaille.test", token)
	res, _ = c.do(http.MethodPost, "/admin/domains/"+id+"/check", url.Values{"_csrf": {c.csrf("/admin/domains")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("check: %d", res.StatusCode)
	}
	_, page = c.do(http.MethodGet, "/admin/domains", nil)
	if !strings.Contains(page, `data-state="verified"`) || !strings.Contains(page, "The domain is verified.") {
		t.Fatalf("not verified:\n%s", page)
	}
	d := a.client(t, "console.acme.test")
	res, page = d.do(http.MethodGet, "/login", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Acme Cloud") {
		t.Fatalf("verified domain: %d\n%s", res.StatusCode, page)
	}

	// The primary host: the other hosts redirect their pages, not the API.
	res, _ = c.do(http.MethodPost, "/admin/domains/primary", url.Values{"_csrf": {c.csrf("/admin/domains")}, "host": {"console.acme.test"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set primary: %d", res.StatusCode)
	}
	res, _ = a.client(t, "acme.localhost:8080").do(http.MethodGet, "/console/pricing?zone=par", nil)
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "http://console.acme.test:8080/console/pricing?zone=par" {
		t.Fatalf("redirect: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := a.client(t, "acme.localhost").do(http.MethodGet, "/api/v2/self", nil); res.StatusCode == http.StatusPermanentRedirect {
		t.Fatal("the API redirects")
	}
	if res, _ := d.do(http.MethodGet, "/login", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the primary host itself: %d", res.StatusCode)
	}
	// Another partner cannot make it its primary.
	if res, _ := g.do(http.MethodPost, "/admin/domains/primary", url.Values{"_csrf": {g.csrf("/admin/domains")}, "host": {"console.acme.test"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("globex's primary on acme's domain: %d", res.StatusCode)
	}

	// Removing stops serving and redirecting at once.
	c = a.client(t, "console.acme.test")
	c.signIn("admin@acme.example")
	res, _ = c.do(http.MethodPost, "/admin/domains/"+id+"/remove", url.Values{"_csrf": {c.csrf("/admin/domains")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if res, _ := d.do(http.MethodGet, "/login", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("removed domain answered %d", res.StatusCode)
	}
	if res, _ := a.client(t, "acme.localhost").do(http.MethodGet, "/login", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the operator host after removal: %d", res.StatusCode)
	}
}
