-- +goose Up
-- A count of the changes to the token records that can refuse a token
-- (revocations, deletions), bumped in the same transaction as each: every
-- process that caches records reads it per request and drops its copies
-- when it moved, so that a revocation by any instance or command holds at
-- once.
CREATE TABLE token_record_changes (
    id      INTEGER PRIMARY KEY,
    changes BIGINT NOT NULL
);
INSERT INTO token_record_changes (id, changes) VALUES (1, 0);

-- +goose Down
DROP TABLE token_record_changes;
