package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/whitelabel"
)

// maxBody caps the JSON bodies the compatible API accepts.
const maxBody = 1 << 20

// User answers GET /v2/self: the caller as the platform describes a user.
func (a *API) User(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.self(c, cl))
}

func (a *API) self(c echo.Context, cl caller) platform.Self {
	ctx := c.Request().Context()
	s := platform.Self{ID: cl.id.Record.RevocationID, Lang: "EN", Name: cl.partner.Brand.Name}
	if cl.id.UserID != "" {
		if u, err := a.cfg.Tenants.User(ctx, cl.partner.ID, cl.id.UserID); err == nil {
			s.ID, s.Email, s.Name = platformUserID(u.ID), u.Email, u.Name
		}
	}
	if cl.customer != nil {
		if s.Name == "" || s.Name == cl.partner.Brand.Name {
			s.Name = cl.customer.Name
		}
		if s.Email == "" {
			s.ID = cl.customer.ID
		}
	}
	if lang := cl.partner.Brand.Language; lang != "" {
		s.Lang = map[string]string{"en": "EN", "fr": "FR"}[lang]
	}
	return s
}

// Organisations answers GET /v2/organisations: the caller's organisations only.
func (a *API) Organisations(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	custs, err := a.customers(ctx, cl)
	if err != nil {
		return err
	}
	out := []platform.Organisation{}
	for _, cu := range custs {
		o, err := cl.api.Organisation(ctx, cu.OrganisationID)
		if err != nil {
			return err
		}
		out = append(out, o)
	}
	return c.JSON(http.StatusOK, out)
}

// summaryUser is the summary's user: the official CLI walks its
// applications, add-ons and OAuth consumers, so they are always lists.
type summaryUser struct {
	platform.Self
	Applications []platform.Application `json:"applications"`
	Addons       []platform.Addon       `json:"addons"`
	Consumers    []struct{}             `json:"consumers"`
}

// summaryOrg is one organisation of the summary, with its lists.
type summaryOrg struct {
	platform.OrganisationSummary
	Consumers []struct{} `json:"consumers"`
}

// Summary answers GET /v2/summary: the caller and its organisations with
// their applications and add-ons.
func (a *API) Summary(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	custs, err := a.customers(ctx, cl)
	if err != nil {
		return err
	}
	user := summaryUser{Self: a.self(c, cl), Applications: []platform.Application{}, Addons: []platform.Addon{}, Consumers: []struct{}{}}
	orgs := []summaryOrg{}
	for _, cu := range custs {
		apps, err := cl.api.Applications(ctx, cu.OrganisationID)
		if err != nil {
			return err
		}
		addons, err := cl.api.Addons(ctx, cu.OrganisationID)
		if err != nil {
			return err
		}
		if apps == nil {
			apps = []platform.Application{}
		}
		for i := range apps {
			// A summary names the applications; their environment is
			// read where it is asked for, with app:read on each.
			apps[i].Env = []platform.EnvVar{}
		}
		if addons == nil {
			addons = []platform.Addon{}
		}
		orgs = append(orgs, summaryOrg{OrganisationSummary: platform.OrganisationSummary{
			ID: cu.OrganisationID, Name: cu.Name, Role: "ADMIN", Applications: apps, Addons: addons}, Consumers: []struct{}{}})
	}
	return answer(c, http.StatusOK, map[string]any{"user": user, "organisations": orgs})
}

// Zones answers GET /v4/products/zones with the zones the caller may use.
func (a *API) Zones(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	allowed, err := a.reachableZones(c, cl)
	if err != nil {
		return err
	}
	cat, err := a.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return err
	}
	out := []platform.Zone{}
	for _, z := range cat.Zones {
		if slices.Contains(allowed, z.Name) {
			out = append(out, z)
		}
	}
	return answer(c, http.StatusOK, out)
}

// Zone answers GET /v4/products/zones/:zone for a zone the caller may use.
func (a *API) Zone(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	allowed, err := a.reachableZones(c, cl)
	if err != nil {
		return err
	}
	if !slices.Contains(allowed, c.Param("zone")) {
		return refuse(http.StatusNotFound, "api.not_found")
	}
	z, err := cl.api.Zone(ctx, c.Param("zone"))
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, z)
}

// reachableZones is the union of the zones of the caller's customers.
func (a *API) reachableZones(c echo.Context, cl caller) ([]string, error) {
	ctx := c.Request().Context()
	custs, err := a.customers(ctx, cl)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, cu := range custs {
		zs, err := a.zones(ctx, cl, cu)
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			if !slices.Contains(out, z) {
				out = append(out, z)
			}
		}
	}
	return out, nil
}

// Catalogue forwards a public catalogue read (runtimes, add-on providers).
func (a *API) Catalogue(segs ...string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		cl, err := a.callerOf(ctx)
		if err != nil {
			return err
		}
		body, err := cl.api.Forward(ctx, http.MethodGet, segs, nil, nil)
		if err != nil {
			return err
		}
		return raw(c, http.StatusOK, body)
	}
}

// PriceSystem answers GET /v4/billing/price-system for a zone the caller
// may use, in the platform's shape but with the caller's own prices: a
// customer's token sees its grids' prices, a partner's its default grid's.
func (a *API) PriceSystem(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	zone, currency := c.QueryParam("zone_id"), c.QueryParam("currency")
	if currency == "" {
		currency = pricing.DefaultCurrency
	}
	allowed, err := a.reachableZones(c, cl)
	if err != nil {
		return err
	}
	if !slices.Contains(allowed, zone) {
		return refuse(http.StatusForbidden, "api.zone_not_allowed", "Zone", zone)
	}
	ps, err := cl.api.PriceSystem(ctx, zone, currency)
	if err != nil {
		return err
	}
	customerID := ""
	if cl.customer != nil {
		customerID = cl.customer.ID
	}
	now := time.Now()
	runtime := make([]platform.RuntimePrice, 0, len(ps.Runtime))
	for _, r := range ps.Runtime {
		q, err := a.cfg.Prices.Quote(ctx, cl.partner.ID, customerID, zone, currency, r.SlugID, now)
		if errors.Is(err, pricing.ErrNoPrice) {
			continue // not in the portal's copy of the price list yet
		}
		if err != nil {
			return err
		}
		r.Price = json.Number(q.Price.String())
		runtime = append(runtime, r)
	}
	ps.Runtime = runtime
	for i, raw := range ps.Countable {
		repriced, err := a.repriceCountable(ctx, cl.partner.ID, customerID, zone, currency, raw, now)
		if err != nil {
			return err
		}
		ps.Countable[i] = repriced
	}
	return answer(c, http.StatusOK, ps)
}

// repriceCountable replaces a countable service's price plans with the
// caller's tiers.
func (a *API) repriceCountable(ctx context.Context, partnerID, customerID, zone, currency string, raw json.RawMessage, at time.Time) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return raw, nil
	}
	var service string
	_ = json.Unmarshal(obj["service"], &service)
	q, err := a.cfg.Prices.Quote(ctx, partnerID, customerID, zone, currency, service, at)
	if errors.Is(err, pricing.ErrNoPrice) || err == nil && q.Tiers == nil {
		return raw, nil
	}
	if err != nil {
		return nil, err
	}
	type plan struct {
		MaxQuantity *json.Number `json:"max_quantity"`
		Price       json.Number  `json:"price"`
	}
	plans := make([]plan, 0, len(q.Tiers))
	for _, t := range q.Tiers {
		p := plan{Price: json.Number(t.Price.String())}
		if t.UpTo != nil {
			n := json.Number(t.UpTo.String())
			p.MaxQuantity = &n
		}
		plans = append(plans, p)
	}
	if obj["price_plans"], err = json.Marshal(plans); err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}

// Forward proxies one organisation-scoped call to the platform: the path is
// rebuilt from the route's parameters (never taken from the request), the
// organisation must be one the caller reaches, and writes are audited.
// action names the audit event of a write ("" for reads).
func (a *API) Forward(action string, path ...string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		cl, err := a.callerOf(ctx)
		if err != nil {
			return err
		}
		if _, err := a.organisation(ctx, cl, c.Param("org")); err != nil {
			return err
		}
		segs := make([]string, len(path))
		target := c.Param("org")
		for i, p := range path {
			if len(p) > 0 && p[0] == ':' {
				segs[i] = c.Param(p[1:])
				target = segs[i]
				continue
			}
			segs[i] = p
		}
		var body any
		if m := c.Request().Method; m == http.MethodPost || m == http.MethodPut {
			v, err := readBody(c)
			if err != nil {
				return err
			}
			if v != nil {
				body = v
			}
		}
		out, err := cl.api.Forward(ctx, c.Request().Method, segs, passQuery(c, forwardQuery), body)
		if action != "" {
			a.audit(c, cl, action, target, err)
		}
		var pe *platform.Error
		noFavourite := errors.As(err, &pe) && pe.ID == platform.ErrorNoFavouriteVhost
		if noFavourite || err == nil && hiddenFavourite(c, segs, out) {
			// No favourite of the customer's own: the platform's 4021.
			return refuse(http.StatusNotFound, "api.no_favourite_vhost")
		}
		if err != nil {
			return err
		}
		return raw(c, http.StatusOK, out)
	}
}

// hiddenFavourite reports whether out is an application's favourite host
// and that host is one of the platform's, which the partner's customers
// do not see: the application has no favourite of its own then.
func hiddenFavourite(c echo.Context, segs []string, out json.RawMessage) bool {
	if len(segs) == 0 || segs[len(segs)-1] != "favourite" {
		return false
	}
	var v struct {
		FQDN string `json:"fqdn"`
	}
	return json.Unmarshal(out, &v) == nil && whitelabel.From(c.Request().Context()).Platform.Hides(v.FQDN)
}

// readObject reads a JSON object body. It is decoded and encoded again
// before it is sent on, so what the portal checked (a zone, say) is exactly
// what the platform receives, whatever duplicate keys the body held.
func readObject(c echo.Context) (map[string]json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	switch err := dec.Decode(&obj); {
	case errors.Is(err, io.EOF):
		return nil, nil // no body: start, restart
	case err != nil:
		return nil, refuse(http.StatusBadRequest, "api.bad_json")
	}
	return obj, nil
}

// readBody reads a JSON body that is an object or, as linking an add-on
// takes it, a string; re-encoded like readObject's. No body is nil.
func readBody(c echo.Context) (any, error) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "api.bad_json")
	}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return nil, nil
	case b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return nil, refuse(http.StatusBadRequest, "api.bad_json")
		}
		return s, nil
	}
	obj := map[string]json.RawMessage{}
	if json.Unmarshal(b, &obj) != nil {
		return nil, refuse(http.StatusBadRequest, "api.bad_json")
	}
	return obj, nil
}

// Self forwards a read of the caller's personal space (/v2/self/…): a
// customer's is its organisation; a partner's token has none of its own,
// so its lists are empty and its objects missing. path's ":name" segments
// are the route's parameters.
func (a *API) Self(path ...string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		cl, err := a.callerOf(ctx)
		if err != nil {
			return err
		}
		segs := []string{"v2", "organisations", ""}
		one := false
		for _, p := range path {
			if len(p) > 0 && p[0] == ':' {
				p, one = c.Param(p[1:]), true
			}
			segs = append(segs, p)
		}
		if cl.customer == nil {
			if one {
				return refuse(http.StatusNotFound, "api.not_found")
			}
			return answer(c, http.StatusOK, []struct{}{})
		}
		segs[2] = cl.customer.OrganisationID
		out, err := cl.api.Forward(ctx, http.MethodGet, segs, nil, nil)
		if err != nil {
			return err
		}
		return raw(c, http.StatusOK, out)
	}
}

// Create proxies the creation of an application or an add-on. The server's
// middleware has already held the zone the body names against the zone
// policy and the token; the body checked there is the one sent on.
func (a *API) Create(action string, path ...string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		cl, err := a.callerOf(ctx)
		if err != nil {
			return err
		}
		cust, err := a.organisation(ctx, cl, c.Param("org"))
		if err != nil {
			return err
		}
		obj, err := readObject(c)
		if err != nil {
			return err
		}
		if obj == nil {
			return refuse(http.StatusBadRequest, "api.bad_json")
		}
		segs := append([]string{"v2", "organisations", cust.OrganisationID}, path...)
		out, err := cl.api.Forward(ctx, http.MethodPost, segs, nil, obj)
		var created struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(out, &created)
		if err == nil && action == "app.create" && cl.partner.AppDomain != "" && created.ID != "" {
			out, err = a.nameApp(ctx, cl, cust.OrganisationID, created.ID, obj)
		}
		a.audit(c, cl, action, created.ID, err)
		if err != nil {
			return err
		}
		return raw(c, http.StatusOK, out)
	}
}

// nameApp gives a created application its host under the partner's
// applications' domain and answers the application as it now is.
func (a *API) nameApp(ctx context.Context, cl caller, org, app string, obj map[string]json.RawMessage) (json.RawMessage, error) {
	var name string
	_ = json.Unmarshal(obj["name"], &name)
	if err := cl.api.AddVhost(ctx, org, app, whitelabel.AppHost(name, app, cl.partner.AppDomain)); err != nil {
		return nil, err
	}
	return cl.api.Forward(ctx, http.MethodGet, []string{"v2", "organisations", org, "applications", app}, nil, nil)
}

// forwardQuery are the query parameters the compatible API passes on: the
// deployments list's paging and filter, and a restart's commit and cache
// choice. Anything else is dropped.
var forwardQuery = []string{"limit", "offset", "action", "commit", "useCache"}

// passQuery keeps the allowed query parameters of the request.
func passQuery(c echo.Context, keys []string) url.Values {
	out := url.Values{}
	for _, k := range keys {
		if v := c.QueryParam(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// CurrentToken answers GET /v2/self/tokens/current: when the caller's token
// was issued and when it expires.
func (a *API) CurrentToken(c echo.Context) error {
	cl, err := a.callerOf(c.Request().Context())
	if err != nil {
		return err
	}
	out := map[string]string{"creationDate": cl.id.Record.CreatedAt.UTC().Format(time.RFC3339)}
	if exp := cl.id.Restriction.ExpiresAt; !exp.IsZero() {
		out["expirationDate"] = exp.UTC().Format(time.RFC3339)
	}
	return c.JSON(http.StatusOK, out)
}

// logQuery are the log stream's query parameters.
var logQuery = []string{"since", "until", "limit", "deploymentId", "filter", "throttleElements", "throttlePerInMilliseconds"}

// Logs proxies an application's log stream (server-sent events) without
// buffering, for as long as the client keeps it open.
func (a *API) Logs(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	cust, err := a.organisation(ctx, cl, c.Param("org"))
	if err != nil {
		return err
	}
	segs := []string{"v4", "logs", "organisations", cust.OrganisationID, "applications", c.Param("app"), "logs"}
	ctype, body, err := cl.api.Stream(ctx, segs, passQuery(c, logQuery), c.Request().Header.Get("Last-Event-ID"))
	if err != nil {
		return err
	}
	defer body.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(http.StatusOK)
	c.Response().Flush()
	buf := make([]byte, 32<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, werr := c.Response().Write(buf[:n]); werr != nil {
				return nil // the client went away
			}
			c.Response().Flush()
		}
		if rerr != nil {
			return nil // the stream ended, or the client's context did
		}
	}
}

// platformUserID is a portal user's id as the platform spells its users'
// ("user_<uuid>"; the portal's are "usr_<uuid>").
func platformUserID(id string) string {
	return "user_" + strings.TrimPrefix(id, "usr_")
}
