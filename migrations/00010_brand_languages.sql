-- +goose Up
-- The languages a partner's pages speak, comma-separated in the portal's
-- order ("en,fr", "fr"); empty for every language (the partners made
-- before the choice existed).
ALTER TABLE partners ADD COLUMN brand_languages TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE partners DROP COLUMN brand_languages;
