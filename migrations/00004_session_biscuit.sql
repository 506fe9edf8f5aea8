-- +goose Up
-- A console session carries the Biscuit the portal attenuated for it: every
-- console action is authorized with it, and signing out revokes it.
ALTER TABLE sessions ADD COLUMN biscuit TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN biscuit;
