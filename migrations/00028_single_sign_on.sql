-- +goose Up
-- Single sign-on: a partner's OpenID Connect providers, each for its own
-- team (customer_id NULL) or for one of its customers, with the client
-- secret sealed and bound to the provider, the e-mail domains whose users
-- it may create and the role they get.
CREATE TABLE sso_providers (
    id            TEXT PRIMARY KEY,
    partner_id    TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id   TEXT REFERENCES customers (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    email_domains TEXT NOT NULL,
    new_user_role TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sso_providers_client_idx ON sso_providers (partner_id, issuer, client_id);
-- A user signing in through a provider is bound to the provider's issuer
-- and the subject it names them by, never to an e-mail address alone.
CREATE TABLE sso_identities (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (partner_id, issuer, subject)
);
CREATE INDEX sso_identities_user_idx ON sso_identities (user_id);

-- +goose Down
DROP TABLE sso_identities;
DROP TABLE sso_providers;
