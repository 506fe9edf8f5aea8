package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// SecurityVM is the partner's sign-in settings: whom two-factor sign-in
// is required of, and its single sign-on providers.
type SecurityVM struct {
	Chrome    Chrome
	TwoFactor tenants.TwoFactorPolicy
	SSO       SSOSection
}

// Security shows the partner's sign-in settings.
func (h *Handler) Security(c echo.Context) error {
	return h.securityPage(c, http.StatusOK, SSOForm{})
}

func (h *Handler) securityPage(c echo.Context, status int, form SSOForm) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	vm := SecurityVM{Chrome: h.chrome(c, i18n.T(ctx, "security.title"))}
	var err error
	if vm.TwoFactor, err = h.cfg.Tenants.TwoFactorPolicyOf(ctx, p.ID); err != nil {
		return err
	}
	if vm.SSO, err = h.ssoSection(c, form); err != nil {
		return err
	}
	return render(c, status, securityPage(vm))
}

// SaveTwoFactorPolicy sets whom the partner requires two-factor sign-in
// of; those without it enrol at their next sign-in.
func (h *Handler) SaveTwoFactorPolicy(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	policy := tenants.TwoFactorPolicy{Admins: c.FormValue("admins") == "on", Customers: c.FormValue("customers") == "on"}
	err := h.cfg.Tenants.SetTwoFactorPolicy(ctx, p.ID, policy)
	h.audit(c, audit.ActionSecurityUpdate, "two-factor", err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.security_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/security")
}
