-- +goose Up
-- Stripe's PDF of a finalized invoice, next to its hosted page.
ALTER TABLE invoices ADD COLUMN pdf_url TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE invoices DROP COLUMN pdf_url;
