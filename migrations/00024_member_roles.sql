-- +goose Up
-- What a customer's user may do in its organisation: owner, developer,
-- viewer (read-only) or billing (prices and invoices only). Partner admins
-- have none. The users who existed are the owners of their customer.
ALTER TABLE users ADD COLUMN member_role TEXT NOT NULL DEFAULT '';
UPDATE users SET member_role = 'owner' WHERE role = 'customer';

-- +goose Down
ALTER TABLE users DROP COLUMN member_role;
