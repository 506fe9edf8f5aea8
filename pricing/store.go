package pricing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Store keeps the partners' price grids, every saved version of them, and an
// in-memory copy of the current versions for the engine. Every query is
// scoped by partner. It is safe for concurrent use.
type Store struct {
	db  *sqlx.DB
	cat *Catalogue
	now func() time.Time

	// mu guards gen and cache.
	mu sync.RWMutex
	// gen counts invalidations, so that a load that raced with a save is
	// not cached.
	gen uint64
	// cache holds, per partner id, the current versions of its grids,
	// indexed for pricing; a missing partner is loaded on demand.
	cache map[string]*partnerGrids
	// bus tells the other instances about grid changes; nil for one.
	bus Broadcaster
}

// NewStore returns a store of grids in db, validated against cat.
func NewStore(db *sqlx.DB, cat *Catalogue) *Store {
	s := &Store{db: db, cat: cat, now: time.Now, cache: map[string]*partnerGrids{}}
	// a new catalogue changes nothing in the grids, but drop the compiled
	// copies anyway so that nothing outlives a refresh
	cat.onChange = append(cat.onChange, s.invalidateAll)
	return s
}

// ValidateGrid runs SaveGrid's checks of a grid's fields and rules against
// the current catalogue (ties, below cost, unknown products, dates), without
// saving it; an overlap with another grid is only found at save time.
func (s *Store) ValidateGrid(ctx context.Context, g Grid) error {
	snap, err := s.cat.snapshot(ctx)
	if err != nil {
		return fmt.Errorf("pricing: validate grid: %w", err)
	}
	return validate(normalize(g), snap)
}

// SaveGrid validates g and stores it as a new version: version 1 of a new
// grid when g.ID is "", the next version of grid g.ID otherwise. Every
// version is kept. Refusals are a *GridError or a *RuleError; an unknown or
// foreign g.ID is ErrNotFound.
func (s *Store) SaveGrid(ctx context.Context, g Grid) (Grid, error) {
	g = normalize(g)
	snap, err := s.cat.snapshot(ctx)
	if err != nil {
		return Grid{}, fmt.Errorf("pricing: save grid: %w", err)
	}
	if err := validate(g, snap); err != nil {
		return Grid{}, err
	}
	for i := range g.Rules {
		if g.Rules[i].ID == "" {
			g.Rules[i].ID = "rule_" + uuid.NewString()
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Grid{}, fmt.Errorf("pricing: save grid: %w", err)
	}
	defer tx.Rollback()
	if g.CustomerID != "" {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM customers WHERE id = ? AND partner_id = ?`), g.CustomerID, g.PartnerID); err != nil {
			return Grid{}, fmt.Errorf("pricing: save grid: %w", err)
		}
		if n == 0 {
			return Grid{}, &GridError{MessageID: "grid.customer"}
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if g.ID == "" {
		g.ID, g.Version = "grid_"+uuid.NewString(), 1
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO pricing_grids (id, partner_id, customer_id, current_version, created_at) VALUES (?, ?, ?, ?, ?)`),
			g.ID, g.PartnerID, nullString(g.CustomerID), g.Version, now); err != nil {
			return Grid{}, fmt.Errorf("pricing: save grid: %w", err)
		}
	} else {
		var cur int
		err := tx.GetContext(ctx, &cur, tx.Rebind(`SELECT current_version FROM pricing_grids WHERE id = ? AND partner_id = ?`), g.ID, g.PartnerID)
		if errors.Is(err, sql.ErrNoRows) {
			return Grid{}, fmt.Errorf("pricing: save grid %s: %w", g.ID, ErrNotFound)
		}
		if err != nil {
			return Grid{}, fmt.Errorf("pricing: save grid %s: %w", g.ID, err)
		}
		var last int
		if err := tx.GetContext(ctx, &last, tx.Rebind(`SELECT MAX(version) FROM pricing_grid_versions WHERE grid_id = ? AND partner_id = ?`), g.ID, g.PartnerID); err != nil {
			return Grid{}, fmt.Errorf("pricing: save grid %s: %w", g.ID, err)
		}
		g.Version = last + 1
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE pricing_grids SET current_version = ?, customer_id = ? WHERE id = ? AND partner_id = ?`),
			g.Version, nullString(g.CustomerID), g.ID, g.PartnerID); err != nil {
			return Grid{}, fmt.Errorf("pricing: save grid %s: %w", g.ID, err)
		}
	}
	if err := checkOverlap(ctx, tx, g); err != nil {
		return Grid{}, err
	}
	g.CreatedAt = now
	if err := insertVersion(ctx, tx, g); err != nil {
		return Grid{}, fmt.Errorf("pricing: save grid %s: %w", g.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return Grid{}, fmt.Errorf("pricing: save grid %s: %w", g.ID, err)
	}
	s.gridsChanged(ctx, g.PartnerID)
	return g, nil
}

// checkOverlap refuses g when another grid of the same partner, customer and
// currency is in force at a common instant.
func checkOverlap(ctx context.Context, tx *sqlx.Tx, g Grid) error {
	others, err := selectGrids(ctx, tx, g.PartnerID, `v.version = g.current_version AND g.id <> ?`, g.ID)
	if err != nil {
		return fmt.Errorf("pricing: save grid: %w", err)
	}
	for _, o := range others {
		if o.CustomerID == g.CustomerID && o.Currency == g.Currency && o.overlaps(g) {
			return &GridError{MessageID: "grid.overlap", OtherID: o.ID}
		}
	}
	return nil
}

// insertVersion writes one version of a grid and its rules.
func insertVersion(ctx context.Context, tx *sqlx.Tx, g Grid) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO pricing_grid_versions
		(grid_id, version, partner_id, customer_id, name, currency, valid_from, valid_to, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		g.ID, g.Version, g.PartnerID, nullString(g.CustomerID), g.Name, g.Currency, g.ValidFrom, nullTime(g.ValidTo), g.CreatedAt); err != nil {
		return err
	}
	for i, r := range g.Rules {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO pricing_grid_rules
			(grid_id, version, position, partner_id, rule_id, family, product, zone, kind, percent, price, tiers, loss_leader)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			g.ID, g.Version, i, g.PartnerID, r.ID, r.Family, r.Product, r.Zone, r.Kind,
			r.Percent.String(), r.Price.String(), FormatTiers(r.Tiers), r.LossLeader); err != nil {
			return err
		}
	}
	return nil
}

// Grid returns the current version of a partner's grid, or ErrNotFound.
func (s *Store) Grid(ctx context.Context, partnerID, id string) (Grid, error) {
	gs, err := selectGrids(ctx, s.db, partnerID, `v.version = g.current_version AND g.id = ?`, id)
	if err != nil {
		return Grid{}, fmt.Errorf("pricing: grid %s: %w", id, err)
	}
	if len(gs) == 0 {
		return Grid{}, fmt.Errorf("pricing: grid %s: %w", id, ErrNotFound)
	}
	return gs[0], nil
}

// Grids returns the current versions of a partner's grids, the default
// grids first, then by customer, currency and start.
func (s *Store) Grids(ctx context.Context, partnerID string) ([]Grid, error) {
	gs, err := selectGrids(ctx, s.db, partnerID, `v.version = g.current_version`)
	if err != nil {
		return nil, fmt.Errorf("pricing: grids: %w", err)
	}
	return gs, nil
}

// Versions returns every saved version of a partner's grid, oldest first,
// or ErrNotFound.
func (s *Store) Versions(ctx context.Context, partnerID, id string) ([]Grid, error) {
	gs, err := selectGrids(ctx, s.db, partnerID, `g.id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("pricing: versions of grid %s: %w", id, err)
	}
	if len(gs) == 0 {
		return nil, fmt.Errorf("pricing: versions of grid %s: %w", id, ErrNotFound)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Version < gs[j].Version })
	return gs, nil
}

// RestoreVersion saves the content of an old version of a grid as its new
// current version, validated again against today's catalogue and grids.
func (s *Store) RestoreVersion(ctx context.Context, partnerID, id string, version int) (Grid, error) {
	gs, err := selectGrids(ctx, s.db, partnerID, `g.id = ? AND v.version = ?`, id, version)
	if err != nil {
		return Grid{}, fmt.Errorf("pricing: restore grid %s version %d: %w", id, version, err)
	}
	if len(gs) == 0 {
		return Grid{}, fmt.Errorf("pricing: restore grid %s version %d: %w", id, version, ErrNotFound)
	}
	return s.SaveGrid(ctx, gs[0])
}

// DeleteGrid deletes a partner's grid and all its versions, or returns
// ErrNotFound.
func (s *Store) DeleteGrid(ctx context.Context, partnerID, id string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM pricing_grids WHERE id = ? AND partner_id = ?`), id, partnerID)
	if err != nil {
		return fmt.Errorf("pricing: delete grid %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("pricing: delete grid %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("pricing: delete grid %s: %w", id, ErrNotFound)
	}
	s.gridsChanged(ctx, partnerID)
	return nil
}

// versionRow is a pricing_grid_versions row.
type versionRow struct {
	GridID     string         `db:"grid_id"`
	Version    int            `db:"version"`
	PartnerID  string         `db:"partner_id"`
	CustomerID sql.NullString `db:"customer_id"`
	Name       string         `db:"name"`
	Currency   string         `db:"currency"`
	ValidFrom  time.Time      `db:"valid_from"`
	ValidTo    sql.NullTime   `db:"valid_to"`
	CreatedAt  time.Time      `db:"created_at"`
}

// ruleRow is a pricing_grid_rules row.
type ruleRow struct {
	GridID     string `db:"grid_id"`
	Version    int    `db:"version"`
	RuleID     string `db:"rule_id"`
	Family     string `db:"family"`
	Product    string `db:"product"`
	Zone       string `db:"zone"`
	Kind       string `db:"kind"`
	Percent    string `db:"percent"`
	Price      string `db:"price"`
	Tiers      string `db:"tiers"`
	LossLeader bool   `db:"loss_leader"`
}

// selectGrids reads a partner's grid versions matching cond, a condition on
// the versions (aliased v) and their grid (aliased g), with their rules.
func selectGrids(ctx context.Context, q queryer, partnerID, cond string, args ...any) ([]Grid, error) {
	all := append([]any{partnerID}, args...)
	var vs []versionRow
	if err := sqlx.SelectContext(ctx, q, &vs, q.Rebind(`SELECT v.grid_id, v.version, v.partner_id, v.customer_id, v.name,
		v.currency, v.valid_from, v.valid_to, v.created_at
		FROM pricing_grid_versions v JOIN pricing_grids g ON g.id = v.grid_id AND g.partner_id = v.partner_id
		WHERE v.partner_id = ? AND `+cond+`
		ORDER BY v.customer_id, v.currency, v.valid_from, v.grid_id, v.version`), all...); err != nil {
		return nil, err
	}
	var rs []ruleRow
	if err := sqlx.SelectContext(ctx, q, &rs, q.Rebind(`SELECT r.grid_id, r.version, r.rule_id, r.family, r.product,
		r.zone, r.kind, r.percent, r.price, r.tiers, r.loss_leader
		FROM pricing_grid_rules r
		JOIN pricing_grid_versions v ON v.grid_id = r.grid_id AND v.version = r.version
		JOIN pricing_grids g ON g.id = v.grid_id AND g.partner_id = v.partner_id
		WHERE r.partner_id = ? AND v.partner_id = r.partner_id AND `+cond+`
		ORDER BY r.grid_id, r.version, r.position`), all...); err != nil {
		return nil, err
	}
	type gv struct {
		id      string
		version int
	}
	rules := map[gv][]Rule{}
	for _, r := range rs {
		rule := Rule{ID: r.RuleID, Family: r.Family, Product: r.Product, Zone: r.Zone, Kind: r.Kind, LossLeader: r.LossLeader}
		var err error
		if rule.Percent, err = decimal.NewFromString(r.Percent); err != nil {
			return nil, fmt.Errorf("rule %s percent: %w", r.RuleID, err)
		}
		if rule.Price, err = decimal.NewFromString(r.Price); err != nil {
			return nil, fmt.Errorf("rule %s price: %w", r.RuleID, err)
		}
		if rule.Tiers, err = ParseTiers(r.Tiers); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.RuleID, err)
		}
		k := gv{r.GridID, r.Version}
		rules[k] = append(rules[k], rule)
	}
	out := make([]Grid, 0, len(vs))
	for _, v := range vs {
		g := Grid{ID: v.GridID, PartnerID: v.PartnerID, CustomerID: v.CustomerID.String, Name: v.Name, Currency: v.Currency,
			ValidFrom: v.ValidFrom.UTC(), Rules: rules[gv{v.GridID, v.Version}], Version: v.Version, CreatedAt: v.CreatedAt.UTC()}
		if v.ValidTo.Valid {
			t := v.ValidTo.Time.UTC()
			g.ValidTo = &t
		}
		if g.Rules == nil {
			g.Rules = []Rule{}
		}
		out = append(out, g)
	}
	return out, nil
}

// queryer is what selectGrids reads from: *sqlx.DB or *sqlx.Tx.
type queryer interface {
	sqlx.QueryerContext
	Rebind(query string) string
}

// nullString stores "" as NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullTime stores nil as NULL.
func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}
