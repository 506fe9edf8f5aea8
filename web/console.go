package web

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/grisaille/grisaille/components"
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
	Apps         components.DataTableProps
	Addons       components.DataTableProps
}

// dashboardPageSize is how many applications, and add-ons, a dashboard page lists.
const dashboardPageSize = 50

// Dashboard lists the customer's applications and add-ons.
func (h *Handler) Dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	// The two platform calls, at once.
	var (
		apps   []platform.Application
		addons []platform.Addon
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { apps, err = s.api.Applications(gctx, s.org()); return err })
	g.Go(func() (err error) { addons, err = s.api.Addons(gctx, s.org()); return err })
	if err := g.Wait(); err != nil {
		return err
	}
	var appRows []AppRow
	for _, a := range apps {
		appRows = append(appRows, AppRow{ID: a.ID, Name: a.Name, State: a.State, Zone: a.Zone,
			Flavor: flavorRange(a.Instance), Runtime: runtimeName(ctx, a.Instance.Variant.Slug, a.Instance.Variant.Name)})
	}
	sort.Slice(appRows, func(i, j int) bool { return strings.ToLower(appRows[i].Name) < strings.ToLower(appRows[j].Name) })
	var addonRows []AddonRow
	for _, a := range addons {
		addonRows = append(addonRows, AddonRow{ID: a.ID, Name: a.Name, Provider: providerName(ctx, a.Provider.ID, a.Provider.Name), Plan: a.Plan.Name, Zone: a.Region})
	}
	sort.Slice(addonRows, func(i, j int) bool { return strings.ToLower(addonRows[i].Name) < strings.ToLower(addonRows[j].Name) })
	vm := DashboardVM{Chrome: h.chrome(c, i18n.T(ctx, "console.title")), Organisation: s.customer.Name}
	appPage, appPager := paginate(ctx, c.Request().URL, "apps_page", len(appRows), dashboardPageSize)
	vm.Apps = appsTable(ctx, appRows[appPage.lo:appPage.hi], appPager)
	addonPage, addonPager := paginate(ctx, c.Request().URL, "addons_page", len(addonRows), dashboardPageSize)
	vm.Addons = addonsTable(ctx, addonRows[addonPage.lo:addonPage.hi], addonPager)
	return render(c, http.StatusOK, dashboardPage(vm))
}

// appsTable lists applications with their state, zone, size and runtime.
func appsTable(ctx context.Context, apps []AppRow, page components.Pagination) components.DataTableProps {
	t := components.DataTableProps{TestID: "apps", Empty: i18n.T(ctx, "console.no_apps"), Page: page, Columns: []components.Column{
		{Label: i18n.T(ctx, "field.name")}, {Label: i18n.T(ctx, "field.state")}, {Label: i18n.T(ctx, "field.zone")},
		{Label: i18n.T(ctx, "field.flavor")}, {Label: i18n.T(ctx, "field.runtime"), Class: "opt"}}}
	for _, a := range apps {
		t.Rows = append(t.Rows, components.Row{Attrs: templ.Attributes{"data-testid": "app-row", "data-app-id": a.ID}, Cells: []components.Cell{
			{Content: components.Link("/console/apps/"+a.ID, a.Name, templ.Attributes{"data-testid": "app-name"})},
			{Content: stateBadge(a.State)},
			{Content: components.Badge(a.Zone, "zone", "app-zone")},
			{Content: components.Text(a.Flavor)},
			{Content: components.Text(a.Runtime), Class: "opt"},
		}})
	}
	return t
}

// addonsTable lists add-ons with their provider, plan and zone.
func addonsTable(ctx context.Context, addons []AddonRow, page components.Pagination) components.DataTableProps {
	t := components.DataTableProps{TestID: "addons", Empty: i18n.T(ctx, "console.no_addons"), Page: page, Columns: []components.Column{
		{Label: i18n.T(ctx, "field.name")}, {Label: i18n.T(ctx, "field.provider")}, {Label: i18n.T(ctx, "field.plan")},
		{Label: i18n.T(ctx, "field.zone")}, {}}}
	for _, a := range addons {
		t.Rows = append(t.Rows, components.Row{Attrs: templ.Attributes{"data-testid": "addon-row"}, Cells: []components.Cell{
			{Content: components.Text(a.Name)}, {Content: components.Text(a.Provider)}, {Content: components.Text(a.Plan)},
			{Content: components.Badge(a.Zone, "zone", "")},
			{Content: components.Link("/console/addons/"+a.ID+"/delete", i18n.T(ctx, "action.delete"), templ.Attributes{"class": "btn small secondary"})},
		}})
	}
	return t
}

// flavorRange shows an application's flavor, or its scaling range.
func flavorRange(in platform.AppInstance) string {
	if in.MinFlavor.Name == in.MaxFlavor.Name || in.MaxFlavor.Name == "" {
		return in.MinFlavor.Name
	}
	return in.MinFlavor.Name + "–" + in.MaxFlavor.Name
}
