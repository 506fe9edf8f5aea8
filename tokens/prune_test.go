package tokens

import (
	"context"
	"testing"
	"time"
)

func TestPruneSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mint := func(session string, exp time.Time) {
		t.Helper()
		p := Principal{PartnerID: f.partnerA, UserID: "usr_1"}
		if _, _, err := f.svc.MintSession(ctx, p, Restriction{Session: session, ExpiresAt: exp}, "console"); err != nil {
			t.Fatal(err)
		}
	}
	mint("old", testNow.Add(time.Hour))
	later := testNow.Add(2 * time.Hour)
	f.clock.set(later)
	mint("live", later.Add(time.Hour))
	f.mintPartner(t, f.partnerA)

	n, err := f.svc.PruneSessions(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("pruned %d blocks, want 2 (the expired session's block and its authority)", n)
	}
	recs, err := f.svc.Records(ctx, f.partnerA)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records left, want 3 (the live session's two, the partner token)", len(recs))
	}
	for _, r := range recs {
		if r.Restriction.Session == "old" {
			t.Fatalf("the expired session's block is still recorded")
		}
	}
	if n, _ := f.svc.PruneSessions(ctx, later); n != 0 {
		t.Fatalf("a second prune deleted %d blocks, want 0", n)
	}
}
