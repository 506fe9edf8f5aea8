package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// CustomerForm is what the create-customer form sends.
type CustomerForm struct {
	Name, Email, UserName, Language string
	Zones                           []string
}

// NewCustomerVM is the create-customer page.
type NewCustomerVM struct {
	Chrome Chrome
	Form   CustomerForm
	Zones  []Choice
	Error  string
}

func (h *Handler) newCustomerVM(c echo.Context, p tenants.Partner, form CustomerForm) (NewCustomerVM, error) {
	ctx := c.Request().Context()
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return NewCustomerVM{}, err
	}
	chosen := form.Zones
	if chosen == nil {
		chosen = p.AllowedZones
	}
	offered := tenants.AllowedZones(cat.ZoneNames(), p.AllowedZones, p.AllowedZones)
	return NewCustomerVM{Chrome: h.chrome(c, i18n.T(ctx, "customer.new.title")), Form: form,
		Zones: zoneChoices(ctx, cat, offered, chosen)}, nil
}

// NewCustomer renders the create-customer form.
func (h *Handler) NewCustomer(c echo.Context) error {
	p, _ := tenants.PartnerFrom(c.Request().Context())
	vm, err := h.newCustomerVM(c, p, CustomerForm{Language: p.Brand.Language})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, newCustomerPage(vm))
}

// CreateCustomer creates the customer's organisation on the platform, then
// the customer and its first user; if the portal can't record them, the
// organisation is deleted again so that nothing is left half-made.
func (h *Handler) CreateCustomer(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	form := CustomerForm{
		Name:     strings.TrimSpace(c.FormValue("name")),
		Email:    strings.ToLower(strings.TrimSpace(c.FormValue("email"))),
		UserName: strings.TrimSpace(c.FormValue("user_name")),
		Language: c.FormValue("language"),
		Zones:    formZones(c),
	}
	refuse := func(status int, msg *i18n.Error) error {
		vm, err := h.newCustomerVM(c, p, form)
		if err != nil {
			return err
		}
		vm.Error = i18n.TE(ctx, msg)
		return render(c, status, newCustomerPage(vm))
	}
	if form.Name == "" || utf8.RuneCountInString(form.Name) > 100 {
		return refuse(http.StatusBadRequest, i18n.NewError("customer.error.name"))
	}
	if form.Zones == nil {
		form.Zones = []string{}
	}
	for _, z := range form.Zones {
		if !tenants.ZoneAllowed(z, p.AllowedZones, p.AllowedZones, p.AllowedZones) {
			return refuse(http.StatusForbidden, i18n.NewError("error.zone_not_allowed", "Zone", z))
		}
	}
	if !i18n.Supported(form.Language) {
		form.Language = ""
	}
	// Checked before the platform's organisation is made; checked again
	// in the transaction that stores the customer and its invitation.
	if err := h.cfg.Tenants.CheckInvitee(ctx, p.ID, form.Email); err != nil {
		var ve *tenants.ValidationError
		var de *tenants.DuplicateError
		switch {
		case errors.As(err, &ve):
			return refuse(http.StatusBadRequest, i18n.NewError(ve.MessageID))
		case errors.As(err, &de) && de.MessageID == tenants.MsgInvitationPending:
			return refuse(http.StatusConflict, i18n.NewError(de.MessageID))
		case errors.As(err, &de):
			return refuse(http.StatusConflict, i18n.NewError("customer.error.email_taken"))
		}
		return err
	}
	api, err := h.partnerAPI(ctx, p)
	if err != nil {
		return err
	}
	org, err := api.CreateOrganisation(ctx, platform.Organisation{Name: form.Name, BillingEmail: form.Email, CustomerFullName: form.UserName})
	if err != nil {
		return err
	}
	u, _ := tenants.UserFrom(ctx)
	// The customer's first owner is invited: they choose their password.
	cust, err := h.cfg.Tenants.CreateCustomerWithInvitation(ctx,
		tenants.CustomerCreate{Name: form.Name, OrganisationID: org.ID, AllowedZones: form.Zones},
		tenants.InviteCreate{PartnerID: p.ID, Email: form.Email, Name: form.UserName, Language: form.Language, InvitedBy: u.ID},
		h.invitationMail(c, p, u))
	if err != nil {
		// Undo the organisation with a context of its own: the request's may
		// be what failed.
		if derr := api.DeleteOrganisation(context.WithoutCancel(ctx), org.ID); derr != nil {
			h.cfg.Logger.Error("orphan organisation left on the platform", "organisation", org.ID, "error", derr)
		}
		var ve *tenants.ValidationError
		if errors.As(err, &ve) {
			return refuse(http.StatusBadRequest, i18n.NewError(ve.MessageID))
		}
		var de *tenants.DuplicateError
		if errors.As(err, &de) || errors.Is(err, tenants.ErrDuplicate) {
			return refuse(http.StatusConflict, i18n.NewError("customer.error.email_taken"))
		}
		return err
	}
	h.cfg.Outbox.Kick()
	h.audit(c, "customer.create", cust.ID, nil)
	setFlash(c, "ok", "flash.customer_created")
	return c.Redirect(http.StatusSeeOther, "/admin/customers/"+cust.ID)
}

// CustomerVM is one customer's page in the partner admin.
type CustomerVM struct {
	Chrome      Chrome
	Customer    tenants.Customer
	Users       []tenants.User
	Zones       []Choice
	Invitations components.DataTableProps
	Invite      InviteForm
}

// ShowCustomer shows a customer, its users, invitations and zones.
func (h *Handler) ShowCustomer(c echo.Context) error {
	return h.showCustomer(c, http.StatusOK, InviteForm{Role: string(tenants.MemberDeveloper)})
}

// showCustomer renders the customer's page with the invitation form f.
func (h *Handler) showCustomer(c echo.Context, status int, f InviteForm) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	cust, err := h.cfg.Tenants.Customer(ctx, p.ID, c.Param("customer"))
	if err != nil {
		return err
	}
	users, err := h.cfg.Tenants.UsersOfCustomer(ctx, p.ID, cust.ID)
	if err != nil {
		return err
	}
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return err
	}
	offered := tenants.AllowedZones(cat.ZoneNames(), p.AllowedZones, p.AllowedZones)
	vm := CustomerVM{Chrome: h.chrome(c, cust.Name), Customer: cust, Users: users,
		Zones: zoneChoices(ctx, cat, offered, cust.AllowedZones)}
	base := "/admin/customers/" + cust.ID
	if vm.Invitations, err = h.invitationsTable(ctx, p.ID, cust.ID, base, vm.Chrome.CSRF); err != nil {
		return err
	}
	f.Base, f.CSRF, f.Roles = base, vm.Chrome.CSRF, true
	vm.Invite = f
	return render(c, status, customerPage(vm))
}

// SaveCustomerZones sets the zones a customer may use, within the partner's.
func (h *Handler) SaveCustomerZones(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	cust, err := h.cfg.Tenants.Customer(ctx, p.ID, c.Param("customer"))
	if err != nil {
		return err
	}
	zones := formZones(c)
	if zones == nil {
		zones = []string{}
	}
	err = h.cfg.Tenants.SetCustomerZones(ctx, p.ID, cust.ID, zones)
	h.audit(c, "zones.update", cust.ID, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.zones_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/customers/"+cust.ID)
}

// RenameCustomer changes a customer's display name.
func (h *Handler) RenameCustomer(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	id := c.Param("customer")
	err := h.cfg.Tenants.RenameCustomer(ctx, p.ID, id, c.FormValue("name"))
	var ve *tenants.ValidationError
	if errors.As(err, &ve) {
		setFlash(c, "error", "flash.customer_name_invalid")
		return c.Redirect(http.StatusSeeOther, "/admin/customers/"+id)
	}
	h.audit(c, "customer.rename", id, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.customer_renamed")
	return c.Redirect(http.StatusSeeOther, "/admin/customers/"+id)
}

// SuspendCustomer suspends a customer, or lifts its suspension ("resume"
// in the form): suspended, its users' sessions end and their Biscuits are
// revoked, its tokens are refused, its applications keep running.
func (h *Handler) SuspendCustomer(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	id := c.Param("customer")
	if c.FormValue("resume") == "on" {
		err := h.cfg.Tenants.ResumeCustomer(ctx, p.ID, id)
		h.audit(c, "customer.resume", id, err)
		if err != nil && !errors.Is(err, tenants.ErrNotFound) {
			return err
		}
		setFlash(c, "ok", "flash.customer_resumed")
		return c.Redirect(http.StatusSeeOther, "/admin/customers/"+id)
	}
	ended, err := h.cfg.Tenants.SuspendCustomer(ctx, p.ID, id)
	h.audit(c, "customer.suspend", id, err)
	if err != nil && !errors.Is(err, tenants.ErrNotFound) {
		return err
	}
	if err := h.revokeSessions(ctx, p.ID, ended); err != nil {
		return err
	}
	setFlash(c, "ok", "flash.customer_suspended")
	return c.Redirect(http.StatusSeeOther, "/admin/customers/"+id)
}

// DeleteCustomer deletes a customer once its name is typed to confirm:
// its tokens are revoked, its platform organisation (and its applications
// and add-ons) deleted, then the customer with its users and invitations.
func (h *Handler) DeleteCustomer(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	cust, err := h.cfg.Tenants.Customer(ctx, p.ID, c.Param("customer"))
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.FormValue("confirm")) != cust.Name {
		setFlash(c, "error", "flash.customer_delete_confirm")
		return c.Redirect(http.StatusSeeOther, "/admin/customers/"+cust.ID)
	}
	if err := h.cfg.Tokens.RevokeCustomer(ctx, p.ID, cust.ID); err != nil {
		return err
	}
	api, err := h.partnerAPI(ctx, p)
	if err != nil {
		return err
	}
	if err := deleteOrganisation(ctx, api, cust.OrganisationID); err != nil {
		h.audit(c, "customer.delete", cust.ID, err)
		return err
	}
	err = h.cfg.Tenants.DeleteCustomer(ctx, p.ID, cust.ID)
	h.audit(c, "customer.delete", cust.ID, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.customer_deleted")
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// deleteOrganisation deletes a platform organisation with its applications
// and add-ons, which the platform wants gone first. What is already gone
// is what was asked: a retry after a failure half-way finishes the job.
func deleteOrganisation(ctx context.Context, api *platform.Client, org string) error {
	gone := func(err error) bool { return err == nil || errors.Is(err, platform.ErrNotFound) }
	apps, err := api.Applications(ctx, org)
	if !gone(err) {
		return err
	}
	for _, a := range apps {
		if err := api.DeleteApplication(ctx, org, a.ID); !gone(err) {
			return err
		}
	}
	addons, err := api.Addons(ctx, org)
	if !gone(err) {
		return err
	}
	for _, a := range addons {
		if err := api.DeleteAddon(ctx, org, a.ID); !gone(err) {
			return err
		}
	}
	if err := api.DeleteOrganisation(ctx, org); !gone(err) {
		return err
	}
	return nil
}

// CustomersVM is the list of the partner's customers.
type CustomersVM struct {
	Chrome    Chrome
	Customers []CustomerRow
	Page      components.Pagination
}

// AdminCustomers lists the partner's customers (its support staff's home).
func (h *Handler) AdminCustomers(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	customers, err := h.cfg.Tenants.Customers(ctx, p.ID)
	if err != nil {
		return err
	}
	vm := CustomersVM{Chrome: h.chrome(c, i18n.T(ctx, "nav.customers"))}
	for _, cu := range customers {
		vm.Customers = append(vm.Customers, CustomerRow{ID: cu.ID, Name: cu.Name, Organisation: cu.OrganisationID, Zones: cu.AllowedZones})
	}
	vm.Customers, vm.Page = pageOf(c, vm.Customers)
	return render(c, http.StatusOK, customersPage(vm))
}
