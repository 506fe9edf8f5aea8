package emulator

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/platform"
)

// addonRow is an addons row.
type addonRow struct {
	ID         string `db:"id"`
	RealID     string `db:"real_id"`
	OrgID      string `db:"org_id"`
	Name       string `db:"name"`
	ProviderID string `db:"provider_id"`
	PlanID     string `db:"plan_id"`
	Region     string `db:"region"`
	Options    string `db:"options"`
	CreatedAt  int64  `db:"created_at"`
	Env        string `db:"env"`
}

const addonColumns = `id, real_id, org_id, name, provider_id, plan_id, region, options, created_at, env`

// addonAPI renders an add-on as the API answers it.
func (e *Emulator) addonAPI(a addonRow) platform.Addon {
	p := e.cat.providers[a.ProviderID]
	pl, _ := p.Plan(a.PlanID)
	return platform.Addon{
		ID: a.ID, RealID: a.RealID, Name: a.Name, Region: a.Region, ZoneID: e.cat.zoneID(a.Region),
		Provider:     platform.AddonProviderRef{ID: a.ProviderID, Name: p.Name, ShortDesc: p.ShortDesc, LogoURL: p.LogoURL},
		Plan:         platform.AddonPlanRef{ID: a.PlanID, Name: pl.Name, Slug: pl.Slug, PriceID: pl.PriceID},
		CreationDate: a.CreatedAt,
	}
}

// addons lists an organisation's add-ons, oldest first.
func (e *Emulator) addons(ctx context.Context, org string) ([]platform.Addon, error) {
	var rows []addonRow
	if err := e.db.SelectContext(ctx, &rows, e.q(`SELECT `+addonColumns+` FROM addons WHERE org_id = ? ORDER BY created_at, id`), org); err != nil {
		return nil, fmt.Errorf("emulator: list add-ons: %w", err)
	}
	out := make([]platform.Addon, 0, len(rows))
	for _, a := range rows {
		out = append(out, e.addonAPI(a))
	}
	return out, nil
}

// ownedAddon loads the path's add-on {id} of organisation {o}, answering 404
// when acc does not own them.
func (e *Emulator) ownedAddon(w http.ResponseWriter, r *http.Request, acc account) (addonRow, bool) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return addonRow{}, false
	}
	var a addonRow
	err := e.db.GetContext(r.Context(), &a, e.q(`SELECT `+addonColumns+` FROM addons WHERE id = ? AND org_id = ?`), r.PathValue("id"), o.ID)
	if errors.Is(err, sql.ErrNoRows) {
		err = errNotFound
	}
	if err != nil {
		fail(w, err, "add-on")
		return a, false
	}
	return a, true
}

// newAddon validates a creation request and builds the row.
func (e *Emulator) newAddon(org string, in platform.AddonCreate) (addonRow, platform.Plan, error) {
	if strings.TrimSpace(in.Name) == "" {
		return addonRow{}, platform.Plan{}, badRequest("name is required")
	}
	p, ok := e.cat.providers[in.ProviderID]
	if !ok {
		return addonRow{}, platform.Plan{}, badRequest(fmt.Sprintf("unknown providerId %q", in.ProviderID))
	}
	pl, ok := p.Plan(in.Plan)
	if !ok {
		return addonRow{}, platform.Plan{}, badRequest(fmt.Sprintf("unknown plan %q for provider %s", in.Plan, p.ID))
	}
	regions := pl.Zones
	if len(regions) == 0 {
		regions = p.Regions
	}
	if !slices.Contains(regions, in.Region) {
		return addonRow{}, platform.Plan{}, badRequest(fmt.Sprintf("region %q is not offered for %s plan %s (want one of %s)", in.Region, p.ID, pl.Slug, strings.Join(regions, ", ")))
	}
	opts := in.Options
	if opts == nil {
		opts = map[string]string{}
	}
	optJSON, _ := json.Marshal(opts)
	prefix := strings.ReplaceAll(strings.TrimSuffix(p.ID, "-addon"), "-", "_")
	realID := prefix + "_" + uuid.NewString()
	env, _ := json.Marshal(addonEnvOf(p.ID, realID))
	return addonRow{
		ID: "addon_" + uuid.NewString(), RealID: realID, OrgID: org, Name: in.Name,
		ProviderID: p.ID, PlanID: pl.ID, Region: in.Region, Options: string(optJSON), CreatedAt: e.nowMS(),
		Env: string(env),
	}, pl, nil
}

func (e *Emulator) handleListAddons(w http.ResponseWriter, r *http.Request, acc account) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return
	}
	out, err := e.addons(r.Context(), o.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) handleGetAddon(w http.ResponseWriter, r *http.Request, acc account) {
	if a, ok := e.ownedAddon(w, r, acc); ok {
		writeJSON(w, http.StatusOK, e.addonAPI(a))
	}
}

// handleCreateAddon creates an add-on; it is billed by the hour from now.
func (e *Emulator) handleCreateAddon(w http.ResponseWriter, r *http.Request, acc account) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return
	}
	var in platform.AddonCreate
	if !decode(w, r, &in) {
		return
	}
	a, pl, err := e.newAddon(o.ID, in)
	if err != nil {
		writeErr(w, err, "add-on")
		return
	}
	ctx := r.Context()
	err = e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO addons (`+addonColumns+`) VALUES (:id, :real_id, :org_id, :name, :provider_id, :plan_id, :region, :options, :created_at, :env)`, a); err != nil {
			return fmt.Errorf("emulator: create add-on: %w", err)
		}
		if pl.PriceID == "" {
			return nil
		}
		return e.insertUsage(ctx, tx, usageRow{
			OrgID: o.ID, ResourceID: a.ID, ResourceType: "addon", Zone: a.Region,
			SlugID: pl.PriceID, Instances: 1, StartedAt: a.CreatedAt,
		})
	})
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, e.addonAPI(a))
}

func (e *Emulator) handleDeleteAddon(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedAddon(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := e.closeUsage(ctx, tx, a.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, e.q(`DELETE FROM addons WHERE id = ?`), a.ID); err != nil {
			return fmt.Errorf("emulator: delete add-on: %w", err)
		}
		return nil
	})
	if err != nil {
		internalError(w, err)
		return
	}
	writeSuccess(w, "The add-on has been deleted")
}
