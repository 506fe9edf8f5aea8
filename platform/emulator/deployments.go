package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/platform"
)

// Deployment actions.
const (
	actionDeploy   = "DEPLOY"
	actionUndeploy = "UNDEPLOY"
)

// deploymentRow is a deployments row.
type deploymentRow struct {
	UUID      string `db:"uuid"`
	AppID     string `db:"app_id"`
	Num       int64  `db:"num"`
	Action    string `db:"action"`
	CommitSHA string `db:"commit_sha"`
	Cause     string `db:"cause"`
	State     string `db:"state"`
	CreatedAt int64  `db:"created_at"`
	DoneAt    int64  `db:"done_at"`
}

// api renders the deployment at time now: a WIP deployment is OK once done.
func (d deploymentRow) api(now int64) platform.Deployment {
	state := d.State
	if state == platform.DeploymentWIP && now >= d.DoneAt {
		state = platform.DeploymentOK
	}
	return platform.Deployment{
		UUID: d.UUID, ID: d.Num, State: state, Action: d.Action, Commit: d.CommitSHA, Cause: d.Cause, Date: d.CreatedAt,
	}
}

// usageRow is a usage_intervals row.
type usageRow struct {
	ID           string        `db:"id"`
	OrgID        string        `db:"org_id"`
	ResourceID   string        `db:"resource_id"`
	ResourceType string        `db:"resource_type"`
	Zone         string        `db:"zone"`
	SlugID       string        `db:"slug_id"`
	Instances    int           `db:"instances"`
	StartedAt    int64         `db:"started_at"`
	StoppedAt    sql.NullInt64 `db:"stopped_at"`
}

const usageColumns = `id, org_id, resource_id, resource_type, zone, slug_id, instances, started_at, stopped_at`

// insertUsage opens a billing interval.
func (e *Emulator) insertUsage(ctx context.Context, tx *sqlx.Tx, u usageRow) error {
	u.ID = uuid.NewString()
	if _, err := tx.NamedExecContext(ctx, `INSERT INTO usage_intervals (`+usageColumns+`) VALUES (:id, :org_id, :resource_id, :resource_type, :zone, :slug_id, :instances, :started_at, :stopped_at)`, u); err != nil {
		return fmt.Errorf("emulator: open usage interval: %w", err)
	}
	return nil
}

// openUsage opens the billing interval of a running application from start:
// its minimal flavor times its minimal instance count.
func (e *Emulator) openUsage(ctx context.Context, tx *sqlx.Tx, a appRow, start int64) error {
	in := e.cat.instanceByVariantID(a.InstanceType, a.InstanceVersion, a.VariantID)
	slug := flavorOf(in, a.MinFlavor).PriceID
	if slug == "" {
		slug = "apps." + a.MinFlavor
	}
	return e.insertUsage(ctx, tx, usageRow{
		OrgID: a.OrgID, ResourceID: a.ID, ResourceType: "application", Zone: a.Zone,
		SlugID: slug, Instances: a.MinInstances, StartedAt: start,
	})
}

// closeUsage closes the resource's open billing interval now (or at its
// start, when it had not started yet) and returns it, nil when none was open.
func (e *Emulator) closeUsage(ctx context.Context, tx *sqlx.Tx, resourceID string) (*usageRow, error) {
	var u usageRow
	err := tx.GetContext(ctx, &u, e.q(`SELECT `+usageColumns+` FROM usage_intervals WHERE resource_id = ? AND stopped_at IS NULL`), resourceID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: close usage interval: %w", err)
	}
	if _, err := tx.ExecContext(ctx, e.q(`UPDATE usage_intervals SET stopped_at = ? WHERE id = ?`), max(u.StartedAt, e.nowMS()), u.ID); err != nil {
		return nil, fmt.Errorf("emulator: close usage interval: %w", err)
	}
	return &u, nil
}

// insertDeployment records a deployment of app with the next number.
func (e *Emulator) insertDeployment(ctx context.Context, tx *sqlx.Tx, d deploymentRow) error {
	if err := tx.GetContext(ctx, &d.Num, e.q(`SELECT COALESCE(MAX(num), 0) + 1 FROM deployments WHERE app_id = ?`), d.AppID); err != nil {
		return fmt.Errorf("emulator: record deployment: %w", err)
	}
	if _, err := tx.NamedExecContext(ctx, `INSERT INTO deployments (uuid, app_id, num, action, commit_sha, cause, state, created_at, done_at) VALUES (:uuid, :app_id, :num, :action, :commit_sha, :cause, :state, :created_at, :done_at)`, d); err != nil {
		return fmt.Errorf("emulator: record deployment: %w", err)
	}
	return nil
}

// handleStartApp starts or restarts an application: it records a WIP DEPLOY
// deployment and sets the application WANTS_TO_BE_UP; both settle (OK,
// SHOULD_BE_UP) one deploy delay later. It answers {deploymentId}.
func (e *Emulator) handleStartApp(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	now := e.nowMS()
	upAt := now + e.delay.Milliseconds()
	d := deploymentRow{
		UUID: uuid.NewString(), AppID: a.ID, Action: actionDeploy, CommitSHA: randomHex(20), Cause: "api",
		State: platform.DeploymentWIP, CreatedAt: now, DoneAt: upAt,
	}
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if err := e.insertDeployment(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, e.q(`UPDATE applications SET state = ?, up_at = ? WHERE id = ?`), platform.StateWantsToBeUp, upAt, a.ID); err != nil {
			return fmt.Errorf("emulator: start application: %w", err)
		}
		var open int
		if err := tx.GetContext(ctx, &open, e.q(`SELECT COUNT(*) FROM usage_intervals WHERE resource_id = ? AND stopped_at IS NULL`), a.ID); err != nil {
			return fmt.Errorf("emulator: start application: %w", err)
		}
		if open > 0 { // a restart: the application keeps running, and billed
			return nil
		}
		return e.openUsage(ctx, tx, a, upAt)
	})
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deploymentId": d.UUID})
}

// handleStopApp stops an application: it cancels unfinished deployments,
// records an OK UNDEPLOY deployment, sets SHOULD_BE_DOWN and stops billing.
func (e *Emulator) handleStopApp(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	now := e.nowMS()
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, e.q(`UPDATE deployments SET state = ? WHERE app_id = ? AND state = ? AND done_at > ?`),
			platform.DeploymentCancelled, a.ID, platform.DeploymentWIP, now); err != nil {
			return fmt.Errorf("emulator: stop application: %w", err)
		}
		err := e.insertDeployment(ctx, tx, deploymentRow{
			UUID: uuid.NewString(), AppID: a.ID, Action: actionUndeploy, CommitSHA: randomHex(20), Cause: "api",
			State: platform.DeploymentOK, CreatedAt: now, DoneAt: now,
		})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, e.q(`UPDATE applications SET state = ?, up_at = ? WHERE id = ?`), platform.StateShouldBeDown, now, a.ID); err != nil {
			return fmt.Errorf("emulator: stop application: %w", err)
		}
		_, err = e.closeUsage(ctx, tx, a.ID)
		return err
	})
	if err != nil {
		internalError(w, err)
		return
	}
	writeSuccess(w, "The application has been stopped")
}

// handleDeployments lists an application's deployments, newest first.
func (e *Emulator) handleDeployments(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	var rows []deploymentRow
	if err := e.db.SelectContext(r.Context(), &rows, e.q(`SELECT uuid, app_id, num, action, commit_sha, cause, state, created_at, done_at FROM deployments WHERE app_id = ? ORDER BY num DESC`), a.ID); err != nil {
		internalError(w, fmt.Errorf("emulator: list deployments: %w", err))
		return
	}
	now := e.nowMS()
	out := make([]platform.Deployment, 0, len(rows))
	for _, d := range rows {
		out = append(out, d.api(now))
	}
	writeJSON(w, http.StatusOK, out)
}
