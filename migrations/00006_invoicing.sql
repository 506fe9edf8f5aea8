-- +goose Up
-- Invoicing: a partner bills its customers, once per customer and UTC month,
-- through the partner's own Stripe account (package pricing/invoicing).
-- Every Stripe write is recorded as an intent (a *_requested_at time) before
-- the call and as an outcome (the Stripe id) after it, so that a re-run or a
-- run killed half-way never bills twice.
-- Portable to SQLite and PostgreSQL: TEXT ids made in Go, TIMESTAMP in UTC,
-- decimal amounts as TEXT.

-- The Stripe customer of each portal customer, created once, ever.
CREATE TABLE stripe_customers (
    customer_id   TEXT PRIMARY KEY,
    partner_id    TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    -- NULL until Stripe answered the creation
    stripe_id     TEXT,
    requested_at  TIMESTAMP NOT NULL,
    created_at    TIMESTAMP
);
CREATE INDEX stripe_customers_partner_idx ON stripe_customers (partner_id);

-- One invoice per customer and period (YYYY-MM).
CREATE TABLE invoices (
    id                    TEXT PRIMARY KEY,
    partner_id            TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id           TEXT NOT NULL,
    period                TEXT NOT NULL,
    currency              TEXT NOT NULL DEFAULT '',
    -- the portal's progress: 'pending' (priced), 'itemized' (every item is
    -- in Stripe), 'finalized', or 'empty' (nothing to bill, no Stripe invoice)
    state                 TEXT NOT NULL,
    -- the invoice's status as Stripe last answered it ('draft', 'open', 'paid', ...)
    stripe_status         TEXT NOT NULL DEFAULT '',
    -- sums of the rounded lines
    total                 TEXT NOT NULL,
    list_total            TEXT NOT NULL,
    stripe_customer_id    TEXT NOT NULL DEFAULT '',
    -- NULL until Stripe answered the creation of the draft
    stripe_invoice_id     TEXT,
    stripe_requested_at   TIMESTAMP,
    finalize_requested_at TIMESTAMP,
    hosted_url            TEXT NOT NULL DEFAULT '',
    run_id                TEXT NOT NULL DEFAULT '',
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    finalized_at          TIMESTAMP,
    UNIQUE (customer_id, period),
    CHECK (state IN ('pending', 'itemized', 'finalized', 'empty'))
);
CREATE INDEX invoices_partner_period_idx ON invoices (partner_id, period);

-- The priced lines of an invoice, stored once with it and never re-priced.
CREATE TABLE invoice_lines (
    invoice_id        TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    -- a stable hash of the resource id, slug and usage interval
    line_key          TEXT NOT NULL,
    position          INTEGER NOT NULL,
    resource_id       TEXT NOT NULL,
    resource_type     TEXT NOT NULL,
    slug_id           TEXT NOT NULL,
    zone              TEXT NOT NULL,
    usage_from        TEXT NOT NULL,
    usage_to          TEXT NOT NULL,
    quantity          TEXT NOT NULL,
    unit              TEXT NOT NULL,
    unit_price        TEXT NOT NULL,
    -- the customer's price and the platform's list price, rounded to the
    -- currency's minor unit
    amount            TEXT NOT NULL,
    list_amount       TEXT NOT NULL,
    description       TEXT NOT NULL,
    -- NULL until Stripe answered the creation of the invoice item
    stripe_item_id    TEXT,
    item_requested_at TIMESTAMP,
    PRIMARY KEY (invoice_id, line_key)
);

-- The history of invoicing runs, updated as customers complete.
CREATE TABLE invoice_runs (
    id           TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    period       TEXT NOT NULL,
    status       TEXT NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0,
    created      INTEGER NOT NULL DEFAULT 0,
    already_done INTEGER NOT NULL DEFAULT 0,
    empty        INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    started_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    CHECK (status IN ('running', 'done', 'failed'))
);
CREATE INDEX invoice_runs_partner_idx ON invoice_runs (partner_id, started_at);

-- One running invoicing per partner and period: a lease its run extends as
-- it goes, which another run may take once it has expired.
CREATE TABLE invoice_locks (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    period     TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (partner_id, period)
);

-- +goose Down
DROP TABLE invoice_locks;
DROP TABLE invoice_runs;
DROP TABLE invoice_lines;
DROP TABLE invoices;
DROP TABLE stripe_customers;
