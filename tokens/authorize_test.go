package tokens

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biscuit-auth/biscuit-go/v2"
)

// errName names which sentinel err wraps, for test messages.
func errName(err error) string {
	switch {
	case err == nil:
		return "allowed"
	case errors.Is(err, ErrInvalidToken):
		return "ErrInvalidToken"
	case errors.Is(err, ErrRevoked):
		return "ErrRevoked"
	case errors.Is(err, ErrDenied):
		return "ErrDenied"
	}
	return "other: " + err.Error()
}

func TestAuthorizePartnerToken(t *testing.T) {
	f := newFixture(t)
	tok, rec := f.mintPartner(t, f.partnerA)
	ctx := context.Background()
	tests := []struct {
		name string
		tok  string
		req  Request
		want string
	}{
		{"own tenant", tok, Request{Tenant: f.partnerA, Operation: OpAppRead}, "allowed"},
		{"own tenant, zone", tok, Request{Tenant: f.partnerA, Operation: OpAppWrite, Zone: "par"}, "allowed"},
		{"other partner's host", tok, Request{Tenant: f.partnerB, Operation: OpAppRead}, "ErrDenied"},
		{"no tenant", tok, Request{Operation: OpAppRead}, "ErrDenied"},
		{"unknown operation", tok, Request{Tenant: f.partnerA, Operation: "app:everything"}, "ErrDenied"},
		{"prefixed, unpadded, spaced", "  biscuit:" + strings.TrimRight(tok, "=") + "\n", Request{Tenant: f.partnerA, Operation: OpAppRead}, "allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := f.svc.Authorize(ctx, tt.tok, tt.req)
			if got := errName(err); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if err == nil && (id.PartnerID != f.partnerA || id.Record.RevocationID != rec.RevocationID || len(id.RevocationIDs) != 1) {
				t.Fatalf("got identity %+v, want partner %s, record %s", id, f.partnerA, rec.RevocationID)
			}
		})
	}
}

func TestAuthorizeRestrictions(t *testing.T) {
	f := newFixture(t)
	parent, _ := f.mintPartner(t, f.partnerA)
	exp := testNow.Add(time.Hour)
	ok := func(r Request) Request {
		r.Tenant = f.partnerA
		if r.Operation == "" {
			r.Operation = OpAppRead
		}
		return r
	}
	tests := []struct {
		name string
		r    Restriction
		req  Request
		want string
	}{
		{"org match", Restriction{Organisation: "org_1"}, ok(Request{Organisation: "org_1"}), "allowed"},
		{"org other", Restriction{Organisation: "org_1"}, ok(Request{Organisation: "org_2"}), "ErrDenied"},
		{"org missing", Restriction{Organisation: "org_1"}, ok(Request{}), "ErrDenied"},
		{"app match", Restriction{Application: "app_1"}, ok(Request{Application: "app_1"}), "allowed"},
		{"app other", Restriction{Application: "app_1"}, ok(Request{Application: "app_2"}), "ErrDenied"},
		{"zone in set", Restriction{Zones: []string{"par", "rbx"}}, ok(Request{Zone: "rbx"}), "allowed"},
		{"zone outside set", Restriction{Zones: []string{"par"}}, ok(Request{Zone: "mtl"}), "ErrDenied"},
		{"zone-less op under zone set", Restriction{Zones: []string{"par"}}, ok(Request{}), "allowed"},
		{"empty zone set, zone-less op", Restriction{Zones: []string{}}, ok(Request{}), "allowed"},
		{"empty zone set, zone", Restriction{Zones: []string{}}, ok(Request{Zone: "par"}), "ErrDenied"},
		{"op in set", Restriction{Operations: []string{OpAppRead, OpOrgRead}}, ok(Request{Operation: OpOrgRead}), "allowed"},
		{"op outside set", Restriction{Operations: []string{OpAppRead}}, ok(Request{Operation: OpAppWrite}), "ErrDenied"},
		{"empty op set", Restriction{Operations: []string{}}, ok(Request{}), "ErrDenied"},
		{"before expiry", Restriction{ExpiresAt: exp}, ok(Request{Time: exp.Add(-time.Second)}), "allowed"},
		{"at expiry", Restriction{ExpiresAt: exp}, ok(Request{Time: exp}), "allowed"},
		{"after expiry", Restriction{ExpiresAt: exp}, ok(Request{Time: exp.Add(time.Second)}), "ErrDenied"},
		{"session match", Restriction{Session: "s1"}, ok(Request{Session: "s1"}), "allowed"},
		{"session other", Restriction{Session: "s1"}, ok(Request{Session: "s2"}), "ErrDenied"},
		{"session missing", Restriction{Session: "s1"}, ok(Request{}), "ErrDenied"},
		{"all, other tenant", Restriction{Organisation: "org_1"}, Request{Tenant: f.partnerB, Operation: OpAppRead, Organisation: "org_1"}, "ErrDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, rec := f.attenuate(t, parent, tt.r)
			id, err := f.svc.Authorize(context.Background(), tok, tt.req)
			if got := errName(err); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if err == nil && (id.CustomerID != "cus_1" || id.Record.RevocationID != rec.RevocationID || len(id.RevocationIDs) != 2) {
				t.Fatalf("got identity %+v, want customer cus_1 of block %s", id, rec.RevocationID)
			}
		})
	}
}

func TestMintSession(t *testing.T) {
	f := newFixture(t)
	p := Principal{PartnerID: f.partnerA, CustomerID: "cus_1", UserID: "usr_1"}
	tok, recs, err := f.svc.MintSession(context.Background(), p,
		Restriction{Organisation: "org_1", Session: "sess_1", ExpiresAt: testNow.Add(time.Hour)}, "console")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].ParentID != recs[0].RevocationID || recs[1].UserID != "usr_1" {
		t.Fatalf("got records %+v, want authority then a block issued to usr_1", recs)
	}
	req := Request{Tenant: f.partnerA, Operation: OpAppRead, Organisation: "org_1", Session: "sess_1"}
	id, err := f.svc.Authorize(context.Background(), tok, req)
	if err != nil || id.UserID != "usr_1" || id.Restriction.Session != "sess_1" {
		t.Fatalf("got %+v, %v; want usr_1 in session sess_1", id, err)
	}
	if err := f.svc.RevokeSession(context.Background(), f.partnerA, "sess_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authorize(context.Background(), tok, req); !errors.Is(err, ErrRevoked) {
		t.Fatalf("after RevokeSession got %s, want ErrRevoked", errName(err))
	}
}

func TestAttenuateRefusals(t *testing.T) {
	f := newFixture(t)
	root, _ := f.mintPartner(t, f.partnerA)
	exp := testNow.Add(time.Hour)
	parent, _ := f.attenuate(t, root, Restriction{
		Organisation: "org_1", Application: "app_1", Zones: []string{"par", "rbx"},
		Operations: []string{OpAppRead, OpAppDeploy}, ExpiresAt: exp, Session: "s1",
	})
	tests := []struct {
		name string
		r    Restriction
		p    Principal
		want string // message id, "" for accepted
	}{
		{"narrower", Restriction{Zones: []string{"par"}, Operations: []string{OpAppRead}, ExpiresAt: exp.Add(-time.Minute)}, Principal{}, ""},
		{"same, repeated", Restriction{Organisation: "org_1", Application: "app_1", Session: "s1"}, Principal{}, ""},
		{"inherits everything", Restriction{}, Principal{}, ""},
		{"zone", Restriction{Zones: []string{"par", "mtl"}}, Principal{}, MsgWidenZone},
		{"malformed zone", Restriction{Zones: []string{"PAR"}}, Principal{}, MsgInvalidZone},
		{"operation", Restriction{Operations: []string{OpAppWrite}}, Principal{}, MsgWidenOperation},
		{"unknown operation", Restriction{Operations: []string{"app:everything"}}, Principal{}, MsgInvalidOperation},
		{"expiry later", Restriction{ExpiresAt: exp.Add(time.Second)}, Principal{}, MsgWidenExpiry},
		{"expiry past", Restriction{ExpiresAt: testNow.Add(-time.Second)}, Principal{}, MsgExpiryPast},
		{"organisation", Restriction{Organisation: "org_2"}, Principal{}, MsgWidenOrganisation},
		{"application", Restriction{Application: "app_2"}, Principal{}, MsgWidenApplication},
		{"session", Restriction{Session: "s2"}, Principal{}, MsgWidenSession},
		{"other customer", Restriction{}, Principal{PartnerID: f.partnerA, CustomerID: "cus_2"}, MsgWidenPrincipal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			if p.PartnerID == "" {
				p = Principal{PartnerID: f.partnerA, CustomerID: "cus_1"}
			}
			_, _, err := f.svc.Attenuate(context.Background(), parent, f.partnerA, p, tt.r, "x")
			var we *WidenError
			got := ""
			if errors.As(err, &we) {
				got = we.MessageID
				if !errors.Is(err, ErrWiden) {
					t.Fatalf("WidenError does not match ErrWiden")
				}
			} else if err != nil {
				got = "error: " + err.Error()
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("a later expiry ending with the parent", func(t *testing.T) {
		_, rec, err := f.svc.Attenuate(context.Background(), parent, f.partnerA, Principal{PartnerID: f.partnerA, CustomerID: "cus_1"},
			Restriction{ExpiresAt: exp.Add(24 * time.Hour), EndWithParent: true}, "x")
		if err != nil || !rec.Restriction.ExpiresAt.Equal(exp.UTC().Truncate(time.Second)) || rec.Restriction.EndWithParent {
			t.Fatalf("got %v, expiry %v (recorded wish %v), want the parent's %v", err, rec.Restriction.ExpiresAt, rec.Restriction.EndWithParent, exp)
		}
	})
	t.Run("other tenant", func(t *testing.T) {
		_, _, err := f.svc.Attenuate(context.Background(), parent, f.partnerB, Principal{PartnerID: f.partnerB}, Restriction{}, "x")
		if !errors.Is(err, ErrUnknownToken) {
			t.Fatalf("got %v, want ErrUnknownToken", err)
		}
	})
}

func TestRevoke(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	parent, prec := f.mintPartner(t, f.partnerA)
	child, crec := f.attenuate(t, parent, Restriction{Operations: []string{OpAppRead}})
	req := Request{Tenant: f.partnerA, Operation: OpAppRead}
	for _, tok := range []string{parent, child} { // warm the cache
		if _, err := f.svc.Authorize(ctx, tok, req); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Revoke(ctx, f.partnerB, crec.RevocationID); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("revoke by another partner: got %v, want ErrUnknownToken", err)
	}
	if err := f.svc.Revoke(ctx, f.partnerA, crec.RevocationID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Revoke(ctx, f.partnerA, crec.RevocationID); err != nil {
		t.Fatalf("second revoke: got %v, want nil", err)
	}
	if _, err := f.svc.Authorize(ctx, child, req); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked child: got %s, want ErrRevoked", errName(err))
	}
	if _, err := f.svc.Authorize(ctx, parent, req); err != nil {
		t.Fatalf("parent after child revoked: got %s, want allowed", errName(err))
	}
	sibling, _ := f.attenuate(t, parent, Restriction{})
	if err := f.svc.Revoke(ctx, f.partnerA, prec.RevocationID); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"parent": parent, "sibling": sibling} {
		if _, err := f.svc.Authorize(ctx, tok, req); !errors.Is(err, ErrRevoked) {
			t.Fatalf("%s after parent revoked: got %s, want ErrRevoked", name, errName(err))
		}
	}
	recs, err := f.svc.Records(ctx, f.partnerA)
	if err != nil || len(recs) != 3 {
		t.Fatalf("got %d records, %v; want 3", len(recs), err)
	}
	if recs, _ := f.svc.Records(ctx, f.partnerB); len(recs) != 0 {
		t.Fatalf("partner B sees %d records, want 0", len(recs))
	}
	if recs, _ := f.svc.RecordsOfCustomer(ctx, f.partnerA, "cus_1"); len(recs) != 2 {
		t.Fatalf("got %d records of cus_1, want 2", len(recs))
	}
}

func TestOfflineBlockNarrows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root, _ := f.mintPartner(t, f.partnerA)
	child, crec := f.attenuate(t, root, Restriction{Organisation: "org_1"})
	onlyRead := checkOf(query([]biscuit.Predicate{pred(predOperation, biscuit.Variable("op"))},
		containsExpr([]string{OpAppRead}, "op")))
	offline := appendOffline(t, child, onlyRead)
	base := Request{Tenant: f.partnerA, Organisation: "org_1"}
	read, write := base, base
	read.Operation, write.Operation = OpAppRead, OpAppWrite
	id, err := f.svc.Authorize(ctx, offline, read)
	if err != nil {
		t.Fatalf("read: got %s, want allowed", errName(err))
	}
	if id.Record.RevocationID != crec.RevocationID || id.CustomerID != "cus_1" || len(id.RevocationIDs) != 3 {
		t.Fatalf("got identity of %s (%d ids), want newest known block %s", id.Record.RevocationID, len(id.RevocationIDs), crec.RevocationID)
	}
	if _, err := f.svc.Authorize(ctx, offline, write); !errors.Is(err, ErrDenied) {
		t.Fatalf("write: got %s, want ErrDenied", errName(err))
	}
	// A block of facts cannot widen: its facts are seen by its own checks only.
	forged := appendOffline(t, root) // empty block
	if _, err := f.svc.Authorize(ctx, forged, Request{Tenant: f.partnerB, Operation: OpAppRead}); !errors.Is(err, ErrDenied) {
		t.Fatalf("offline block on other tenant: got %s, want ErrDenied", errName(err))
	}
	// The portal attenuates over an offline block; the offline block keeps narrowing.
	again, rec, err := f.svc.Attenuate(ctx, offline, f.partnerA, Principal{PartnerID: f.partnerA, CustomerID: "cus_1", UserID: "usr_9"}, Restriction{}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if rec.BlockIndex != 3 || rec.ParentID != id.RevocationIDs[2] {
		t.Fatalf("got block %d with parent %s, want block 3 after the offline block", rec.BlockIndex, rec.ParentID)
	}
	if id, err := f.svc.Authorize(ctx, again, read); err != nil || id.UserID != "usr_9" {
		t.Fatalf("got %+v, %s; want usr_9 allowed", id, errName(err))
	}
	if _, err := f.svc.Authorize(ctx, again, write); !errors.Is(err, ErrDenied) {
		t.Fatalf("write after re-attenuation: got %s, want ErrDenied", errName(err))
	}
}

func TestUnknownToken(t *testing.T) {
	f := newFixture(t)
	b, err := f.svc.newAuthority(f.partnerA) // signed, never recorded
	if err != nil {
		t.Fatal(err)
	}
	tok, err := encodeToken(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authorize(context.Background(), tok, Request{Tenant: f.partnerA, Operation: OpAppRead}); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %s, want ErrInvalidToken", errName(err))
	}
}

func TestInspect(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root, _ := f.mintPartner(t, f.partnerA)
	child, _ := f.attenuate(t, root, Restriction{Zones: []string{"par"}, ExpiresAt: testNow.Add(time.Hour)})
	tok := appendOffline(t, child)
	ins, err := f.svc.Inspect(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, b := range ins.Blocks {
		statuses = append(statuses, b.Status)
	}
	if !ins.Valid || !slices.Equal(statuses, []string{StatusActive, StatusActive, StatusUnknown}) {
		t.Fatalf("got valid %v, statuses %v; want valid, active active unknown", ins.Valid, statuses)
	}
	if !strings.Contains(ins.Blocks[0].Datalog, "partner(") || !strings.Contains(ins.Blocks[1].Datalog, "zone_free(true)") {
		t.Fatalf("got datalog %q and %q, want the authority's partner fact and the zone check", ins.Blocks[0].Datalog, ins.Blocks[1].Datalog)
	}
	if !ins.Blocks[1].ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("got expiry %v, want %v", ins.Blocks[1].ExpiresAt, testNow.Add(time.Hour))
	}
	f.clock.set(testNow.Add(2 * time.Hour))
	if ins, _ := f.svc.Inspect(ctx, tok); ins.Blocks[1].Status != StatusExpired {
		t.Fatalf("later: got %s, want expired", ins.Blocks[1].Status)
	}
}
