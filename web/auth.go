package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/tenants"
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
		vm := LoginVM{Chrome: h.chrome(c, i18n.T(ctx, "auth.title")), Email: email, Error: i18n.T(ctx, "auth.invalid")}
		return render(c, http.StatusUnauthorized, loginPage(vm))
	}
	if err != nil {
		return err
	}
	token, _, err := h.cfg.Tenants.CreateSession(ctx, p.ID, u.ID, h.cfg.SessionTTL)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: c.Scheme() == "https", MaxAge: int(h.cfg.SessionTTL.Seconds()),
	})
	if u.Role == tenants.RolePartnerAdmin {
		return c.Redirect(http.StatusSeeOther, "/admin")
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}

// Logout closes the session.
func (h *Handler) Logout(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
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
	if !i18n.Supported(lang) {
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
