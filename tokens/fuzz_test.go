package tokens

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzAuthorize feeds arbitrary tokens and requests through the whole
// parse-and-authorize path (and Inspect): nothing may panic and every error
// must be a sentinel. The seeds added here are recorded in the fixture's
// store; the committed corpus (testdata/fuzz/FuzzAuthorize) was signed with
// the fixture's fixed key, so its tokens verify but are unknown to the
// fresh store.
func FuzzAuthorize(f *testing.F) {
	fx := newFixture(f)
	root, _ := fx.mintPartner(f, fx.partnerA)
	child, _ := fx.attenuate(f, root, Restriction{Zones: []string{"par"}, Operations: []string{OpAppRead}, ExpiresAt: testNow.Add(time.Hour)})
	for _, tok := range append([]string{root, child, appendOffline(f, child)}, mangled(child, 30, 3)...) {
		f.Add(tok, OpAppRead, "par")
	}
	f.Fuzz(func(t *testing.T, token, op, zone string) {
		for _, tenant := range []string{fx.partnerA, fx.partnerB} {
			_, err := fx.svc.Authorize(context.Background(), token, Request{Tenant: tenant, Operation: op, Zone: zone})
			if err != nil && !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrDenied) && !errors.Is(err, ErrRevoked) {
				t.Fatalf("got %v, want nil or a sentinel", err)
			}
		}
		if _, err := fx.svc.Inspect(context.Background(), token); err != nil && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("inspect: got %v, want nil or ErrInvalidToken", err)
		}
	})
}

// TestWriteFuzzCorpus regenerates the committed seed corpus of
// FuzzAuthorize when GRISAILLE_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("GRISAILLE_WRITE_CORPUS") != "1" {
		t.Skip("set GRISAILLE_WRITE_CORPUS=1 to regenerate testdata/fuzz/FuzzAuthorize")
	}
	fx := newFixture(t)
	root, _ := fx.mintPartner(t, fx.partnerA)
	child, _ := fx.attenuate(t, root, Restriction{Organisation: "org_1", Zones: []string{"par", "rbx"}, Operations: []string{OpAppRead, OpAppDeploy}, ExpiresAt: testNow.Add(time.Hour), Session: "s1"})
	offline := appendOffline(t, child)
	dir := filepath.Join("testdata", "fuzz", "FuzzAuthorize")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries := append([]string{root, child, offline}, mangled(child, 24, 4)...)
	entries = append(entries, mangled(offline, 12, 5)...)
	for i, tok := range entries {
		body := fmt.Sprintf("go test fuzz v1\nstring(%q)\nstring(%q)\nstring(%q)\n", tok, OpAppRead, "par")
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
