package emulator

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grisaille/grisaille/platform"
)

// Timings of the log stream.
const (
	// logPollInterval is how often an open log stream looks for new lines.
	logPollInterval = 200 * time.Millisecond
	// logHeartbeatInterval is how often an open log stream sends a HEARTBEAT
	// event; the official client drops a stream silent for twice as long.
	logHeartbeatInterval = 2 * time.Second
	// maxLogStream bounds how long one log stream stays open, so that no
	// client holds a connection (and a server's shutdown) forever.
	maxLogStream = 10 * time.Minute
)

// appLog is one application log line as the platform's log stream sends it
// in an APPLICATION_LOG event.
type appLog struct {
	ID            string `json:"id"`
	Date          string `json:"date"`
	Message       string `json:"message"`
	Severity      string `json:"severity"`
	Priority      int    `json:"priority"`
	Service       string `json:"service"`
	ApplicationID string `json:"applicationId"`
	DeploymentID  string `json:"deploymentId"`
	CommitID      string `json:"commitId"`
	InstanceID    string `json:"instanceId"`
	Zone          string `json:"zone"`
	Version       string `json:"version"`

	at int64 // Unix milliseconds, for ordering and filtering
}

// logQuery is the parsed query of a log stream request.
type logQuery struct {
	since, until int64 // Unix milliseconds; until 0 means none
	limit        int   // 0 means none
	deploymentID string
	filter       string
}

// parseLogQuery reads since, until (RFC 3339), limit, deploymentId and
// filter (a substring of the message). Other parameters the official client
// sends (throttleElements, throttlePerInMilliseconds, instanceId, field) are
// accepted and ignored.
func parseLogQuery(r *http.Request, now int64) (logQuery, error) {
	q := r.URL.Query()
	lq := logQuery{since: now, deploymentID: q.Get("deploymentId"), filter: q.Get("filter")}
	for name, dst := range map[string]*int64{"since": &lq.since, "until": &lq.until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return lq, badRequest(fmt.Sprintf("%s must be an RFC 3339 date, got %q", name, v))
			}
			*dst = t.UnixMilli()
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return lq, badRequest(fmt.Sprintf("limit must be a non-negative integer, got %q", v))
		}
		lq.limit = n
	}
	return lq, nil
}

// deploymentLogs makes up the log lines of an application's deployments: a
// DEPLOY logs its start and, once done, its success; an UNDEPLOY logs the
// stop. Lines are sorted by date and later than now are left out.
func (e *Emulator) deploymentLogs(ctx context.Context, a appRow, now int64) ([]appLog, error) {
	var rows []deploymentRow
	if err := e.db.SelectContext(ctx, &rows, e.q(`SELECT `+deploymentColumns+` FROM deployments WHERE app_id = ? ORDER BY num`), a.ID); err != nil {
		return nil, fmt.Errorf("emulator: application logs: %w", err)
	}
	var out []appLog
	line := func(d deploymentRow, suffix string, at int64, message string) {
		if at > now {
			return
		}
		out = append(out, appLog{
			ID: d.UUID + "-" + suffix, Date: time.UnixMilli(at).UTC().Format("2006-01-02T15:04:05.000Z"),
			Message: message, Severity: "INFO", Priority: 6, Service: "deployer",
			ApplicationID: a.ID, DeploymentID: d.UUID, CommitID: d.CommitSHA, Zone: a.Zone, Version: "1",
			at: at,
		})
	}
	for _, d := range rows {
		switch {
		case d.Action == actionUndeploy:
			line(d, "stop", d.CreatedAt, "Application stopped")
		default:
			line(d, "start", d.CreatedAt, fmt.Sprintf("Deployment %s of commit %s started (cause: %s)", d.UUID, d.CommitSHA, d.Cause))
			if d.Cause == CausePush && d.State != platform.DeploymentCancelled {
				// A pushed commit is fetched and built before it runs.
				third := max(d.DoneAt-d.CreatedAt, 0) / 3
				line(d, "fetch", d.CreatedAt+third, fmt.Sprintf("Fetching the pushed commit %s", d.CommitSHA))
				line(d, "build", d.CreatedAt+2*third, "Build succeeded, starting the new instances")
			}
			if d.api(now).State == platform.DeploymentOK {
				secs := max(d.DoneAt-d.CreatedAt, 0) / 1000
				line(d, "done", d.DoneAt, fmt.Sprintf("Successfully deployed in 0 minutes and %d seconds", secs))
			}
		}
	}
	slices.SortStableFunc(out, func(x, y appLog) int { return cmp.Compare(x.at, y.at) })
	return out, nil
}

// keep reports whether line l is one the query asks for.
func (lq logQuery) keep(l appLog) bool {
	return l.at >= lq.since && (lq.until == 0 || l.at <= lq.until) &&
		(lq.deploymentID == "" || l.DeploymentID == lq.deploymentID) &&
		(lq.filter == "" || strings.Contains(l.Message, lq.filter))
}

// handleAppLogs serves an application's logs as a server-sent event stream,
// the way the platform's /v4/logs API does for the official CLI (clever
// restart, clever deploy, clever logs): APPLICATION_LOG events carrying one
// line each, a HEARTBEAT event every two seconds, and an END_OF_STREAM event
// {endedBy} when the until date or the limit is reached. The emulator's
// lines are made up from the application's deployments.
func (e *Emulator) handleAppLogs(w http.ResponseWriter, r *http.Request, acc account) {
	a, ok := e.ownedApp(w, r, acc)
	if !ok {
		return
	}
	lq, err := parseLogQuery(r, e.nowMS())
	if err != nil {
		writeErr(w, err, "application")
		return
	}
	ctx := r.Context()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}

	sent := map[string]bool{}
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		// A resumed stream skips the lines up to the last one received.
		lines, err := e.deploymentLogs(ctx, a, e.nowMS())
		if err != nil {
			return
		}
		if i := slices.IndexFunc(lines, func(l appLog) bool { return l.ID == last }); i >= 0 {
			for _, l := range lines[:i+1] {
				sent[l.ID] = true
			}
		}
	}
	count := 0
	poll := time.NewTicker(logPollInterval)
	defer poll.Stop()
	heartbeat := time.NewTicker(logHeartbeatInterval)
	defer heartbeat.Stop()
	deadline := time.NewTimer(maxLogStream)
	defer deadline.Stop()
	for {
		now := e.nowMS()
		lines, err := e.deploymentLogs(ctx, a, now)
		if err != nil {
			return
		}
		for _, l := range lines {
			if sent[l.ID] || !lq.keep(l) {
				continue
			}
			sent[l.ID] = true
			b, _ := json.Marshal(l)
			fmt.Fprintf(w, "id: %s\nevent: APPLICATION_LOG\ndata: %s\n\n", l.ID, b)
			count++
			if lq.limit > 0 && count >= lq.limit {
				endLogStream(w, rc, "LIMIT_REACHED")
				return
			}
		}
		if lq.until != 0 && now >= lq.until {
			endLogStream(w, rc, "UNTIL_REACHED")
			return
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			endLogStream(w, rc, "TIMEOUT")
			return
		case <-heartbeat.C:
			fmt.Fprint(w, "event: HEARTBEAT\ndata: \n\n")
		case <-poll.C:
		}
	}
}

// endLogStream sends the END_OF_STREAM event with its reason.
func endLogStream(w http.ResponseWriter, rc *http.ResponseController, reason string) {
	fmt.Fprintf(w, "event: END_OF_STREAM\ndata: {\"endedBy\":%q}\n\n", reason)
	rc.Flush()
}
