package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/platform"
)

// Git deploys: the emulator accepts `git push` over smart HTTP at
// /git/<app id>.git, the way the platform's push hosts do, by running the
// system's `git http-backend` through CGI on one bare repository per
// application. A push that moves the master branch records a DEPLOY
// deployment of the pushed commit (cause "git") and starts the application.
//
// Credentials are HTTP basic, as the official CLI sends them: the account's
// API token in the user name or in the password.

// CausePush is the cause of a deployment a git push started.
const CausePush = "git"

// gitRepos guards the creation of the bare repositories.
type gitRepos struct {
	dir     string // one <app id>.git bare repository per application
	once    sync.Once
	backend string // git http-backend's path, "" when git is missing
	err     error
	mu      sync.Mutex // serialises repository creation
}

// WithGitDir keeps the applications' git repositories in dir; next to the
// database otherwise (<database>-git).
func WithGitDir(dir string) Option {
	return func(e *Emulator) { e.git.dir = dir }
}

// gitPathRE is a git smart-HTTP path: the application's id, then what
// git asks for.
var gitPathRE = regexp.MustCompile(`^/git/(app_[0-9a-f-]{36})\.git(/.*)$`)

// pushBase is the scheme and host the request reached the emulator on:
// the applications' git remotes are there.
func pushBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// backendPath finds git http-backend once.
func (g *gitRepos) backendPath() (string, error) {
	g.once.Do(func() {
		out, err := exec.Command("git", "--exec-path").Output()
		if err != nil {
			g.err = fmt.Errorf("emulator: git deploys need git: %w", err)
			return
		}
		g.backend = filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
		if _, err := os.Stat(g.backend); err != nil {
			g.err = fmt.Errorf("emulator: git deploys need git http-backend: %w", err)
		}
	})
	return g.backend, g.err
}

// repo returns application app's bare repository, creating it on first use.
func (g *gitRepos) repo(ctx context.Context, app string) (string, error) {
	dir := filepath.Join(g.dir, app+".git")
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(g.dir, 0o700); err != nil {
		return "", fmt.Errorf("emulator: git repository: %w", err)
	}
	cmd := exec.CommandContext(ctx, "git", "init", "--bare", "--quiet", "--initial-branch=master", dir)
	cmd.Env = gitEnv(g.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("emulator: git init: %v: %s", err, out)
	}
	return dir, nil
}

// remove deletes application app's repository.
func (g *gitRepos) remove(app string) {
	if g.dir != "" && gitPathRE.MatchString("/git/"+app+".git/") {
		os.RemoveAll(filepath.Join(g.dir, app+".git"))
	}
}

// gitEnv is the environment git runs in: no system or user configuration.
func gitEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"}
}

// head is the commit of repository dir's master branch, "" when it has none.
func head(ctx context.Context, dir string) string {
	cmd := exec.CommandContext(ctx, "git", "--git-dir", dir, "rev-parse", "--verify", "--quiet", "refs/heads/master")
	cmd.Env = gitEnv(filepath.Dir(dir))
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// gitAccount resolves the account of a push's basic credentials: its
// token in the user name or in the password.
func (e *Emulator) gitAccount(ctx context.Context, r *http.Request) (account, bool, error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return account{}, false, nil
	}
	for _, token := range []string{user, pass} {
		if token == "" {
			continue
		}
		var acc account
		err := e.db.GetContext(ctx, &acc, e.q(`SELECT id, name, email, token_hash, created_at FROM accounts WHERE token_hash = ?`), hashToken(token))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return account{}, false, err
		}
		return acc, true, nil
	}
	return account{}, false, nil
}

// handleGit serves git's smart HTTP for one application's repository.
func (e *Emulator) handleGit(w http.ResponseWriter, r *http.Request) {
	m := gitPathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	ctx := r.Context()
	acc, ok, err := e.gitAccount(ctx, r)
	if err != nil {
		internalError(w, err)
		return
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="git", charset="UTF-8"`)
		writeError(w, http.StatusUnauthorized, "git needs the API token in the user name or the password")
		return
	}
	var a appRow
	err = e.db.GetContext(ctx, &a, e.q(`SELECT `+prefixed("a.", appColumns)+` FROM applications a JOIN organisations o ON o.id = a.org_id WHERE a.id = ? AND o.account_id = ?`), m[1], acc.ID)
	if errors.Is(err, sql.ErrNoRows) {
		writeError(w, http.StatusNotFound, "application not found")
		return
	}
	if err != nil {
		internalError(w, err)
		return
	}
	backend, err := e.git.backendPath()
	if err != nil {
		internalError(w, err)
		return
	}
	dir, err := e.git.repo(ctx, a.ID)
	if err != nil {
		internalError(w, err)
		return
	}
	push := r.Method == http.MethodPost && m[2] == "/git-receive-pack"
	h := &cgi.Handler{
		Path: backend,
		Root: "/git",
		Env: append(gitEnv(e.git.dir),
			"GIT_PROJECT_ROOT="+e.git.dir, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER="+acc.Name),
	}
	if r.ContentLength < 0 {
		// CGI needs the body's length: git sends large packs chunked.
		spooled, err := spool(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, "unreadable body")
			return
		}
		defer spooled.Close()
	}
	sw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	h.ServeHTTP(sw, r)
	if !push || sw.status != http.StatusOK {
		return
	}
	// The push is in: a moved master deploys its commit before the
	// response ends, so the pusher's next look finds the deployment.
	commit := head(ctx, dir)
	if commit == "" || commit == a.CommitID {
		return
	}
	if _, err := e.deploy(ctx, a, commit, CausePush); err != nil {
		slog.Error("emulator: a push's deployment was not recorded", "app", a.ID, "commit", commit, "error", err)
	}
}

// maxPush caps a chunked push's spooled body.
const maxPush = 1 << 30

// spool reads a body of unknown length into a temporary file and makes it
// the request's body, with its length; closing the file removes it.
func spool(r *http.Request) (io.Closer, error) {
	f, err := os.CreateTemp("", "emulator-push-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // gone once closed
	n, err := io.Copy(f, io.LimitReader(r.Body, maxPush+1))
	if err == nil && n > maxPush {
		err = errors.New("push too large")
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	r.Body, r.ContentLength, r.TransferEncoding = f, n, nil
	return f, nil
}

// statusRecorder remembers a response's status.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// deploy records a WIP DEPLOY deployment of commit for cause, sets the
// application WANTS_TO_BE_UP (both settle one deploy delay later) and
// starts billing it unless it runs already. A push's commit becomes the
// application's deployed commit.
func (e *Emulator) deploy(ctx context.Context, a appRow, commit, cause string) (deploymentRow, error) {
	now := e.nowMS()
	upAt := now + e.delay.Milliseconds()
	d := deploymentRow{
		UUID: uuid.NewString(), AppID: a.ID, Action: actionDeploy, CommitSHA: commit, Cause: cause,
		State: platform.DeploymentWIP, CreatedAt: now, DoneAt: upAt,
	}
	err := e.withTx(ctx, func(tx *sqlx.Tx) error {
		if err := e.insertDeployment(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, e.q(`UPDATE applications SET state = ?, up_at = ? WHERE id = ?`), platform.StateWantsToBeUp, upAt, a.ID); err != nil {
			return fmt.Errorf("emulator: start application: %w", err)
		}
		if cause == CausePush {
			if _, err := tx.ExecContext(ctx, e.q(`UPDATE applications SET commit_id = ? WHERE id = ?`), commit, a.ID); err != nil {
				return fmt.Errorf("emulator: start application: %w", err)
			}
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
	return d, err
}
