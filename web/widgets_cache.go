package web

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a-h/templ"
	"github.com/grisaille/grisaille/components"
)

// catalogueTTL is how long an encoded public catalogue is reused by default. Grid and
// list-price changes are seen at once (the key holds the grids'
// generation); the platform's catalogue and other instances' changes within
// this delay, well under the five minutes browsers may keep the answer.
const catalogueTTL = 10 * time.Second

// maxCachedCatalogues bounds the cache: partners × zones × currencies ×
// languages asked for within the TTL.
const maxCachedCatalogues = 4096

// encodedCatalogue is a catalogue, and the same ready to send.
type encodedCatalogue struct {
	cat      components.Catalogue
	body, gz []byte
	etag     string
	expires  time.Time
}

// catalogueCache keeps catalogues, encoded, for a short while, so that
// widgets on busy partner sites and the console's pricing pages cost a map
// lookup. It is safe for concurrent
// use.
type catalogueCache struct {
	mu      sync.Mutex // guards entries
	entries map[string]encodedCatalogue
	// hits and misses count the lookups, for metrics.
	hits, misses atomic.Uint64
}

// WidgetCacheStats returns how many public catalogues the cache answered,
// and how many were built.
func (h *Handler) WidgetCacheStats() (hits, misses uint64) {
	return h.catalogues.hits.Load(), h.catalogues.misses.Load()
}

// catalogueKey names one catalogue: everything its content depends on
// that can change without a restart (the grids' generation counts grid and
// list price changes; the audience's zones come from the tenants' caches,
// which every tenant change empties).
func catalogueKey(a widgetAudience, lang string, gen uint64, q widgetQuery) string {
	parts := []string{a.partner.ID, strings.Join(a.partner.AllowedZones, ","), lang, q.Zone, q.Currency, q.Lang,
		strconv.FormatUint(gen, 10)}
	if w := a.partner.Brand.Words[lang]; len(w) > 0 {
		parts = append(parts, wordsPrint(w))
	}
	if a.customer != nil {
		parts = append(parts, a.customer.ID, strings.Join(a.customer.AllowedZones, ","))
	}
	return strings.Join(parts, "|")
}

func (c *catalogueCache) get(key string, now time.Time) (encodedCatalogue, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.expires) {
		c.misses.Add(1)
		return encodedCatalogue{}, false
	}
	c.hits.Add(1)
	return e, true
}

func (c *catalogueCache) put(key string, e encodedCatalogue, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]encodedCatalogue{}
	}
	if len(c.entries) >= maxCachedCatalogues {
		for k, old := range c.entries {
			if now.After(old.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedCatalogues {
			clear(c.entries)
		}
	}
	c.entries[key] = e
}

// maxRenderedPages bounds the rendered page bodies kept.
const maxRenderedPages = 256

// renderedPages keeps page bodies that many requests share (the same
// catalogue in the same language), rendered once. Keys name their content
// whole (a catalogue's ETag), so an entry is never stale; the bound drops
// them all when old catalogues have filled it. It is safe for concurrent use.
type renderedPages struct {
	mu    sync.Mutex // guards pages
	pages map[string]string
}

// render returns the body under key, rendering build's component on a miss.
func (r *renderedPages) render(ctx context.Context, key string, build func() templ.Component) (string, error) {
	r.mu.Lock()
	body, ok := r.pages[key]
	r.mu.Unlock()
	if ok {
		return body, nil
	}
	var b strings.Builder
	if err := build().Render(ctx, &b); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pages == nil || len(r.pages) >= maxRenderedPages {
		r.pages = map[string]string{}
	}
	r.pages[key] = b.String()
	return b.String(), nil
}

// wordsPrint is a digest of a partner's wording in one language, so that a
// catalogue named in old words is not reused once they change.
func wordsPrint(w map[string]string) string {
	ids := make([]string, 0, len(w))
	for id := range w {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	h := fnv.New64a()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
		h.Write([]byte(w[id]))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}
