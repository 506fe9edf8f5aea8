package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

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

// handleStartApp starts or restarts an application (see deploy). It
// answers {deploymentId}.
func (e *Emulator) handleStartApp(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	// A restart redeploys the deployed commit, or the one asked for.
	commit := cmpOr(r.URL.Query().Get("commit"), a.CommitID, randomHex(20))
	d, err := e.deploy(r.Context(), a, commit, "api")
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

// deploymentColumns are the deployments table's columns.
const deploymentColumns = `uuid, app_id, num, action, commit_sha, cause, state, created_at, done_at`

// handleDeployments lists an application's deployments, newest first. The
// optional query parameters limit (a positive count), offset and action
// (DEPLOY or UNDEPLOY) narrow the list, as on the platform; the official CLI
// asks for ?limit=5 while it waits for a deployment to start.
func (e *Emulator) handleDeployments(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, okLimit := queryInt(q.Get("limit"), math.MaxInt32)
	offset, okOffset := queryInt(q.Get("offset"), 0)
	if !okLimit || !okOffset || limit == 0 {
		writeError(w, http.StatusBadRequest, "limit must be a positive integer and offset a non-negative one")
		return
	}
	action := strings.ToUpper(q.Get("action"))
	if action != "" && action != actionDeploy && action != actionUndeploy {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown action %q (want DEPLOY or UNDEPLOY)", q.Get("action")))
		return
	}
	query := `SELECT ` + deploymentColumns + ` FROM deployments WHERE app_id = ? AND (? = '' OR action = ?) ORDER BY num DESC LIMIT ? OFFSET ?`
	var rows []deploymentRow
	if err := e.db.SelectContext(r.Context(), &rows, e.q(query), a.ID, action, action, limit, offset); err != nil {
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

// queryInt parses a non-negative integer query parameter; an empty one is
// def. It reports false when the value is not a non-negative integer.
func queryInt(s string, def int) (int, bool) {
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// deployment loads deployment id (its uuid) of application appID.
func (e *Emulator) deployment(ctx context.Context, appID, id string) (deploymentRow, error) {
	var d deploymentRow
	err := e.db.GetContext(ctx, &d, e.q(`SELECT `+deploymentColumns+` FROM deployments WHERE app_id = ? AND uuid = ?`), appID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errNotFound
	}
	if err != nil {
		return d, fmt.Errorf("emulator: get deployment: %w", err)
	}
	return d, nil
}

// handleDeployment answers one deployment, by its uuid. The official CLI
// polls it until it is no longer WIP after `clever restart`.
func (e *Emulator) handleDeployment(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	d, err := e.deployment(r.Context(), a.ID, r.PathValue("d"))
	if err != nil {
		fail(w, err, "deployment")
		return
	}
	writeJSON(w, http.StatusOK, d.api(e.nowMS()))
}
