-- +goose Up
-- What a failed invoicing run's admin should read and do, as a message id
-- ("invoice.problem.stripe_unreachable"…); the error text stays for logs.
ALTER TABLE invoice_runs ADD COLUMN problem TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE invoice_runs DROP COLUMN problem;
