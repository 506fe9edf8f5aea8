package tenants

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestBrandWords: a partner's wording is drafted, published, carried by
// the versions, rolled back exactly and read back by every lookup.
func TestBrandWords(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	p := mustPartner(t, s, "acme")
	words := map[string]map[string]string{"en": {"console.apps": "Services"}, "fr": {"console.apps": "Vos services"}}

	snap := BrandSnapshot{Brand: p.Brand}
	snap.Brand.Words = words
	if err := s.SaveBrandDraft(ctx, p.ID, snap, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	d, err := s.BrandDraft(ctx, p.ID)
	if err != nil || !reflect.DeepEqual(d.Brand.Words, words) {
		t.Fatalf("draft words %v (err %v), want %v", d.Brand.Words, err, words)
	}
	if live, _ := s.Partner(ctx, p.ID); live.Brand.Words != nil {
		t.Fatalf("a draft changed the live wording: %v", live.Brand.Words)
	}
	if _, err := s.PublishBrandDraft(ctx, p.ID, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() (Partner, error){
		func() (Partner, error) { return s.Partner(ctx, p.ID) },
		func() (Partner, error) { return s.PartnerBySlug(ctx, "acme") },
		func() (Partner, error) { return s.PartnerByHost(ctx, "console.acme.example") },
	} {
		live, err := get()
		if err != nil || !reflect.DeepEqual(live.Brand.Words, words) {
			t.Fatalf("published words %v (err %v), want %v", live.Brand.Words, err, words)
		}
	}
	versions, err := s.BrandVersions(ctx, p.ID)
	if err != nil || len(versions) < 2 || !slices.Contains(versions[0].Changed, "words") {
		t.Fatalf("versions %+v (err %v): the last one should say the wording changed", versions, err)
	}
	if _, err := s.RollbackBrand(ctx, p.ID, versions[1].Version, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	if live, _ := s.Partner(ctx, p.ID); live.Brand.Words != nil {
		t.Fatalf("a rollback kept the wording: %v", live.Brand.Words)
	}

	// Too long a text is refused whole.
	long := strings.Repeat("é", 301)
	snap.Brand.Words = map[string]map[string]string{"en": {"console.apps": long}}
	if err := s.SaveBrandDraft(ctx, p.ID, snap, "x"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a 301-character text: %v, want a validation error", err)
	}
}

// TestAppDomain: a partner names its applications under its own hosts or
// verified domains only, never under another partner's.
func TestAppDomain(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acme, globex := mustPartner(t, s, "acme"), mustPartner(t, s, "globex")
	for _, ok := range []string{"apps.console.acme.example", "Console.Acme.Example.", "x.y.console.acme.example", ""} {
		if err := s.SetAppDomain(ctx, acme.ID, ok); err != nil {
			t.Errorf("SetAppDomain(%q): %v", ok, err)
		}
	}
	if err := s.SetAppDomain(ctx, acme.ID, "apps.console.acme.example"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"apps.console.globex.example", "console.globex.example", "acme.example", "example", "bad name.example", "localhost"} {
		var ve *ValidationError
		if err := s.SetAppDomain(ctx, acme.ID, bad); !errors.As(err, &ve) || ve.MessageID != MsgAppDomain {
			t.Errorf("SetAppDomain(%q): %v, want a refusal", bad, err)
		}
	}
	p, err := s.Partner(ctx, acme.ID)
	if err != nil || p.AppDomain != "apps.console.acme.example" {
		t.Fatalf("app domain %q (err %v), want the one set before the refusals", p.AppDomain, err)
	}
	if p, _ := s.PartnerByHost(ctx, "console.acme.example"); p.AppDomain != "apps.console.acme.example" {
		t.Fatalf("the host lookup reads app domain %q", p.AppDomain)
	}
	if g, _ := s.Partner(ctx, globex.ID); g.AppDomain != "" {
		t.Fatalf("globex has app domain %q", g.AppDomain)
	}
}

// TestSuspendPartner: a suspended partner's hosts and verified domains
// serve nobody, other partners keep serving, and resuming serves again.
func TestSuspendPartner(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	acme, globex := mustPartner(t, s, "acme"), mustPartner(t, s, "globex")
	if _, err := s.PartnerByHost(ctx, "console.acme.example"); err != nil {
		t.Fatal(err) // cached now: the suspension must reach the cache too
	}
	if err := s.SuspendPartner(ctx, acme.ID, "unpaid invoices"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PartnerByHost(ctx, "console.acme.example"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a suspended partner's host: %v, want ErrNotFound", err)
	}
	p, err := s.Partner(ctx, acme.ID)
	if err != nil || p.SuspendedAt.IsZero() || p.SuspendedWhy != "unpaid invoices" {
		t.Fatalf("the suspended partner reads %v %q (err %v)", p.SuspendedAt, p.SuspendedWhy, err)
	}
	if _, err := s.PartnerByHost(ctx, "console.globex.example"); err != nil {
		t.Fatalf("another partner stopped serving: %v", err)
	}
	if err := s.SetPrimaryHost(ctx, globex.ID, "console.acme.example"); err == nil {
		t.Fatal("another partner took a suspended partner's host")
	}
	if err := s.ResumePartner(ctx, acme.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PartnerByHost(ctx, "console.acme.example"); err != nil || !p.SuspendedAt.IsZero() {
		t.Fatalf("a resumed partner's host: %v, %v", p.SuspendedAt, err)
	}
}
