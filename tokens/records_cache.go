package tokens

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// maxCachedRecords bounds the records kept.
const maxCachedRecords = 20000

// recordCache keeps the records of the blocks that requests present, so
// that authorizing a known token costs one tiny query (the count of record
// changes) instead of a look-up of its blocks. The records are kept while
// that count stays where it was when they were read: a revocation or a
// deletion by any instance or command bumps it, in its own transaction, and
// every copy is dropped. Only records found are kept: a block recorded
// later is found at its first use.
type recordCache struct {
	mu sync.Mutex // guards changes and entries
	// changes is the count of record changes the entries were read under.
	changes int64
	entries map[string]Record
	// hits and misses count the lookups, for metrics.
	hits, misses atomic.Uint64
}

// get returns the cached records of ids when all are there and the store's
// count of changes is still changes.
func (c *recordCache) get(ids []string, changes int64) (map[string]Record, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if changes != c.changes {
		c.changes, c.entries = changes, nil
	}
	out := make(map[string]Record, len(ids))
	for _, id := range ids {
		rec, ok := c.entries[id]
		if !ok {
			c.misses.Add(1)
			return nil, false
		}
		out[id] = rec
	}
	c.hits.Add(1)
	return out, true
}

// put keeps records read under the count changes.
func (c *recordCache) put(recs map[string]Record, changes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if changes != c.changes {
		return
	}
	if c.entries == nil || len(c.entries)+len(recs) > maxCachedRecords {
		c.entries = map[string]Record{}
	}
	for id, rec := range recs {
		c.entries[id] = rec
	}
}

// RecordCacheStats returns how many record lookups the cache answered, and
// how many went to the database.
func (s *Service) RecordCacheStats() (hits, misses uint64) {
	return s.records.hits.Load(), s.records.misses.Load()
}

// recordChanges reads the store's count of record changes.
func (s *Service) recordChanges(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT changes FROM token_record_changes WHERE id = 1`); err != nil {
		return 0, fmt.Errorf("tokens: record changes: %w", err)
	}
	return n, nil
}

// recordChanged bumps the count of record changes, in the transaction of
// the change.
func recordChanged(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE token_record_changes SET changes = changes + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("tokens: count a record change: %w", err)
	}
	return nil
}
