-- +goose Up
-- Failed sign-ins, per account (a partner's e-mail address, known or not)
-- and per client address, shared by every instance of the portal: after a
-- few failures each further one locks the key for longer.
CREATE TABLE sign_in_throttle (
    throttle_key    TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP
);

-- +goose Down
DROP TABLE sign_in_throttle;
