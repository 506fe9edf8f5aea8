package tokens

import (
	"context"
	"testing"
	"time"
)

// benchToken returns a fixture and a two-block token with every kind of
// check, and a request it allows.
func benchToken(b *testing.B, opts ...Option) (*fixture, string, Request) {
	f := newFixture(b, opts...)
	root, _ := f.mintPartner(b, f.partnerA)
	tok, _ := f.attenuate(b, root, Restriction{
		Organisation: "org_1", Zones: []string{"par", "rbx"},
		Operations: []string{OpAppRead, OpAppDeploy}, ExpiresAt: testNow.Add(time.Hour),
	})
	return f, tok, Request{Tenant: f.partnerA, Operation: OpAppRead, Organisation: "org_1", Zone: "par"}
}

// BenchmarkAuthorizeFull decodes, verifies and authorizes on every call
// (no cache), with the revocation lookup.
func BenchmarkAuthorizeFull(b *testing.B) {
	f, tok, req := benchToken(b, WithCacheSize(0))
	ctx := context.Background()
	for b.Loop() {
		if _, err := f.svc.Authorize(ctx, tok, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthorizeCached authorizes a cached token: revocation lookup
// and datalog only.
func BenchmarkAuthorizeCached(b *testing.B) {
	f, tok, req := benchToken(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := f.svc.Authorize(ctx, tok, req); err != nil {
			b.Fatal(err)
		}
	}
}
