-- +goose Up
-- The domain names added to applications (PUT …/vhosts/{fqdn}), besides
-- the one each application is given; a name belongs to one application.
CREATE TABLE app_vhosts (
    fqdn       TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX app_vhosts_app ON app_vhosts (app_id);

-- +goose Down
DROP TABLE app_vhosts;
