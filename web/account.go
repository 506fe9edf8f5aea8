package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// Account shows the signed-in user's password form and open sessions.
func (h *Handler) Account(c echo.Context) error {
	return h.accountPage(c, http.StatusOK, "")
}

func (h *Handler) accountPage(c echo.Context, status int, errText string) error {
	return h.accountView(c, status, AccountVM{Error: errText})
}

// accountView renders the account page with vm's errors.
func (h *Handler) accountView(c echo.Context, status int, vm AccountVM) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	current, _ := c.Get(SessionKey).(tenants.Session)
	sessions, err := h.cfg.Tenants.UserSessions(ctx, u.PartnerID, u.ID)
	if err != nil {
		return err
	}
	vm.Chrome = h.chrome(c, i18n.T(ctx, "account.title"))
	if vm.TwoFactor, err = h.cfg.Tenants.TwoFactor(ctx, u.PartnerID, u.ID); err != nil {
		return err
	}
	policy, err := h.cfg.Tenants.TwoFactorPolicyOf(ctx, u.PartnerID)
	if err != nil {
		return err
	}
	vm.TwoFactorRequired = policy.Requires(u)
	vm.Sessions, vm.Others = sessionsTable(ctx, sessions, current.ID, vm.Chrome.CSRF)
	return render(c, status, accountPage(vm))
}

// sessionsTable lists a user's sessions, the current one marked, each
// other with a button signing it out.
func sessionsTable(ctx context.Context, sessions []tenants.SessionInfo, current, csrf string) (components.DataTableProps, int) {
	t := components.DataTableProps{TestID: "sessions", Empty: i18n.T(ctx, "account.no_sessions"), Columns: []components.Column{
		col(ctx, "account.session.opened"), col(ctx, "account.session.from"), col(ctx, "account.session.browser", "opt"),
		col(ctx, "account.session.expires", "opt"), col(ctx, "account.session.action")}}
	others := 0
	for _, s := range sessions {
		action := components.Cell{Content: components.Badge(i18n.T(ctx, "account.session.this"), "ok", "this-session")}
		if s.ID != current {
			others++
			action = components.Cell{Content: postButton("/account/sessions/end", csrf, "session", s.ID, i18n.T(ctx, "account.session.end"), "end-session")}
		}
		t.Rows = append(t.Rows, components.Row{Attrs: testID("session-row"), Cells: []components.Cell{
			text(i18n.Date(ctx, s.CreatedAt)), text(orDash(s.ClientAddr), "mono", "small"), text(orDash(s.UserAgent), "small", "opt"),
			text(i18n.Date(ctx, s.ExpiresAt), "opt"), action}})
	}
	return t, others
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// ChangePassword changes the signed-in user's password, once their
// current one is checked, and signs out their other sessions.
func (h *Handler) ChangePassword(c echo.Context) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	current, _ := c.Get(SessionKey).(tenants.Session)
	if c.FormValue("password") != c.FormValue("confirm") {
		return h.accountPage(c, http.StatusBadRequest, i18n.T(ctx, "reset.mismatch"))
	}
	ended, err := h.cfg.Tenants.ChangePassword(ctx, u.PartnerID, u.ID, c.FormValue("current"), c.FormValue("password"), current.ID)
	var ve *tenants.ValidationError
	if errors.As(err, &ve) {
		h.audit(c, audit.ActionPasswordChange, u.ID, err)
		return h.accountPage(c, http.StatusBadRequest, i18n.T(ctx, ve.MessageID))
	}
	if err != nil {
		return err
	}
	if err := h.revokeSessions(ctx, u.PartnerID, ended); err != nil {
		return err
	}
	h.audit(c, audit.ActionPasswordChange, u.ID, nil)
	setFlash(c, "ok", "flash.password_changed")
	return c.Redirect(http.StatusSeeOther, "/account")
}

// EndSessions signs the user out of one of their other sessions (the form's
// "session"), or of every other one.
func (h *Handler) EndSessions(c echo.Context) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	current, _ := c.Get(SessionKey).(tenants.Session)
	ended, err := h.cfg.Tenants.EndSessions(ctx, u.PartnerID, u.ID, c.FormValue("session"), current.ID)
	if err != nil {
		return err
	}
	if err := h.revokeSessions(ctx, u.PartnerID, ended); err != nil {
		return err
	}
	h.audit(c, audit.ActionSessionsEnd, u.ID, nil)
	setFlash(c, "ok", "flash.sessions_ended")
	return c.Redirect(http.StatusSeeOther, "/account")
}

// revokeSessions revokes the Biscuits of ended sessions.
func (h *Handler) revokeSessions(ctx context.Context, partnerID string, ids []string) error {
	for _, id := range ids {
		if err := h.cfg.Tokens.RevokeSession(ctx, partnerID, id); err != nil {
			return err
		}
	}
	return nil
}
