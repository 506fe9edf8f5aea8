package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web"
	"github.com/grisaille/grisaille/web/i18n"
	"github.com/grisaille/grisaille/whitelabel"
)

// logRequests writes one structured log line per request, with its id.
func (s *server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // render now so that the status below is the one sent
		}
		req, res := c.Request(), c.Response()
		attrs := []any{
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", req.Method),
			slog.String("host", req.Host),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Duration("duration", time.Since(start)),
		}
		if p, ok := tenants.PartnerFrom(req.Context()); ok {
			attrs = append(attrs, slog.String("partner", p.Slug))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.observe(c, time.Since(start))
		}
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		s.cfg.Logger.Log(req.Context(), level, "request", attrs...)
		return nil
	}
}

// recoverPanics turns a panic in a handler into a 500 and a logged stack.
func (s *server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.cfg.Logger.Error("panic", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
				err = fmt.Errorf("server: panic: %v", r)
			}
		}()
		return next(c)
	}
}

// securityHeaders sets a strict Content-Security-Policy with a per-request
// nonce (handed to templ for any inline script) and the usual hardening
// headers.
func (s *server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		nonce, err := newNonce()
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'nonce-"+nonce+"'; "+
			"style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if c.Scheme() == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		req := c.Request()
		c.SetRequest(req.WithContext(templ.WithNonce(req.Context(), nonce)))
		return next(c)
	}
}

func newNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("server: nonce: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

// errUnknownHost is answered with a plain 404 page that shows no brand.
var errUnknownHost = errors.New("server: unknown host")

// tenantOf resolves the partner that serves the request's Host header.
func (s *server) tenantOf(r *http.Request) (tenants.Partner, error) {
	host := tenants.NormalizeHost(r.Host)
	if host == "" {
		return tenants.Partner{}, errUnknownHost
	}
	p, err := s.cfg.Tenants.PartnerByHost(r.Context(), host)
	if errors.Is(err, tenants.ErrNotFound) {
		return tenants.Partner{}, errUnknownHost
	}
	return p, err
}

// resolveTenant puts the partner serving the Host header in the request
// context; an unknown host gets a plain 404.
func (s *server) resolveTenant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.tenantOf(c.Request())
		if err != nil {
			return err
		}
		req := c.Request()
		if to, ok := s.primaryURL(req, c.Scheme(), p); ok {
			return c.Redirect(http.StatusPermanentRedirect, to)
		}
		c.SetRequest(req.WithContext(tenants.WithPartner(req.Context(), p)))
		return next(c)
	}
}

// primaryURL returns where a page request on one of a partner's other
// hosts goes: the same path on its primary host, with the same scheme and
// port. The API, the published keys and the ACME challenges are answered
// on every host (clients and CAs do not all follow redirects), and a
// primary host that no longer serves the partner redirects nothing.
func (s *server) primaryURL(r *http.Request, scheme string, p tenants.Partner) (string, bool) {
	host := tenants.NormalizeHost(r.Host)
	if p.PrimaryHost == "" || host == p.PrimaryHost {
		return "", false
	}
	path := r.URL.Path
	if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/.well-known/") || path == "/healthz" {
		return "", false
	}
	if q, err := s.cfg.Tenants.PartnerByHost(r.Context(), p.PrimaryHost); err != nil || q.ID != p.ID {
		return "", false
	}
	target := p.PrimaryHost
	if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "" {
		target = net.JoinHostPort(target, port)
	}
	return scheme + "://" + target + r.URL.RequestURI(), true
}

// loadSession puts the signed-in user, if any, in the request context.
func (s *server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		ck, err := req.Cookie(web.SessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		p, _ := tenants.PartnerFrom(req.Context())
		sess, u, err := s.cfg.Tenants.SessionUser(req.Context(), p.ID, ck.Value)
		switch {
		case errors.Is(err, tenants.ErrNotFound):
			web.ClearSessionCookie(c)
			return next(c)
		case err != nil:
			return err
		}
		c.Set(web.SessionKey, sess)
		c.SetRequest(req.WithContext(tenants.WithUser(req.Context(), u)))
		return next(c)
	}
}

// localize picks the request's language: the user's choice (account, then
// language cookie), else Accept-Language, else the partner's default; and
// how the platform's answers are shown in it (whitelabel.From).
func (s *server) localize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		ctx := req.Context()
		choice := ""
		if u, ok := tenants.UserFrom(ctx); ok {
			choice = u.Language
		}
		if choice == "" {
			if ck, err := req.Cookie(web.LanguageCookie); err == nil {
				choice = ck.Value
			}
		}
		var partnerDefault string
		var offered []string
		var words map[string]map[string]string
		if p, ok := tenants.PartnerFrom(ctx); ok {
			partnerDefault, offered, words = p.Brand.Language, p.Brand.Offered, p.Brand.Words
		}
		lang := s.cfg.Bundle.Negotiate(choice, req.Header.Get("Accept-Language"), partnerDefault, offered)
		c.Response().Header().Set("Content-Language", lang)
		c.Response().Header().Add("Vary", "Accept-Language")
		loc := s.cfg.Bundle.LocalizerWith(lang, words)
		ctx = i18n.WithLocalizer(ctx, loc)
		ctx = whitelabel.WithFace(ctx, s.face(c, loc))
		c.SetRequest(req.WithContext(ctx))
		return next(c)
	}
}

// csrf checks every unsafe request for the form field _csrf (or the
// X-CSRF-Token header) against the CSRF cookie, and accepts same-origin
// requests that browsers vouch for with Sec-Fetch-Site. Its cookie is Secure
// when the request came over TLS.
func (s *server) csrf() echo.MiddlewareFunc {
	config := func(secure bool) middleware.CSRFConfig {
		return middleware.CSRFConfig{
			TokenLookup:    "form:" + web.CSRFField + ",header:X-CSRF-Token",
			ContextKey:     web.CSRFContextKey,
			CookieName:     web.CSRFCookie,
			CookiePath:     "/",
			CookieHTTPOnly: true,
			CookieSameSite: http.SameSiteLaxMode,
			CookieSecure:   secure,
			ErrorHandler: func(err error, c echo.Context) error {
				return i18nStatus(http.StatusForbidden, "error.csrf")
			},
		}
	}
	plain := middleware.CSRFWithConfig(config(false))
	secure := middleware.CSRFWithConfig(config(true))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		plainNext, secureNext := plain(next), secure(next)
		return func(c echo.Context) error {
			if c.Scheme() == "https" {
				return secureNext(c)
			}
			return plainNext(c)
		}
	}
}

// requireSignedIn lets through signed-in users of either role; others are
// sent to the sign-in page.
func (s *server) requireSignedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := tenants.UserFrom(c.Request().Context()); !ok {
			if c.Request().Method == http.MethodGet {
				return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return i18nStatus(http.StatusUnauthorized, "error.signin_required")
		}
		return next(c)
	}
}

// requireRole lets through only signed-in users with that role; others are
// sent to the sign-in page (or refused when signed in with another role).
func (s *server) requireRole(role tenants.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return s.requireSignedIn(func(c echo.Context) error {
			if u, _ := tenants.UserFrom(c.Request().Context()); u.Role != role {
				return i18nStatus(http.StatusForbidden, "error.wrong_role")
			}
			return next(c)
		})
	}
}

// face is how the request's partner shows the platform's answers: in loc's
// words, its git remotes on the host the request came to.
func (s *server) face(c echo.Context, loc *i18n.Localizer) whitelabel.Face {
	return whitelabel.Face{
		Platform: whitelabel.Platform{Name: s.cfg.PlatformName, Domains: s.cfg.PlatformDomains},
		GitBase:  c.Scheme() + "://" + c.Request().Host,
		T:        func(id string) string { return loc.T(id) },
	}
}
