-- +goose Up
-- A partner invoices its customers through its own Stripe account: its
-- secret key, sealed with the portal's secret key like the platform token.
ALTER TABLE partners ADD COLUMN stripe_key_sealed TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE partners DROP COLUMN stripe_key_sealed;
