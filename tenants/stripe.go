package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
)

// MsgStripeKeyInvalid is the message id of a malformed Stripe secret key.
const MsgStripeKeyInvalid = "partner.stripe_key.invalid"

// stripeKeyPattern matches Stripe secret and restricted keys, live or test.
var stripeKeyPattern = regexp.MustCompile(`^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,250}$`)

// StripeKey returns a partner's Stripe secret key, decrypted, or "" when
// the partner has none.
func (s *Store) StripeKey(ctx context.Context, partnerID string) (string, error) {
	var sealed string
	err := s.db.GetContext(ctx, &sealed, s.db.Rebind(`SELECT stripe_key_sealed FROM partners WHERE id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("tenants: stripe key: %w", err)
	}
	if sealed == "" {
		return "", nil
	}
	plain, err := s.sealer.open(sealed, stripeAAD(partnerID))
	if err != nil {
		return "", fmt.Errorf("tenants: stripe key of %s: %w", partnerID, err)
	}
	return string(plain), nil
}

// SetStripeKey stores a partner's Stripe secret key (sk_… or rk_…), sealed
// and bound to the partner; "" removes it.
func (s *Store) SetStripeKey(ctx context.Context, partnerID, key string) error {
	sealed := ""
	if key != "" {
		if !stripeKeyPattern.MatchString(key) {
			return invalid("stripe_key", MsgStripeKeyInvalid)
		}
		var err error
		if sealed, err = s.sealer.seal([]byte(key), stripeAAD(partnerID)); err != nil {
			return err
		}
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET stripe_key_sealed = ? WHERE id = ?`), sealed, partnerID)
	return affectedOne(res, err, "set stripe key")
}

// stripeAAD binds a sealed Stripe key to its partner.
func stripeAAD(partnerID string) []byte {
	return []byte("partner-stripe-key:" + partnerID)
}

// MsgStripeWebhookSecretInvalid is the message id of a malformed Stripe
// webhook signing secret.
const MsgStripeWebhookSecretInvalid = "partner.stripe_webhook.invalid"

// stripeWebhookSecretPattern matches Stripe endpoint signing secrets.
var stripeWebhookSecretPattern = regexp.MustCompile(`^whsec_[A-Za-z0-9+/=_]{16,250}$`)

// StripeWebhookSecret returns the signing secret of a partner's Stripe
// webhook endpoint, decrypted, or "" when it has none.
func (s *Store) StripeWebhookSecret(ctx context.Context, partnerID string) (string, error) {
	var sealed string
	err := s.db.GetContext(ctx, &sealed, s.db.Rebind(`SELECT stripe_webhook_secret_sealed FROM partners WHERE id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("tenants: stripe webhook secret: %w", err)
	}
	if sealed == "" {
		return "", nil
	}
	plain, err := s.sealer.open(sealed, stripeWebhookAAD(partnerID))
	if err != nil {
		return "", fmt.Errorf("tenants: stripe webhook secret of %s: %w", partnerID, err)
	}
	return string(plain), nil
}

// SetStripeWebhookSecret stores the signing secret (whsec_…) of the
// partner's Stripe webhook endpoint, sealed and bound to the partner; ""
// removes it.
func (s *Store) SetStripeWebhookSecret(ctx context.Context, partnerID, secret string) error {
	sealed := ""
	if secret != "" {
		if !stripeWebhookSecretPattern.MatchString(secret) {
			return invalid("webhook_secret", MsgStripeWebhookSecretInvalid)
		}
		var err error
		if sealed, err = s.sealer.seal([]byte(secret), stripeWebhookAAD(partnerID)); err != nil {
			return err
		}
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET stripe_webhook_secret_sealed = ? WHERE id = ?`), sealed, partnerID)
	return affectedOne(res, err, "set stripe webhook secret")
}

func stripeWebhookAAD(partnerID string) []byte {
	return []byte("partner-stripe-webhook:" + partnerID)
}
