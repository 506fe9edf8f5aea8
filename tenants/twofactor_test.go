package tenants

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestSecondFactorOnce: a code is accepted once, even by sign-ins racing
// with it; a recovery code too; the secret is sealed, bound to its user.
func TestSecondFactorOnce(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	now := time.Date(2026, 12, 3, 9, 0, 10, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.SetThrottle(ThrottlePolicy{AccountFree: 100, AddressFree: 100, Base: time.Second, Max: time.Minute, Forget: time.Hour})
	a := mustPartner(t, s, "acme")
	u := mustUser(t, s, UserCreate{PartnerID: a.ID, Email: "ada@acme.example", Role: RolePartnerAdmin})
	key, err := s.PendingTOTP(ctx, "Acme: Cloud", u)
	if err != nil {
		t.Fatal(err)
	}
	if key.Issuer() != "Acme  Cloud" || key.AccountName() != u.Email {
		t.Errorf("the key names %q / %q", key.Issuer(), key.AccountName())
	}
	again, _ := s.PendingTOTP(ctx, "Acme: Cloud", u)
	if again.Secret() != key.Secret() {
		t.Error("a second look at the enrolment shows another secret")
	}
	var sealed string
	_ = s.db.Get(&sealed, `SELECT secret FROM user_totp`)
	if strings.Contains(sealed, key.Secret()) {
		t.Fatal("the TOTP secret is stored in clear")
	}
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(key.Secret(), at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	codes, err := s.EnableTOTP(ctx, a.ID, u.ID, code(now))
	if err != nil || len(codes) != RecoveryCodeCount {
		t.Fatalf("enable: %d codes, %v", len(codes), err)
	}
	next := code(now.Add(30 * time.Second))
	var wg sync.WaitGroup
	var passed, refused sync.Map
	for i := range 8 {
		tok, err := s.StartChallenge(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.PassChallenge(ctx, a.ID, tok, next, "192.0.2.1")
			if err == nil {
				passed.Store(i, true)
			} else {
				refused.Store(i, err)
			}
		}()
	}
	wg.Wait()
	n := 0
	passed.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d sign-ins passed with one code, want 1", n)
	}
	refused.Range(func(_, v any) bool {
		var verr *ValidationError
		if !errors.As(v.(error), &verr) || verr.MessageID != MsgCodeInvalid {
			t.Errorf("a racing sign-in got %v", v)
		}
		return true
	})
	// A code of a step already passed, and an old one, are refused.
	tok, _ := s.StartChallenge(ctx, u, "/admin/grids")
	if _, err := s.PassChallenge(ctx, a.ID, tok, code(now), "192.0.2.1"); err == nil {
		t.Fatal("a code older than the last one passed")
	}
	ch, err := s.PassChallenge(ctx, a.ID, tok, codes[0], "192.0.2.1")
	if err != nil || ch.Next != "/admin/grids" || ch.User.ID != u.ID {
		t.Fatalf("a recovery code: %+v %v", ch, err)
	}
	tok, _ = s.StartChallenge(ctx, u, "")
	if _, err := s.PassChallenge(ctx, a.ID, tok, codes[0], "192.0.2.1"); err == nil {
		t.Fatal("a recovery code passed twice")
	}
	// A challenge is the partner's: another partner's host cannot use it.
	b := mustPartner(t, s, "globex")
	if _, err := s.PassChallenge(ctx, b.ID, tok, codes[1], "192.0.2.1"); !errors.Is(err, ErrChallengeGone) {
		t.Fatalf("another partner's challenge: %v", err)
	}
	// Expired.
	now = now.Add(ChallengeTTL + time.Second)
	if _, err := s.PassChallenge(ctx, a.ID, tok, codes[1], "192.0.2.1"); !errors.Is(err, ErrChallengeGone) {
		t.Fatalf("an expired challenge: %v", err)
	}
}
