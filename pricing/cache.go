package pricing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// partnerGrids is the in-memory copy of one partner's current grids,
// indexed for pricing. It is never modified once built.
type partnerGrids struct {
	// byOwner holds the grids of each (customer, currency), "" customer for
	// the default grids, sorted by ValidFrom.
	byOwner map[ownerKey][]*compiledGrid
}

// ownerKey names the grids that may not overlap: one customer (or the
// default) in one currency.
type ownerKey struct{ customer, currency string }

// compiledGrid is a grid with its rules indexed by scope.
type compiledGrid struct {
	grid  Grid
	rules map[scopeKey]*Rule
}

// scopeMasks lists the rule scopes from the most specific to the least:
// each mask is a sum of ScoreProduct, ScoreFamily and ScoreZone.
var scopeMasks = [...]int{7, 6, 5, 4, 3, 2, 1, 0}

// compile indexes a grid's rules.
func compile(g Grid) *compiledGrid {
	c := &compiledGrid{grid: g, rules: make(map[scopeKey]*Rule, len(g.Rules))}
	for i := range g.Rules {
		c.rules[scopeOf(g.Rules[i])] = &g.Rules[i]
	}
	return c
}

// match returns the most specific rule of the grid that matches lp and can
// price it, or nil.
func (c *compiledGrid) match(lp *ListPrice) *Rule {
	product := strings.ToLower(lp.SlugID)
	for _, m := range scopeMasks {
		var k scopeKey
		if m&ScoreProduct != 0 {
			k.product = product
		}
		if m&ScoreFamily != 0 {
			k.family = lp.Family
		}
		if m&ScoreZone != 0 {
			k.zone = lp.Zone
		}
		r, ok := c.rules[k]
		if !ok {
			continue
		}
		if _, _, ok := r.apply(lp); ok {
			return r
		}
	}
	return nil
}

// price applies the grid's matching rule, if any, to q.
func (c *compiledGrid) price(lp *ListPrice, q *Quote, source string) {
	r := c.match(lp)
	if r == nil {
		return
	}
	q.Price, q.Tiers, _ = r.apply(lp)
	if lp.Kind == KindHourly {
		q.Tiers = nil
	}
	q.Source, q.GridID, q.GridVersion, q.RuleID, q.LossLeader = source, c.grid.ID, c.grid.Version, r.ID, r.LossLeader
}

// inForce returns the grid of a customer ("" for the default) in a currency
// in force at instant at, or nil.
func (p *partnerGrids) inForce(customer, currency string, at time.Time) *compiledGrid {
	for _, g := range p.byOwner[ownerKey{customer, currency}] {
		if g.grid.InForce(at) {
			return g
		}
	}
	return nil
}

// partnerGrids returns the in-memory copy of a partner's current grids,
// loading it on first use and after each change.
func (s *Store) partnerGrids(ctx context.Context, partnerID string) (*partnerGrids, error) {
	s.mu.RLock()
	pg, ok := s.cache[partnerID]
	gen := s.gen
	s.mu.RUnlock()
	if ok {
		return pg, nil
	}
	gs, err := selectGrids(ctx, s.db, partnerID, `v.version = g.current_version`)
	if err != nil {
		return nil, fmt.Errorf("load grids of partner %s: %w", partnerID, err)
	}
	pg = &partnerGrids{byOwner: map[ownerKey][]*compiledGrid{}}
	for _, g := range gs {
		k := ownerKey{g.CustomerID, g.Currency}
		pg.byOwner[k] = append(pg.byOwner[k], compile(g))
	}
	s.mu.Lock()
	if s.gen == gen {
		s.cache[partnerID] = pg
	}
	s.mu.Unlock()
	return pg, nil
}

// TopicGrids is the broadcast topic of price grid changes; its key is the
// partner's id ("" for every partner).
const TopicGrids = "grids"

// Broadcaster tells the portal's other instances what changed, and this
// store what they changed; *broadcast.Bus is one.
type Broadcaster interface {
	Publish(ctx context.Context, topic, key string) error
	Subscribe(topic string, fn func(key string))
}

// UseBroadcaster makes the store tell the other instances about its grid
// changes, and drop its in-memory grids on theirs. Call it once, before
// serving.
func (s *Store) UseBroadcaster(b Broadcaster) {
	s.bus = b
	b.Subscribe(TopicGrids, func(partnerID string) {
		if partnerID == "" {
			s.invalidateAll()
		} else {
			s.invalidate(partnerID)
		}
	})
}

// gridsChanged drops a partner's in-memory grids after a committed change,
// in this instance and in the others.
func (s *Store) gridsChanged(ctx context.Context, partnerID string) {
	s.invalidate(partnerID)
	if s.bus != nil {
		// A notice that can't be sent is logged by the bus.
		_ = s.bus.Publish(ctx, TopicGrids, partnerID)
	}
}

// invalidate drops a partner's in-memory grids after a change.
func (s *Store) invalidate(partnerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	delete(s.cache, partnerID)
}

// invalidateAll drops every partner's in-memory grids.
func (s *Store) invalidateAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	clear(s.cache)
}

// Currencies lists the currencies a partner sells in to one customer
// (customerID "" for its public prices) at instant at: those of the
// customer's contract grids in force, then those of the partner's default
// grids in force, each once and in alphabetical order within its group; the
// default currency when no grid is in force. The first is the currency the
// customer's prices are shown in.
func (s *Store) Currencies(ctx context.Context, partnerID, customerID string, at time.Time) ([]string, error) {
	pg, err := s.partnerGrids(ctx, partnerID)
	if err != nil {
		return nil, fmt.Errorf("pricing: currencies of partner %s: %w", partnerID, err)
	}
	var contract, public []string
	for k, gs := range pg.byOwner {
		if k.customer != "" && k.customer != customerID {
			continue
		}
		for _, g := range gs {
			if !g.grid.InForce(at) {
				continue
			}
			if k.customer == "" {
				public = append(public, k.currency)
			} else {
				contract = append(contract, k.currency)
			}
			break
		}
	}
	slices.Sort(contract)
	slices.Sort(public)
	out := contract
	for _, c := range public {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = []string{DefaultCurrency}
	}
	return out, nil
}

// Generation counts the changes to any grid and to the list prices seen by
// this process: a price computed under one generation is still right while
// it lasts, so callers may key copies of prices by it.
func (s *Store) Generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}
