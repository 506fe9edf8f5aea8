package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
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
}

// ShowLogin renders the sign-in form.
func (h *Handler) ShowLogin(c echo.Context) error {
	if _, ok := tenants.UserFrom(c.Request().Context()); ok {
		return h.Home(c)
	}
	return render(c, http.StatusOK, loginPage(LoginVM{Chrome: h.chrome(c, i18n.T(c.Request().Context(), "auth.title"))}))
}

// Login checks the email and password against the partner's users and opens
// a session. A wrong email and a wrong password get the same answer.
func (h *Handler) Login(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	u, err := h.cfg.Tenants.Authenticate(ctx, p.ID, email, password)
	if errors.Is(err, tenants.ErrInvalidCredentials) || (err == nil && email == "") {
		h.recordSignIn(c, tenants.User{Email: email}, "auth.sign_in_failed", "denied")
		vm := LoginVM{Chrome: h.chrome(c, i18n.T(ctx, "auth.title")), Email: email, Error: i18n.T(ctx, "auth.invalid")}
		return render(c, http.StatusUnauthorized, loginPage(vm))
	}
	if err != nil {
		return err
	}
	token, sess, err := h.cfg.Tenants.CreateSession(ctx, p.ID, u.ID, h.cfg.SessionTTL)
	if err != nil {
		return err
	}
	if err := h.bindSessionBiscuit(c, p, u, sess); err != nil {
		_ = h.cfg.Tenants.DeleteSession(context.WithoutCancel(ctx), p.ID, token)
		return err
	}
	h.recordSignIn(c, u, "auth.sign_in", "ok")
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: c.Scheme() == "https", MaxAge: int(h.cfg.SessionTTL.Seconds()),
	})
	if u.Role == tenants.RolePartnerAdmin {
		return c.Redirect(http.StatusSeeOther, "/admin")
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}

// bindSessionBiscuit mints the Biscuit a new session's console actions are
// authorized with: the partner's authority and one block issued to the user
// that binds it to the session, its lifetime, the role's operations and,
// for a customer, its organisation.
func (h *Handler) bindSessionBiscuit(c echo.Context, p tenants.Partner, u tenants.User, sess tenants.Session) error {
	ctx := c.Request().Context()
	r := tokens.Restriction{Session: sess.ID, ExpiresAt: sess.ExpiresAt.UTC().Truncate(time.Second), Operations: adminOps}
	if u.Role == tenants.RoleCustomer {
		cust, err := h.cfg.Tenants.Customer(ctx, p.ID, u.CustomerID)
		if err != nil {
			return err
		}
		r.Organisation, r.Operations = cust.OrganisationID, customerOps
	}
	tok, _, err := h.cfg.Tokens.MintSession(ctx, tokens.Principal{PartnerID: p.ID, CustomerID: u.CustomerID, UserID: u.ID}, r, "session "+u.Email)
	if err != nil {
		return err
	}
	return h.cfg.Tenants.SetSessionBiscuit(ctx, p.ID, sess.ID, tok)
}

// recordSignIn writes a sign-in attempt to the audit log.
func (h *Handler) recordSignIn(c echo.Context, u tenants.User, action, outcome string) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	ev := audit.Event{PartnerID: p.ID, ActorKind: "user", ActorID: u.ID, ActorLabel: u.Email, Action: action,
		Outcome: outcome, Detail: c.RealIP(), RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
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

// localPath keeps a redirect target on this site: only absolute paths, never
// "//host" or a scheme.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return u.Path
}
