package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// invitationsTable lists the pending invitations of the partner's admins
// (customerID "") or of a customer, each with resend and cancel buttons
// posting under base.
func (h *Handler) invitationsTable(ctx context.Context, partnerID, customerID, base, csrf string) (components.DataTableProps, error) {
	invs, err := h.cfg.Tenants.Invitations(ctx, partnerID, customerID)
	if err != nil {
		return components.DataTableProps{}, err
	}
	t := components.DataTableProps{TestID: "invitations", Empty: i18n.T(ctx, "invite.none"), Columns: []components.Column{
		col(ctx, "auth.email"), col(ctx, "member.role", "opt"), col(ctx, "invite.mail_state"), col(ctx, "invite.expires", "opt"),
		col(ctx, "invite.actions")}}
	for _, inv := range invs {
		role := "—"
		if inv.Member != "" {
			role = i18n.T(ctx, "member.role."+string(inv.Member))
		}
		t.Rows = append(t.Rows, components.Row{Attrs: testID("invitation-row"), Cells: []components.Cell{
			text(inv.Email), text(role, "opt"), h.mailState(ctx, fmt.Sprintf("invitation:%s:%d", inv.ID, inv.Sends)),
			text(i18n.Date(ctx, inv.ExpiresAt), "opt"), {Content: invitationActions(base, csrf, inv)}}})
	}
	return t, nil
}

// mailState says whether the e-mail enqueued with key was delivered, or is
// waiting for the SMTP server (with how many tries so far).
func (h *Handler) mailState(ctx context.Context, key string) components.Cell {
	st, err := h.cfg.Outbox.StatusOf(ctx, key)
	switch {
	case err != nil:
		return text("—")
	case st.SentAt != nil:
		return components.Cell{Content: components.Badge(i18n.T(ctx, "invite.mail_sent"), "ok", "mail-sent")}
	}
	return components.Cell{Content: components.Badge(i18n.T(ctx, "invite.mail_waiting", map[string]any{"Tries": st.Attempts}), "warn", "mail-waiting")}
}

// invitationMail writes an invitation's e-mail, in the partner's brand and
// language, its link on the host the invitation was made on.
func (h *Handler) invitationMail(c echo.Context, p tenants.Partner, inviter tenants.User) tenants.InvitationMail {
	base := c.Scheme() + "://" + c.Request().Host
	return func(ctx context.Context, tx *sqlx.Tx, inv tenants.Invitation, token, key string) error {
		lang := h.cfg.Bundle.Negotiate(inv.Language, "", p.Brand.Language, p.Brand.Offered)
		ctx = i18n.WithLocalizer(ctx, h.cfg.Bundle.LocalizerWith(lang, p.Brand.Words))
		where := i18n.T(ctx, "invite.mail.admins")
		role := staffLabel(ctx, inv.Member)
		if inv.CustomerID != "" {
			where, role = inv.CustomerName, i18n.T(ctx, "member.role."+string(inv.Member))
		}
		who := inviter.Name
		if who == "" {
			who = inviter.Email
		}
		link := base + "/invite?token=" + url.QueryEscape(token)
		data := map[string]any{"Brand": p.Brand.Name, "Inviter": who, "Where": where, "Role": role}
		vm := MailVM{Lang: lang, Brand: p.Brand.Name, Greeting: i18n.T(ctx, "invite.mail.greeting"),
			Body: i18n.T(ctx, "invite.mail.body", data), ActionLabel: i18n.T(ctx, "invite.mail.action"), ActionURL: link,
			Note: i18n.T(ctx, "invite.mail.note")}
		m, err := h.brandedMail(ctx, p, tenants.User{Email: inv.Email}, i18n.T(ctx, "invite.mail.subject", data), vm, link)
		if err != nil {
			return err
		}
		m.Key = "invitation:" + key
		_, err = h.cfg.Outbox.Enqueue(ctx, tx, m)
		return err
	}
}

// invite sends an invitation to customerID ("" for the partner's admins)
// from the form, then returns to back; a refusal re-renders the form.
func (h *Handler) invite(c echo.Context, customerID, back string, refuse func(c echo.Context, f InviteForm) error) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	f := InviteForm{Email: strings.TrimSpace(c.FormValue("email")), Role: c.FormValue("role")}
	role := tenants.MemberRole(f.Role)
	inv, err := h.cfg.Tenants.Invite(ctx, tenants.InviteCreate{PartnerID: p.ID, CustomerID: customerID, Email: f.Email, Member: role,
		InvitedBy: u.ID}, h.invitationMail(c, p, u))
	var ve *tenants.ValidationError
	var de *tenants.DuplicateError
	switch {
	case errors.As(err, &ve):
		f.Error = i18n.T(ctx, ve.MessageID)
		return refuse(c, f)
	case errors.As(err, &de):
		f.Error = i18n.T(ctx, de.MessageID)
		return refuse(c, f)
	case err != nil:
		return err
	}
	h.cfg.Outbox.Kick()
	h.audit(c, audit.ActionInvite, inv.ID, nil)
	setFlash(c, "ok", "flash.invited")
	return c.Redirect(http.StatusSeeOther, back)
}

// invitationAction resends or cancels the form's invitation of customerID.
func (h *Handler) invitationAction(c echo.Context, customerID, back string, resend bool) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	id := c.FormValue("invitation")
	var err error
	if resend {
		err = h.cfg.Tenants.ResendInvitation(ctx, p.ID, customerID, id, h.invitationMail(c, p, u))
		h.cfg.Outbox.Kick()
	} else {
		err = h.cfg.Tenants.RevokeInvitation(ctx, p.ID, customerID, id)
	}
	if errors.Is(err, tenants.ErrNotFound) {
		return NewUserError(http.StatusNotFound, "invite.gone")
	}
	if err != nil {
		return err
	}
	if resend {
		h.audit(c, audit.ActionInviteResend, id, nil)
		setFlash(c, "ok", "flash.invitation_resent")
	} else {
		h.audit(c, audit.ActionInviteRevoke, id, nil)
		setFlash(c, "ok", "flash.invitation_revoked")
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// The routes of invitations: by a customer's owners, by the partner for a
// customer, and by the partner for its admins.

func (h *Handler) ConsoleInvite(c echo.Context) error {
	u, _ := tenants.UserFrom(c.Request().Context())
	return h.invite(c, u.CustomerID, "/console/members", func(c echo.Context, f InviteForm) error {
		return h.membersPageWith(c, http.StatusBadRequest, "", f)
	})
}

func (h *Handler) ConsoleResendInvitation(c echo.Context) error {
	u, _ := tenants.UserFrom(c.Request().Context())
	return h.invitationAction(c, u.CustomerID, "/console/members", true)
}

func (h *Handler) ConsoleRevokeInvitation(c echo.Context) error {
	u, _ := tenants.UserFrom(c.Request().Context())
	return h.invitationAction(c, u.CustomerID, "/console/members", false)
}

func (h *Handler) AdminInviteMember(c echo.Context) error {
	return h.invite(c, c.Param("customer"), "/admin/customers/"+c.Param("customer"), func(c echo.Context, f InviteForm) error {
		return h.showCustomer(c, http.StatusBadRequest, f)
	})
}

func (h *Handler) AdminResendMemberInvitation(c echo.Context) error {
	return h.invitationAction(c, c.Param("customer"), "/admin/customers/"+c.Param("customer"), true)
}

func (h *Handler) AdminRevokeMemberInvitation(c echo.Context) error {
	return h.invitationAction(c, c.Param("customer"), "/admin/customers/"+c.Param("customer"), false)
}

// People lists the partner's admins and their pending invitations.
func (h *Handler) People(c echo.Context) error { return h.people(c, http.StatusOK, InviteForm{}) }

func (h *Handler) people(c echo.Context, status int, f InviteForm) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	users, err := h.cfg.Tenants.Users(ctx, p.ID)
	if err != nil {
		return err
	}
	vm := PeopleVM{Chrome: h.chrome(c, i18n.T(ctx, "people.title"))}
	vm.Admins = components.DataTableProps{TestID: "admins", Empty: i18n.T(ctx, "people.none"), Columns: []components.Column{
		col(ctx, "auth.email"), col(ctx, "customer.user_name", "opt"), col(ctx, "member.role"), col(ctx, "field.created", "opt")}}
	for _, u := range users {
		if u.Role == tenants.RolePartnerAdmin {
			vm.Admins.Rows = append(vm.Admins.Rows, components.Row{Attrs: testID("admin-row"), Cells: []components.Cell{
				text(u.Email), text(u.Name, "opt"), text(staffLabel(ctx, u.Member)), text(i18n.Date(ctx, u.CreatedAt), "opt")}})
		}
	}
	if vm.Invitations, err = h.invitationsTable(ctx, p.ID, "", "/admin/people", vm.Chrome.CSRF); err != nil {
		return err
	}
	f.Base, f.CSRF, f.Staff = "/admin/people", vm.Chrome.CSRF, true
	vm.Invite = f
	return render(c, status, peoplePage(vm))
}

func (h *Handler) AdminInvite(c echo.Context) error {
	return h.invite(c, "", "/admin/people", func(c echo.Context, f InviteForm) error {
		return h.people(c, http.StatusBadRequest, f)
	})
}

func (h *Handler) AdminResendInvitation(c echo.Context) error {
	return h.invitationAction(c, "", "/admin/people", true)
}

func (h *Handler) AdminRevokeInvitation(c echo.Context) error {
	return h.invitationAction(c, "", "/admin/people", false)
}

// staffOptions are the partner's staff roles, for a select.
func staffOptions(ctx context.Context) []components.Option {
	var out []components.Option
	for _, r := range tenants.StaffRoles() {
		out = append(out, components.Option{Value: string(r), Label: staffLabel(ctx, r)})
	}
	return out
}

// staffLabel names a staff role ("" is an admin's).
func staffLabel(ctx context.Context, r tenants.MemberRole) string {
	if r == "" {
		r = tenants.StaffAdmin
	}
	return i18n.T(ctx, "staff.role."+string(r))
}

// ShowAccept is the page accepting an invitation, from its link.
func (h *Handler) ShowAccept(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	vm := AcceptVM{Chrome: h.chrome(c, i18n.T(ctx, "invite.accept.title", map[string]any{"Brand": p.Brand.Name})), Token: c.QueryParam("token")}
	inv, err := h.cfg.Tenants.InvitationByToken(ctx, p.ID, vm.Token)
	if err != nil {
		return h.acceptRefused(c, vm, err)
	}
	vm.Invitation, vm.Name = inv, inv.Name
	vm.Providers = h.inviteProviders(ctx, inv)
	return render(c, http.StatusOK, acceptPage(vm))
}

// Accept creates the invitee's account with the password they chose and
// signs them in.
func (h *Handler) Accept(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	vm := AcceptVM{Chrome: h.chrome(c, i18n.T(ctx, "invite.accept.title", map[string]any{"Brand": p.Brand.Name})),
		Token: c.FormValue("token"), Name: strings.TrimSpace(c.FormValue("name"))}
	inv, err := h.cfg.Tenants.InvitationByToken(ctx, p.ID, vm.Token)
	if err != nil {
		return h.acceptRefused(c, vm, err)
	}
	vm.Invitation = inv
	if c.FormValue("password") != c.FormValue("confirm") {
		vm.Error = i18n.T(ctx, "reset.mismatch")
		return render(c, http.StatusBadRequest, acceptPage(vm))
	}
	u, err := h.cfg.Tenants.AcceptInvitation(ctx, p.ID, vm.Token, vm.Name, c.FormValue("password"))
	if err != nil {
		return h.acceptRefused(c, vm, err)
	}
	h.recordSignIn(c, u, audit.ActionInviteAccept, audit.OutcomeOK, c.RealIP())
	return h.afterPassword(c, p, u, "")
}

// acceptRefused answers a refused acceptance: a dead link, or the form
// again with what is wrong.
func (h *Handler) acceptRefused(c echo.Context, vm AcceptVM, err error) error {
	status, err := linkRefusal(c.Request().Context(), err, &vm.Error, &vm.Dead)
	if err != nil {
		return err
	}
	return render(c, status, acceptPage(vm))
}
