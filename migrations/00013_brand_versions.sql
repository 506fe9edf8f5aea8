-- +goose Up
-- The brand studio. A partner edits a draft (one per partner: the whole
-- brand and logo) that only its admins see, in a preview, until they
-- publish it; every publication is a numbered version holding the whole
-- brand and logo as published, so that a rollback republishes one exactly.
CREATE TABLE brand_drafts (
    partner_id        TEXT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    brand             TEXT NOT NULL,
    logo              BYTEA,
    logo_content_type TEXT NOT NULL DEFAULT '',
    updated_at        TIMESTAMP NOT NULL,
    updated_by        TEXT NOT NULL
);
CREATE TABLE brand_versions (
    partner_id        TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    brand             TEXT NOT NULL,
    logo              BYTEA,
    logo_content_type TEXT NOT NULL DEFAULT '',
    published_at      TIMESTAMP NOT NULL,
    published_by      TEXT NOT NULL,
    restored_from     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, version)
);

-- +goose Down
DROP TABLE brand_versions;
DROP TABLE brand_drafts;
