package tenants

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// TopicTenants is the broadcast topic of partner and customer changes: a
// brand, hostnames, zones, a logo, a customer. Its key is "" (any).
const TopicTenants = "tenants"

// TopicSessions is the broadcast topic of ended sessions and changed users
// (sign-out, a new password, a language). Its key is "" (any).
const TopicSessions = "sessions"

// Broadcaster tells the portal's other instances what changed, and this
// store what they changed; *broadcast.Bus is one.
type Broadcaster interface {
	Publish(ctx context.Context, topic, key string) error
	Subscribe(topic string, fn func(key string))
}

// tenantCacheTTL bounds how long a cached partner or customer is trusted:
// a safety net for a change notice that did not arrive.
const tenantCacheTTL = 30 * time.Second

// maxCachedLookups bounds the lookups a cache keeps, unknown keys too.
const maxCachedLookups = 10000

// lookupCache keeps the answers of one kind of lookup (partners by host
// and id, customers by id and organisation), not-found answers too, so that
// a request resolves its tenant without a query. Any tenant change empties
// it, here and on the other instances.
type lookupCache[T any] struct {
	mu sync.Mutex // guards the fields below
	// gen counts the changes, so that a lookup that raced with a change is
	// not kept.
	gen     uint64
	entries map[string]cached[T]
	// hits and misses count the lookups, for metrics.
	hits, misses atomic.Uint64
}

// cached is a lookup's answer: the value, or ErrNotFound.
type cached[T any] struct {
	v       T
	found   bool
	expires time.Time
}

// get returns a lookup's cached answer and the generation to store a new
// one under.
func (c *lookupCache[T]) get(key string, now time.Time) (cached[T], bool, uint64) {
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
func (c *lookupCache[T]) put(key string, e cached[T], gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedLookups {
		c.entries = map[string]cached[T]{}
	}
	c.entries[key] = e
}

// forget empties the cache.
func (c *lookupCache[T]) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}

// through answers a lookup from the cache, or from load (kept unless it
// failed otherwise than ErrNotFound); clone copies a value before it is
// handed out, so that no caller shares the cached one's slices.
func (c *lookupCache[T]) through(key string, now time.Time, load func() (T, error), clone func(T) T) (T, error) {
	e, ok, gen := c.get(key, now)
	if !ok {
		v, err := load()
		switch {
		case err == nil:
			e = cached[T]{v: v, found: true}
		case !errors.Is(err, ErrNotFound):
			var zero T
			return zero, err
		}
		e.expires = now.Add(tenantCacheTTL)
		c.put(key, e, gen)
	}
	if !e.found {
		var zero T
		return zero, ErrNotFound
	}
	return clone(e.v), nil
}

// PartnerCacheStats returns how many partner lookups the cache answered,
// and how many went to the database.
func (s *Store) PartnerCacheStats() (hits, misses uint64) {
	return s.partners.hits.Load(), s.partners.misses.Load()
}

// CustomerCacheStats returns how many customer lookups the cache answered,
// and how many went to the database.
func (s *Store) CustomerCacheStats() (hits, misses uint64) {
	return s.customers.hits.Load(), s.customers.misses.Load()
}

// UseBroadcaster makes the store tell the other instances about its
// partner and customer changes, and forget its cached ones on theirs. Call
// it once, before serving.
func (s *Store) UseBroadcaster(b Broadcaster) {
	s.bus = b
	b.Subscribe(TopicTenants, func(string) { s.forgetTenants() })
	b.Subscribe(TopicSessions, func(string) { s.sessions.forget() })
}

// sessionsChanged forgets the cached sessions after a committed change to a
// session or a user, in this instance and in the others: a session signed
// out on one instance is refused by all of them.
func (s *Store) sessionsChanged(ctx context.Context) {
	s.sessions.forget()
	if s.bus != nil {
		_ = s.bus.Publish(ctx, TopicSessions, "")
	}
}

// afterSessionChange forgets the cached sessions when a change committed
// (err nil), and returns err.
func (s *Store) afterSessionChange(ctx context.Context, err error) error {
	if err == nil {
		s.sessionsChanged(ctx)
	}
	return err
}

// forgetTenants empties the partner and customer caches.
func (s *Store) forgetTenants() {
	s.partners.forget()
	s.customers.forget()
	s.credentials.forget()
	// A customer's or a partner's removal ends its users' sessions.
	s.sessions.forget()
}

// tenantsChanged forgets the cached partners and customers after a
// committed change, in this instance and in the others.
func (s *Store) tenantsChanged(ctx context.Context) {
	s.forgetTenants()
	if s.bus != nil {
		// A notice that can't be sent is logged by the bus; the other
		// instances then see the change within tenantCacheTTL.
		_ = s.bus.Publish(ctx, TopicTenants, "")
	}
}

// afterTenantChange forgets the cached partners and customers when a
// change committed (err nil), and returns err.
func (s *Store) afterTenantChange(ctx context.Context, err error) error {
	if err == nil {
		s.tenantsChanged(ctx)
	}
	return err
}

// cachedPartnerWhere is partnerWhere through the cache, under key.
func (s *Store) cachedPartnerWhere(ctx context.Context, key, cond string, args ...any) (Partner, error) {
	return s.partners.through(key, s.now(), func() (Partner, error) { return s.partnerWhere(ctx, cond, args...) },
		func(p Partner) Partner {
			p.Hostnames, p.AllowedZones = slices.Clone(p.Hostnames), slices.Clone(p.AllowedZones)
			p.Brand.Offered = slices.Clone(p.Brand.Offered)
			return p
		})
}

// cachedCustomerWhere is customerWhere through the cache, under key.
func (s *Store) cachedCustomerWhere(ctx context.Context, partnerID, key, cond string, arg any) (Customer, error) {
	return s.customers.through(partnerID+"|"+key, s.now(), func() (Customer, error) { return s.customerWhere(ctx, partnerID, cond, arg) },
		func(c Customer) Customer {
			c.AllowedZones = slices.Clone(c.AllowedZones)
			return c
		})
}
