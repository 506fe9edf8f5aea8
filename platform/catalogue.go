package platform

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// CatalogueSource is what a Catalogue reads: the platform's public product
// endpoints. *Client satisfies it.
type CatalogueSource interface {
	Zones(ctx context.Context) ([]Zone, error)
	Instances(ctx context.Context) ([]Instance, error)
	AddonProviders(ctx context.Context) ([]AddonProvider, error)
}

// Catalogue caches the platform's public catalogue (zones, runtimes, add-on
// providers) for a while, and keeps the last good copy when the platform
// cannot be reached, so that pages keep rendering through a platform outage.
type Catalogue struct {
	src CatalogueSource
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex // guards the fields below
	fetched   time.Time
	zones     []Zone
	instances []Instance
	providers []AddonProvider
}

// NewCatalogue returns a catalogue that refreshes from src once ttl has passed.
func NewCatalogue(src CatalogueSource, ttl time.Duration) *Catalogue {
	return &Catalogue{src: src, ttl: ttl, now: time.Now}
}

// CatalogueSnapshot is one consistent copy of the catalogue. Its slices are
// shared: callers must not modify them.
type CatalogueSnapshot struct {
	Zones     []Zone
	Instances []Instance
	Providers []AddonProvider
}

// Snapshot returns the catalogue, refreshing it when it is older than the
// TTL. When the refresh fails it returns the last good copy, or the error if
// there is none yet.
func (c *Catalogue) Snapshot(ctx context.Context) (CatalogueSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zones != nil && c.now().Sub(c.fetched) < c.ttl {
		return c.snapshotLocked(), nil
	}
	zones, err := c.src.Zones(ctx)
	if err == nil {
		var instances []Instance
		instances, err = c.src.Instances(ctx)
		if err == nil {
			var providers []AddonProvider
			providers, err = c.src.AddonProviders(ctx)
			if err == nil {
				c.zones, c.instances, c.providers, c.fetched = zones, instances, providers, c.now()
				return c.snapshotLocked(), nil
			}
		}
	}
	if c.zones != nil {
		return c.snapshotLocked(), nil
	}
	return CatalogueSnapshot{}, fmt.Errorf("platform: catalogue: %w", err)
}

func (c *Catalogue) snapshotLocked() CatalogueSnapshot {
	return CatalogueSnapshot{Zones: c.zones, Instances: c.instances, Providers: c.providers}
}

// ZoneNames returns the names of the zones that host applications, in the
// platform's order.
func (s CatalogueSnapshot) ZoneNames() []string {
	names := make([]string, 0, len(s.Zones))
	for _, z := range s.Zones {
		names = append(names, z.Name)
	}
	return names
}

// Zone returns the zone named name.
func (s CatalogueSnapshot) Zone(name string) (Zone, bool) {
	for _, z := range s.Zones {
		if z.Name == name {
			return z, true
		}
	}
	return Zone{}, false
}

// Runtime returns the enabled runtime whose variant slug is slug.
func (s CatalogueSnapshot) Runtime(slug string) (Instance, bool) {
	for _, i := range s.Instances {
		if i.Variant.Slug == slug && i.Enabled && !i.ComingSoon {
			return i, true
		}
	}
	return Instance{}, false
}

// Runtimes returns the enabled runtimes, one per variant slug.
func (s CatalogueSnapshot) Runtimes() []Instance {
	seen := map[string]bool{}
	out := make([]Instance, 0, len(s.Instances))
	for _, i := range s.Instances {
		if !i.Enabled || i.ComingSoon || seen[i.Variant.Slug] {
			continue
		}
		seen[i.Variant.Slug] = true
		out = append(out, i)
	}
	return out
}

// Provider returns the add-on provider with that id.
func (s CatalogueSnapshot) Provider(id string) (AddonProvider, bool) {
	for _, p := range s.Providers {
		if p.ID == id {
			return p, true
		}
	}
	return AddonProvider{}, false
}
