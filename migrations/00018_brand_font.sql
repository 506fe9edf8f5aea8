-- +goose Up
-- A partner's own font (a WOFF2 file), used before the safe-list font it
-- chose, and its place in the studio's drafts and versions.
CREATE TABLE partner_fonts (
    partner_id   TEXT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
ALTER TABLE brand_drafts ADD COLUMN font_file BYTEA;
ALTER TABLE brand_versions ADD COLUMN font_file BYTEA;

-- +goose Down
ALTER TABLE brand_versions DROP COLUMN font_file;
ALTER TABLE brand_drafts DROP COLUMN font_file;
DROP TABLE partner_fonts;
