-- +goose Up
-- A partner's icon (the browser tab's favicon), apart from its logo, and
-- its place in the studio's drafts and versions.
CREATE TABLE partner_icons (
    partner_id   TEXT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
ALTER TABLE brand_drafts ADD COLUMN icon BYTEA;
ALTER TABLE brand_drafts ADD COLUMN icon_content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE brand_versions ADD COLUMN icon BYTEA;
ALTER TABLE brand_versions ADD COLUMN icon_content_type TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE brand_versions DROP COLUMN icon_content_type;
ALTER TABLE brand_versions DROP COLUMN icon;
ALTER TABLE brand_drafts DROP COLUMN icon_content_type;
ALTER TABLE brand_drafts DROP COLUMN icon;
DROP TABLE partner_icons;
