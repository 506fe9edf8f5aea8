-- +goose Up
-- The platform emulator's own database. Times are Unix milliseconds; booleans
-- are 0/1 integers; lists are JSON text. Portable SQL (SQLite and PostgreSQL).
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE organisations (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    name                TEXT NOT NULL,
    description         TEXT NOT NULL,
    address             TEXT NOT NULL,
    city                TEXT NOT NULL,
    zipcode             TEXT NOT NULL,
    country             TEXT NOT NULL,
    company             TEXT NOT NULL,
    customer_full_name  TEXT NOT NULL,
    vat                 TEXT NOT NULL,
    billing_email       TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX organisations_account ON organisations (account_id);

CREATE TABLE applications (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organisations (id),
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    zone              TEXT NOT NULL,
    deploy_type       TEXT NOT NULL,
    instance_type     TEXT NOT NULL,
    instance_version  TEXT NOT NULL,
    variant_id        TEXT NOT NULL,
    min_instances     INTEGER NOT NULL,
    max_instances     INTEGER NOT NULL,
    min_flavor        TEXT NOT NULL,
    max_flavor        TEXT NOT NULL,
    build_flavor      TEXT NOT NULL,
    separate_build    INTEGER NOT NULL,
    sticky_sessions   INTEGER NOT NULL,
    force_https       TEXT NOT NULL,
    tags              TEXT NOT NULL,
    state             TEXT NOT NULL,
    up_at             BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX applications_org ON applications (org_id);

CREATE TABLE app_env (
    app_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
);

CREATE TABLE deployments (
    uuid        TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    num         BIGINT NOT NULL,
    action      TEXT NOT NULL,
    commit_sha  TEXT NOT NULL,
    cause       TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    done_at     BIGINT NOT NULL
);
CREATE INDEX deployments_app ON deployments (app_id, num);

CREATE TABLE addons (
    id          TEXT PRIMARY KEY,
    real_id     TEXT NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    name        TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    plan_id     TEXT NOT NULL,
    region      TEXT NOT NULL,
    options     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX addons_org ON addons (org_id);

-- usage_intervals is the billing history: one row per period a resource ran
-- with one price slug. It outlives the resource (no foreign key).
CREATE TABLE usage_intervals (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    zone           TEXT NOT NULL,
    slug_id        TEXT NOT NULL,
    instances      INTEGER NOT NULL,
    started_at     BIGINT NOT NULL,
    stopped_at     BIGINT
);
CREATE INDEX usage_intervals_org ON usage_intervals (org_id, started_at);
CREATE INDEX usage_intervals_resource ON usage_intervals (resource_id);

-- recorded_consumptions holds usage lines seeded by RecordConsumption.
CREATE TABLE recorded_consumptions (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    owner_id       TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    zone           TEXT NOT NULL,
    slug_id        TEXT NOT NULL,
    quantity       TEXT NOT NULL,
    unit           TEXT NOT NULL,
    from_at        BIGINT NOT NULL,
    to_at          BIGINT NOT NULL
);
CREATE INDEX recorded_consumptions_org ON recorded_consumptions (org_id, from_at);

-- +goose Down
DROP TABLE recorded_consumptions;
DROP TABLE usage_intervals;
DROP TABLE addons;
DROP TABLE deployments;
DROP TABLE app_env;
DROP TABLE applications;
DROP TABLE organisations;
DROP TABLE accounts;
