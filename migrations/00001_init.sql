-- +goose Up
-- Tenants: partners, their customers and users, console sessions and the
-- idempotency intents of writes that span the portal and the platform.
-- Portable to SQLite and PostgreSQL: TEXT ids generated in Go, TIMESTAMP
-- columns holding UTC times, BOOLEAN flags, BYTEA for binary data.

CREATE TABLE partners (
    id                     TEXT PRIMARY KEY,
    slug                   TEXT NOT NULL UNIQUE,
    brand_name             TEXT NOT NULL,
    brand_primary_color    TEXT NOT NULL,
    brand_accent_color     TEXT NOT NULL,
    brand_background_color TEXT NOT NULL,
    brand_text_color       TEXT NOT NULL,
    brand_font             TEXT NOT NULL,
    brand_language         TEXT NOT NULL,
    brand_powered_by       BOOLEAN NOT NULL DEFAULT TRUE,
    -- the platform credential, sealed with AES-256-GCM ("" when none is set)
    platform_token_sealed  TEXT NOT NULL DEFAULT '',
    created_at             TIMESTAMP NOT NULL
);

CREATE TABLE partner_hostnames (
    hostname   TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE
);
CREATE INDEX partner_hostnames_partner_idx ON partner_hostnames (partner_id);

CREATE TABLE partner_zones (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    zone       TEXT NOT NULL,
    PRIMARY KEY (partner_id, zone)
);

CREATE TABLE partner_logos (
    partner_id   TEXT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    data         BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE customers (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (partner_id, organisation_id)
);

CREATE TABLE customer_zones (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    partner_id  TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    zone        TEXT NOT NULL,
    PRIMARY KEY (customer_id, zone)
);
CREATE INDEX customer_zones_partner_idx ON customer_zones (partner_id, zone);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    partner_id    TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id   TEXT REFERENCES customers (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('partner_admin', 'customer')),
    language      TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (partner_id, email),
    CHECK ((role = 'partner_admin' AND customer_id IS NULL) OR (role = 'customer' AND customer_id IS NOT NULL))
);
CREATE INDEX users_customer_idx ON users (customer_id);

CREATE TABLE sessions (
    -- hex SHA-256 of the cookie's token; the token itself is never stored
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE operations (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id     TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    resource_id     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (customer_id, idempotency_key)
);
CREATE INDEX operations_partner_idx ON operations (partner_id, status);

-- +goose Down
DROP TABLE operations;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE customer_zones;
DROP TABLE customers;
DROP TABLE partner_logos;
DROP TABLE partner_zones;
DROP TABLE partner_hostnames;
DROP TABLE partners;
