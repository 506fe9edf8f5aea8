package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web/i18n"
)

// LoginVM is the sign-in page.
type LoginVM struct {
	Chrome Chrome
	Email  string
	Error  string
	// Next is the local page to return to once signed in ("" for the
	// user's home).
	Next string
	// Providers are the partner's single sign-on providers.
	Providers []SSOButton
}

// ShowLogin renders the sign-in form.
func (h *Handler) ShowLogin(c echo.Context) error {
	if _, ok := tenants.UserFrom(c.Request().Context()); ok {
		return h.Home(c)
	}
	p, _ := tenants.PartnerFrom(c.Request().Context())
	return render(c, http.StatusOK, loginPage(LoginVM{Chrome: h.chrome(c, i18n.T(c.Request().Context(), "auth.title")),
		Next: localNext(c.QueryParam("next")), Providers: h.ssoButtons(c.Request().Context(), p.ID)}))
}

// Login checks the email and password against the partner's users, behind
// the sign-in throttle, and opens a session. A wrong email and a wrong
// password get the same answer, in the same time; a locked account or
// client address is told when to try again, and every lockout is audited.
func (h *Handler) Login(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	next := localNext(c.FormValue("next"))
	refuse := func(status int, msg string) error {
		vm := LoginVM{Chrome: h.chrome(c, i18n.T(ctx, "auth.title")), Email: email, Error: msg, Next: next,
			Providers: h.ssoButtons(ctx, p.ID)}
		return render(c, status, loginPage(vm))
	}
	u, err := h.cfg.Tenants.SignIn(ctx, p.ID, email, password, c.RealIP())
	var locked *tenants.LockedError
	switch {
	case errors.As(err, &locked):
		if locked.Started {
			h.recordSignIn(c, tenants.User{Email: email}, audit.ActionSignInLocked, audit.OutcomeDenied,
				locked.Kind+" locked until "+locked.Until.Format(time.RFC3339)+", from "+c.RealIP())
		} else {
			h.recordSignIn(c, tenants.User{Email: email}, audit.ActionSignInFailed, audit.OutcomeDenied, "locked, from "+c.RealIP())
		}
		return refuse(http.StatusTooManyRequests, retryLocked(c, locked))
	case errors.Is(err, tenants.ErrCustomerSuspended):
		h.recordSignIn(c, tenants.User{Email: email}, audit.ActionSignInFailed, audit.OutcomeDenied, "customer suspended, from "+c.RealIP())
		return refuse(http.StatusForbidden, i18n.T(ctx, tenants.MsgCustomerSuspended))
	case errors.Is(err, tenants.ErrBusy):
		c.Response().Header().Set("Retry-After", "5")
		return refuse(http.StatusServiceUnavailable, i18n.T(ctx, "auth.busy"))
	case errors.Is(err, tenants.ErrInvalidCredentials) || (err == nil && email == ""):
		h.recordSignIn(c, tenants.User{Email: email}, audit.ActionSignInFailed, audit.OutcomeDenied, c.RealIP())
		return refuse(http.StatusUnauthorized, i18n.T(ctx, "auth.invalid"))
	case err != nil:
		return err
	}
	return h.afterPassword(c, p, u, next)
}

// startSession opens a session for u and sends u to next when it is a
// page of u's part of the portal, else to u's home.
func (h *Handler) startSession(c echo.Context, p tenants.Partner, u tenants.User, next string) error {
	if err := h.openSession(c, p, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, destination(u, next))
}

// openSession opens a session for u and sets its cookie and a new CSRF
// token.
func (h *Handler) openSession(c echo.Context, p tenants.Partner, u tenants.User) error {
	ctx := c.Request().Context()
	token, sess, err := h.cfg.Tenants.OpenSession(ctx, p.ID, u.ID, h.cfg.SessionTTL,
		tenants.SessionClient{Addr: c.RealIP(), UserAgent: c.Request().UserAgent()})
	if err != nil {
		return err
	}
	if err := h.bindSessionBiscuit(c, p, u, sess); err != nil {
		_ = h.cfg.Tenants.DeleteSession(context.WithoutCancel(ctx), p.ID, token)
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: c.Scheme() == "https", MaxAge: int(h.cfg.SessionTTL.Seconds()),
	})
	// A new CSRF token for the new session: the one the sign-in form
	// carried, which a visitor before could have read, dies with it.
	c.SetCookie(&http.Cookie{Name: CSRFCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
	return nil
}

// destination is where a new session of u goes: back to next, the page
// that asked for the sign-in, when it is of u's part of the portal, else
// u's home.
func destination(u tenants.User, next string) string {
	part := "/console"
	if u.Role == tenants.RolePartnerAdmin {
		part = "/admin"
	}
	if next != "" && (next == part || strings.HasPrefix(next, part+"/") || strings.HasPrefix(next, part+"?")) {
		return next
	}
	return homeOf(u)
}

// retryLocked answers a locked sign-in step: Retry-After, and the message
// saying when to try again.
func retryLocked(c echo.Context, locked *tenants.LockedError) string {
	wait := max(locked.Wait, time.Second)
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
	return lockedMessage(c.Request().Context(), wait)
}

// lockedMessage tells when a locked sign-in may be tried again.
func lockedMessage(ctx context.Context, wait time.Duration) string {
	if wait < time.Minute {
		return i18n.T(ctx, "auth.locked_seconds", map[string]any{"Seconds": int(math.Ceil(wait.Seconds()))})
	}
	return i18n.T(ctx, "auth.locked_minutes", map[string]any{"Minutes": int(math.Ceil(wait.Minutes()))})
}

// localNext is a "next" parameter kept when it is a local path, "" else.
func localNext(next string) string {
	if p := localPath(next); p != "/" {
		return p
	}
	return ""
}

// bindSessionBiscuit mints the Biscuit a new session's console actions are
// authorized with: the partner's authority and one block issued to the user
// that binds it to the session, its lifetime, the role's operations and,
// for a customer, its organisation.
func (h *Handler) bindSessionBiscuit(c echo.Context, p tenants.Partner, u tenants.User, sess tenants.Session) error {
	ctx := c.Request().Context()
	r := tokens.Restriction{Session: sess.ID, ExpiresAt: sess.ExpiresAt.UTC().Truncate(time.Second), Operations: opsOf(u)}
	if u.Role == tenants.RoleCustomer {
		cust, err := h.cfg.Tenants.Customer(ctx, p.ID, u.CustomerID)
		if err != nil {
			return err
		}
		r.Organisation = cust.OrganisationID
	}
	tok, _, err := h.cfg.Tokens.MintSession(ctx, tokens.Principal{PartnerID: p.ID, CustomerID: u.CustomerID, UserID: u.ID}, r, "session "+u.Email)
	if err != nil {
		return err
	}
	return h.cfg.Tenants.SetSessionBiscuit(ctx, p.ID, sess.ID, tok)
}

// recordSignIn writes a sign-in attempt to the audit log.
func (h *Handler) recordSignIn(c echo.Context, u tenants.User, action, outcome, detail string) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	ev := audit.Event{PartnerID: p.ID, ActorKind: "user", ActorID: u.ID, ActorLabel: u.Email, Action: action,
		Outcome: outcome, Detail: detail, RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
	if err := h.cfg.Audit.Record(ctx, ev); err != nil {
		h.cfg.Logger.Error("audit", "error", err.Error())
	}
}

// Logout closes the session.
func (h *Handler) Logout(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	if sess, ok := c.Get(SessionKey).(tenants.Session); ok {
		// Revoke the session's Biscuit first: even a copy of it is then refused.
		if err := h.cfg.Tokens.RevokeSession(ctx, p.ID, sess.ID); err != nil {
			return err
		}
		h.audit(c, "auth.sign_out", "", nil)
	}
	if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
		if err := h.cfg.Tenants.DeleteSession(ctx, p.ID, ck.Value); err != nil && !errors.Is(err, tenants.ErrNotFound) {
			return err
		}
	}
	ClearSessionCookie(c)
	setFlash(c, "ok", "flash.signed_out")
	return c.Redirect(http.StatusSeeOther, "/login")
}

// SetLanguage records the reader's language: on the account when signed in,
// in a cookie otherwise, then returns to the page they were on.
func (h *Handler) SetLanguage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := c.FormValue("lang")
	p, _ := tenants.PartnerFrom(ctx)
	if !slices.Contains(i18n.Offered(p.Brand.Offered), lang) {
		return NewUserError(http.StatusBadRequest, "error.bad_language")
	}
	if u, ok := tenants.UserFrom(ctx); ok {
		if err := h.cfg.Tenants.SetUserLanguage(ctx, u.PartnerID, u.ID, lang); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: LanguageCookie, Value: lang, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https", MaxAge: 365 * 24 * 3600})
	return c.Redirect(http.StatusSeeOther, localPath(c.FormValue("next")))
}

// localPath keeps a redirect target on this site: an absolute path, with
// its query, that neither as sent nor once decoded starts "//" or "/\\"
// (which browsers read as another host), holds no scheme, host or control
// character; "/" for anything else.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Host != "" || u.Scheme != "" || u.Opaque != "" || u.User != nil {
		return "/"
	}
	for _, p := range []string{next, u.Path} {
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
			strings.ContainsAny(p, "\\\r\n\t\x00") {
			return "/"
		}
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
