package tenants

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDNS answers the lookups a test sets; every other name is not found.
type fakeDNS struct {
	mu    sync.Mutex
	txt   map[string][]string
	cname map[string]string
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{txt: map[string][]string{}, cname: map[string]string{}}
}

func (f *fakeDNS) set(name, cname string, txt ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cname[name] = cname
	f.txt[ChallengeLabel+"."+name] = txt
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.txt[name]; ok && len(v) > 0 {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) LookupCNAME(_ context.Context, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.cname[name]; ok && v != "" {
		return v + ".", nil
	}
	return "", &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func TestDomainVerification(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	clock := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	acme, globex := mustPartner(t, s, "acme"), mustPartner(t, s, "globex")
	dns := newFakeDNS()
	checker := &DomainChecker{Store: s, Resolver: dns, EdgeHost: "edge.grisaille.example"}

	for _, bad := range []string{"", "localhost", "exa mple.com", "_x.example.com", "console.acme.example", "edge.grisaille.example"} {
		if _, err := s.AddDomain(ctx, acme.ID, bad, "edge.grisaille.example"); err == nil {
			t.Errorf("AddDomain(%q) accepted", bad)
		}
	}
	d, err := s.AddDomain(ctx, acme.ID, " Console.Acme.TEST. ", "edge.grisaille.example")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "console.acme.test" || !strings.HasPrefix(d.Token, "grisaille-") || d.State() != DomainPending {
		t.Fatalf("added %+v", d)
	}
	if _, err := s.AddDomain(ctx, acme.ID, "console.acme.test", ""); !errors.As(err, new(*DuplicateError)) {
		t.Fatalf("second claim by the same partner: %v", err)
	}
	if _, err := s.PartnerByHost(ctx, "console.acme.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a pending domain serves: %v", err)
	}

	// No records, then a wrong CNAME, then both right.
	if n, err := checker.CheckDue(ctx); err != nil || n != 1 {
		t.Fatalf("CheckDue = %d, %v", n, err)
	}
	d, _ = s.Domain(ctx, acme.ID, d.ID)
	if d.State() != DomainPending || d.Problem != DomainProblemTXTMissing {
		t.Fatalf("without records: %+v", d)
	}
	if n, _ := checker.CheckDue(ctx); n != 0 {
		t.Fatalf("checked again within the minute: %d", n)
	}
	dns.set("console.acme.test", "somewhere.else.example", d.Token)
	clock = clock.Add(time.Minute)
	checker.CheckDue(ctx)
	d, _ = s.Domain(ctx, acme.ID, d.ID)
	if d.Problem != DomainProblemCNAMEWrong || d.Seen != "somewhere.else.example" {
		t.Fatalf("wrong CNAME: %+v", d)
	}
	dns.set("console.acme.test", "edge.grisaille.example", "other", d.Token)
	clock = clock.Add(time.Minute)
	checker.CheckDue(ctx)
	d, _ = s.Domain(ctx, acme.ID, d.ID)
	if d.State() != DomainVerified || d.Problem != "" || !d.VerifiedAt.Equal(clock) {
		t.Fatalf("verified: %+v", d)
	}
	if p, err := s.PartnerByHost(ctx, "CONSOLE.acme.test:8443"); err != nil || p.ID != acme.ID {
		t.Fatalf("verified domain serves %v, %v", p.Slug, err)
	}
	if err := s.SetPrimaryHost(ctx, globex.ID, "console.acme.test"); err == nil {
		t.Fatal("another partner's domain made primary")
	}
	if err := s.SetPrimaryHost(ctx, acme.ID, "console.acme.test"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Partner(ctx, acme.ID); p.PrimaryHost != "console.acme.test" {
		t.Fatalf("primary host %q", p.PrimaryHost)
	}
	// The operator cannot give it to another partner as a hostname.
	if err := s.SetHostnames(ctx, globex.ID, []string{"console.globex.example", "console.acme.test"}); !errors.As(err, new(*DuplicateError)) {
		t.Fatalf("operator hostname over a verified domain: %v", err)
	}

	// The records go: failing, still serving, until the grace runs out.
	dns.set("console.acme.test", "")
	clock = clock.Add(16 * time.Minute)
	checker.CheckDue(ctx)
	d, _ = s.Domain(ctx, acme.ID, d.ID)
	if d.State() != DomainFailing || !d.FailingSince.Equal(clock) || !d.Serving() {
		t.Fatalf("failing: %+v", d)
	}
	since := clock
	clock = clock.Add(DomainGrace)
	checker.CheckDue(ctx)
	d, _ = s.Domain(ctx, acme.ID, d.ID)
	if d.State() != DomainPending || !d.FailingSince.Equal(since) {
		t.Fatalf("after the grace: %+v", d)
	}
	if _, err := s.PartnerByHost(ctx, "console.acme.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a lapsed domain serves: %v", err)
	}
	if p, _ := s.Partner(ctx, acme.ID); p.PrimaryHost != "" {
		t.Fatalf("a lapsed primary host stays: %q", p.PrimaryHost)
	}

	// Moving: Acme verifies again, then Globex proves control with its own
	// token; Acme's claim is removed as moved.
	dns.set("console.acme.test", "edge.grisaille.example", d.Token)
	clock = clock.Add(time.Hour)
	checker.CheckDue(ctx)
	g, err := s.AddDomain(ctx, globex.ID, "console.acme.test", "")
	if err != nil {
		t.Fatalf("a claim on a domain another partner holds: %v", err)
	}
	clock = clock.Add(time.Minute)
	checker.CheckDue(ctx)
	if p, _ := s.PartnerByHost(ctx, "console.acme.test"); p.ID != acme.ID {
		t.Fatalf("a claim without its own token moved the domain to %s", p.Slug)
	}
	dns.set("console.acme.test", "edge.grisaille.example", g.Token)
	clock = clock.Add(time.Minute)
	if _, err := checker.Check(ctx, g); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PartnerByHost(ctx, "console.acme.test"); p.ID != globex.ID {
		t.Fatalf("moved domain serves %s", p.Slug)
	}
	d, _ = s.Domain(ctx, acme.ID, d.ID)
	if d.State() != DomainRemoved || d.RemovedWhy != DomainRemovedMoved {
		t.Fatalf("the old claim: %+v", d)
	}
	list, _ := s.Domains(ctx, acme.ID)
	if len(list) != 1 || list[0].State() != DomainRemoved {
		t.Fatalf("acme's list: %+v", list)
	}

	// Removing stops serving at once.
	if err := s.RemoveDomain(ctx, acme.ID, g.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing another partner's domain: %v", err)
	}
	if err := s.RemoveDomain(ctx, globex.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PartnerByHost(ctx, "console.acme.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a removed domain serves: %v", err)
	}
}
