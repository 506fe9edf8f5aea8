package tenants

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// TopicPartners is the broadcast topic of partner changes: a brand,
// hostnames, zones, a logo. Its key is "" (any partner).
const TopicPartners = "partners"

// Broadcaster tells the portal's other instances what changed, and this
// store what they changed; *broadcast.Bus is one.
type Broadcaster interface {
	Publish(ctx context.Context, topic, key string) error
	Subscribe(topic string, fn func(key string))
}

// partnerCacheTTL bounds how long a cached partner is trusted: a safety
// net for a change notice that did not arrive.
const partnerCacheTTL = 30 * time.Second

// maxCachedPartners bounds the lookups kept, unknown hosts included.
const maxCachedPartners = 10000

// partnerCache keeps the partners looked up by host and by id, unknown
// hosts too, so that a request resolves its tenant without a query. Any
// partner change empties it, here and on the other instances.
type partnerCache struct {
	mu sync.Mutex // guards the fields below
	// gen counts the changes, so that a lookup that raced with a change is
	// not kept.
	gen     uint64
	entries map[string]cachedPartner
	// hits and misses count the lookups, for metrics.
	hits, misses atomic.Uint64
}

// cachedPartner is a lookup's answer: the partner, or ErrNotFound.
type cachedPartner struct {
	p       Partner
	found   bool
	expires time.Time
}

// get returns a lookup's cached answer and the generation to store a new
// one under.
func (c *partnerCache) get(key string, now time.Time) (cachedPartner, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok && now.After(e.expires) {
		delete(c.entries, key)
		ok = false
	}
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok, c.gen
}

// put keeps a lookup's answer unless a change came since gen.
func (c *partnerCache) put(key string, e cachedPartner, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedPartners {
		c.entries = map[string]cachedPartner{}
	}
	c.entries[key] = e
}

// forget empties the cache.
func (c *partnerCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}

// PartnerCacheStats returns how many partner lookups the cache answered,
// and how many went to the database.
func (s *Store) PartnerCacheStats() (hits, misses uint64) {
	return s.partners.hits.Load(), s.partners.misses.Load()
}

// UseBroadcaster makes the store tell the other instances about its
// partner changes, and forget its cached partners on theirs. Call it once,
// before serving.
func (s *Store) UseBroadcaster(b Broadcaster) {
	s.bus = b
	b.Subscribe(TopicPartners, func(string) { s.partners.forget() })
}

// partnersChanged forgets the cached partners after a committed change, in
// this instance and in the others.
func (s *Store) partnersChanged(ctx context.Context) {
	s.partners.forget()
	if s.bus != nil {
		// A notice that can't be sent is logged by the bus; the other
		// instances then see the change within partnerCacheTTL.
		_ = s.bus.Publish(ctx, TopicPartners, "")
	}
}

// afterPartnerChange forgets the cached partners when a change committed
// (err nil), and returns err.
func (s *Store) afterPartnerChange(ctx context.Context, err error) error {
	if err == nil {
		s.partnersChanged(ctx)
	}
	return err
}

// cachedPartnerWhere is partnerWhere through the cache, under key.
func (s *Store) cachedPartnerWhere(ctx context.Context, key, cond string, arg any) (Partner, error) {
	now := s.now()
	e, ok, gen := s.partners.get(key, now)
	if !ok {
		p, err := s.partnerWhere(ctx, cond, arg)
		switch {
		case err == nil:
			e = cachedPartner{p: p, found: true}
		case !errors.Is(err, ErrNotFound):
			return Partner{}, err
		}
		e.expires = now.Add(partnerCacheTTL)
		s.partners.put(key, e, gen)
	}
	if !e.found {
		return Partner{}, ErrNotFound
	}
	p := e.p
	p.Hostnames, p.AllowedZones = slices.Clone(p.Hostnames), slices.Clone(p.AllowedZones)
	return p, nil
}
