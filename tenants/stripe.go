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
	return s.partnerSecret(ctx, partnerID, "stripe_key_sealed", stripeAAD(partnerID))
}

// SetStripeKey stores a partner's Stripe secret key (sk_… or rk_…), sealed
// and bound to the partner; "" removes it.
func (s *Store) SetStripeKey(ctx context.Context, partnerID, key string) error {
	if key != "" && !stripeKeyPattern.MatchString(key) {
		return invalid("stripe_key", MsgStripeKeyInvalid)
	}
	return s.setPartnerSecret(ctx, partnerID, "stripe_key_sealed", stripeAAD(partnerID), key)
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
	return s.partnerSecret(ctx, partnerID, "stripe_webhook_secret_sealed", stripeWebhookAAD(partnerID))
}

// SetStripeWebhookSecret stores the signing secret (whsec_…) of the
// partner's Stripe webhook endpoint, sealed and bound to the partner; ""
// removes it.
func (s *Store) SetStripeWebhookSecret(ctx context.Context, partnerID, secret string) error {
	if secret != "" && !stripeWebhookSecretPattern.MatchString(secret) {
		return invalid("webhook_secret", MsgStripeWebhookSecretInvalid)
	}
	return s.setPartnerSecret(ctx, partnerID, "stripe_webhook_secret_sealed", stripeWebhookAAD(partnerID), secret)
}

func stripeWebhookAAD(partnerID string) []byte {
	return []byte("partner-stripe-webhook:" + partnerID)
}

// partnerSecret opens the secret a partners column holds (one of the
// constant column names above, never input), "" when it is empty.
func (s *Store) partnerSecret(ctx context.Context, partnerID, column string, aad []byte) (string, error) {
	var sealed string
	err := s.db.GetContext(ctx, &sealed, s.db.Rebind(`SELECT `+column+` FROM partners WHERE id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("tenants: %s: %w", column, err)
	}
	if sealed == "" {
		return "", nil
	}
	plain, err := s.sealer.open(sealed, aad)
	if err != nil {
		return "", fmt.Errorf("tenants: %s of %s: %w", column, partnerID, err)
	}
	return string(plain), nil
}

// setPartnerSecret seals secret bound to aad into a partners column; ""
// empties it.
func (s *Store) setPartnerSecret(ctx context.Context, partnerID, column string, aad []byte, secret string) error {
	sealed := ""
	if secret != "" {
		var err error
		if sealed, err = s.sealer.seal([]byte(secret), aad); err != nil {
			return err
		}
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET `+column+` = ? WHERE id = ?`), sealed, partnerID)
	return affectedOne(res, err, "set "+column)
}
