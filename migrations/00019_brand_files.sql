-- +goose Up
-- A brand's files in one shape, by kind: the logo and the icon, each in a
-- light and a dark variant ("logo", "logo_dark", "icon", "icon_dark"), and
-- the partner's own font ("font"). partner_files holds the live ones;
-- brand_draft_files and brand_version_files the draft's and each
-- version's, so that a new kind is a new value, not new tables.
CREATE TABLE partner_files (
    partner_id   TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (partner_id, kind)
);
INSERT INTO partner_files (partner_id, kind, data, content_type, updated_at)
    SELECT partner_id, 'logo', data, content_type, updated_at FROM partner_logos;
INSERT INTO partner_files (partner_id, kind, data, content_type, updated_at)
    SELECT partner_id, 'icon', data, content_type, updated_at FROM partner_icons;
INSERT INTO partner_files (partner_id, kind, data, content_type, updated_at)
    SELECT partner_id, 'font', data, content_type, updated_at FROM partner_fonts;
DROP TABLE partner_logos;
DROP TABLE partner_icons;
DROP TABLE partner_fonts;

CREATE TABLE brand_draft_files (
    partner_id   TEXT NOT NULL REFERENCES brand_drafts (partner_id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    PRIMARY KEY (partner_id, kind)
);
INSERT INTO brand_draft_files (partner_id, kind, data, content_type)
    SELECT partner_id, 'logo', logo, logo_content_type FROM brand_drafts WHERE logo IS NOT NULL;
INSERT INTO brand_draft_files (partner_id, kind, data, content_type)
    SELECT partner_id, 'icon', icon, icon_content_type FROM brand_drafts WHERE icon IS NOT NULL;
INSERT INTO brand_draft_files (partner_id, kind, data, content_type)
    SELECT partner_id, 'font', font_file, 'font/woff2' FROM brand_drafts WHERE font_file IS NOT NULL;

CREATE TABLE brand_version_files (
    partner_id   TEXT NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    PRIMARY KEY (partner_id, version, kind),
    FOREIGN KEY (partner_id, version) REFERENCES brand_versions (partner_id, version) ON DELETE CASCADE
);
INSERT INTO brand_version_files (partner_id, version, kind, data, content_type)
    SELECT partner_id, version, 'logo', logo, logo_content_type FROM brand_versions WHERE logo IS NOT NULL;
INSERT INTO brand_version_files (partner_id, version, kind, data, content_type)
    SELECT partner_id, version, 'icon', icon, icon_content_type FROM brand_versions WHERE icon IS NOT NULL;
INSERT INTO brand_version_files (partner_id, version, kind, data, content_type)
    SELECT partner_id, version, 'font', font_file, 'font/woff2' FROM brand_versions WHERE font_file IS NOT NULL;

ALTER TABLE brand_drafts DROP COLUMN logo;
ALTER TABLE brand_drafts DROP COLUMN logo_content_type;
ALTER TABLE brand_drafts DROP COLUMN icon;
ALTER TABLE brand_drafts DROP COLUMN icon_content_type;
ALTER TABLE brand_drafts DROP COLUMN font_file;
ALTER TABLE brand_versions DROP COLUMN logo;
ALTER TABLE brand_versions DROP COLUMN logo_content_type;
ALTER TABLE brand_versions DROP COLUMN icon;
ALTER TABLE brand_versions DROP COLUMN icon_content_type;
ALTER TABLE brand_versions DROP COLUMN font_file;

-- +goose Down
-- The dark variants have no place in the older shape and are dropped.
ALTER TABLE brand_versions ADD COLUMN logo BYTEA;
ALTER TABLE brand_versions ADD COLUMN logo_content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE brand_versions ADD COLUMN icon BYTEA;
ALTER TABLE brand_versions ADD COLUMN icon_content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE brand_versions ADD COLUMN font_file BYTEA;
ALTER TABLE brand_drafts ADD COLUMN logo BYTEA;
ALTER TABLE brand_drafts ADD COLUMN logo_content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE brand_drafts ADD COLUMN icon BYTEA;
ALTER TABLE brand_drafts ADD COLUMN icon_content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE brand_drafts ADD COLUMN font_file BYTEA;
UPDATE brand_versions SET
    logo = (SELECT f.data FROM brand_version_files f WHERE f.partner_id = brand_versions.partner_id AND f.version = brand_versions.version AND f.kind = 'logo'),
    logo_content_type = COALESCE((SELECT f.content_type FROM brand_version_files f WHERE f.partner_id = brand_versions.partner_id AND f.version = brand_versions.version AND f.kind = 'logo'), ''),
    icon = (SELECT f.data FROM brand_version_files f WHERE f.partner_id = brand_versions.partner_id AND f.version = brand_versions.version AND f.kind = 'icon'),
    icon_content_type = COALESCE((SELECT f.content_type FROM brand_version_files f WHERE f.partner_id = brand_versions.partner_id AND f.version = brand_versions.version AND f.kind = 'icon'), ''),
    font_file = (SELECT f.data FROM brand_version_files f WHERE f.partner_id = brand_versions.partner_id AND f.version = brand_versions.version AND f.kind = 'font');
UPDATE brand_drafts SET
    logo = (SELECT f.data FROM brand_draft_files f WHERE f.partner_id = brand_drafts.partner_id AND f.kind = 'logo'),
    logo_content_type = COALESCE((SELECT f.content_type FROM brand_draft_files f WHERE f.partner_id = brand_drafts.partner_id AND f.kind = 'logo'), ''),
    icon = (SELECT f.data FROM brand_draft_files f WHERE f.partner_id = brand_drafts.partner_id AND f.kind = 'icon'),
    icon_content_type = COALESCE((SELECT f.content_type FROM brand_draft_files f WHERE f.partner_id = brand_drafts.partner_id AND f.kind = 'icon'), ''),
    font_file = (SELECT f.data FROM brand_draft_files f WHERE f.partner_id = brand_drafts.partner_id AND f.kind = 'font');
DROP TABLE brand_version_files;
DROP TABLE brand_draft_files;
CREATE TABLE partner_logos (
    partner_id   TEXT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE TABLE partner_icons (
    partner_id   TEXT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE TABLE partner_fonts (
    partner_id   TEXT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
INSERT INTO partner_logos (partner_id, data, content_type, updated_at)
    SELECT partner_id, data, content_type, updated_at FROM partner_files WHERE kind = 'logo';
INSERT INTO partner_icons (partner_id, data, content_type, updated_at)
    SELECT partner_id, data, content_type, updated_at FROM partner_files WHERE kind = 'icon';
INSERT INTO partner_fonts (partner_id, data, content_type, updated_at)
    SELECT partner_id, data, content_type, updated_at FROM partner_files WHERE kind = 'font';
DROP TABLE partner_files;
