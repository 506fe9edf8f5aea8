-- +goose Up
-- An application's favourite domain name, which its owner chose among its
-- names.
CREATE TABLE app_favourite_vhosts (
    app_id TEXT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    fqdn   TEXT NOT NULL
);

-- +goose Down
DROP TABLE app_favourite_vhosts;
