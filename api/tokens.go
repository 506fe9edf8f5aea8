package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/tokens"
)

// RawTokenKey is the echo context key where the server's middleware leaves
// the request's token, for the token API to attenuate.
const RawTokenKey = "biscuit"

// AttenuateRequest is the body of POST /api/v1/tokens/attenuate. Every field
// narrows the caller's own token; none can widen it.
type AttenuateRequest struct {
	Label string `json:"label"`
	// CustomerID issues the new block to one of the partner's customers:
	// only a partner's token may name one, and the block then fixes that
	// customer's organisation and narrows to its zones.
	CustomerID  string    `json:"customer_id,omitempty"`
	Operations  []string  `json:"operations,omitempty"`
	Zones       []string  `json:"zones,omitempty"`
	Application string    `json:"application,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitempty"`
	TTLSeconds  int64     `json:"ttl_seconds,omitempty"`
}

// TokenAnswer is a token the API issued.
type TokenAnswer struct {
	Token        string     `json:"token"`
	RevocationID string     `json:"revocation_id"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
}

// Attenuate answers POST /api/v1/tokens/attenuate: the caller's token with
// one more block that narrows it.
func (a *API) Attenuate(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	var req AttenuateRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return refuse(http.StatusBadRequest, "api.bad_json")
	}
	r := tokens.Restriction{Operations: req.Operations, Zones: req.Zones, Application: req.Application, ExpiresAt: req.ExpiresAt}
	if req.TTLSeconds > 0 {
		r.ExpiresAt = time.Now().Add(time.Duration(req.TTLSeconds) * time.Second).UTC().Truncate(time.Second)
	}
	parent, _ := c.Get(RawTokenKey).(string)
	p := tokens.Principal{PartnerID: cl.id.PartnerID, CustomerID: cl.id.CustomerID, UserID: cl.id.UserID}
	if req.CustomerID != "" && req.CustomerID != cl.id.CustomerID {
		if cl.customer != nil {
			return refuse(http.StatusForbidden, "token.widen.principal")
		}
		cust, err := a.cfg.Tenants.Customer(ctx, cl.partner.ID, req.CustomerID)
		if err != nil {
			return refuse(http.StatusBadRequest, "token.error.customer")
		}
		zones, err := a.zones(ctx, cl, cust)
		if err != nil {
			return err
		}
		if r.Zones == nil {
			r.Zones = zones
		}
		for _, z := range r.Zones {
			if !slices.Contains(zones, z) {
				return refuse(http.StatusForbidden, "error.zone_not_allowed", "Zone", z)
			}
		}
		p.CustomerID, r.Organisation = cust.ID, cust.OrganisationID
	}
	tok, rec, err := a.cfg.Tokens.Attenuate(ctx, parent, cl.partner.ID, p, r, strings.TrimSpace(req.Label))
	a.audit(c, cl, "token.attenuate", rec.RevocationID, err)
	if err != nil {
		return err
	}
	ans := TokenAnswer{Token: tok, RevocationID: rec.RevocationID}
	if !rec.Restriction.ExpiresAt.IsZero() {
		ans.ExpiresAt = &rec.Restriction.ExpiresAt
	}
	return c.JSON(http.StatusCreated, ans)
}

// RevokeRequest is the body of POST /api/v1/tokens/revoke.
type RevokeRequest struct {
	RevocationID string `json:"revocation_id"`
}

// Revoke answers POST /api/v1/tokens/revoke. A customer revokes the tokens
// issued to it; a partner any of its own.
func (a *API) Revoke(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	var req RevokeRequest
	if err := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody)).Decode(&req); err != nil || req.RevocationID == "" {
		return refuse(http.StatusBadRequest, "api.bad_json")
	}
	recs, err := a.visibleRecords(c, cl)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(recs, func(r tokens.Record) bool { return r.RevocationID == req.RevocationID }) {
		return refuse(http.StatusNotFound, "api.not_found")
	}
	err = a.cfg.Tokens.Revoke(ctx, cl.partner.ID, req.RevocationID)
	a.audit(c, cl, "token.revoke", req.RevocationID, err)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"id": "token.revoked", "message": "revoked", "type": "success"})
}

// TokenRecord is one issued token block, as the API lists it.
type TokenRecord struct {
	RevocationID string     `json:"revocation_id"`
	ParentID     string     `json:"parent_id,omitempty"`
	Label        string     `json:"label"`
	CustomerID   string     `json:"customer_id,omitempty"`
	Operations   []string   `json:"operations,omitempty"`
	Zones        []string   `json:"zones,omitempty"`
	Application  string     `json:"application,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
}

// Tokens answers GET /api/v1/tokens: the token blocks issued to the caller
// (a customer), or all of the partner's (a partner).
func (a *API) Tokens(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	recs, err := a.visibleRecords(c, cl)
	if err != nil {
		return err
	}
	out := make([]TokenRecord, 0, len(recs))
	for _, r := range recs {
		tr := TokenRecord{RevocationID: r.RevocationID, ParentID: r.ParentID, Label: r.Label, CustomerID: r.CustomerID,
			Operations: r.Restriction.Operations, Zones: r.Restriction.Zones, Application: r.Restriction.Application,
			CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
		if !r.Restriction.ExpiresAt.IsZero() {
			exp := r.Restriction.ExpiresAt
			tr.ExpiresAt = &exp
		}
		out = append(out, tr)
	}
	return c.JSON(http.StatusOK, out)
}

// visibleRecords lists the blocks a caller may see and revoke.
func (a *API) visibleRecords(c echo.Context, cl caller) ([]tokens.Record, error) {
	ctx := c.Request().Context()
	if cl.customer != nil {
		return a.cfg.Tokens.RecordsOfCustomer(ctx, cl.partner.ID, cl.customer.ID)
	}
	return a.cfg.Tokens.Records(ctx, cl.partner.ID)
}
