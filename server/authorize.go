package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/api"
	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web"
)

// Every action, from a page or from the API, passes through authorize: the
// one place where a request's token meets the authorizer. Its ambient facts
// come from the request: the tenant (Host header), the operation (the
// route's), the organisation (the customer in scope), the application (the
// route's :app), the zone (the form's or the JSON body's), the console
// session, and the time.

// zoneSource says where an action names its zone.
type zoneSource struct {
	form, json string // field names; "" when the action names no zone
}

var (
	noZone        = zoneSource{}
	formZone      = zoneSource{form: "zone"}
	appJSONZone   = zoneSource{json: "zone"}
	addonJSONZone = zoneSource{json: "region"}
)

// zoneOf reads the zone an action names. A JSON body is read and put back
// for the handler.
func zoneOf(c echo.Context, src zoneSource) (string, error) {
	switch {
	case src.form != "":
		return c.FormValue(src.form), nil
	case src.json != "":
		req := c.Request()
		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, 1<<20))
		if err != nil {
			return "", web.NewUserError(http.StatusRequestEntityTooLarge, "error.too_large")
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return "", errMalformed
		}
		var zone string
		_ = json.Unmarshal(obj[src.json], &zone)
		return zone, nil
	}
	return "", nil
}

// errMalformed is a JSON body that is not an object: answered 400, once
// the token proved who the caller is.
var errMalformed = web.NewUserError(http.StatusBadRequest, "api.bad_json")

// checkZone applies the one zone policy to the customer in scope, so that a
// zone outside it is refused with a clear message before anything else.
func (s *server) checkZone(c echo.Context, p tenants.Partner, cust tenants.Customer, zone string) error {
	cat, err := s.cfg.Catalogue.Snapshot(c.Request().Context())
	if err != nil {
		return err
	}
	if !slices.Contains(cat.ZoneNames(), zone) {
		if zone == "" {
			return i18nStatus(http.StatusBadRequest, "error.zone_missing")
		}
		return i18nStatus(http.StatusBadRequest, "error.zone_unknown", "Zone", zone)
	}
	if !tenants.ZoneAllowed(zone, cat.ZoneNames(), p.AllowedZones, cust.AllowedZones) {
		return i18nStatus(http.StatusForbidden, "error.zone_not_allowed", "Zone", zone)
	}
	return nil
}

// errSuspended refuses a suspended customer's session or token.
var errSuspended = errors.New("server: the customer is suspended")

// authorize checks op with token and the request's facts, and puts the
// caller's identity, and the customer in scope (cust), in the request
// context.
//
// An action that names a zone is checked in three steps, so that a caller
// learns why a zone is refused only once its token has proved who it is:
// the action without its zone; then the one zone policy for the customer in
// scope (cust); then the action with its zone, which the token's own zone
// restriction may still refuse.
func (s *server) authorize(c echo.Context, token, op string, req tokens.Request, src zoneSource, cust *tenants.Customer) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	req.Tenant, req.Operation = p.ID, op
	if cust != nil && cust.Suspended {
		return errSuspended
	}
	zone, zerr := zoneOf(c, src)
	if zerr != nil && !errors.Is(zerr, errMalformed) {
		return zerr
	}
	id, err := s.cfg.Tokens.Authorize(ctx, token, req)
	if err != nil {
		return err
	}
	if err := s.holderMay(c, id, op); err != nil {
		return err
	}
	if zerr != nil {
		return zerr
	}
	if src != noZone {
		if cust != nil {
			if err := s.checkZone(c, p, *cust, zone); err != nil {
				return err
			}
		}
		req.Zone = zone
		id, err = s.cfg.Tokens.Authorize(ctx, token, req)
		if errors.Is(err, tokens.ErrDenied) {
			return i18nStatus(http.StatusForbidden, "error.zone_not_allowed", "Zone", zone)
		}
		if err != nil {
			return err
		}
	}
	ctx = tokens.WithIdentity(ctx, id)
	if cust != nil {
		// Handlers act on the customer resolved here, without looking it
		// up again.
		ctx = tenants.WithCustomer(ctx, *cust)
	}
	c.SetRequest(c.Request().WithContext(ctx))
	return nil
}

// holderMay refuses a token held by a user whose role no longer allows
// op (a developer made a viewer keeps the tokens they minted, with a
// viewer's rights), or by a user who is gone.
func (s *server) holderMay(c echo.Context, id tokens.Identity, op string) error {
	if id.UserID == "" {
		return nil
	}
	// A console session's holder is the signed-in user, loaded already.
	if u, ok := tenants.UserFrom(c.Request().Context()); ok && u.ID == id.UserID && u.PartnerID == id.PartnerID {
		return holderAllows(u, op)
	}
	u, err := s.cfg.Tenants.User(c.Request().Context(), id.PartnerID, id.UserID)
	if errors.Is(err, tenants.ErrNotFound) {
		return tokens.ErrRevoked
	}
	if err != nil {
		return err
	}
	return holderAllows(u, op)
}

// holderAllows refuses op to a user whose role does not allow it.
func holderAllows(u tenants.User, op string) error {
	if !slices.Contains(web.OpsOf(u), op) {
		return tokens.ErrDenied
	}
	return nil
}

// auditRefusal records a refused write in the partner's audit log; reads
// refused are answered, not recorded.
func (s *server) auditRefusal(c echo.Context, op string, err error) {
	req := c.Request()
	if req.Method == http.MethodGet || err == nil {
		return
	}
	p, _ := tenants.PartnerFrom(req.Context())
	ev := audit.Event{PartnerID: p.ID, ActorKind: audit.ActorToken, Action: "authz.denied", Outcome: audit.OutcomeDenied,
		Detail: op + " " + req.Method + " " + req.URL.Path, RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
	if u, ok := tenants.UserFrom(req.Context()); ok {
		ev.ActorKind, ev.ActorID, ev.ActorLabel = audit.ActorUser, u.ID, u.Email
	}
	if rerr := s.cfg.Audit.Record(req.Context(), ev); rerr != nil {
		s.cfg.Logger.Error("audit", "error", rerr.Error())
	}
}

// consoleCan authorizes a page action with the Biscuit of the signed-in
// session. A revoked or unusable session token signs the user out.
func (s *server) consoleCan(op string, zone zoneSource) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			p, _ := tenants.PartnerFrom(ctx)
			u, _ := tenants.UserFrom(ctx)
			sess, _ := c.Get(web.SessionKey).(tenants.Session)
			req := tokens.Request{Session: sess.ID, Application: c.Param("app")}
			var cust *tenants.Customer
			if u.CustomerID != "" {
				cu, err := s.cfg.Tenants.Customer(ctx, p.ID, u.CustomerID)
				if err != nil {
					return err
				}
				req.Organisation, cust = cu.OrganisationID, &cu
			}
			err := s.authorize(c, sess.Biscuit, op, req, zone, cust)
			s.auditRefusal(c, op, err)
			switch {
			case errors.Is(err, tokens.ErrRevoked), errors.Is(err, tokens.ErrInvalidToken):
				web.ClearSessionCookie(c)
				if c.Request().Method == http.MethodGet {
					return c.Redirect(http.StatusSeeOther, "/login")
				}
				return i18nStatus(http.StatusUnauthorized, "error.signin_required")
			case errors.Is(err, errSuspended):
				web.ClearSessionCookie(c)
				return i18nStatus(http.StatusForbidden, tenants.MsgCustomerSuspended)
			case errors.Is(err, tokens.ErrDenied):
				return i18nStatus(http.StatusForbidden, "error.not_allowed")
			case err != nil:
				return err
			}
			return next(c)
		}
	}
}

// apiCan authorizes an API call with the request's token. The organisation
// in scope is the path's, which must be one of the partner's customers (an
// unknown one looks missing); its zone policy applies before the token's.
func (s *server) apiCan(op string, zone zoneSource) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			p, _ := tenants.PartnerFrom(ctx)
			token := platform.CredentialFrom(c.Request().Header.Get("Authorization"))
			if token == "" {
				return i18nStatus(http.StatusUnauthorized, "api.unauthenticated")
			}
			req := tokens.Request{Application: c.Param("app")}
			// An organisation that is not one of the partner's customers
			// looks missing, but only to a caller whose token is good.
			src := zone
			var cust *tenants.Customer
			missing := false
			if org := c.Param("org"); org != "" {
				req.Organisation = org
				cu, err := s.cfg.Tenants.CustomerByOrganisation(ctx, p.ID, org)
				switch {
				case errors.Is(err, tenants.ErrNotFound):
					missing, src = true, noZone
				case err != nil:
					return err
				default:
					cust = &cu
				}
			} else if id, err := s.cfg.Tokens.Identify(ctx, token); err == nil && id.CustomerID != "" && id.PartnerID == p.ID {
				// A request that names no organisation ("my organisations")
				// is about the customer's own, as the store knows the token.
				cu, err := s.cfg.Tenants.Customer(ctx, p.ID, id.CustomerID)
				if err != nil {
					return err
				}
				req.Organisation, cust = cu.OrganisationID, &cu
			}
			err := s.authorize(c, token, op, req, src, cust)
			s.auditRefusal(c, op, err)
			if missing && (err == nil || errors.Is(err, tokens.ErrDenied)) ||
				errors.Is(err, tokens.ErrDenied) && cust != nil && !s.tokenReaches(ctx, token, cust.OrganisationID) {
				// An organisation the token does not reach looks missing.
				return i18nStatus(http.StatusNotFound, "api.not_found")
			}
			switch {
			case errors.Is(err, tokens.ErrRevoked), errors.Is(err, tokens.ErrInvalidToken):
				return i18nStatus(http.StatusUnauthorized, "api.unauthenticated")
			case errors.Is(err, errSuspended):
				return i18nStatus(http.StatusForbidden, "api.customer_suspended")
			case errors.Is(err, tokens.ErrDenied):
				return i18nStatus(http.StatusForbidden, "api.denied")
			case err != nil:
				return err
			}
			c.Set(api.RawTokenKey, token)
			return next(c)
		}
	}
}

// tokenReaches reports whether token's restriction lets it reach the
// organisation org (a partner's token reaches every one of its customers').
func (s *server) tokenReaches(ctx context.Context, token, org string) bool {
	id, err := s.cfg.Tokens.Identify(ctx, token)
	return err == nil && (id.Restriction.Organisation == "" || id.Restriction.Organisation == org)
}
