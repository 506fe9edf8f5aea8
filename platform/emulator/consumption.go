package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
)

// msPerHour converts milliseconds to hours.
var msPerHour = decimal.NewFromInt(int64(time.Hour / time.Millisecond))

// recordedRow is a recorded_consumptions row.
type recordedRow struct {
	ID           string `db:"id"`
	OrgID        string `db:"org_id"`
	OwnerID      string `db:"owner_id"`
	ResourceID   string `db:"resource_id"`
	ResourceType string `db:"resource_type"`
	Zone         string `db:"zone"`
	SlugID       string `db:"slug_id"`
	Quantity     string `db:"quantity"`
	Unit         string `db:"unit"`
	FromAt       int64  `db:"from_at"`
	ToAt         int64  `db:"to_at"`
}

const recordedColumns = `id, org_id, owner_id, resource_id, resource_type, zone, slug_id, quantity, unit, from_at, to_at`

// RecordConsumption stores a usage line of organisation org, to seed past
// usage: it is returned as is by the consumptions endpoint whenever its
// [From, To) overlaps the asked period. From and To are RFC 3339 times,
// Quantity a decimal; OwnerID defaults to org and Unit to PT1H.
func (e *Emulator) RecordConsumption(ctx context.Context, org string, c platform.Consumption) error {
	var n int
	if err := e.db.GetContext(ctx, &n, e.q(`SELECT COUNT(*) FROM organisations WHERE id = ?`), org); err != nil {
		return fmt.Errorf("emulator: record consumption: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("emulator: record consumption: organisation %s not found", org)
	}
	from, err := time.Parse(time.RFC3339, c.From)
	if err != nil {
		return fmt.Errorf("emulator: record consumption: from: %w", err)
	}
	to, err := time.Parse(time.RFC3339, c.To)
	if err != nil {
		return fmt.Errorf("emulator: record consumption: to: %w", err)
	}
	if !to.After(from) {
		return fmt.Errorf("emulator: record consumption: to %s is not after from %s", c.To, c.From)
	}
	q, err := decimal.NewFromString(c.Quantity.String())
	if err != nil {
		return fmt.Errorf("emulator: record consumption: quantity: %w", err)
	}
	if c.SlugID == "" {
		return fmt.Errorf("emulator: record consumption: slugId is required")
	}
	row := recordedRow{
		ID: uuid.NewString(), OrgID: org, OwnerID: cmpOr(c.OwnerID, org), ResourceID: c.ResourceID,
		ResourceType: c.ResourceType, Zone: c.Zone, SlugID: c.SlugID, Quantity: q.String(),
		Unit: cmpOr(c.Unit, "PT1H"), FromAt: from.UnixMilli(), ToAt: to.UnixMilli(),
	}
	if _, err := e.db.NamedExecContext(ctx, `INSERT INTO recorded_consumptions (`+recordedColumns+`) VALUES (:id, :org_id, :owner_id, :resource_id, :resource_type, :zone, :slug_id, :quantity, :unit, :from_at, :to_at)`, row); err != nil {
		return fmt.Errorf("emulator: record consumption: %w", err)
	}
	return nil
}

// formatMS renders Unix milliseconds as RFC 3339 in UTC.
func formatMS(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

// consumptions computes organisation org's usage over [from, to): one line
// per billing interval, clipped to the period and to now, plus the recorded
// lines overlapping it. Lines are sorted by start, then resource.
func (e *Emulator) consumptions(ctx context.Context, org string, from, to int64) ([]platform.Consumption, error) {
	var intervals []usageRow
	if err := e.db.SelectContext(ctx, &intervals, e.q(`SELECT `+usageColumns+` FROM usage_intervals WHERE org_id = ? AND started_at < ? AND (stopped_at IS NULL OR stopped_at > ?)`), org, to, from); err != nil {
		return nil, fmt.Errorf("emulator: consumptions: %w", err)
	}
	now := e.nowMS()
	out := []platform.Consumption{}
	for _, u := range intervals {
		end := now
		if u.StoppedAt.Valid {
			end = min(end, u.StoppedAt.Int64)
		}
		start, end := max(u.StartedAt, from), min(end, to)
		if end <= start {
			continue
		}
		hours := decimal.NewFromInt((end-start)*int64(u.Instances)).DivRound(msPerHour, 6)
		out = append(out, platform.Consumption{
			OwnerID: org, ResourceID: u.ResourceID, ResourceType: u.ResourceType, Zone: u.Zone, SlugID: u.SlugID,
			Quantity: json.Number(hours.String()), Unit: "PT1H", From: formatMS(start), To: formatMS(end),
		})
	}
	var recorded []recordedRow
	if err := e.db.SelectContext(ctx, &recorded, e.q(`SELECT `+recordedColumns+` FROM recorded_consumptions WHERE org_id = ? AND from_at < ? AND to_at > ?`), org, to, from); err != nil {
		return nil, fmt.Errorf("emulator: consumptions: %w", err)
	}
	for _, r := range recorded {
		out = append(out, platform.Consumption{
			OwnerID: r.OwnerID, ResourceID: r.ResourceID, ResourceType: r.ResourceType, Zone: r.Zone, SlugID: r.SlugID,
			Quantity: json.Number(r.Quantity), Unit: r.Unit, From: formatMS(r.FromAt), To: formatMS(r.ToAt),
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].ResourceID < out[j].ResourceID
	})
	return out, nil
}

// handleConsumptions serves GET /v4/billing/organisations/{o}/consumptions
// ?from=RFC3339&to=RFC3339; both bounds are required (400 otherwise).
func (e *Emulator) handleConsumptions(w http.ResponseWriter, r *http.Request, acc account) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return
	}
	from, err1 := time.Parse(time.RFC3339, r.URL.Query().Get("from"))
	to, err2 := time.Parse(time.RFC3339, r.URL.Query().Get("to"))
	if err := errors.Join(err1, err2); err != nil {
		writeError(w, http.StatusBadRequest, "from and to are required RFC 3339 times")
		return
	}
	if !to.After(from) {
		writeError(w, http.StatusBadRequest, "to must be after from")
		return
	}
	out, err := e.consumptions(r.Context(), o.ID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// Organisations lists the ids of every organisation of every account, for
// tools and tests that record usage on a running emulator's file.
func (e *Emulator) Organisations(ctx context.Context) ([]string, error) {
	var ids []string
	if err := e.db.SelectContext(ctx, &ids, `SELECT id FROM organisations ORDER BY id`); err != nil {
		return nil, fmt.Errorf("emulator: organisations: %w", err)
	}
	return ids, nil
}
