-- +goose Up
-- Stripe webhooks: each partner's endpoint signing secret (whsec_…), sealed
-- and bound to the partner like its secret key, and the events applied,
-- once each (Stripe delivers an event at least once).
ALTER TABLE partners ADD COLUMN stripe_webhook_secret_sealed TEXT NOT NULL DEFAULT '';
CREATE TABLE stripe_events (
    partner_id  TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (partner_id, event_id)
);

-- +goose Down
DROP TABLE stripe_events;
ALTER TABLE partners DROP COLUMN stripe_webhook_secret_sealed;
