package tenants

import (
	"context"
	"errors"
	"testing"
)

func TestStripeKey(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	p := mustPartner(t, s, "acme").ID
	if k, err := s.StripeKey(ctx, p); err != nil || k != "" {
		t.Fatalf("no key yet: got %q, %v", k, err)
	}
	for _, bad := range []string{"pk_test_123456789", "sk_test_", "sk_prod_12345678", "sk_test_12345678;DROP"} {
		if err := s.SetStripeKey(ctx, p, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetStripeKey(%q): got %v, want ErrInvalid", bad, err)
		}
	}
	const key = "sk_test_acme_demo_0000000000"
	if err := s.SetStripeKey(ctx, p, key); err != nil {
		t.Fatal(err)
	}
	if k, err := s.StripeKey(ctx, p); err != nil || k != key {
		t.Fatalf("got %q, %v, want the key back", k, err)
	}
	var sealed string
	if err := s.db.Get(&sealed, s.db.Rebind(`SELECT stripe_key_sealed FROM partners WHERE id = ?`), p); err != nil {
		t.Fatal(err)
	}
	if sealed == "" || sealed == key {
		t.Fatalf("the key is not sealed at rest: %q", sealed)
	}
	if err := s.SetStripeKey(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.StripeKey(ctx, p); k != "" {
		t.Fatalf("removed key still answers %q", k)
	}
}
