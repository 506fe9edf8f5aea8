package web

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// scope is what every console action works within: the partner, the
// signed-in customer user, their organisation, the platform client acting
// with the partner's credential and the catalogue.
type scope struct {
	partner  tenants.Partner
	user     tenants.User
	customer tenants.Customer
	api      *platform.Client
	cat      platform.CatalogueSnapshot
}

// org is the customer's platform organisation: the only one a console
// action may touch. It never comes from the request.
func (s scope) org() string { return s.customer.OrganisationID }

// zones lists the zones the customer may use, by the one zone policy.
func (s scope) zones() []string {
	return tenants.AllowedZones(s.cat.ZoneNames(), s.partner.AllowedZones, s.customer.AllowedZones)
}

// scopeOf builds the console scope of the request.
func (h *Handler) scopeOf(ctx context.Context) (scope, error) {
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	cust, ok := tenants.CustomerFrom(ctx) // resolved by the server's authorization
	if !ok || cust.ID != u.CustomerID {
		var err error
		if cust, err = h.cfg.Tenants.Customer(ctx, p.ID, u.CustomerID); err != nil {
			return scope{}, err
		}
	}
	api, err := h.partnerAPI(ctx, p)
	if err != nil {
		return scope{}, err
	}
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return scope{}, err
	}
	return scope{partner: p, user: u, customer: cust, api: api, cat: cat}, nil
}

// AppRow is one application in a list.
type AppRow struct {
	ID, Name, State, Zone, Flavor, Runtime string
}

// AddonRow is one add-on in a list.
type AddonRow struct {
	ID, Name, Provider, Plan, Zone string
}

// DashboardVM is the console's home page.
type DashboardVM struct {
	Chrome       Chrome
	Organisation string
	Apps         []AppRow
	Addons       []AddonRow
}

// Dashboard lists the customer's applications and add-ons.
func (h *Handler) Dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	apps, err := s.api.Applications(ctx, s.org())
	if err != nil {
		return err
	}
	addons, err := s.api.Addons(ctx, s.org())
	if err != nil {
		return err
	}
	vm := DashboardVM{Chrome: h.chrome(c, i18n.T(ctx, "console.title")), Organisation: s.customer.Name}
	for _, a := range apps {
		vm.Apps = append(vm.Apps, AppRow{ID: a.ID, Name: a.Name, State: a.State, Zone: a.Zone,
			Flavor: flavorRange(a.Instance), Runtime: a.Instance.Variant.Name})
	}
	sort.Slice(vm.Apps, func(i, j int) bool { return strings.ToLower(vm.Apps[i].Name) < strings.ToLower(vm.Apps[j].Name) })
	for _, a := range addons {
		vm.Addons = append(vm.Addons, AddonRow{ID: a.ID, Name: a.Name, Provider: a.Provider.Name, Plan: a.Plan.Name, Zone: a.Region})
	}
	sort.Slice(vm.Addons, func(i, j int) bool { return strings.ToLower(vm.Addons[i].Name) < strings.ToLower(vm.Addons[j].Name) })
	return render(c, http.StatusOK, dashboardPage(vm))
}

// flavorRange shows an application's flavor, or its scaling range.
func flavorRange(in platform.AppInstance) string {
	if in.MinFlavor.Name == in.MaxFlavor.Name || in.MaxFlavor.Name == "" {
		return in.MinFlavor.Name
	}
	return in.MinFlavor.Name + "–" + in.MaxFlavor.Name
}

// stateClass is the badge style of an application state.
func stateClass(state string) string {
	switch state {
	case platform.StateShouldBeUp:
		return "badge up"
	case platform.StateWantsToBeUp:
		return "badge starting"
	default:
		return "badge down"
	}
}
