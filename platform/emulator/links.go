package emulator

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/platform"
)

// handleAppInstances lists an application's instances, as the platform
// answers GET …/applications/{a}/instances: none while it is stopped, its
// minimal count of its minimal size DEPLOYING while a start is under way,
// then UP, each running the deployed commit.
func (e *Emulator) handleAppInstances(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	out := []platform.AppInstanceRun{}
	now := e.nowMS()
	state := platform.InstanceUp
	switch a.state(now) {
	case platform.StateShouldBeUp:
	case platform.StateWantsToBeUp:
		state = platform.InstanceDeploying
	default:
		writeJSON(w, http.StatusOK, out)
		return
	}
	var d deploymentRow
	err := e.db.GetContext(r.Context(), &d, e.q(`SELECT `+deploymentColumns+` FROM deployments WHERE app_id = ? AND action = ? ORDER BY num DESC LIMIT 1`), a.ID, actionDeploy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		internalError(w, fmt.Errorf("emulator: list instances: %w", err))
		return
	}
	in := e.cat.instanceByVariantID(a.InstanceType, a.InstanceVersion, a.VariantID)
	for i := range a.MinInstances {
		out = append(out, platform.AppInstanceRun{
			ID: fmt.Sprintf("%s-%d", d.UUID, i), AppID: a.ID,
			IP: fmt.Sprintf("10.0.0.%d", i+2), AppPort: 8080, State: state,
			Flavor: flavorOf(in, a.MinFlavor), Commit: d.CommitSHA, DeployNumber: d.Num, DeployID: d.UUID,
			InstanceNumber: i, DisplayName: fmt.Sprintf("%s-%d", a.Name, i), CreationDate: d.CreatedAt,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// addonEnvOf makes the connection environment of a new add-on of provider
// id: its host under the services domain, the provider's port, a database,
// a user and a password, and the URI that joins them. Names follow the
// platform's (POSTGRESQL_ADDON_HOST, …; REDIS_HOST, … for Redis).
func addonEnvOf(providerID, realID string) []platform.EnvVar {
	kind := strings.TrimSuffix(providerID, "-addon")
	prefix := strings.ToUpper(strings.ReplaceAll(kind, "-", "_")) + "_ADDON"
	scheme, port := kind, "5432"
	switch kind {
	case "postgresql":
		scheme = "postgresql"
	case "mysql":
		port = "3306"
	case "mongodb":
		port = "27017"
	case "redis":
		prefix, port = "REDIS", "6379"
	default:
		port = "443"
		scheme = "https"
	}
	sum := sha256.Sum256([]byte(realID))
	seed := hex.EncodeToString(sum[:])
	host := fmt.Sprintf("b%s-%s.services.%s", seed[:12], kind, emulatorDomain)
	db, user, password := "b"+seed[:12], "u"+seed[12:24], randomHex(16)
	uri := fmt.Sprintf("%s://%s:%s@%s:%s/%s", scheme, user, password, host, port, db)
	return []platform.EnvVar{
		{Name: prefix + "_DB", Value: db},
		{Name: prefix + "_HOST", Value: host},
		{Name: prefix + "_PASSWORD", Value: password},
		{Name: prefix + "_PORT", Value: port},
		{Name: prefix + "_URI", Value: uri},
		{Name: prefix + "_USER", Value: user},
	}
}

// envOfAddon decodes an add-on's stored environment.
func envOfAddon(a addonRow) []platform.EnvVar {
	out := []platform.EnvVar{}
	_ = json.Unmarshal([]byte(a.Env), &out)
	return out
}

// handleAddonEnv answers an add-on's environment [{name, value}].
func (e *Emulator) handleAddonEnv(w http.ResponseWriter, r *http.Request, acc account) {
	if a, ok := e.ownedAddon(w, r, acc); ok {
		writeJSON(w, http.StatusOK, envOfAddon(a))
	}
}

// linkedAddons lists the add-ons linked to application app, oldest link
// first.
func (e *Emulator) linkedAddons(ctx context.Context, app string) ([]addonRow, error) {
	var rows []addonRow
	err := e.db.SelectContext(ctx, &rows, e.q(`SELECT `+prefixed("d.", addonColumns)+` FROM addons d JOIN app_addon_links l ON l.addon_id = d.id WHERE l.app_id = ? ORDER BY l.created_at, d.id`), app)
	if err != nil {
		return nil, fmt.Errorf("emulator: list linked add-ons: %w", err)
	}
	return rows, nil
}

// prefixed qualifies each of a column list's names with p.
func prefixed(p, columns string) string {
	names := strings.Split(columns, ", ")
	for i, n := range names {
		names[i] = p + n
	}
	return strings.Join(names, ", ")
}

// handleLinkedAddons lists the add-ons linked to an application.
func (e *Emulator) handleLinkedAddons(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	rows, err := e.linkedAddons(r.Context(), a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	out := make([]platform.Addon, 0, len(rows))
	for _, d := range rows {
		out = append(out, e.addonAPI(d))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleLinkAddon links an add-on of the same organisation to an
// application. The body is the add-on's id as a JSON string, as the
// platform takes it; linking a linked add-on is a success.
func (e *Emulator) handleLinkAddon(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	var id string
	if !decode(w, r, &id) {
		return
	}
	ctx := r.Context()
	var n int
	if err := e.db.GetContext(ctx, &n, e.q(`SELECT COUNT(*) FROM addons WHERE id = ? AND org_id = ?`), id, a.OrgID); err != nil {
		internalError(w, err)
		return
	}
	if n == 0 {
		writeError(w, http.StatusNotFound, "add-on not found")
		return
	}
	if _, err := e.db.ExecContext(ctx, e.q(`INSERT INTO app_addon_links (app_id, addon_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), a.ID, id, e.nowMS()); err != nil {
		internalError(w, fmt.Errorf("emulator: link add-on: %w", err))
		return
	}
	writeSuccess(w, "The add-on has been linked")
}

// handleUnlinkAddon removes an add-on's link to an application.
func (e *Emulator) handleUnlinkAddon(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	res, err := e.db.ExecContext(r.Context(), e.q(`DELETE FROM app_addon_links WHERE app_id = ? AND addon_id = ?`), a.ID, r.PathValue("id"))
	if err != nil {
		internalError(w, fmt.Errorf("emulator: unlink add-on: %w", err))
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		writeError(w, http.StatusNotFound, "add-on link not found")
		return
	}
	writeSuccess(w, "The add-on has been unlinked")
}

// handleAddonsEnv answers the environment each linked add-on gives an
// application: [{addon_id, addon_name, env}].
func (e *Emulator) handleAddonsEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	rows, err := e.linkedAddons(r.Context(), a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	out := make([]platform.AddonEnv, 0, len(rows))
	for _, d := range rows {
		out = append(out, platform.AddonEnv{AddonID: d.ID, AddonName: d.Name, Env: envOfAddon(d)})
	}
	writeJSON(w, http.StatusOK, out)
}

// dependencies lists the applications app depends on.
func (e *Emulator) dependencies(ctx context.Context, app string) ([]appRow, error) {
	var rows []appRow
	err := e.db.SelectContext(ctx, &rows, e.q(`SELECT `+prefixed("a.", appColumns)+` FROM applications a JOIN app_dependencies d ON d.dependency_id = a.id WHERE d.app_id = ? ORDER BY d.created_at, a.id`), app)
	if err != nil {
		return nil, fmt.Errorf("emulator: list dependencies: %w", err)
	}
	return rows, nil
}

// handleDependencies lists the applications an application depends on.
func (e *Emulator) handleDependencies(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	rows, err := e.dependencies(ctx, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	added, err := e.addedVhosts(ctx, a.OrgID, "")
	if err != nil {
		internalError(w, err)
		return
	}
	out := make([]platform.Application, 0, len(rows))
	for _, d := range rows {
		out = append(out, e.appAPI(pushBase(r), d, []platform.EnvVar{}, added[d.ID]))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleAddDependency makes an application depend on another of its
// organisation; an application cannot depend on itself.
func (e *Emulator) handleAddDependency(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	dep := r.PathValue("dep")
	if dep == a.ID {
		writeError(w, http.StatusBadRequest, "an application cannot depend on itself")
		return
	}
	if _, err := e.app(ctx, e.db, a.OrgID, dep); err != nil {
		fail(w, err, "application")
		return
	}
	if _, err := e.db.ExecContext(ctx, e.q(`INSERT INTO app_dependencies (app_id, dependency_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), a.ID, dep, e.nowMS()); err != nil {
		internalError(w, fmt.Errorf("emulator: add dependency: %w", err))
		return
	}
	writeSuccess(w, "The dependency has been added")
}

// handleRemoveDependency removes a dependency.
func (e *Emulator) handleRemoveDependency(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	res, err := e.db.ExecContext(r.Context(), e.q(`DELETE FROM app_dependencies WHERE app_id = ? AND dependency_id = ?`), a.ID, r.PathValue("dep"))
	if err != nil {
		internalError(w, fmt.Errorf("emulator: remove dependency: %w", err))
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		writeError(w, http.StatusNotFound, "dependency not found")
		return
	}
	writeSuccess(w, "The dependency has been removed")
}

// exposedEnv is what application app exposes, sorted by name.
func (e *Emulator) exposedEnv(ctx context.Context, app string) ([]platform.EnvVar, error) {
	out := []platform.EnvVar{}
	if err := e.db.SelectContext(ctx, &out, e.q(`SELECT name, value FROM app_exposed_env WHERE app_id = ? ORDER BY name`), app); err != nil {
		return nil, fmt.Errorf("emulator: exposed environment: %w", err)
	}
	return out, nil
}

// handleDependenciesEnv answers what each dependency exposes to an
// application: [{app_id, app_name, env}].
func (e *Emulator) handleDependenciesEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	rows, err := e.dependencies(ctx, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	out := make([]platform.DependencyEnv, 0, len(rows))
	for _, d := range rows {
		env, err := e.exposedEnv(ctx, d.ID)
		if err != nil {
			internalError(w, err)
			return
		}
		out = append(out, platform.DependencyEnv{AppID: d.ID, AppName: d.Name, Env: env})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleGetExposedEnv answers what an application exposes, as an object
// {NAME: value}, the platform's shape for exposed configuration.
func (e *Emulator) handleGetExposedEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	env, err := e.exposedEnv(r.Context(), a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	out := map[string]string{}
	for _, v := range env {
		out[v.Name] = v.Value
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSetExposedEnv replaces what an application exposes with the body's
// object {NAME: value}; names follow the environment's rule.
func (e *Emulator) handleSetExposedEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	var in map[string]string
	if !decode(w, r, &in) {
		return
	}
	for name := range in {
		if !validEnvName(name) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid variable name %q", name))
			return
		}
	}
	ctx := r.Context()
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, e.q(`DELETE FROM app_exposed_env WHERE app_id = ?`), a.ID); err != nil {
			return fmt.Errorf("emulator: set exposed environment: %w", err)
		}
		for name, value := range in {
			if _, err := tx.ExecContext(ctx, e.q(`INSERT INTO app_exposed_env (app_id, name, value) VALUES (?, ?, ?)`), a.ID, name, value); err != nil {
				return fmt.Errorf("emulator: set exposed environment: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		internalError(w, err)
		return
	}
	writeSuccess(w, "The exposed configuration has been saved")
}
