-- +goose Up
-- A suspended customer: its users cannot sign in, its tokens are refused,
-- its applications are left running.
ALTER TABLE customers ADD COLUMN suspended_at TIMESTAMP;

-- +goose Down
ALTER TABLE customers DROP COLUMN suspended_at;
