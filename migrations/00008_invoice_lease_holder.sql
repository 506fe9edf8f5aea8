-- +goose Up
-- Who holds an invoicing lease, and since when, so that the operator told
-- "a run is in progress" knows whose it is and until when.
ALTER TABLE invoice_locks ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE invoice_locks ADD COLUMN taken_at TIMESTAMP;

-- +goose Down
ALTER TABLE invoice_locks DROP COLUMN taken_at;
ALTER TABLE invoice_locks DROP COLUMN holder;
