-- +goose Up
-- The partner's support, terms and privacy links, shown in its pages'
-- footer (part of its brand); empty for none.
ALTER TABLE partners ADD COLUMN brand_support_url TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN brand_terms_url TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN brand_privacy_url TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE partners DROP COLUMN brand_privacy_url;
ALTER TABLE partners DROP COLUMN brand_terms_url;
ALTER TABLE partners DROP COLUMN brand_support_url;
