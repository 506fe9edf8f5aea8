// Package server assembles the portal's HTTP server: routes, middleware
// (request logs, security headers, tenant resolution, sessions, language,
// CSRF) and the one error handler that turns typed errors into pages.
package server

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/grisaille/grisaille/api"
	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/email"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/sso"
	"github.com/grisaille/grisaille/static"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
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
	// Tokens issues and checks the Biscuit tokens every action is authorized with.
	Tokens *tokens.Service
	// Keys is the root key pair whose public half is published.
	Keys *tokens.Keyring
	// Audit records security-relevant events.
	Audit *audit.Log
	// Prices, Grids and PriceList are the pricing engine, the partners' grids
	// and the platform's list prices.
	Prices    *pricing.Engine
	Grids     *pricing.Store
	PriceList *pricing.Catalogue
	// Invoicing invoices customers through their partner's Stripe account.
	Invoicing *invoicing.Service
	// Bundle holds the translations.
	Bundle *i18n.Bundle
	// Logger receives the request logs.
	Logger *slog.Logger
	// PlatformName is shown in the "powered by" line partners may turn off.
	PlatformName string
	// AppEdgeHost is the platform's host that partners' application
	// domains are a wildcard CNAME of, shown on their domains page.
	AppEdgeHost string
	// Outbox sends the portal's e-mail; nil keeps none.
	Outbox *email.Outbox
	// SSO signs users in through the partners' OpenID Connect providers;
	// nil offers no single sign-on.
	SSO *sso.Client
	// PlatformDomains are the DNS suffixes of the platform's own hosts,
	// which customers are never shown (whitelabel.Platform).
	PlatformDomains []string
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	// WidgetCacheTTL is how long an encoded public widget catalogue is
	// reused: 0 for the default (10 s), negative for never.
	WidgetCacheTTL time.Duration
	// RequestTimeout bounds every page and API call but the log stream
	// (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// TrustedProxies are the networks whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; nobody's when empty.
	TrustedProxies []netip.Prefix
	// Metrics, when set, records every request.
	Metrics *Metrics
	// Domains checks the partners' own domains, which must be a CNAME of
	// its EdgeHost (each partner's first hostname when empty).
	Domains *tenants.DomainChecker
}

// brandFormLimit bounds the brand form: a logo far over its own limit is
// still read through (to disk past 1 MiB) so that the page can refuse it and
// keep what the partner typed.
const brandFormLimit = "32M"

// spoolUploads parses a multipart form before anything reads a field of it
// (the CSRF check does), keeping at most 1 MiB in memory: larger files go to
// temporary files, removed after the request.
func spoolUploads(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
			// A body over the route's limit is refused here (413); a
			// malformed one is the handler's to refuse.
			var he *echo.HTTPError
			if err := req.ParseMultipartForm(1 << 20); errors.As(err, &he) {
				return he
			}
		}
		return next(c)
	}
}

// New returns the portal's HTTP handler.
func New(cfg Config) *echo.Echo {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Server.ReadHeaderTimeout = 10 * time.Second
	h := web.New(web.Config{
		Tenants:        cfg.Tenants,
		Platform:       cfg.Platform,
		Catalogue:      cfg.Catalogue,
		Bundle:         cfg.Bundle,
		Logger:         cfg.Logger,
		PlatformName:   cfg.PlatformName,
		SessionTTL:     cfg.SessionTTL,
		Tokens:         cfg.Tokens,
		Audit:          cfg.Audit,
		Prices:         cfg.Prices,
		Domains:        cfg.Domains,
		Grids:          cfg.Grids,
		PriceList:      cfg.PriceList,
		Invoicing:      cfg.Invoicing,
		WidgetCacheTTL: cfg.WidgetCacheTTL,
		Outbox:         cfg.Outbox,
		SSO:            cfg.SSO,
		AppEdgeHost:    cfg.AppEdgeHost,
	})
	a := api.New(api.Config{Tenants: cfg.Tenants, Tokens: cfg.Tokens, Platform: cfg.Platform,
		Catalogue: cfg.Catalogue, Audit: cfg.Audit, Prices: cfg.Prices, Logger: cfg.Logger})
	s := &server{cfg: cfg, web: h}
	if cfg.Metrics != nil {
		s.registerMetrics(h)
	}
	e.HTTPErrorHandler = s.handleError

	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.Pre(s.dropUntrustedForwarding)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{}))
	e.Use(s.logRequests)
	e.Use(s.recoverPanics)
	e.Use(s.deadline)
	e.Use(compress())
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "2M", Skipper: func(c echo.Context) bool {
		// The brand form reads an oversized logo through to refuse it with
		// the rest of the form kept; it has its own, larger limit.
		return c.Request().Method == http.MethodPost && c.Request().URL.Path == "/admin/brand" || gitRoutes[c.Path()]
	}}))
	e.Use(spoolUploads)
	e.Use(s.securityHeaders)

	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/.well-known/biscuit-public-key", s.publicKey)
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", static.Handler())))

	// The widgets partners embed on their own sites: served from the
	// partner's host, to any origin, with no session, cookie or CSRF.
	wg := e.Group("/widgets", s.resolveTenant)
	getOnly := func(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		wg.GET(path, h, m...)
		wg.Match([]string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, path, func(c echo.Context) error {
			c.Response().Header().Set("Allow", http.MethodGet)
			return echo.ErrMethodNotAllowed
		})
	}
	getOnly("/v1.js", h.WidgetScript)
	getOnly("/v1/widgets.css", h.WidgetStylesheet)
	getOnly("/v1/theme.css", h.WidgetTheme)
	getOnly("/v1/catalogue", h.WidgetCatalogue)

	t := e.Group("", s.resolveTenant, s.loadSession, s.localize, s.csrf())
	t.GET("/", h.Home)
	t.GET("/theme.css", h.ThemeCSS)
	for _, k := range tenants.FileKinds() {
		t.GET(web.FilePath(k, false), h.BrandFile(k))
	}
	t.GET("/login", h.ShowLogin)
	t.POST("/login", h.Login)
	t.GET("/login/two-factor", h.ShowChallenge)
	t.POST("/login/two-factor", h.PassChallenge)
	t.POST("/login/two-factor/enrol", h.EnrolChallenge)
	t.GET(web.SSOCallbackPath, h.SSOCallback)
	t.GET("/login/sso/:provider", h.StartSSO)
	t.GET("/password/forgot", h.ShowForgot)
	t.POST("/password/forgot", h.Forgot)
	t.GET("/invite", h.ShowAccept)
	t.POST("/invite", h.Accept)
	t.GET("/password/reset", h.ShowReset)
	t.POST("/password/reset", h.Reset)
	t.POST("/logout", h.Logout)
	acct := t.Group("/account", s.requireSignedIn)
	acct.GET("", h.Account)
	acct.POST("/password", h.ChangePassword)
	acct.POST("/sessions/end", h.EndSessions)
	acct.GET("/two-factor", h.ShowEnrolTwoFactor)
	acct.POST("/two-factor", h.EnrolTwoFactor)
	acct.POST("/two-factor/disable", h.DisableTwoFactor)
	acct.POST("/two-factor/codes", h.NewRecoveryCodes)
	t.POST("/language", h.SetLanguage)

	con := t.Group("/console", s.requireRole(tenants.RoleCustomer))
	read, write, deploy := s.consoleCan(tokens.OpAppRead, noZone), s.consoleCan(tokens.OpAppWrite, noZone), s.consoleCan(tokens.OpAppDeploy, noZone)
	con.GET("", h.Dashboard, read)
	con.GET("/apps/new", h.NewApp, read)
	con.POST("/apps", h.CreateApp, s.consoleCan(tokens.OpAppWrite, formZone))
	con.GET("/apps/:app", h.ShowApp, read)
	con.POST("/apps/:app/start", h.StartApp, deploy)
	con.POST("/apps/:app/restart", h.RestartApp, deploy)
	con.POST("/apps/:app/stop", h.StopApp, deploy)
	con.GET("/apps/:app/delete", h.ConfirmDeleteApp, read)
	con.POST("/apps/:app/delete", h.DeleteApp, write)
	con.GET("/apps/:app/scaling", h.AppScaling, read)
	con.POST("/apps/:app/scaling", h.SaveScaling, write)
	con.GET("/apps/:app/domains", h.AppDomains, read)
	con.POST("/apps/:app/domains", h.AddAppDomain, write)
	con.POST("/apps/:app/domains/remove", h.RemoveAppDomain, write)
	con.POST("/apps/:app/domains/primary", h.SetPrimaryAppDomain, write)
	con.POST("/apps/:app/env", h.SetEnv, write)
	con.POST("/apps/:app/env/delete", h.DeleteEnv, write)
	addonRead, addonWrite := s.consoleCan(tokens.OpAddonRead, noZone), s.consoleCan(tokens.OpAddonWrite, noZone)
	con.GET("/addons/new", h.NewAddon, addonRead)
	con.POST("/addons", h.CreateAddon, s.consoleCan(tokens.OpAddonWrite, formZone))
	con.GET("/addons/:addon/delete", h.ConfirmDeleteAddon, addonRead)
	con.POST("/addons/:addon/delete", h.DeleteAddon, addonWrite)
	con.GET("/pricing", h.Pricing, s.consoleCan(tokens.OpOrgRead, noZone))
	con.GET("/widgets/catalogue", h.ConsoleWidgetCatalogue, s.consoleCan(tokens.OpOrgRead, noZone))
	con.GET("/invoices", h.ConsoleInvoices, s.consoleCan(tokens.OpBillingRead, noZone))
	con.GET("/invoices/:invoice", h.ConsoleInvoice, s.consoleCan(tokens.OpBillingRead, noZone))
	con.GET("/usage", h.ConsoleUsage, s.consoleCan(tokens.OpBillingRead, noZone))
	con.GET("/usage.csv", h.ConsoleUsageCSV, s.consoleCan(tokens.OpBillingRead, noZone))
	memberWrite := s.consoleCan(tokens.OpMemberWrite, noZone)
	con.GET("/members", h.Members, memberWrite)
	con.POST("/members/role", h.SetConsoleMemberRole, memberWrite)
	con.POST("/members/invite", h.ConsoleInvite, memberWrite)
	con.POST("/members/remove", h.RemoveConsoleMember, memberWrite)
	con.POST("/members/invitations/resend", h.ConsoleResendInvitation, memberWrite)
	con.POST("/members/invitations/revoke", h.ConsoleRevokeInvitation, memberWrite)
	tokRead, tokWrite := s.consoleCan(tokens.OpTokenRead, noZone), s.consoleCan(tokens.OpTokenWrite, noZone)
	con.GET("/tokens", h.ConsoleTokens, tokRead)
	con.POST("/tokens", h.CreateConsoleToken, tokWrite)
	con.POST("/tokens/revoke", h.RevokeConsoleToken, tokWrite)
	con.GET("/tokens/inspect", h.InspectToken, tokRead)
	con.POST("/tokens/inspect", h.InspectToken, tokRead)

	adm := t.Group("/admin", s.requireRole(tenants.RolePartnerAdmin))
	admRead, admWrite := s.consoleCan(tokens.OpAdminRead, noZone), s.consoleCan(tokens.OpAdminWrite, noZone)
	adm.GET("", h.AdminHome, admRead)
	adm.POST("/brand", h.SaveBrand, middleware.BodyLimit(brandFormLimit), admWrite)
	adm.POST("/brand/publish", h.PublishBrandDraft, admWrite)
	adm.POST("/brand/discard", h.DiscardBrandDraft, admWrite)
	adm.POST("/brand/rollback", h.RollbackBrand, admWrite)
	adm.GET("/brand/preview/:page", h.PreviewBrand, admRead)
	adm.GET("/brand/draft.css", h.DraftCSS, admRead)
	for _, k := range tenants.FileKinds() {
		adm.GET(strings.TrimPrefix(web.FilePath(k, true), "/admin"), h.DraftFile(k), admRead)
	}
	adm.GET("/brand/words", h.Words, admRead)
	adm.POST("/brand/words", h.SaveWords, admWrite)
	adm.POST("/zones", h.SavePartnerZones, admWrite)
	adm.POST("/stripe", h.SaveStripeKey, admWrite)
	adm.POST("/stripe/webhook", h.SaveStripeWebhookSecret, admWrite)
	custRead := s.consoleCan(tokens.OpCustomerRead, noZone)
	adm.GET("/customers", h.AdminCustomers, custRead)
	adm.GET("/customers/new", h.NewCustomer, admRead)
	adm.POST("/customers", h.CreateCustomer, admWrite)
	adm.GET("/customers/:customer", h.ShowCustomer, custRead)
	adm.POST("/customers/:customer/zones", h.SaveCustomerZones, admWrite)
	adm.POST("/customers/:customer/role", h.SetAdminMemberRole, admWrite)
	adm.POST("/customers/:customer/rename", h.RenameCustomer, admWrite)
	adm.POST("/customers/:customer/suspend", h.SuspendCustomer, admWrite)
	adm.POST("/customers/:customer/delete", h.DeleteCustomer, admWrite)
	adm.POST("/customers/:customer/invite", h.AdminInviteMember, admWrite)
	adm.POST("/customers/:customer/remove", h.RemoveAdminMember, admWrite)
	adm.POST("/customers/:customer/invitations/resend", h.AdminResendMemberInvitation, admWrite)
	adm.POST("/customers/:customer/invitations/revoke", h.AdminRevokeMemberInvitation, admWrite)
	adm.GET("/people", h.People, admRead)
	adm.POST("/people/invite", h.AdminInvite, admWrite)
	adm.POST("/people/invitations/resend", h.AdminResendInvitation, admWrite)
	adm.POST("/people/invitations/revoke", h.AdminRevokeInvitation, admWrite)
	adm.GET("/tokens", h.AdminTokens, admRead)
	adm.POST("/tokens/partner", h.MintPartnerToken, admWrite)
	adm.POST("/tokens/customer", h.IssueCustomerToken, admWrite)
	adm.POST("/tokens/revoke", h.RevokeAdminToken, admWrite)
	adm.GET("/tokens/inspect", h.InspectToken, admRead)
	adm.POST("/tokens/inspect", h.InspectToken, admRead)
	adm.GET("/audit", h.AuditLog, admRead)
	adm.GET("/security", h.Security, admRead)
	adm.POST("/security/two-factor", h.SaveTwoFactorPolicy, admWrite)
	adm.POST("/security/sso", h.AddSSOProvider, admWrite)
	adm.POST("/security/sso/remove", h.RemoveSSOProvider, admWrite)
	adm.GET("/widgets", h.AdminWidgets, admRead)
	adm.GET("/domains", h.Domains, admRead)
	adm.POST("/domains", h.AddDomain, admWrite)
	adm.POST("/domains/primary", h.SetPrimaryHost, admWrite)
	adm.POST("/domains/apps", h.SetAppDomain, admWrite)
	adm.POST("/domains/:domain/check", h.CheckDomain, admWrite)
	adm.POST("/domains/:domain/remove", h.RemoveDomain, admWrite)
	adm.GET("/invoices", h.AdminInvoices, custRead)
	adm.GET("/usage", h.AdminUsage, custRead)
	adm.POST("/invoices/run", h.RunInvoicing, admWrite)
	adm.POST("/invoices/resume", h.ResumeInvoicing, admWrite)
	adm.GET("/grids", h.Grids, admRead)
	adm.GET("/grids/new", h.NewGrid, admRead)
	adm.POST("/grids", h.CreateGrid, admWrite)
	adm.POST("/grids/import", h.ImportGrid, admWrite)
	adm.GET("/grids/:grid", h.ShowGrid, admRead)
	adm.POST("/grids/:grid", h.SaveGrid, admWrite)
	adm.POST("/grids/:grid/restore", h.RestoreGrid, admWrite)
	adm.POST("/grids/:grid/delete", h.DeleteGrid, admWrite)
	adm.GET("/grids/:grid/export", h.ExportGrid, admRead)

	s.registerAPI(e, a)
	s.registerGit(e, a)
	e.POST("/webhooks/stripe/:partner", s.stripeWebhook, s.resolveTenant)

	e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	return e
}

// publicKey publishes the root public key tokens are verified with, and
// the other keys still trusted during a rotation.
func (s *server) publicKey(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, map[string]any{
		"algorithm":    "ed25519",
		"public_key":   s.cfg.Keys.PublicKeyHex(),
		"trusted_keys": s.cfg.Keys.TrustedPublicKeysHex(),
	})
}

// server holds what the middleware needs.
type server struct {
	cfg Config
	web *web.Handler
}
