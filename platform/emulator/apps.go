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

// appRow is an applications row.
type appRow struct {
	ID              string `db:"id"`
	OrgID           string `db:"org_id"`
	Name            string `db:"name"`
	Description     string `db:"description"`
	Zone            string `db:"zone"`
	DeployType      string `db:"deploy_type"`
	InstanceType    string `db:"instance_type"`
	InstanceVersion string `db:"instance_version"`
	VariantID       string `db:"variant_id"`
	MinInstances    int    `db:"min_instances"`
	MaxInstances    int    `db:"max_instances"`
	MinFlavor       string `db:"min_flavor"`
	MaxFlavor       string `db:"max_flavor"`
	BuildFlavor     string `db:"build_flavor"`
	SeparateBuild   int    `db:"separate_build"`
	StickySessions  int    `db:"sticky_sessions"`
	ForceHTTPS      string `db:"force_https"`
	Tags            string `db:"tags"`
	State           string `db:"state"`
	UpAt            int64  `db:"up_at"`
	CreatedAt       int64  `db:"created_at"`
	CommitID        string `db:"commit_id"`
}

const appColumns = `id, org_id, name, description, zone, deploy_type, instance_type, instance_version, variant_id, min_instances, max_instances, min_flavor, max_flavor, build_flavor, separate_build, sticky_sessions, force_https, tags, state, up_at, created_at, commit_id`

// state is the application's state at time now: a start becomes effective
// (WANTS_TO_BE_UP → SHOULD_BE_UP) once its deployment is done.
func (a appRow) state(now int64) string {
	if a.State == platform.StateWantsToBeUp && now >= a.UpAt {
		return platform.StateShouldBeUp
	}
	return a.State
}

// appAPI renders the application as the API answers it.
// emulatorDomain is the domain of the emulated applications' hosts.
const emulatorDomain = "paas.localhost"

func (e *Emulator) appAPI(base string, a appRow, env []platform.EnvVar, added []string) platform.Application {
	in := e.cat.instanceByVariantID(a.InstanceType, a.InstanceVersion, a.VariantID)
	var tags []string
	if json.Unmarshal([]byte(a.Tags), &tags) != nil || tags == nil {
		tags = []string{}
	}
	if env == nil {
		env = []platform.EnvVar{}
	}
	// The emulator's host names are neutral, not the real platform's: the
	// consoles built on it must show no platform brand.
	push := fmt.Sprintf("push-%s.%s/%s.git", a.Zone, emulatorDomain, a.ID)
	return platform.Application{
		ID: a.ID, OwnerID: a.OrgID, Name: a.Name, Description: a.Description,
		Zone: a.Zone, ZoneID: e.cat.zoneID(a.Zone),
		Instance: platform.AppInstance{
			Type: a.InstanceType, Version: a.InstanceVersion, Variant: in.Variant,
			MinInstances: a.MinInstances, MaxInstances: a.MaxInstances,
			MinFlavor: flavorOf(in, a.MinFlavor), MaxFlavor: flavorOf(in, a.MaxFlavor),
			Lifetime: "REGULAR",
		},
		Deployment: platform.AppDeployment{
			// Pushes over HTTP go to the emulator itself (see git.go).
			Type: a.DeployType, URL: "git+ssh://git@" + push, HTTPURL: base + "/git/" + a.ID + ".git",
		},
		Vhosts:        a.vhosts(added),
		State:         a.state(e.nowMS()),
		Env:           env,
		Tags:          tags,
		CreationDate:  a.CreatedAt,
		CommitID:      a.CommitID,
		BuildFlavor:   flavorOf(in, a.BuildFlavor),
		SeparateBuild: a.SeparateBuild != 0,
	}
}

// vhosts are the application's domain names: the one made from its id,
// then the added ones.
func (a appRow) vhosts(added []string) []platform.Vhost {
	out := []platform.Vhost{{FQDN: strings.ReplaceAll(a.ID, "_", "-") + ".apps." + emulatorDomain}}
	for _, h := range added {
		out = append(out, platform.Vhost{FQDN: h})
	}
	return out
}

// Domain is the domain of the hosts the emulator gives applications, as
// the platform gives its own (the portal hides them from customers).
const Domain = emulatorDomain

// addedVhosts lists the names added to the applications of org (or to app
// alone when it is not empty), by application.
func (e *Emulator) addedVhosts(ctx context.Context, org, app string) (map[string][]string, error) {
	var rows []struct {
		AppID string `db:"app_id"`
		FQDN  string `db:"fqdn"`
	}
	q, args := `SELECT v.app_id, v.fqdn FROM app_vhosts v JOIN applications a ON a.id = v.app_id WHERE a.org_id = ?`, []any{org}
	if app != "" {
		q, args = q+` AND v.app_id = ?`, append(args, app)
	}
	if err := e.db.SelectContext(ctx, &rows, e.q(q+` ORDER BY v.created_at, v.fqdn`), args...); err != nil {
		return nil, fmt.Errorf("emulator: list domains: %w", err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.AppID] = append(out[r.AppID], r.FQDN)
	}
	return out, nil
}

// handleVhosts lists an application's domain names [{fqdn}].
func (e *Emulator) handleVhosts(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	added, err := e.addedVhosts(r.Context(), a.OrgID, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a.vhosts(added[a.ID]))
}

// handleAddVhost adds a domain name to an application. Adding a name the
// application has is a success; a name of another application is refused,
// as the platform refuses it.
func (e *Emulator) handleAddVhost(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	fqdn := strings.ToLower(strings.TrimSuffix(r.PathValue("fqdn"), "."))
	if !validFQDN(fqdn) {
		writeError(w, http.StatusBadRequest, "invalid domain name")
		return
	}
	ctx := r.Context()
	var owner string
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &owner, e.q(`SELECT app_id FROM app_vhosts WHERE fqdn = ?`), fqdn)
		if errors.Is(err, sql.ErrNoRows) {
			owner = a.ID
			_, err = tx.ExecContext(ctx, e.q(`INSERT INTO app_vhosts (fqdn, app_id, created_at) VALUES (?, ?, ?)`), fqdn, a.ID, e.nowMS())
		}
		return err
	})
	switch {
	case err != nil:
		internalError(w, err)
	case owner != a.ID:
		writeError(w, http.StatusConflict, "this domain is already used by another application")
	default:
		writeSuccess(w, "The domain has been added")
	}
}

// handleRemoveVhost removes a domain name added to an application.
func (e *Emulator) handleRemoveVhost(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	fqdn := strings.ToLower(strings.TrimSuffix(r.PathValue("fqdn"), "."))
	res, err := e.db.ExecContext(r.Context(), e.q(`DELETE FROM app_vhosts WHERE fqdn = ? AND app_id = ?`), fqdn, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		writeError(w, http.StatusNotFound, "domain not found")
		return
	}
	if _, err := e.db.ExecContext(r.Context(), e.q(`DELETE FROM app_favourite_vhosts WHERE app_id = ? AND fqdn = ?`), a.ID, fqdn); err != nil {
		internalError(w, err)
		return
	}
	writeSuccess(w, "The domain has been removed")
}

// validFQDN reports whether s is a lower-case DNS name of two labels or
// more, each of letters, digits and inner hyphens.
func validFQDN(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// handleFavouriteVhost answers the application's favourite domain name
// {fqdn}; one never chosen (or since removed) answers 404 with the
// platform's id 4021, which its CLI tests for.
func (e *Emulator) handleFavouriteVhost(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	var fqdn string
	err := e.db.GetContext(r.Context(), &fqdn, e.q(`SELECT fqdn FROM app_favourite_vhosts WHERE app_id = ?`), a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		writeJSON(w, http.StatusNotFound, platform.APIError{ID: platform.ErrorNoFavouriteVhost, Message: "no favourite domain for this application", Type: "error"})
		return
	}
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, platform.Vhost{FQDN: fqdn})
}

// handleSetFavouriteVhost makes one of the application's names its
// favourite, from the {fqdn} body, and answers it.
func (e *Emulator) handleSetFavouriteVhost(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	var in struct {
		FQDN string `json:"fqdn"`
	}
	if !decode(w, r, &in) {
		return
	}
	fqdn := strings.ToLower(strings.TrimSuffix(in.FQDN, "."))
	added, err := e.addedVhosts(r.Context(), a.OrgID, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	if !slices.ContainsFunc(a.vhosts(added[a.ID]), func(v platform.Vhost) bool { return v.FQDN == fqdn }) {
		writeError(w, http.StatusNotFound, "domain not found")
		return
	}
	if _, err := e.db.ExecContext(r.Context(), e.q(`INSERT INTO app_favourite_vhosts (app_id, fqdn) VALUES (?, ?)
		ON CONFLICT (app_id) DO UPDATE SET fqdn = excluded.fqdn`), a.ID, fqdn); err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, platform.Vhost{FQDN: fqdn})
}

// handleUnsetFavouriteVhost forgets the application's favourite name.
func (e *Emulator) handleUnsetFavouriteVhost(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	if _, err := e.db.ExecContext(r.Context(), e.q(`DELETE FROM app_favourite_vhosts WHERE app_id = ?`), a.ID); err != nil {
		internalError(w, err)
		return
	}
	writeSuccess(w, "The favourite domain has been removed")
}

// app loads application id of organisation org.
func (e *Emulator) app(ctx context.Context, q sqlx.QueryerContext, org, id string) (appRow, error) {
	var a appRow
	err := sqlx.GetContext(ctx, q, &a, e.q(`SELECT `+appColumns+` FROM applications WHERE id = ? AND org_id = ?`), id, org)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errNotFound
	}
	if err != nil {
		return a, fmt.Errorf("emulator: get application: %w", err)
	}
	return a, nil
}

// env lists an application's environment, sorted by name.
func (e *Emulator) env(ctx context.Context, appID string) ([]platform.EnvVar, error) {
	out := []platform.EnvVar{}
	if err := e.db.SelectContext(ctx, &out, e.q(`SELECT name, value FROM app_env WHERE app_id = ? ORDER BY name`), appID); err != nil {
		return nil, fmt.Errorf("emulator: list environment: %w", err)
	}
	return out, nil
}

// apps lists an organisation's applications, oldest first.
func (e *Emulator) apps(ctx context.Context, base, org string) ([]platform.Application, error) {
	var rows []appRow
	if err := e.db.SelectContext(ctx, &rows, e.q(`SELECT `+appColumns+` FROM applications WHERE org_id = ? ORDER BY created_at, id`), org); err != nil {
		return nil, fmt.Errorf("emulator: list applications: %w", err)
	}
	// Every application's environment in one query, not one per application.
	var vars []struct {
		AppID string `db:"app_id"`
		platform.EnvVar
	}
	if err := e.db.SelectContext(ctx, &vars, e.q(`SELECT v.app_id, v.name, v.value FROM app_env v
		JOIN applications a ON a.id = v.app_id WHERE a.org_id = ? ORDER BY v.app_id, v.name`), org); err != nil {
		return nil, fmt.Errorf("emulator: list environments: %w", err)
	}
	envs := make(map[string][]platform.EnvVar)
	for _, v := range vars {
		envs[v.AppID] = append(envs[v.AppID], v.EnvVar)
	}
	added, err := e.addedVhosts(ctx, org, "")
	if err != nil {
		return nil, err
	}
	out := make([]platform.Application, 0, len(rows))
	for _, a := range rows {
		out = append(out, e.appAPI(base, a, envs[a.ID], added[a.ID]))
	}
	return out, nil
}

// ownedApp loads the path's application {a} of organisation {o}, answering
// 404 when acc does not own them.
func (e *Emulator) ownedApp(w http.ResponseWriter, r *http.Request, acc account) (appRow, bool) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return appRow{}, false
	}
	a, err := e.app(r.Context(), e.db, o.ID, r.PathValue("a"))
	if err != nil {
		fail(w, err, "application")
		return a, false
	}
	return a, true
}

// badRequest is a validation failure, answered 400 with its message.
type badRequest string

func (b badRequest) Error() string { return string(b) }

// writeErr answers a badRequest as 400, errNotFound as 404, others as 500.
func writeErr(w http.ResponseWriter, err error, what string) {
	var br badRequest
	if errors.As(err, &br) {
		writeError(w, http.StatusBadRequest, string(br))
		return
	}
	fail(w, err, what)
}

// validEnvName reports whether name is an acceptable variable name:
// [A-Za-z_][A-Za-z0-9_.-]*.
func validEnvName(name string) bool {
	for i, c := range name {
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '.' || c == '-')) {
			return false
		}
	}
	return name != ""
}

// checkEnv validates every name of env.
func checkEnv(env map[string]string) error {
	for k := range env {
		if !validEnvName(k) {
			return badRequest(fmt.Sprintf("invalid environment variable name %q", k))
		}
	}
	return nil
}

// checkScaling validates instance counts and flavors against the runtime.
func checkScaling(in platform.Instance, minN, maxN int, minF, maxF string) error {
	if minN < 1 || maxN < minN || (in.MaxInstances > 0 && maxN > in.MaxInstances) {
		return badRequest(fmt.Sprintf("invalid instance counts: want 1 <= minInstances (%d) <= maxInstances (%d) <= %d", minN, maxN, in.MaxInstances))
	}
	lo, ok := in.Flavor(minF)
	if !ok {
		return badRequest(fmt.Sprintf("unknown minFlavor %q for %s/%s", minF, in.Type, in.Variant.Slug))
	}
	hi, ok := in.Flavor(maxF)
	if !ok {
		return badRequest(fmt.Sprintf("unknown maxFlavor %q for %s/%s", maxF, in.Type, in.Variant.Slug))
	}
	if lo.Mem > hi.Mem {
		return badRequest(fmt.Sprintf("minFlavor %s is larger than maxFlavor %s", minF, maxF))
	}
	return nil
}

// newApp validates a creation request and builds the row.
func (e *Emulator) newApp(org string, in platform.ApplicationCreate) (appRow, error) {
	if strings.TrimSpace(in.Name) == "" {
		return appRow{}, badRequest("name is required")
	}
	if _, ok := e.cat.zones[in.Zone]; !ok {
		return appRow{}, badRequest(fmt.Sprintf("unknown zone %q", in.Zone))
	}
	deploy := strings.ToUpper(in.Deploy)
	switch deploy {
	case "":
		deploy = "GIT"
	case "GIT", "FTP":
	default:
		return appRow{}, badRequest(fmt.Sprintf("unknown deploy %q (want git or ftp)", in.Deploy))
	}
	inst, ok := e.cat.instance(in.InstanceType, in.InstanceVersion, in.InstanceVariant)
	if !ok || in.InstanceType == "" {
		return appRow{}, badRequest(fmt.Sprintf("unknown instance: type %q, version %q, variant %q", in.InstanceType, in.InstanceVersion, in.InstanceVariant))
	}
	minN, maxN := max(in.MinInstances, 1), in.MaxInstances
	if maxN == 0 {
		maxN = minN
	}
	minF, maxF := cmpOr(in.MinFlavor, inst.DefaultFlavor.Name), cmpOr(in.MaxFlavor, in.MinFlavor, inst.DefaultFlavor.Name)
	if err := checkScaling(inst, minN, maxN, minF, maxF); err != nil {
		return appRow{}, err
	}
	build := cmpOr(in.BuildFlavor, inst.BuildFlavor.Name)
	if _, ok := inst.Flavor(build); !ok && in.BuildFlavor != "" {
		return appRow{}, badRequest(fmt.Sprintf("unknown buildFlavor %q", in.BuildFlavor))
	}
	if err := checkEnv(in.Env); err != nil {
		return appRow{}, err
	}
	tags := in.Tags
	if tags == nil {
		tags = []string{}
	}
	tagJSON, _ := json.Marshal(tags)
	now := e.nowMS()
	return appRow{
		ID: "app_" + uuid.NewString(), OrgID: org, Name: in.Name, Description: in.Description, Zone: in.Zone,
		DeployType: deploy, InstanceType: inst.Type, InstanceVersion: inst.Version, VariantID: inst.Variant.ID,
		MinInstances: minN, MaxInstances: maxN, MinFlavor: minF, MaxFlavor: maxF, BuildFlavor: build,
		SeparateBuild: boolInt(in.SeparateBuild), StickySessions: boolInt(in.StickySessions),
		ForceHTTPS: cmpOr(in.ForceHTTPS, "DISABLED"), Tags: string(tagJSON),
		State: platform.StateShouldBeDown, UpAt: now, CreatedAt: now,
	}, nil
}

// cmpOr returns the first non-empty string.
func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// withTx runs fn in a transaction, committing when it returns nil.
func (e *Emulator) withTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := e.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("emulator: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("emulator: commit: %w", err)
	}
	return nil
}

// putEnv sets variables of an application inside tx.
func (e *Emulator) putEnv(ctx context.Context, tx *sqlx.Tx, appID string, env map[string]string) error {
	for k, v := range env {
		if _, err := tx.ExecContext(ctx, e.q(`DELETE FROM app_env WHERE app_id = ? AND name = ?`), appID, k); err != nil {
			return fmt.Errorf("emulator: set environment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, e.q(`INSERT INTO app_env (app_id, name, value) VALUES (?, ?, ?)`), appID, k, v); err != nil {
			return fmt.Errorf("emulator: set environment: %w", err)
		}
	}
	return nil
}

func (e *Emulator) handleListApps(w http.ResponseWriter, r *http.Request, acc account) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return
	}
	apps, err := e.apps(r.Context(), pushBase(r), o.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, apps)
}

// respondApp answers the application id of org.
func (e *Emulator) respondApp(w http.ResponseWriter, r *http.Request, org, id string) {
	ctx := r.Context()
	a, err := e.app(ctx, e.db, org, id)
	if err != nil {
		fail(w, err, "application")
		return
	}
	env, err := e.env(ctx, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	added, err := e.addedVhosts(ctx, org, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, e.appAPI(pushBase(r), a, env, added[a.ID]))
}

func (e *Emulator) handleGetApp(w http.ResponseWriter, r *http.Request, acc account) {
	if a, ok := e.ownedApp(w, r, acc); ok {
		e.respondApp(w, r, a.OrgID, a.ID)
	}
}

// handleCreateApp creates a stopped application (state SHOULD_BE_DOWN).
// Duplicate names are allowed, as on the real platform.
func (e *Emulator) handleCreateApp(w http.ResponseWriter, r *http.Request, acc account) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return
	}
	var in platform.ApplicationCreate
	if !decode(w, r, &in) {
		return
	}
	a, err := e.newApp(o.ID, in)
	if err != nil {
		writeErr(w, err, "application")
		return
	}
	ctx := r.Context()
	err = e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO applications (`+appColumns+`) VALUES (:id, :org_id, :name, :description, :zone, :deploy_type, :instance_type, :instance_version, :variant_id, :min_instances, :max_instances, :min_flavor, :max_flavor, :build_flavor, :separate_build, :sticky_sessions, :force_https, :tags, :state, :up_at, :created_at, :commit_id)`, a); err != nil {
			return fmt.Errorf("emulator: create application: %w", err)
		}
		return e.putEnv(ctx, tx, a.ID, in.Env)
	})
	if err != nil {
		internalError(w, err)
		return
	}
	e.respondApp(w, r, o.ID, a.ID)
}

// handleUpdateApp changes the name, description and scaling fields set.
func (e *Emulator) handleUpdateApp(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	var in platform.ApplicationUpdate
	if !decode(w, r, &in) {
		return
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			writeError(w, http.StatusBadRequest, "name must not be empty")
			return
		}
		a.Name = *in.Name
	}
	if in.Description != nil {
		a.Description = *in.Description
	}
	before := a
	setIf(&a.MinInstances, in.MinInstances)
	setIf(&a.MaxInstances, in.MaxInstances)
	setIf(&a.MinFlavor, in.MinFlavor)
	setIf(&a.MaxFlavor, in.MaxFlavor)
	setIf(&a.BuildFlavor, in.BuildFlavor)
	if in.SeparateBuild != nil {
		a.SeparateBuild = boolInt(*in.SeparateBuild)
	}
	inst := e.cat.instanceByVariantID(a.InstanceType, a.InstanceVersion, a.VariantID)
	if err := checkScaling(inst, a.MinInstances, a.MaxInstances, a.MinFlavor, a.MaxFlavor); err != nil {
		writeErr(w, err, "application")
		return
	}
	if _, ok := inst.Flavor(a.BuildFlavor); !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown buildFlavor %q", a.BuildFlavor))
		return
	}
	ctx := r.Context()
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.NamedExecContext(ctx, `UPDATE applications SET name = :name, description = :description, min_instances = :min_instances, max_instances = :max_instances, min_flavor = :min_flavor, max_flavor = :max_flavor, build_flavor = :build_flavor, separate_build = :separate_build WHERE id = :id`, a); err != nil {
			return fmt.Errorf("emulator: update application: %w", err)
		}
		if before.MinFlavor == a.MinFlavor && before.MinInstances == a.MinInstances {
			return nil
		}
		// The billed size changed: a running application starts a new interval.
		open, err := e.closeUsage(ctx, tx, a.ID)
		if err != nil || open == nil {
			return err
		}
		return e.openUsage(ctx, tx, a, max(open.StartedAt, e.nowMS()))
	})
	if err != nil {
		internalError(w, err)
		return
	}
	e.respondApp(w, r, a.OrgID, a.ID)
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (e *Emulator) handleDeleteApp(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := e.closeUsage(ctx, tx, a.ID); err != nil {
			return err
		}
		// Its added names are freed for another application.
		if _, err := tx.ExecContext(ctx, e.q(`DELETE FROM app_vhosts WHERE app_id = ?`), a.ID); err != nil {
			return fmt.Errorf("emulator: delete application: %w", err)
		}
		if _, err := tx.ExecContext(ctx, e.q(`DELETE FROM applications WHERE id = ?`), a.ID); err != nil {
			return fmt.Errorf("emulator: delete application: %w", err)
		}
		return nil
	})
	if err != nil {
		internalError(w, err)
		return
	}
	e.git.remove(a.ID)
	writeSuccess(w, "The application has been deleted")
}

func (e *Emulator) handleGetEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	env, err := e.env(r.Context(), a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, env)
}

// handleReplaceEnv replaces the whole environment with the {NAME: value} body.
func (e *Emulator) handleReplaceEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	var env map[string]string
	if !decode(w, r, &env) {
		return
	}
	if err := checkEnv(env); err != nil {
		writeErr(w, err, "application")
		return
	}
	ctx := r.Context()
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, e.q(`DELETE FROM app_env WHERE app_id = ?`), a.ID); err != nil {
			return fmt.Errorf("emulator: replace environment: %w", err)
		}
		return e.putEnv(ctx, tx, a.ID, env)
	})
	if err != nil {
		internalError(w, err)
		return
	}
	e.respondApp(w, r, a.OrgID, a.ID) // the platform answers the application
}

// handleSetEnv sets one variable from the {value} body.
func (e *Emulator) handleSetEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	name := r.PathValue("name")
	if !validEnvName(name) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid environment variable name %q", name))
		return
	}
	var in struct {
		Value *string `json:"value"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Value == nil {
		writeError(w, http.StatusBadRequest, "value is required")
		return
	}
	ctx := r.Context()
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		return e.putEnv(ctx, tx, a.ID, map[string]string{name: *in.Value})
	})
	if err != nil {
		internalError(w, err)
		return
	}
	e.respondApp(w, r, a.OrgID, a.ID) // the platform answers the application
}

// handleDeleteEnv removes one variable; an absent one is a 404.
func (e *Emulator) handleDeleteEnv(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	res, err := e.db.ExecContext(r.Context(), e.q(`DELETE FROM app_env WHERE app_id = ? AND name = ?`), a.ID, r.PathValue("name"))
	if err != nil {
		internalError(w, fmt.Errorf("emulator: delete environment variable: %w", err))
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		writeError(w, http.StatusNotFound, "environment variable not found")
		return
	}
	e.respondApp(w, r, a.OrgID, a.ID) // the platform answers the application
}
