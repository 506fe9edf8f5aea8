// Package server assembles the portal's HTTP server: routes, middleware
// (request logs, security headers, tenant resolution, sessions, language,
// CSRF) and the one error handler that turns typed errors into pages.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/static"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web"
	"github.com/grisaille/grisaille/web/i18n"
)

// Config is what the server is built from.
type Config struct {
	// Tenants is the store of partners, customers, users and sessions.
	Tenants *tenants.Store
	// Platform is the platform client without credentials; each request uses
	// the partner's own token.
	Platform *platform.Client
	// Catalogue caches the platform's public catalogue.
	Catalogue *platform.Catalogue
	// Bundle holds the translations.
	Bundle *i18n.Bundle
	// Logger receives the request logs.
	Logger *slog.Logger
	// PlatformName is shown in the "powered by" line partners may turn off.
	PlatformName string
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
}

// New returns the portal's HTTP handler.
func New(cfg Config) *echo.Echo {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Server.ReadHeaderTimeout = 10 * time.Second
	h := web.New(web.Config{
		Tenants:      cfg.Tenants,
		Platform:     cfg.Platform,
		Catalogue:    cfg.Catalogue,
		Bundle:       cfg.Bundle,
		Logger:       cfg.Logger,
		PlatformName: cfg.PlatformName,
		SessionTTL:   cfg.SessionTTL,
	})
	s := &server{cfg: cfg, web: h}
	e.HTTPErrorHandler = s.handleError

	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{}))
	e.Use(s.logRequests)
	e.Use(s.recoverPanics)
	e.Use(middleware.BodyLimit("2M"))
	e.Use(s.securityHeaders)

	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", static.Handler())))

	t := e.Group("", s.resolveTenant, s.loadSession, s.localize, s.csrf())
	t.GET("/", h.Home)
	t.GET("/theme.css", h.ThemeCSS)
	t.GET("/brand/logo", h.Logo)
	t.GET("/login", h.ShowLogin)
	t.POST("/login", h.Login)
	t.POST("/logout", h.Logout)
	t.POST("/language", h.SetLanguage)

	con := t.Group("/console", s.requireRole(tenants.RoleCustomer))
	con.GET("", h.Dashboard)
	con.GET("/apps/new", h.NewApp)
	con.POST("/apps", h.CreateApp)
	con.GET("/apps/:app", h.ShowApp)
	con.POST("/apps/:app/start", h.StartApp)
	con.POST("/apps/:app/restart", h.RestartApp)
	con.POST("/apps/:app/stop", h.StopApp)
	con.GET("/apps/:app/delete", h.ConfirmDeleteApp)
	con.POST("/apps/:app/delete", h.DeleteApp)
	con.POST("/apps/:app/env", h.SetEnv)
	con.POST("/apps/:app/env/delete", h.DeleteEnv)
	con.GET("/addons/new", h.NewAddon)
	con.POST("/addons", h.CreateAddon)
	con.GET("/addons/:addon/delete", h.ConfirmDeleteAddon)
	con.POST("/addons/:addon/delete", h.DeleteAddon)

	adm := t.Group("/admin", s.requireRole(tenants.RolePartnerAdmin))
	adm.GET("", h.AdminHome)
	adm.POST("/brand", h.SaveBrand)
	adm.POST("/zones", h.SavePartnerZones)
	adm.GET("/customers/new", h.NewCustomer)
	adm.POST("/customers", h.CreateCustomer)
	adm.GET("/customers/:customer", h.ShowCustomer)
	adm.POST("/customers/:customer/zones", h.SaveCustomerZones)

	e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	return e
}

// server holds what the middleware needs.
type server struct {
	cfg Config
	web *web.Handler
}
