package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/api"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
)

// The git remote of an application on the partner's host:
// https://<partner host>/git/<app id>.git, git's smart HTTP below it.
const (
	gitAdvertiseRoute = "/git/:repo/info/refs"
	gitServiceRoute   = "/git/:repo/:service"
)

// registerGit serves the applications' git remotes on partners' hosts.
func (s *server) registerGit(e *echo.Echo, a *api.API) {
	g := e.Group("", s.resolveTenant, s.localize)
	g.GET(gitAdvertiseRoute, a.Git, s.gitCan)
	g.POST(gitServiceRoute, a.Git, s.gitCan)
}

// gitCan authenticates a git client and authorizes what it asks: a fetch
// needs app:read, a push app:deploy, on the application of the path in the
// organisation of the token's customer. The token comes over HTTP basic,
// in the user name (as the official CLI puts it) or in the password. A
// request without a good token is challenged, so that git sends the
// credentials of its remote's URL.
func (s *server) gitCan(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		p, _ := tenants.PartnerFrom(ctx)
		app, ok := strings.CutSuffix(c.Param("repo"), ".git")
		service := c.Param("service")
		if c.Path() == gitAdvertiseRoute {
			service = c.QueryParam("service")
		}
		if !ok || !strings.HasPrefix(app, "app_") || service != platform.GitUploadPack && service != platform.GitReceivePack {
			return i18nStatus(http.StatusNotFound, "api.not_found")
		}
		challenge := func() error {
			c.Response().Header().Set("WWW-Authenticate", `Basic realm="`+strings.ReplaceAll(p.Brand.Name, `"`, "")+`", charset="UTF-8"`)
			return i18nStatus(http.StatusUnauthorized, "api.unauthenticated")
		}
		user, pass, _ := c.Request().BasicAuth()
		var token string
		var id tokens.Identity
		for _, t := range []string{user, pass} {
			if t == "" {
				continue
			}
			if got, err := s.cfg.Tokens.Identify(ctx, t); err == nil && got.PartnerID == p.ID {
				token, id = t, got
				break
			}
		}
		if token == "" {
			return challenge()
		}
		if id.CustomerID == "" {
			// A partner's token names no one organisation to look in.
			return i18nStatus(http.StatusNotFound, "api.not_found")
		}
		cust, err := s.cfg.Tenants.Customer(ctx, p.ID, id.CustomerID)
		if err != nil {
			return err
		}
		op := tokens.OpAppRead
		if service == platform.GitReceivePack {
			op = tokens.OpAppDeploy
		}
		err = s.authorize(c, token, op, tokens.Request{Organisation: cust.OrganisationID, Application: app}, noZone, &cust)
		s.auditRefusal(c, op, err)
		switch {
		case errors.Is(err, tokens.ErrRevoked), errors.Is(err, tokens.ErrInvalidToken):
			return challenge()
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
