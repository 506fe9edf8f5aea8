-- +goose Up
-- The commit an application last deployed ('' before its first push).
ALTER TABLE applications ADD COLUMN commit_id TEXT NOT NULL DEFAULT '';

-- An add-on's connection environment, made when it is created: a JSON list
-- of {name, value}.
ALTER TABLE addons ADD COLUMN env TEXT NOT NULL DEFAULT '[]';

-- The add-ons linked to an application: their environment is the
-- application's too.
CREATE TABLE app_addon_links (
    app_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    addon_id   TEXT NOT NULL REFERENCES addons (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, addon_id)
);
CREATE INDEX app_addon_links_addon ON app_addon_links (addon_id);

-- The applications an application depends on: their exposed environment
-- is the application's too.
CREATE TABLE app_dependencies (
    app_id        TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    dependency_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (app_id, dependency_id)
);
CREATE INDEX app_dependencies_dependency ON app_dependencies (dependency_id);

-- What an application exposes to the applications that depend on it.
CREATE TABLE app_exposed_env (
    app_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
);

-- +goose Down
DROP TABLE app_exposed_env;
DROP TABLE app_dependencies;
DROP TABLE app_addon_links;
ALTER TABLE addons DROP COLUMN env;
ALTER TABLE applications DROP COLUMN commit_id;
