-- +goose Up
-- A partner's own wording (JSON: language → message id → text), part of
-- its brand, and the domain its customers' applications are named under
-- ("apps.acme.example": an application "shop" answers on
-- shop-….apps.acme.example); empty for none.
ALTER TABLE partners ADD COLUMN brand_words TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN app_domain TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE partners DROP COLUMN app_domain;
ALTER TABLE partners DROP COLUMN brand_words;
