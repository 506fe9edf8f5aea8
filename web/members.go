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

// roleOptions are the member roles, for a select.
func roleOptions(ctx context.Context) []components.Option {
	var out []components.Option
	for _, r := range tenants.MemberRoles() {
		out = append(out, components.Option{Value: string(r), Label: i18n.T(ctx, "member.role."+string(r))})
	}
	return out
}

// membersTable lists a customer's users with their roles; with a role
// action, each row changes its member's role.
func membersTable(ctx context.Context, users []tenants.User, action, csrf string) components.DataTableProps {
	t := components.DataTableProps{TestID: "users", Empty: i18n.T(ctx, "customer.no_users"), Columns: []components.Column{
		col(ctx, "auth.email"), col(ctx, "customer.user_name", "opt"), col(ctx, "member.role")}}
	for _, u := range users {
		role := text(i18n.T(ctx, "member.role."+string(u.Member)))
		if action != "" {
			role = components.Cell{Content: memberActions(action, csrf, u)}
		}
		t.Rows = append(t.Rows, components.Row{Attrs: testID("member-row"), Cells: []components.Cell{text(u.Email), text(u.Name, "opt"), role}})
	}
	return t
}

// Members lists the signed-in customer's members, to its owners.
func (h *Handler) Members(c echo.Context) error { return h.membersPage(c, http.StatusOK, "") }

func (h *Handler) membersPage(c echo.Context, status int, errText string) error {
	return h.membersPageWith(c, status, errText, InviteForm{Role: string(tenants.MemberDeveloper)})
}

func (h *Handler) membersPageWith(c echo.Context, status int, errText string, f InviteForm) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	users, err := h.cfg.Tenants.UsersOfCustomer(ctx, u.PartnerID, u.CustomerID)
	if err != nil {
		return err
	}
	vm := MembersVM{Chrome: h.chrome(c, i18n.T(ctx, "member.title")), Error: errText}
	vm.Members = membersTable(ctx, users, "/console/members/role", vm.Chrome.CSRF)
	if vm.Invitations, err = h.invitationsTable(ctx, u.PartnerID, u.CustomerID, "/console/members", vm.Chrome.CSRF); err != nil {
		return err
	}
	f.Base, f.CSRF, f.Roles = "/console/members", vm.Chrome.CSRF, true
	vm.Invite = f
	return render(c, status, membersPage(vm))
}

// SetConsoleMemberRole changes a member's role, by one of its customer's
// owners.
func (h *Handler) SetConsoleMemberRole(c echo.Context) error {
	u, _ := tenants.UserFrom(c.Request().Context())
	return h.setMemberRole(c, u.CustomerID, "/console/members", h.refuseOnMembers)
}

// refuseOnMembers shows the members page again with the refusal msgID.
func (h *Handler) refuseOnMembers(c echo.Context, msgID string) error {
	return h.membersPage(c, http.StatusBadRequest, i18n.T(c.Request().Context(), msgID))
}

// refuseWithFlash returns to back with the refusal msgID as a flash.
func refuseWithFlash(back string) func(echo.Context, string) error {
	return func(c echo.Context, msgID string) error {
		setFlash(c, "error", "flash."+msgID)
		return c.Redirect(http.StatusSeeOther, back)
	}
}

// SetAdminMemberRole changes a customer's member's role, by the partner.
func (h *Handler) SetAdminMemberRole(c echo.Context) error {
	back := "/admin/customers/" + c.Param("customer")
	return h.setMemberRole(c, c.Param("customer"), back, refuseWithFlash(back))
}

// setMemberRole changes the role of the form's user, a member of customer,
// and re-issues the rights of the member's open sessions at once.
func (h *Handler) setMemberRole(c echo.Context, customerID, back string, refuse func(c echo.Context, msgID string) error) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	member, err := h.cfg.Tenants.SetMemberRole(ctx, p.ID, customerID, c.FormValue("user"), tenants.MemberRole(c.FormValue("role")))
	var ve *tenants.ValidationError
	switch {
	case errors.As(err, &ve):
		h.audit(c, audit.ActionMemberRole, c.FormValue("user"), err)
		return refuse(c, ve.MessageID)
	case errors.Is(err, tenants.ErrNotFound):
		return echo.ErrNotFound
	case err != nil:
		return err
	}
	if err := h.reissueSessions(c, p, member); err != nil {
		return err
	}
	h.audit(c, audit.ActionMemberRole, member.ID, nil)
	setFlash(c, "ok", "flash.member_role")
	return c.Redirect(http.StatusSeeOther, back)
}

// reissueSessions gives every open session of u a Biscuit with u's
// current rights, revoking the one it had.
func (h *Handler) reissueSessions(c echo.Context, p tenants.Partner, u tenants.User) error {
	ctx := c.Request().Context()
	sessions, err := h.cfg.Tenants.UserSessions(ctx, p.ID, u.ID)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if err := h.cfg.Tokens.RevokeSession(ctx, p.ID, s.ID); err != nil {
			return err
		}
		if err := h.bindSessionBiscuit(c, p, u, tenants.Session{ID: s.ID, UserID: u.ID, PartnerID: p.ID, ExpiresAt: s.ExpiresAt}); err != nil {
			return err
		}
	}
	return nil
}

// RemoveConsoleMember removes a member, by one of its customer's owners.
func (h *Handler) RemoveConsoleMember(c echo.Context) error {
	u, _ := tenants.UserFrom(c.Request().Context())
	return h.removeMember(c, u.CustomerID, "/console/members", h.refuseOnMembers)
}

// RemoveAdminMember removes a customer's member, by the partner.
func (h *Handler) RemoveAdminMember(c echo.Context) error {
	back := "/admin/customers/" + c.Param("customer")
	return h.removeMember(c, c.Param("customer"), back, refuseWithFlash(back))
}

// removeMember deletes the form's user, a member of customer: their
// sessions end and every token issued to them is revoked.
func (h *Handler) removeMember(c echo.Context, customerID, back string, refuse func(c echo.Context, msgID string) error) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	me, _ := tenants.UserFrom(ctx)
	id := c.FormValue("user")
	err := h.cfg.Tenants.RemoveMember(ctx, p.ID, customerID, id, me.ID)
	var ve *tenants.ValidationError
	switch {
	case errors.As(err, &ve):
		h.audit(c, audit.ActionMemberRemove, id, err)
		return refuse(c, ve.MessageID)
	case errors.Is(err, tenants.ErrNotFound):
		return echo.ErrNotFound
	case err != nil:
		return err
	}
	if err := h.cfg.Tokens.RevokeUser(ctx, p.ID, id); err != nil {
		return err
	}
	h.audit(c, audit.ActionMemberRemove, id, nil)
	setFlash(c, "ok", "flash.member_removed")
	return c.Redirect(http.StatusSeeOther, back)
}
