-- +goose Up
-- A partner the operator suspended: none of its hosts or domains serve it
-- (pages, API, widgets, certificates) until it is resumed; its data is
-- kept. NULL for an active partner.
ALTER TABLE partners ADD COLUMN suspended_at TIMESTAMP;
ALTER TABLE partners ADD COLUMN suspended_why TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE partners DROP COLUMN suspended_why;
ALTER TABLE partners DROP COLUMN suspended_at;
