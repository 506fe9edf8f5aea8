package tokens

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRevocationByAnotherProcess caches a token's records in one service,
// revokes the token through another on the same database (another
// instance, or the token command), and checks that the first refuses it
// once its last read of the count of record changes is recordChangesFresh
// old: that count tells it its copies are stale. A token revoked through the
// service itself is refused at once.
func TestRevocationByAnotherProcess(t *testing.T) {
	f := newFixture(t)
	other, err := NewService(f.db, f.keys, WithClock(f.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	tok, rec := f.mintPartner(t, f.partnerA)
	req := Request{Tenant: f.partnerA, Operation: OpOrgRead}
	for range 3 { // the second and third come from the cache
		if _, err := f.svc.Authorize(context.Background(), tok, req); err != nil {
			t.Fatal(err)
		}
	}
	if hits, _ := f.svc.RecordCacheStats(); hits < 2 {
		t.Errorf("the record cache answered %d lookups, want the repeated ones", hits)
	}
	if err := other.Revoke(context.Background(), f.partnerA, rec.RevocationID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(recordChangesFresh)
	if _, err := f.svc.Authorize(context.Background(), tok, req); !errors.Is(err, ErrRevoked) {
		t.Errorf("%v after another process revoked it: got %v, want ErrRevoked", recordChangesFresh, err)
	}

	tok, rec = f.mintPartner(t, f.partnerA)
	for range 2 {
		if _, err := f.svc.Authorize(context.Background(), tok, req); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Revoke(context.Background(), f.partnerA, rec.RevocationID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authorize(context.Background(), tok, req); !errors.Is(err, ErrRevoked) {
		t.Errorf("after it revoked it itself: got %v, want ErrRevoked at once", err)
	}
}
