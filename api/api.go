// Package api serves the portal's JSON APIs to a partner's customers: the
// platform-compatible subset (/v2/…, /v4/…) that the official CLI speaks,
// answered for the caller's organisations and zones only and proxied to the
// platform with the partner's credential, and the token API (/api/v1/…).
//
// Authentication and authorization happen before these handlers run (the
// server's middleware puts the caller's tokens.Identity in the context);
// handlers resolve what the identity may see and never talk HTTP to the
// platform except through package platform.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/whitelabel"
)

// Config is what the API needs.
type Config struct {
	Tenants   *tenants.Store
	Tokens    *tokens.Service
	Platform  *platform.Client
	Catalogue *platform.Catalogue
	Audit     *audit.Log
	Prices    *pricing.Engine
	Logger    *slog.Logger
}

// API holds the JSON handlers. Build it with New.
type API struct {
	cfg Config
}

// New returns the API handlers.
func New(cfg Config) *API { return &API{cfg: cfg} }

// Error is a refusal answered as the platform answers errors:
// {id, message, type:"error"} with an HTTP status. The message id is
// translated by the server's error handler.
type Error struct {
	Status int
	ID     string
	Data   map[string]any
}

// Error returns the message id.
func (e *Error) Error() string { return e.ID }

func refuse(status int, id string, kv ...any) *Error {
	e := &Error{Status: status, ID: id}
	if len(kv) > 1 {
		e.Data = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[kv[i].(string)] = kv[i+1]
		}
	}
	return e
}

// caller is what one request may reach: its identity, the partner, and the
// customer when the token is a customer's.
type caller struct {
	id       tokens.Identity
	partner  tenants.Partner
	customer *tenants.Customer
	api      *platform.Client
}

// callerOf resolves the request's identity into the partner, its platform
// client and the customer, if any.
func (a *API) callerOf(ctx context.Context) (caller, error) {
	id, ok := tokens.IdentityFrom(ctx)
	if !ok {
		return caller{}, refuse(http.StatusUnauthorized, "api.unauthenticated")
	}
	p, _ := tenants.PartnerFrom(ctx)
	tok, err := a.cfg.Tenants.PlatformToken(ctx, p.ID)
	if err != nil {
		return caller{}, err
	}
	c := caller{id: id, partner: p, api: a.cfg.Platform.WithToken(tok)}
	if id.CustomerID != "" {
		cust, ok := tenants.CustomerFrom(ctx) // resolved by the server's authorization
		if !ok || cust.ID != id.CustomerID {
			if cust, err = a.cfg.Tenants.Customer(ctx, p.ID, id.CustomerID); err != nil {
				return caller{}, err
			}
		}
		c.customer = &cust
	}
	return c, nil
}

// organisation returns the customer that owns org, if the caller may reach
// it: a customer reaches its own organisation, a partner any of its
// customers'. Anything else looks like a missing organisation (404).
func (a *API) organisation(ctx context.Context, c caller, org string) (tenants.Customer, error) {
	if c.customer != nil {
		if c.customer.OrganisationID != org {
			return tenants.Customer{}, refuse(http.StatusNotFound, "api.not_found")
		}
		return *c.customer, nil
	}
	if cust, ok := tenants.CustomerFrom(ctx); ok && cust.OrganisationID == org {
		return cust, nil // resolved by the server's authorization
	}
	cust, err := a.cfg.Tenants.CustomerByOrganisation(ctx, c.partner.ID, org)
	if errors.Is(err, tenants.ErrNotFound) {
		return tenants.Customer{}, refuse(http.StatusNotFound, "api.not_found")
	}
	return cust, err
}

// customers lists the customers the caller reaches.
func (a *API) customers(ctx context.Context, c caller) ([]tenants.Customer, error) {
	if c.customer != nil {
		return []tenants.Customer{*c.customer}, nil
	}
	return a.cfg.Tenants.Customers(ctx, c.partner.ID)
}

// zones returns the zones a customer may use, by the one zone policy,
// narrowed further by the token's own zone restriction.
func (a *API) zones(ctx context.Context, c caller, cust tenants.Customer) ([]string, error) {
	cat, err := a.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	allowed := tenants.AllowedZones(cat.ZoneNames(), c.partner.AllowedZones, cust.AllowedZones)
	if z := c.id.Restriction.Zones; z != nil {
		allowed = slices.DeleteFunc(allowed, func(s string) bool { return !slices.Contains(z, s) })
	}
	return allowed, nil
}

// raw answers a platform answer as the partner's own product: its
// applications on the partner's hosts, its products in the portal's words
// (whitelabel.Face.JSON).
func raw(c echo.Context, status int, body json.RawMessage) error {
	if body == nil {
		return c.NoContent(status)
	}
	return c.Blob(status, echo.MIMEApplicationJSONCharsetUTF8, whitelabel.From(c.Request().Context()).JSON(body))
}

// answer encodes v and answers it as raw does.
func answer(c echo.Context, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return raw(c, status, body)
}

// audit records a proxied write or a token event; a failure to record is logged, not
// answered, since the write already happened.
func (a *API) audit(c echo.Context, cl caller, action, target string, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, tokens.ErrWiden), errors.Is(err, tokens.ErrDenied):
		outcome = "denied"
	case err != nil:
		outcome = "error"
	}
	ev := audit.Event{PartnerID: cl.partner.ID, ActorKind: "token", ActorID: cl.id.Record.RevocationID, ActorLabel: cl.id.Record.Label,
		Action: action, Target: target, Outcome: outcome, RevocationIDs: cl.id.RevocationIDs,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
	if rerr := a.cfg.Audit.Record(c.Request().Context(), ev); rerr != nil {
		a.cfg.Logger.Error("audit", slog.String("error", rerr.Error()))
	}
}
