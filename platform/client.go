package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody caps how much of an answer the client reads (the catalogue is the
// largest answer, well under 1 MB).
const maxBody = 8 << 20

// maxMessage caps the length of a platform error message kept in an Error.
const maxMessage = 300

// Config configures a Client.
type Config struct {
	// BaseURL is the platform's absolute http or https URL, e.g.
	// http://127.0.0.1:8081; a trailing slash is ignored and a path prefix is
	// kept.
	BaseURL string
	// Token is the partner credential, sent as "Authorization: Bearer <token>".
	Token string
	// HTTPClient sends the requests; http.DefaultClient's transport when nil.
	HTTPClient *http.Client
	// Timeout bounds each attempt of a call; 10s when zero.
	Timeout time.Duration
	// MaxRetries is how many times a failed idempotent read (GET) is retried
	// when the platform is unavailable; 2 when zero, none when negative.
	// Writes (POST, PUT, DELETE) are never retried.
	MaxRetries int
	// Logger receives one debug record per attempt; discarded when nil.
	Logger *slog.Logger
	// Observe, when set, is told of every call once it is over: its
	// endpoint (a fixed name such as "list applications", never an id),
	// its outcome ("ok", "refused", "unavailable", "timeout") and duration.
	Observe func(endpoint, outcome string, d time.Duration)
	// PushDomains are the DNS suffixes of the platform's git push hosts
	// ("clever-cloud.com"): an application's remote must be https under
	// one of them, or on BaseURL's own scheme and host (see Client.Git).
	PushDomains []string
}

// Client talks HTTP to the platform API. It is safe for concurrent use.
type Client struct {
	base       string // scheme://host[/prefix], no trailing slash
	token      string
	hc         *http.Client
	timeout    time.Duration
	maxRetries int
	log        *slog.Logger
	observe    func(endpoint, outcome string, d time.Duration)
	// pushDomains are Config.PushDomains.
	pushDomains []string
	// backoff returns the pause before retry number n (1-based).
	backoff func(n int) time.Duration
}

// transport is the platform client's connection pool: enough idle
// connections per host for a busy portal (the default keeps 2, and opens a
// new one for most calls under load), HTTP/2 where the platform speaks it.
var transport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return t
}()

// CloseIdleConnections closes the platform connections no request uses,
// as a portal idle a while does: each holds buffers and two goroutines.
func CloseIdleConnections() { transport.CloseIdleConnections() }

// NewClient returns a Client for cfg. It fails when BaseURL is not an
// absolute http or https URL.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil {
		return nil, fmt.Errorf("platform: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("platform: base URL %q: want an absolute http or https URL", cfg.BaseURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("platform: base URL: must not carry user info, query or fragment")
	}
	c := &Client{
		base:        strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		token:       cfg.Token,
		hc:          cfg.HTTPClient,
		timeout:     cfg.Timeout,
		maxRetries:  cfg.MaxRetries,
		log:         cfg.Logger,
		observe:     cfg.Observe,
		pushDomains: cfg.PushDomains,
		backoff:     jitteredBackoff,
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: transport}
	}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = 2
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// WithToken returns a shallow copy of c that sends token as its credential.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// jitteredBackoff is exponential backoff with full jitter: a random pause in
// [d/2, d) with d = 200ms·2^(n-1), capped at 5s.
func jitteredBackoff(n int) time.Duration {
	d := 200 * time.Millisecond << min(n-1, 5)
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d/2)
}

// endpointOf is a call's endpoint as metrics name it: its operation, or
// for a forwarded call (whose operation holds ids) its method.
func endpointOf(op, method string) string {
	if strings.HasPrefix(op, "forward ") {
		return "forward " + method
	}
	return op
}

// outcomeOf sorts a call's error for metrics.
func outcomeOf(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	}
	return "refused"
}

// path builds an escaped request path from segments. Every segment is
// escaped with url.PathEscape; empty, "." and ".." segments are refused so
// that no caller value can change the path.
func path(segs ...string) (string, error) {
	var b strings.Builder
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("%w: invalid path segment %q", ErrBadRequest, s)
		}
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String(), nil
}

// call sends one request and decodes a 2xx answer into out (when non-nil).
// GET requests are retried on ErrUnavailable.
func (c *Client) call(ctx context.Context, op, method string, segs []string, query url.Values, in, out any) error {
	p, err := path(segs...)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	target := c.base + p
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var body []byte
	if in != nil {
		if body, err = json.Marshal(in); err != nil {
			return &Error{Op: op, Err: fmt.Errorf("%w: encode body: %w", ErrBadRequest, err)}
		}
	}
	attempts := 1
	if method == http.MethodGet {
		attempts += c.maxRetries
	}
	if c.observe != nil {
		start := time.Now()
		defer func() { c.observe(endpointOf(op, method), outcomeOf(ctx, err), time.Since(start)) }()
	}
	for n := 1; ; n++ {
		err = c.attempt(ctx, op, method, target, p, body, out, n)
		if err == nil || n >= attempts || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(c.backoff(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// attempt is one try of call, bounded by the per-attempt timeout.
func (c *Client) attempt(ctx context.Context, op, method, target, logPath string, body []byte, out any, n int) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrBadRequest, err)}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.DebugContext(ctx, "platform call failed", "op", op, "method", method, "path", logPath, "attempt", n, "duration", time.Since(start), "error", err)
		return &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrUnavailable, scrub(err))}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.log.DebugContext(ctx, "platform call", "op", op, "method", method, "path", logPath, "attempt", n, "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("%w: read answer: %w", ErrUnavailable, scrub(err))}
	}
	if len(data) > maxBody {
		return &Error{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("%w: answer larger than %d bytes", ErrUnavailable, maxBody)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Op: op, Status: resp.StatusCode, Err: sentinelFor(resp.StatusCode)}
		var apiErr APIError
		if json.Unmarshal(data, &apiErr) == nil {
			e.ID = apiErr.ID
			e.Message = truncate(apiErr.Message, maxMessage)
		}
		return e
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		// An empty 2xx answer (204 on some deletes) leaves out untouched.
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("%w: unreadable answer: %w", ErrUnavailable, err)}
	}
	return nil
}

// scrub keeps the kind of a transport error but drops the URL it quotes, in
// case a caller put secrets in the base URL's path.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Forward sends one request of the API subset for the portal's
// platform-compatible API and returns the platform's JSON answer unchanged
// (nil for an empty answer). The path is built from segments, each escaped,
// so no caller value can choose another host or path; reads are retried
// like any GET, writes never.
func (c *Client) Forward(ctx context.Context, method string, segs []string, query url.Values, body any) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.call(ctx, "forward "+method+" /"+strings.Join(segs, "/"), method, segs, query, body, &out)
	return out, err
}

// Stream opens a long-lived GET of the API subset (the application log
// stream, server-sent events) and returns the platform's answer body for
// the caller to copy and close; lastEventID, when set, resumes after that
// event. Only the wait for the answer's headers is
// bounded by the client's timeout; the stream lasts as long as ctx.
func (c *Client) Stream(ctx context.Context, segs []string, query url.Values, lastEventID string) (contentType string, body io.ReadCloser, err error) {
	const op = "stream"
	p, err := path(segs...)
	if err != nil {
		return "", nil, &Error{Op: op, Err: err}
	}
	target := c.base + p
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", nil, &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrBadRequest, err)}
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	// The answer's headers must arrive within the timeout; the body may
	// then flow for as long as ctx lasts.
	hctx, cancel := context.WithCancel(ctx)
	headers := time.AfterFunc(c.timeout, cancel)
	resp, err := c.hc.Do(req.WithContext(hctx))
	if !headers.Stop() || err != nil {
		cancel()
		if err == nil {
			resp.Body.Close()
			err = context.DeadlineExceeded
		}
		return "", nil, &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrUnavailable, scrub(err))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer cancel()
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		e := &Error{Op: op, Status: resp.StatusCode, Err: sentinelFor(resp.StatusCode)}
		var apiErr APIError
		if json.Unmarshal(data, &apiErr) == nil {
			e.ID, e.Message = apiErr.ID, truncate(apiErr.Message, maxMessage)
		}
		return "", nil, e
	}
	return resp.Header.Get("Content-Type"), cancelOnClose{resp.Body, cancel}, nil
}

// cancelOnClose releases a stream's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and releases its context.
func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func (c *Client) get(ctx context.Context, op string, out any, segs ...string) error {
	return c.call(ctx, op, http.MethodGet, segs, nil, nil, out)
}

// Zones lists the deployment zones (GET /v4/products/zones).
func (c *Client) Zones(ctx context.Context) ([]Zone, error) {
	var out []Zone
	return out, c.get(ctx, "list zones", &out, "v4", "products", "zones")
}

// Zone returns the zone called name (GET /v4/products/zones/{name}).
func (c *Client) Zone(ctx context.Context, name string) (Zone, error) {
	var out Zone
	return out, c.get(ctx, "get zone", &out, "v4", "products", "zones", name)
}

// Instances lists the runtimes and their flavors (GET /v2/products/instances).
func (c *Client) Instances(ctx context.Context) ([]Instance, error) {
	var out []Instance
	return out, c.get(ctx, "list instances", &out, "v2", "products", "instances")
}

// AddonProviders lists the add-on kinds and their plans
// (GET /v2/products/addonproviders).
func (c *Client) AddonProviders(ctx context.Context) ([]AddonProvider, error) {
	var out []AddonProvider
	return out, c.get(ctx, "list add-on providers", &out, "v2", "products", "addonproviders")
}

// PriceSystem returns the price list of a zone in a currency
// (GET /v4/billing/price-system?zone_id=…&currency=…).
func (c *Client) PriceSystem(ctx context.Context, zone, currency string) (PriceSystem, error) {
	var out PriceSystem
	q := url.Values{"zone_id": {zone}, "currency": {currency}}
	return out, c.call(ctx, "get price system", http.MethodGet, []string{"v4", "billing", "price-system"}, q, nil, &out)
}

// Self returns the authenticated caller (GET /v2/self).
func (c *Client) Self(ctx context.Context) (Self, error) {
	var out Self
	return out, c.get(ctx, "get self", &out, "v2", "self")
}

// Summary returns the caller, its organisations, their applications and
// add-ons (GET /v2/summary).
func (c *Client) Summary(ctx context.Context) (Summary, error) {
	var out Summary
	return out, c.get(ctx, "get summary", &out, "v2", "summary")
}

// Organisations lists the caller's organisations (GET /v2/organisations).
func (c *Client) Organisations(ctx context.Context) ([]Organisation, error) {
	var out []Organisation
	return out, c.get(ctx, "list organisations", &out, "v2", "organisations")
}

// Organisation returns one organisation (GET /v2/organisations/{id}).
func (c *Client) Organisation(ctx context.Context, id string) (Organisation, error) {
	var out Organisation
	return out, c.get(ctx, "get organisation", &out, "v2", "organisations", id)
}

// CreateOrganisation creates an organisation (POST /v2/organisations); o.ID
// is ignored.
func (c *Client) CreateOrganisation(ctx context.Context, o Organisation) (Organisation, error) {
	var out Organisation
	o.ID = ""
	return out, c.call(ctx, "create organisation", http.MethodPost, []string{"v2", "organisations"}, nil, o, &out)
}

// UpdateOrganisation replaces an organisation's details
// (PUT /v2/organisations/{id}).
func (c *Client) UpdateOrganisation(ctx context.Context, id string, o Organisation) (Organisation, error) {
	var out Organisation
	o.ID = ""
	return out, c.call(ctx, "update organisation", http.MethodPut, []string{"v2", "organisations", id}, nil, o, &out)
}

// DeleteOrganisation deletes an organisation (DELETE /v2/organisations/{id}).
func (c *Client) DeleteOrganisation(ctx context.Context, id string) error {
	return c.call(ctx, "delete organisation", http.MethodDelete, []string{"v2", "organisations", id}, nil, nil, nil)
}

func appSegs(org string, more ...string) []string {
	return append([]string{"v2", "organisations", org, "applications"}, more...)
}

// Applications lists an organisation's applications
// (GET /v2/organisations/{org}/applications).
func (c *Client) Applications(ctx context.Context, org string) ([]Application, error) {
	var out []Application
	return out, c.get(ctx, "list applications", &out, appSegs(org)...)
}

// Application returns one application
// (GET /v2/organisations/{org}/applications/{app}).
func (c *Client) Application(ctx context.Context, org, app string) (Application, error) {
	var out Application
	return out, c.get(ctx, "get application", &out, appSegs(org, app)...)
}

// CreateApplication creates an application; it is not started
// (POST /v2/organisations/{org}/applications).
func (c *Client) CreateApplication(ctx context.Context, org string, a ApplicationCreate) (Application, error) {
	var out Application
	return out, c.call(ctx, "create application", http.MethodPost, appSegs(org), nil, a, &out)
}

// UpdateApplication changes the fields set in u
// (PUT /v2/organisations/{org}/applications/{app}).
func (c *Client) UpdateApplication(ctx context.Context, org, app string, u ApplicationUpdate) (Application, error) {
	var out Application
	return out, c.call(ctx, "update application", http.MethodPut, appSegs(org, app), nil, u, &out)
}

// DeleteApplication deletes an application
// (DELETE /v2/organisations/{org}/applications/{app}).
func (c *Client) DeleteApplication(ctx context.Context, org, app string) error {
	return c.call(ctx, "delete application", http.MethodDelete, appSegs(org, app), nil, nil, nil)
}

// deploymentAnswer is the answer of POST …/instances.
type deploymentAnswer struct {
	DeploymentID string `json:"deploymentId"`
}

// StartApplication starts (deploys) an application and returns the id of the
// deployment it triggered (POST …/applications/{app}/instances).
func (c *Client) StartApplication(ctx context.Context, org, app string) (string, error) {
	var out deploymentAnswer
	err := c.call(ctx, "start application", http.MethodPost, appSegs(org, app, "instances"), nil, nil, &out)
	return out.DeploymentID, err
}

// RestartApplication redeploys an application; the platform restarts with
// the same call as a start (POST …/applications/{app}/instances).
func (c *Client) RestartApplication(ctx context.Context, org, app string) (string, error) {
	var out deploymentAnswer
	err := c.call(ctx, "restart application", http.MethodPost, appSegs(org, app, "instances"), nil, nil, &out)
	return out.DeploymentID, err
}

// AddVhost gives an application a domain name
// (PUT …/applications/{app}/vhosts/{fqdn}); adding one it has succeeds.
func (c *Client) AddVhost(ctx context.Context, org, app, fqdn string) error {
	return c.call(ctx, "add domain", http.MethodPut, appSegs(org, app, "vhosts", fqdn), nil, nil, nil)
}

// FavouriteVhost returns an application's favourite domain name, "" when
// it has none (GET …/applications/{app}/vhosts/favourite).
func (c *Client) FavouriteVhost(ctx context.Context, org, app string) (string, error) {
	var out Vhost
	err := c.call(ctx, "favourite domain", http.MethodGet, appSegs(org, app, "vhosts", "favourite"), nil, nil, &out)
	var pe *Error
	if errors.As(err, &pe) && pe.ID == ErrorNoFavouriteVhost {
		return "", nil
	}
	return out.FQDN, err
}

// SetFavouriteVhost makes one of an application's domain names its
// favourite (PUT …/applications/{app}/vhosts/favourite).
func (c *Client) SetFavouriteVhost(ctx context.Context, org, app, fqdn string) error {
	return c.call(ctx, "set favourite domain", http.MethodPut, appSegs(org, app, "vhosts", "favourite"), nil, Vhost{FQDN: fqdn}, nil)
}

// RemoveVhost takes a domain name from an application
// (DELETE …/applications/{app}/vhosts/{fqdn}).
func (c *Client) RemoveVhost(ctx context.Context, org, app, fqdn string) error {
	return c.call(ctx, "remove domain", http.MethodDelete, appSegs(org, app, "vhosts", fqdn), nil, nil, nil)
}

// StopApplication stops an application
// (DELETE …/applications/{app}/instances).
func (c *Client) StopApplication(ctx context.Context, org, app string) error {
	return c.call(ctx, "stop application", http.MethodDelete, appSegs(org, app, "instances"), nil, nil, nil)
}

// Env lists an application's environment variables
// (GET …/applications/{app}/env).
func (c *Client) Env(ctx context.Context, org, app string) ([]EnvVar, error) {
	var out []EnvVar
	return out, c.get(ctx, "list environment", &out, appSegs(org, app, "env")...)
}

// ReplaceEnv replaces all of an application's environment variables
// (PUT …/applications/{app}/env).
func (c *Client) ReplaceEnv(ctx context.Context, org, app string, env map[string]string) error {
	if env == nil {
		env = map[string]string{}
	}
	return c.call(ctx, "replace environment", http.MethodPut, appSegs(org, app, "env"), nil, env, nil)
}

// SetEnv sets one environment variable (PUT …/applications/{app}/env/{name}).
func (c *Client) SetEnv(ctx context.Context, org, app, name, value string) error {
	body := map[string]string{"value": value}
	return c.call(ctx, "set environment variable", http.MethodPut, appSegs(org, app, "env", name), nil, body, nil)
}

// DeleteEnv removes one environment variable
// (DELETE …/applications/{app}/env/{name}).
func (c *Client) DeleteEnv(ctx context.Context, org, app, name string) error {
	return c.call(ctx, "delete environment variable", http.MethodDelete, appSegs(org, app, "env", name), nil, nil, nil)
}

// Deployments lists an application's deployments, newest first
// (GET …/applications/{app}/deployments).
func (c *Client) Deployments(ctx context.Context, org, app string) ([]Deployment, error) {
	var out []Deployment
	return out, c.get(ctx, "list deployments", &out, appSegs(org, app, "deployments")...)
}

func addonSegs(org string, more ...string) []string {
	return append([]string{"v2", "organisations", org, "addons"}, more...)
}

// Addons lists an organisation's add-ons (GET /v2/organisations/{org}/addons).
func (c *Client) Addons(ctx context.Context, org string) ([]Addon, error) {
	var out []Addon
	return out, c.get(ctx, "list add-ons", &out, addonSegs(org)...)
}

// Addon returns one add-on (GET /v2/organisations/{org}/addons/{id}).
func (c *Client) Addon(ctx context.Context, org, id string) (Addon, error) {
	var out Addon
	return out, c.get(ctx, "get add-on", &out, addonSegs(org, id)...)
}

// CreateAddon creates an add-on (POST /v2/organisations/{org}/addons).
func (c *Client) CreateAddon(ctx context.Context, org string, a AddonCreate) (Addon, error) {
	var out Addon
	return out, c.call(ctx, "create add-on", http.MethodPost, addonSegs(org), nil, a, &out)
}

// DeleteAddon deletes an add-on (DELETE /v2/organisations/{org}/addons/{id}).
func (c *Client) DeleteAddon(ctx context.Context, org, id string) error {
	return c.call(ctx, "delete add-on", http.MethodDelete, addonSegs(org, id), nil, nil, nil)
}

// Consumptions lists an organisation's usage lines over [from, to)
// (GET /v4/billing/organisations/{org}/consumptions?from=…&to=…).
func (c *Client) Consumptions(ctx context.Context, org string, from, to time.Time) ([]Consumption, error) {
	var out []Consumption
	q := url.Values{
		"from": {from.UTC().Format(time.RFC3339)},
		"to":   {to.UTC().Format(time.RFC3339)},
	}
	segs := []string{"v4", "billing", "organisations", org, "consumptions"}
	return out, c.call(ctx, "list consumptions", http.MethodGet, segs, q, nil, &out)
}
