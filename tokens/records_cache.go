package tokens

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
	// checked is the count of changes last read, at checkedAt (zero:
	// read it again): requests close together share one read.
	checkMu   sync.Mutex
	checked   int64
	checkedAt time.Time
	// staled counts the changes made here, so that a read that raced
	// with one is not kept.
	staled uint64
}

// recordChangesFresh is how long a read of the count of record changes
// answers for: a revocation made by another instance or command holds here
// that much later at most; one made here holds at once.
const recordChangesFresh = 100 * time.Millisecond

// stale makes the next lookup read the count of changes again: this
// instance changed a record.
func (c *recordCache) stale() {
	c.checkMu.Lock()
	c.checkedAt = time.Time{}
	c.staled++
	c.checkMu.Unlock()
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

// recordChanges reads the store's count of record changes, or the last
// read when it is under recordChangesFresh old.
func (s *Service) recordChanges(ctx context.Context) (int64, error) {
	c := &s.records
	c.checkMu.Lock()
	if !c.checkedAt.IsZero() && time.Since(c.checkedAt) < recordChangesFresh {
		defer c.checkMu.Unlock()
		return c.checked, nil
	}
	staled := c.staled
	c.checkMu.Unlock()
	started := time.Now()
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT changes FROM token_record_changes WHERE id = 1`); err != nil {
		return 0, fmt.Errorf("tokens: record changes: %w", err)
	}
	c.checkMu.Lock()
	// A read that raced with a change made here is not kept.
	if staled == c.staled && started.After(c.checkedAt) {
		c.checked, c.checkedAt = n, started
	}
	c.checkMu.Unlock()
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
