-- +goose Up
-- The TLS certificates, keys and ACME account the portal obtains (certmagic's
-- storage), sealed under the portal's secret key, shared by every instance;
-- and the locks by which one instance at a time obtains a given certificate.
CREATE TABLE tls_objects (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    size        INTEGER NOT NULL,
    modified_at TIMESTAMP NOT NULL
);
CREATE TABLE tls_locks (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE tls_locks;
DROP TABLE tls_objects;
