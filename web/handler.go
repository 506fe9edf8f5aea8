// Package web holds the portal's pages: the partner admin (/admin), the
// customer console (/console) and sign-in, as echo handlers rendering templ
// components in the partner's brand and the reader's language.
//
// Handlers read the request's partner, user and language from its context
// (set by the server's middleware) and reach the platform only through
// package platform.
package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/email"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/sso"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web/i18n"
)

// Names shared with the server's middleware.
const (
	// SessionCookie carries the session token.
	SessionCookie = "session"
	// LanguageCookie carries the language a visitor chose before signing in.
	LanguageCookie = "lang"
	// CSRFField is the hidden form field that carries the CSRF token.
	CSRFField = "_csrf"
	// CSRFCookie carries the CSRF token the forms must send back.
	CSRFCookie = "csrf"
	// CSRFContextKey is where the CSRF middleware leaves the token.
	CSRFContextKey = "csrf"
	// SessionKey is the echo context key of the request's tenants.Session.
	SessionKey  = "session"
	flashCookie = "flash"
)

// Config is what the pages need.
type Config struct {
	Tenants      *tenants.Store
	Platform     *platform.Client
	Catalogue    *platform.Catalogue
	Bundle       *i18n.Bundle
	Logger       *slog.Logger
	PlatformName string
	SessionTTL   time.Duration
	Tokens       *tokens.Service
	Audit        *audit.Log
	// Prices prices everything a customer sees or pays (one engine).
	Prices *pricing.Engine
	// Grids stores the partners' price grids and their versions.
	Grids *pricing.Store
	// PriceList is the platform's list prices, imported from the platform.
	PriceList *pricing.Catalogue
	// Invoicing invoices customers through their partner's Stripe account.
	Invoicing *invoicing.Service
	// WidgetCacheTTL is how long an encoded public widget catalogue is
	// reused: 0 for the default (10 s), negative for never.
	WidgetCacheTTL time.Duration
	// Domains checks the partners' domains' records, to its EdgeHost (a
	// partner's first hostname when empty).
	Domains *tenants.DomainChecker
	// AppEdgeHost is the CNAME target of the partners' application domains.
	AppEdgeHost string
	// Outbox sends the portal's e-mail (password resets).
	Outbox *email.Outbox
	// SSO signs users in through the partners' OpenID Connect providers;
	// nil offers no single sign-on.
	SSO *sso.Client
}

// Handler serves every page. Build it with New.
type Handler struct {
	cfg Config
	// catalogues keeps the public widget catalogues for a few seconds.
	catalogues catalogueCache
	// pages keeps the page bodies many requests share.
	pages renderedPages
}

// New returns the page handlers.
func New(cfg Config) *Handler {
	if cfg.WidgetCacheTTL == 0 {
		cfg.WidgetCacheTTL = catalogueTTL
	}
	return &Handler{cfg: cfg}
}

// UserError is a refusal a user should read: an HTTP status and a message
// translated when it is rendered.
type UserError struct {
	Status int
	Msg    *i18n.Error
}

// NewUserError returns a UserError; kv are alternating template keys and values.
func NewUserError(status int, id string, kv ...any) *UserError {
	return &UserError{Status: status, Msg: i18n.NewError(id, kv...)}
}

// Error returns the message id, for logs.
func (e *UserError) Error() string { return e.Msg.ID }

// pageBuffers keeps the buffers pages are rendered into.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a templ component as an HTML page with the given status.
// The page is rendered whole first, then written at once: a failure to
// render still gets the error page, and the compression sees one write
// instead of a flush per component.
func render(c echo.Context, status int, comp templ.Component) error {
	b := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		b.Reset()
		pageBuffers.Put(b)
	}()
	if err := comp.Render(c.Request().Context(), b); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, b.Bytes())
}

// Chrome is what every page's frame shows: the partner's brand, the signed-in
// user, the language, the CSRF token and a one-time message.
type Chrome struct {
	Title        string
	BrandName    string
	Files        BrandFiles
	PoweredBy    bool
	PlatformName string
	User         *tenants.User
	CSRF         string
	Lang         string
	// Languages are the languages the partner offers: the switch lists
	// them, and is not shown for one.
	Languages []string
	Path      string
	Flash     Flash
	// Refresh reloads the page every so many seconds (0: never), for pages
	// that follow work in progress without JavaScript.
	Refresh int
	// Widgets loads the widgets' bundle, for pages whose components upgrade
	// into custom elements where JavaScript runs.
	Widgets bool
	// Preview is the page of the brand studio's preview shown ("login",
	// …): the frame shows the draft brand and the preview's bar.
	Preview string

	// SupportURL, TermsURL and PrivacyURL are the partner's footer links
	// (checked by themes.NormalizeLink), "" for none.
	SupportURL, TermsURL, PrivacyURL string
}

// Can reports whether the signed-in user's role allows op (the menu shows
// only what it allows; the authorizer decides).
func (ch Chrome) Can(op string) bool {
	return ch.User != nil && slices.Contains(opsOf(*ch.User), op)
}

// BrandFiles says which of the brand's files are stored (the draft's in
// the studio's preview) and which of the pages' surfaces are dark.
type BrandFiles struct {
	Logo, LogoDark, Icon, IconDark bool
	// DarkBar and DarkPage report that the top bar (drawn in the primary
	// colour) and the page (the background colour) are dark surfaces.
	DarkBar, DarkPage bool
}

// HasLogo reports whether there is a logo of either variant.
func (f BrandFiles) HasLogo() bool { return f.Logo || f.LogoDark }

// chromeFiles reads a brand's BrandFiles.
func chromeFiles(b themes.Brand) BrandFiles {
	return BrandFiles{Logo: b.HasLogo, LogoDark: b.HasLogoDark, Icon: b.HasIcon, IconDark: b.HasIconDark,
		DarkBar: themes.IsDark(b.PrimaryColor), DarkPage: themes.IsDark(b.BackgroundColor)}
}

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind string // "ok" or "error"
	Text string
}

// chrome builds the page frame for the current request.
func (h *Handler) chrome(c echo.Context, title string) Chrome {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	ch := Chrome{
		Title:        title,
		BrandName:    p.Brand.Name,
		Files:        chromeFiles(p.Brand),
		PoweredBy:    p.Brand.PoweredBy,
		PlatformName: h.cfg.PlatformName,
		SupportURL:   p.Brand.SupportURL,
		TermsURL:     p.Brand.TermsURL,
		PrivacyURL:   p.Brand.PrivacyURL,
		Lang:         i18n.Lang(ctx),
		Languages:    p.Brand.Offered,
		Path:         c.Request().URL.Path,
		Flash:        h.takeFlash(c),
	}
	if u, ok := tenants.UserFrom(ctx); ok {
		ch.User = &u
	}
	if tok, ok := c.Get(CSRFContextKey).(string); ok {
		ch.CSRF = tok
	}
	return ch
}

// setFlash leaves a translated one-time message for the next page.
func setFlash(c echo.Context, kind, id string) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: kind + ":" + id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https", MaxAge: 60})
}

// takeFlash reads and clears the one-time message. Only known "flash."
// message ids are shown, so a forged cookie can't put text on a page.
func (h *Handler) takeFlash(c echo.Context) Flash {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return Flash{}
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	kind, id, ok := strings.Cut(ck.Value, ":")
	if !ok || (kind != "ok" && kind != "error") || !strings.HasPrefix(id, "flash.") {
		return Flash{}
	}
	text := i18n.T(c.Request().Context(), id)
	if text == id {
		return Flash{}
	}
	return Flash{Kind: kind, Text: text}
}

// ErrorPage renders an error in the partner's brand and the reader's language.
func (h *Handler) ErrorPage(c echo.Context, status int, msg *i18n.Error) error {
	ctx := c.Request().Context()
	ch := h.chrome(c, i18n.T(ctx, "error.title"))
	ch.Flash = Flash{}
	return render(c, status, errorPage(ch, status, i18n.TE(ctx, msg)))
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
}

// Home sends visitors to their part of the portal.
func (h *Handler) Home(c echo.Context) error {
	u, ok := tenants.UserFrom(c.Request().Context())
	switch {
	case !ok:
		return c.Redirect(http.StatusSeeOther, "/login")
	default:
		return c.Redirect(http.StatusSeeOther, homeOf(u))
	}
}

// partnerAPI returns the platform client acting with the partner's credential.
func (h *Handler) partnerAPI(ctx context.Context, p tenants.Partner) (*platform.Client, error) {
	tok, err := h.cfg.Tenants.PlatformToken(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return h.cfg.Platform.WithToken(tok), nil
}

// isPlatformDown reports whether err means the platform could not be reached.
func isPlatformDown(err error) bool { return errors.Is(err, platform.ErrUnavailable) }

// FieldError is a refused form's error and the input it is about.
type FieldError struct {
	// Field is the input at fault, Error what is wrong with it.
	Field, Error string
}

// For is the error when it is field's, "" else.
func (e FieldError) For(field string) string {
	if e.Field == field {
		return e.Error
	}
	return ""
}
