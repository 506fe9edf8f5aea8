package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/platform"
)

// maxBody caps the JSON bodies the compatible API accepts.
const maxBody = 1 << 20

// Self answers GET /v2/self: the caller as the platform describes a user.
func (a *API) Self(c echo.Context) error {
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
			s.ID, s.Email, s.Name = u.ID, u.Email, u.Name
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
	sum := platform.Summary{User: a.self(c, cl), Organisations: []platform.OrganisationSummary{}}
	for _, cu := range custs {
		apps, err := cl.api.Applications(ctx, cu.OrganisationID)
		if err != nil {
			return err
		}
		addons, err := cl.api.Addons(ctx, cu.OrganisationID)
		if err != nil {
			return err
		}
		sum.Organisations = append(sum.Organisations, platform.OrganisationSummary{
			ID: cu.OrganisationID, Name: cu.Name, Role: "ADMIN", Applications: apps, Addons: addons})
	}
	return c.JSON(http.StatusOK, sum)
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
	return c.JSON(http.StatusOK, out)
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
	return c.JSON(http.StatusOK, z)
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

// PriceSystem forwards GET /v4/billing/price-system for a zone the caller may use.
func (a *API) PriceSystem(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	zone, currency := c.QueryParam("zone_id"), c.QueryParam("currency")
	allowed, err := a.reachableZones(c, cl)
	if err != nil {
		return err
	}
	if !slices.Contains(allowed, zone) {
		return refuse(http.StatusForbidden, "api.zone_not_allowed", "Zone", zone)
	}
	body, err := cl.api.Forward(ctx, http.MethodGet, []string{"v4", "billing", "price-system"},
		url.Values{"zone_id": {zone}, "currency": {currency}}, nil)
	if err != nil {
		return err
	}
	return raw(c, http.StatusOK, body)
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
			obj, err := readObject(c)
			if err != nil {
				return err
			}
			if obj != nil {
				body = obj
			}
		}
		out, err := cl.api.Forward(ctx, c.Request().Method, segs, nil, body)
		if action != "" {
			a.audit(c, cl, action, target, err)
		}
		if err != nil {
			return err
		}
		return raw(c, http.StatusOK, out)
	}
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

// stringField reads one string field of a decoded object.
func stringField(obj map[string]json.RawMessage, key string) string {
	var s string
	_ = json.Unmarshal(obj[key], &s)
	return s
}

// Create proxies the creation of an application (zone field "zone") or an
// add-on ("region") after checking the zone against the customer's, so that
// nothing reaches the platform for a zone the customer may not use.
func (a *API) Create(action, zoneField string, path ...string) echo.HandlerFunc {
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
		zone := stringField(obj, zoneField)
		allowed, err := a.zones(ctx, cl, cust)
		if err != nil {
			return err
		}
		if !slices.Contains(allowed, zone) {
			return refuse(http.StatusForbidden, "api.zone_not_allowed", "Zone", zone)
		}
		segs := append([]string{"v2", "organisations", cust.OrganisationID}, path...)
		out, err := cl.api.Forward(ctx, http.MethodPost, segs, nil, obj)
		var created struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(out, &created)
		a.audit(c, cl, action, created.ID, err)
		if err != nil {
			return err
		}
		return raw(c, http.StatusOK, out)
	}
}
