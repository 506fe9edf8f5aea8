// Package emulator serves the platform API subset of docs/platform-api.md
// (same paths, JSON field names and status codes) over HTTP, backed by its
// own SQLite database, so that the portal runs and is tested without the
// real platform. It also serves what the official CLI, clever-tools, needs
// beyond that subset (docs/clever-tools.md): token information, one
// deployment, domain names and the application log stream.
//
// Status codes: reads, creates and updates answer 200 (the API documentation
// is silent on creates; Clever Cloud answers 200 for them). Deletes, stops
// and environment writes answer 200 with a {id, message, type:"success"}
// body, as Clever Cloud does. Errors answer {id, message, type:"error"} with
// 400, 401, 404 or 409; another account's resources are 404, never 403.
//
// Time-dependent behaviour (a deployment becomes OK and its application
// SHOULD_BE_UP one deploy delay after the start request) is evaluated lazily
// on read from stored timestamps: no goroutine runs in the background.
package emulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/migrations"
	"github.com/grisaille/grisaille/platform"
)

//go:embed schema/*.sql
var schemaFiles embed.FS

// DefaultDeployDelay is how long a deployment stays WIP (and its application
// WANTS_TO_BE_UP) before it is OK (and the application SHOULD_BE_UP).
const DefaultDeployDelay = time.Second

// maxRequestBody caps the JSON bodies the emulator reads.
const maxRequestBody = 1 << 20

// Emulator is the platform emulator. Create it with Open and release it with
// Close; it is safe for concurrent use.
type Emulator struct {
	db    *sqlx.DB
	cat   *catalogue
	now   func() time.Time
	delay time.Duration
	git   gitRepos
}

// Option configures an Emulator.
type Option func(*Emulator)

// WithClock makes the emulator read the time from now instead of time.Now,
// so that tests control state transitions without sleeping.
func WithClock(now func() time.Time) Option {
	return func(e *Emulator) { e.now = now }
}

// WithDeployDelay sets how long deployments stay WIP; DefaultDeployDelay
// otherwise.
func WithDeployDelay(d time.Duration) Option {
	return func(e *Emulator) { e.delay = d }
}

// Open opens (creating it if needed) the emulator's SQLite database at path,
// applies the emulator's migrations and loads the embedded catalogue.
func Open(ctx context.Context, path string, opts ...Option) (*Emulator, error) {
	cat, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	db, err := migrations.OpenSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("emulator: open: %w", err)
	}
	sub, err := fs.Sub(schemaFiles, "schema")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("emulator: open: %w", err)
	}
	if err := migrations.UpFS(ctx, db, sub); err != nil {
		db.Close()
		return nil, fmt.Errorf("emulator: open: %w", err)
	}
	e := &Emulator{db: db, cat: cat, now: time.Now, delay: DefaultDeployDelay}
	e.git.dir = strings.TrimSuffix(path, filepath.Ext(path)) + "-git"
	for _, o := range opts {
		o(e)
	}
	return e, nil
}

// Close closes the database.
func (e *Emulator) Close() error {
	if err := e.db.Close(); err != nil {
		return fmt.Errorf("emulator: close: %w", err)
	}
	return nil
}

// nowMS is the current time in Unix milliseconds.
func (e *Emulator) nowMS() int64 { return e.now().UnixMilli() }

// q rebinds a query written with ? placeholders for the database's driver.
func (e *Emulator) q(query string) string { return e.db.Rebind(query) }

// hashToken is the stored form of an API token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// account is a partner account, the caller of the API.
type account struct {
	ID        string `db:"id"`
	Name      string `db:"name"`
	Email     string `db:"email"`
	TokenHash string `db:"token_hash"`
	CreatedAt int64  `db:"created_at"`
}

// EnsureAccount creates the partner account name, whose API token is token,
// or leaves it unchanged when it exists. Only a SHA-256 hash of the token is
// stored. It fails when the token belongs to another account.
func (e *Emulator) EnsureAccount(ctx context.Context, name, email, token string) error {
	if name == "" || token == "" {
		return fmt.Errorf("emulator: ensure account: name and token are required")
	}
	var existing account
	err := e.db.GetContext(ctx, &existing, e.q(`SELECT id, name, email, token_hash, created_at FROM accounts WHERE name = ? OR token_hash = ?`), name, hashToken(token))
	switch {
	case err == nil && existing.Name == name:
		return nil
	case err == nil:
		return fmt.Errorf("emulator: ensure account %s: token already used by another account", name)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("emulator: ensure account %s: %w", name, err)
	}
	_, err = e.db.ExecContext(ctx, e.q(`INSERT INTO accounts (id, name, email, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`),
		"user_"+uuid.NewString(), name, email, hashToken(token), e.nowMS())
	if err != nil {
		// A concurrent call may have created it meanwhile: that is success.
		var n int
		if e.db.GetContext(ctx, &n, e.q(`SELECT COUNT(*) FROM accounts WHERE name = ?`), name) == nil && n == 1 {
			return nil
		}
		return fmt.Errorf("emulator: ensure account %s: %w", name, err)
	}
	return nil
}

// Handler returns the HTTP handler serving the API.
func (e *Emulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v4/products/zones", e.handleZones)
	mux.HandleFunc("GET /v4/products/zones/{name}", e.handleZone)
	mux.HandleFunc("GET /v2/products/instances", e.handleInstances)
	mux.HandleFunc("GET /v2/products/addonproviders", e.handleProviders)
	mux.HandleFunc("GET /v4/billing/price-system", e.handlePriceSystem)

	auth := func(pattern string, h func(http.ResponseWriter, *http.Request, account)) {
		mux.HandleFunc(pattern, e.authenticated(h))
	}
	auth("GET /v2/self", e.handleSelf)
	auth("GET /v2/self/tokens/current", e.handleCurrentToken)
	auth("GET /v2/summary", e.handleSummary)
	auth("GET /v2/organisations", e.handleListOrgs)
	auth("POST /v2/organisations", e.handleCreateOrg)
	auth("GET /v2/organisations/{o}", e.handleGetOrg)
	auth("PUT /v2/organisations/{o}", e.handleUpdateOrg)
	auth("DELETE /v2/organisations/{o}", e.handleDeleteOrg)

	auth("GET /v2/organisations/{o}/applications", e.handleListApps)
	auth("POST /v2/organisations/{o}/applications", e.handleCreateApp)
	auth("GET /v2/organisations/{o}/applications/{a}", e.handleGetApp)
	auth("PUT /v2/organisations/{o}/applications/{a}", e.handleUpdateApp)
	auth("DELETE /v2/organisations/{o}/applications/{a}", e.handleDeleteApp)
	auth("POST /v2/organisations/{o}/applications/{a}/instances", e.handleStartApp)
	auth("DELETE /v2/organisations/{o}/applications/{a}/instances", e.handleStopApp)
	auth("GET /v2/organisations/{o}/applications/{a}/instances", e.handleAppInstances)
	auth("GET /v2/organisations/{o}/applications/{a}/addons", e.handleLinkedAddons)
	auth("POST /v2/organisations/{o}/applications/{a}/addons", e.handleLinkAddon)
	auth("GET /v2/organisations/{o}/applications/{a}/addons/env", e.handleAddonsEnv)
	auth("DELETE /v2/organisations/{o}/applications/{a}/addons/{id}", e.handleUnlinkAddon)
	auth("GET /v2/organisations/{o}/applications/{a}/dependencies", e.handleDependencies)
	auth("GET /v2/organisations/{o}/applications/{a}/dependencies/env", e.handleDependenciesEnv)
	auth("PUT /v2/organisations/{o}/applications/{a}/dependencies/{dep}", e.handleAddDependency)
	auth("DELETE /v2/organisations/{o}/applications/{a}/dependencies/{dep}", e.handleRemoveDependency)
	auth("GET /v2/organisations/{o}/applications/{a}/exposed_env", e.handleGetExposedEnv)
	auth("PUT /v2/organisations/{o}/applications/{a}/exposed_env", e.handleSetExposedEnv)
	auth("GET /v2/organisations/{o}/applications/{a}/env", e.handleGetEnv)
	auth("PUT /v2/organisations/{o}/applications/{a}/env", e.handleReplaceEnv)
	auth("PUT /v2/organisations/{o}/applications/{a}/env/{name}", e.handleSetEnv)
	auth("DELETE /v2/organisations/{o}/applications/{a}/env/{name}", e.handleDeleteEnv)
	auth("GET /v2/organisations/{o}/applications/{a}/deployments", e.handleDeployments)
	auth("GET /v2/organisations/{o}/applications/{a}/deployments/{d}", e.handleDeployment)
	auth("GET /v2/organisations/{o}/applications/{a}/vhosts", e.handleVhosts)
	auth("GET /v2/organisations/{o}/applications/{a}/vhosts/favourite", e.handleFavouriteVhost)
	auth("PUT /v2/organisations/{o}/applications/{a}/vhosts/favourite", e.handleSetFavouriteVhost)
	auth("DELETE /v2/organisations/{o}/applications/{a}/vhosts/favourite", e.handleUnsetFavouriteVhost)
	auth("PUT /v2/organisations/{o}/applications/{a}/vhosts/{fqdn}", e.handleAddVhost)
	auth("DELETE /v2/organisations/{o}/applications/{a}/vhosts/{fqdn}", e.handleRemoveVhost)
	auth("GET /v4/logs/organisations/{o}/applications/{a}/logs", e.handleAppLogs)

	auth("GET /v2/organisations/{o}/addons", e.handleListAddons)
	auth("POST /v2/organisations/{o}/addons", e.handleCreateAddon)
	auth("GET /v2/organisations/{o}/addons/{id}", e.handleGetAddon)
	auth("DELETE /v2/organisations/{o}/addons/{id}", e.handleDeleteAddon)
	auth("GET /v2/organisations/{o}/addons/{id}/env", e.handleAddonEnv)

	auth("GET /v4/billing/organisations/{o}/consumptions", e.handleConsumptions)

	mux.HandleFunc("/git/", e.handleGit)

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	return mux
}

// authenticated resolves the caller from its Bearer token or OAuth 1.0a
// PLAINTEXT header (whose oauth_token is checked) and answers 401 otherwise.
func (e *Emulator) authenticated(h func(http.ResponseWriter, *http.Request, account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := platform.CredentialFrom(r.Header.Get("Authorization"))
		if token == "" {
			writeError(w, http.StatusUnauthorized, "missing or malformed credentials")
			return
		}
		var acc account
		err := e.db.GetContext(r.Context(), &acc, e.q(`SELECT id, name, email, token_hash, created_at FROM accounts WHERE token_hash = ?`), hashToken(token))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			writeError(w, http.StatusUnauthorized, "invalid credentials")
			return
		case err != nil:
			internalError(w, err)
			return
		}
		h(w, r, acc)
	}
}

// errorIDs are the ids of error bodies, by status.
var errorIDs = map[int]int{400: 4000, 401: 4010, 403: 4030, 404: 4040, 409: 4090, 500: 5000}

// writeError answers a JSON error {id, message, type:"error"}.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, platform.APIError{ID: errorIDs[status], Message: message, Type: "error"})
}

// internalError answers 500 with the cause: the emulator is a development
// tool, its faults are worth reading.
func internalError(w http.ResponseWriter, err error) {
	writeError(w, http.StatusInternalServerError, "internal error: "+err.Error())
}

// success is Clever Cloud's answer to deletes and similar actions.
type success struct {
	ID      int    `json:"id"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

// writeSuccess answers 200 {id, message, type:"success"}.
func writeSuccess(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusOK, success{ID: 200, Message: message, Type: "success"})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"id":5000,"message":"internal error","type":"error"}`)
	}
	writeRaw(w, status, b)
}

// writeRaw answers JSON bytes with status.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// decode reads a JSON body into v, answering 400 and returning false when it
// is not valid JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(b) > maxRequestBody {
		writeError(w, http.StatusBadRequest, "unreadable or too large body")
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return false
	}
	return true
}

// randomHex returns n random bytes as hex (a commit-like string for n=20).
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// boolInt stores a bool portably.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
