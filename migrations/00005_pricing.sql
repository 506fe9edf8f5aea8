-- +goose Up
-- Pricing: the stored copy of the platform's price system (the catalogue)
-- and the partners' price grids, every saved version kept. Portable to SQLite
-- and PostgreSQL: TEXT ids generated in Go, TIMESTAMP columns holding UTC
-- times, decimals stored as TEXT so that they stay exact.

-- One row per product of the price system, per zone and currency. slug_key
-- is the lowercased slug id (slug ids join case-insensitively); slug_id keeps
-- the platform's spelling for display.
CREATE TABLE pricing_list_prices (
    zone          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    slug_key      TEXT NOT NULL,
    slug_id       TEXT NOT NULL,
    family        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('hourly', 'countable')),
    time_unit     TEXT NOT NULL,
    price         TEXT NOT NULL,
    -- countable services only: "upto:price|…|:price", the data unit, the
    -- quantity a price applies to and whether quantities and periods are
    -- counted in whole blocks
    tiers         TEXT NOT NULL DEFAULT '',
    data_unit     TEXT NOT NULL DEFAULT '',
    per_quantity  TEXT NOT NULL DEFAULT '1',
    whole_blocks  BOOLEAN NOT NULL DEFAULT FALSE,
    whole_periods BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (zone, currency, slug_key)
);

-- When the catalogue was last fetched in full (one row, id 'catalogue').
CREATE TABLE pricing_refreshes (
    id         TEXT PRIMARY KEY,
    fetched_at TIMESTAMP NOT NULL
);

-- A grid's identity and its current version. customer_id is NULL for the
-- partner's default grid.
CREATE TABLE pricing_grids (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id     TEXT REFERENCES customers (id) ON DELETE CASCADE,
    current_version INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX pricing_grids_partner_idx ON pricing_grids (partner_id);

-- Every saved version of a grid.
CREATE TABLE pricing_grid_versions (
    grid_id     TEXT NOT NULL REFERENCES pricing_grids (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    partner_id  TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id TEXT REFERENCES customers (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    valid_from  TIMESTAMP NOT NULL,
    valid_to    TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (grid_id, version)
);
CREATE INDEX pricing_grid_versions_partner_idx ON pricing_grid_versions (partner_id);

-- The rules of one grid version, in their order.
CREATE TABLE pricing_grid_rules (
    grid_id     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    partner_id  TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    rule_id     TEXT NOT NULL,
    family      TEXT NOT NULL,
    product     TEXT NOT NULL,
    zone        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('markup', 'fixed', 'tiers')),
    percent     TEXT NOT NULL,
    price       TEXT NOT NULL,
    tiers       TEXT NOT NULL,
    loss_leader BOOLEAN NOT NULL,
    PRIMARY KEY (grid_id, version, position),
    FOREIGN KEY (grid_id, version) REFERENCES pricing_grid_versions (grid_id, version) ON DELETE CASCADE
);
CREATE INDEX pricing_grid_rules_partner_idx ON pricing_grid_rules (partner_id);

-- +goose Down
DROP TABLE pricing_grid_rules;
DROP TABLE pricing_grid_versions;
DROP TABLE pricing_grids;
DROP TABLE pricing_refreshes;
DROP TABLE pricing_list_prices;
