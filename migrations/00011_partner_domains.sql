-- +goose Up
-- A partner's own domains (console.acme.example). A claim is pending until
-- its DNS records check out: a CNAME to the operator's edge host and a TXT
-- record holding the claim's token on _grisaille-challenge.<domain>. Only a
-- verified claim serves the partner; a domain has one verified claim at
-- most, and another partner's verification moves it (the old claim is then
-- removed). A claim failing its re-checks keeps serving through a grace
-- period (failing_since), then falls back to pending. Removed claims are
-- kept for the partner's history.
CREATE TABLE partner_domains (
    id            TEXT PRIMARY KEY,
    partner_id    TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    domain        TEXT NOT NULL,
    token         TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    checked_at    TIMESTAMP,
    verified_at   TIMESTAMP,
    failing_since TIMESTAMP,
    problem       TEXT NOT NULL DEFAULT '',
    seen          TEXT NOT NULL DEFAULT '',
    removed_at    TIMESTAMP,
    removed_why   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX partner_domains_claim ON partner_domains (partner_id, domain) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX partner_domains_owner ON partner_domains (domain) WHERE verified_at IS NOT NULL AND removed_at IS NULL;
CREATE INDEX partner_domains_partner ON partner_domains (partner_id, created_at);

-- The host the partner's other hosts redirect to; empty for none.
ALTER TABLE partners ADD COLUMN primary_host TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE partners DROP COLUMN primary_host;
DROP TABLE partner_domains;
