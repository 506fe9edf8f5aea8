-- +goose Up
-- placeholder: the tenants helper replaces this file with the real schema.
CREATE TABLE placeholder (id INTEGER PRIMARY KEY);

-- +goose Down
DROP TABLE placeholder;
