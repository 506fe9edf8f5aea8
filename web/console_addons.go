package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/web/i18n"
)

// AddonForm is what the create-add-on form sends.
type AddonForm struct {
	Name, Provider, Plan, Zone, Key string
}

// NewAddonVM is the create-add-on page: first a provider, then its plan and zone.
type NewAddonVM struct {
	Chrome    Chrome
	Providers []platform.AddonProvider
	Provider  *platform.AddonProvider
	Form      AddonForm
	Plans     []Option
	Zones     []Option
	// Estimate is the estimator that follows the form's choices.
	Estimate components.EstimatorProps
	Error    string
}

// addonZones lists the zones where a provider's plan can run and the
// customer may deploy.
func addonZones(s scope, p platform.AddonProvider) []string {
	return providerZones(p, s.zones())
}

// providerZones lists those of zones where one of a provider's plans can run.
func providerZones(p platform.AddonProvider, zones []string) []string {
	var out []string
	for _, z := range zones {
		if slices.Contains(p.Regions, z) {
			out = append(out, z)
			continue
		}
		for _, pl := range p.Plans {
			if slices.Contains(pl.Zones, z) {
				out = append(out, z)
				break
			}
		}
	}
	return out
}

func (h *Handler) newAddonVM(c echo.Context, s scope, form AddonForm) NewAddonVM {
	ctx := c.Request().Context()
	vm := NewAddonVM{Chrome: h.chrome(c, i18n.T(ctx, "addon.new.title")), Form: form}
	for _, p := range s.cat.Providers {
		if len(addonZones(s, p)) > 0 {
			vm.Providers = append(vm.Providers, p)
		}
	}
	if p, ok := s.cat.Provider(form.Provider); ok {
		vm.Provider = &p
		vm.Chrome.Widgets = true
		zones := addonZones(s, p)
		zone := form.Zone
		if !slices.Contains(zones, zone) && len(zones) > 0 {
			zone = zones[0]
		}
		w := h.formWidget(ctx, s, zone)
		for _, pl := range p.Plans {
			vm.Plans = append(vm.Plans, Option{Value: pl.Slug, Label: withEstimate(pl.Name, planEstimate(ctx, w.Catalogue, p.ID, pl.Slug))})
		}
		plan := form.Plan
		if plan == "" && len(p.Plans) > 0 {
			plan = p.Plans[0].Slug
		}
		vm.Estimate = components.EstimatorProps{Widget: w, Product: p.ID, Plan: plan, Quantity: 1,
			Period: components.Period30Days, Form: "new-addon-form", TestID: "estimate"}
		vm.Zones = zoneOptions(ctx, s.cat, zones)
	}
	if vm.Form.Key == "" {
		vm.Form.Key = newKey()
	}
	return vm
}

// NewAddon renders the create-add-on form.
func (h *Handler) NewAddon(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, newAddonPage(h.newAddonVM(c, s, AddonForm{Provider: c.QueryParam("provider")})))
}

// CreateAddon creates an add-on on the platform, once per form key.
func (h *Handler) CreateAddon(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	form := AddonForm{
		Name:     strings.TrimSpace(c.FormValue("name")),
		Provider: c.FormValue("provider"),
		Plan:     c.FormValue("plan"),
		Zone:     c.FormValue("zone"),
		Key:      c.FormValue("idempotency_key"),
	}
	refuse := func(status int, id string, kv ...any) error {
		vm := h.newAddonVM(c, s, form)
		vm.Error = i18n.TE(ctx, i18n.NewError(id, kv...))
		return render(c, status, newAddonPage(vm))
	}
	prov, ok := s.cat.Provider(form.Provider)
	if !ok {
		return refuse(http.StatusBadRequest, "addon.error.provider")
	}
	plan, ok := prov.Plan(form.Plan)
	if !ok {
		return refuse(http.StatusBadRequest, "addon.error.plan")
	}
	if !slices.Contains(addonZones(s, prov), form.Zone) {
		return refuse(http.StatusBadRequest, "addon.error.zone", "Zone", form.Zone)
	}
	if form.Name == "" || utf8.RuneCountInString(form.Name) > 100 {
		return refuse(http.StatusBadRequest, "addon.error.name")
	}
	if !validKey(form.Key) {
		form.Key = newKey()
	}
	// Add-ons carry no tags: a retry recognises the add-on by its name,
	// provider and zone.
	id, err := h.createOnce(ctx, s, form.Key, "addon.create", func() (string, error) {
		a, err := s.api.CreateAddon(ctx, s.org(), platform.AddonCreate{
			Name: form.Name, ProviderID: prov.ID, Plan: plan.ID, Region: form.Zone, Options: map[string]string{},
		})
		return a.ID, err
	}, func(ctx context.Context) (string, error) {
		addons, err := s.api.Addons(ctx, s.org())
		if err != nil {
			return "", err
		}
		for _, a := range addons {
			if a.Name == form.Name && a.Provider.ID == prov.ID && a.Region == form.Zone {
				return a.ID, nil
			}
		}
		return "", nil
	})
	h.audit(c, "addon.create", id, err)
	if err != nil {
		var ue *UserError
		if errors.As(err, &ue) {
			return refuse(ue.Status, ue.Msg.ID)
		}
		return err
	}
	setFlash(c, "ok", "flash.addon_created")
	return c.Redirect(http.StatusSeeOther, "/console")
}

// addonDeletion is the deletion of an add-on.
var addonDeletion = deletion{
	param: "addon", action: "addon.delete", titleID: "addon.delete.title", questionID: "addon.delete.question", flashID: "flash.addon_deleted",
	load: func(ctx context.Context, s scope, id string) (string, error) {
		a, err := s.api.Addon(ctx, s.org(), id)
		return a.Name, err
	},
	remove: func(ctx context.Context, s scope, id string) error { return s.api.DeleteAddon(ctx, s.org(), id) },
	cancel: func(string) string { return "/console" },
}

// ConfirmDeleteAddon asks before deleting an add-on.
func (h *Handler) ConfirmDeleteAddon(c echo.Context) error { return h.confirmDelete(c, addonDeletion) }

// DeleteAddon deletes an add-on once the user typed its name.
func (h *Handler) DeleteAddon(c echo.Context) error { return h.deleteConfirmed(c, addonDeletion) }
