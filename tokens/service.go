package tokens

import (
	"container/list"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/biscuit-auth/biscuit-go/v2"
	"github.com/biscuit-auth/biscuit-go/v2/datalog"
	"github.com/biscuit-auth/biscuit-go/v2/parser"
	"github.com/jmoiron/sqlx"
)

// Limits and defaults of the service.
const (
	// DefaultMaxDuration bounds each datalog run.
	DefaultMaxDuration = 100 * time.Millisecond
	// MinMaxDuration is the smallest datalog time limit WithMaxDuration
	// accepts: shorter limits deny valid requests under load.
	MinMaxDuration = 50 * time.Millisecond
	// DefaultMaxTokenSize bounds a serialized token, in bytes.
	DefaultMaxTokenSize = 16 << 10
	// MaxBlocks bounds the number of blocks of a token, authority included.
	MaxBlocks = 8
	// DefaultCacheSize bounds the number of verified tokens kept.
	DefaultCacheSize = 4096
	// CacheTTL bounds how long a verified token is kept.
	CacheTTL = 5 * time.Minute
)

// Service mints, attenuates, authorizes and revokes tokens. It is safe for
// concurrent use.
type Service struct {
	db          *sqlx.DB
	keys        *Keyring
	now         func() time.Time
	maxDuration time.Duration
	maxSize     int
	policies    []biscuit.Policy
	cache       *cache
	// records caches the records of the blocks requests present.
	records recordCache
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the service read the time from now (tests move it).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// WithMaxDuration bounds each datalog run to d (default 100ms); values
// below MinMaxDuration are raised to it.
func WithMaxDuration(d time.Duration) Option {
	return func(s *Service) { s.maxDuration = max(d, MinMaxDuration) }
}

// WithCacheSize bounds the cache of verified tokens to n entries; 0
// disables it.
func WithCacheSize(n int) Option {
	return func(s *Service) { s.cache = newCache(max(n, 0)) }
}

// WithMaxTokenSize bounds a serialized token to n bytes (default 16 KiB).
func WithMaxTokenSize(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.maxSize = n
		}
	}
}

// allowPolicy is the authorizer's allow policy, parsed once. It is
// followed by "deny if true", built with builder types because the parser
// of biscuit-go v2.2.0 dereferences nil on every deny policy.
const allowPolicy = `allow if partner($p), tenant($p)`

// denyAll is the policy "deny if true".
var denyAll = biscuit.Policy{
	Kind: biscuit.PolicyKindDeny,
	Queries: []biscuit.Rule{{
		Head:        biscuit.Predicate{Name: "query", IDs: []biscuit.Term{}},
		Body:        []biscuit.Predicate{},
		Expressions: []biscuit.Expression{{biscuit.Value{Term: biscuit.Bool(true)}}},
	}},
}

// NewService returns a Service recording blocks in db (migrated with
// migrations.Up) and signing with keys.
func NewService(db *sqlx.DB, keys *Keyring, opts ...Option) (*Service, error) {
	if db == nil || keys == nil {
		return nil, errors.New("tokens: new service: nil database or keyring")
	}
	s := &Service{
		db:          db,
		keys:        keys,
		now:         time.Now,
		maxDuration: DefaultMaxDuration,
		maxSize:     DefaultMaxTokenSize,
		cache:       newCache(DefaultCacheSize),
	}
	for _, o := range opts {
		o(s)
	}
	allow, err := parser.New().Policy(allowPolicy, parser.ParametersMap{})
	if err != nil {
		return nil, fmt.Errorf("tokens: parse authorizer policy: %w", err)
	}
	s.policies = []biscuit.Policy{allow, denyAll}
	return s, nil
}

// worldOptions returns the authorizer options bounding datalog runs.
func (s *Service) worldOptions() biscuit.AuthorizerOption {
	return biscuit.WithWorldOptions(datalog.WithMaxDuration(s.maxDuration))
}

// verified is a decoded token whose signatures verify with a trusted key.
type verified struct {
	token *biscuit.Biscuit
	// ids are the hex revocation ids of the blocks, authority first.
	ids []string
	// key is the SHA-256 of the token's normalised text.
	key [sha256.Size]byte
	// expires is when the cache entry of the token must go, zero while
	// it is not cached.
	expires time.Time
}

// cache is a bounded LRU of verified tokens keyed by the SHA-256 of the
// token text.
type cache struct {
	size int
	// mu guards order and entries.
	mu      sync.Mutex
	order   *list.List // of *cacheEntry, most recently used first
	entries map[[sha256.Size]byte]*list.Element
}

// cacheEntry is one entry of the cache.
type cacheEntry struct {
	key [sha256.Size]byte
	v   *verified
}

// newCache returns a cache of at most size entries.
func newCache(size int) *cache {
	return &cache{size: size, order: list.New(), entries: map[[sha256.Size]byte]*list.Element{}}
}

// get returns the entry for key if present and not expired at now.
func (c *cache) get(key [sha256.Size]byte, now time.Time) *verified {
	if c.size == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.v.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return nil
	}
	c.order.MoveToFront(el)
	return e.v
}

// put stores v under key, evicting the least recently used entry if full.
func (c *cache) put(key [sha256.Size]byte, v *verified) {
	if c.size == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value.(*cacheEntry).v = v
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, v: v})
}

// len returns the number of entries.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
