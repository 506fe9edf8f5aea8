package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/web/i18n"
)

// ScalingVM is an application's scaling page: the flavors its runtime
// offers in its zone, each with the customer's price, the instance counts,
// and the estimate of the most it can cost.
type ScalingVM struct {
	Chrome  Chrome
	App     platform.Application
	Flavors []Option
	// Form is the scaling as shown: the application's, or as typed when
	// refused (Field names the input at fault, Error what is wrong).
	Form ScalingForm
	FieldError
	Estimate components.EstimatorProps
}

// ScalingForm is a scaling as typed.
type ScalingForm struct {
	MinFlavor, MaxFlavor, MinInstances, MaxInstances string
}

// AppScaling shows an application's scaling.
func (h *Handler) AppScaling(c echo.Context) error {
	return h.scalingPage(c, http.StatusOK, nil, "", "")
}

func (h *Handler) scalingPage(c echo.Context, status int, form *ScalingForm, field, msg string) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	app, err := s.api.Application(ctx, s.org(), c.Param("app"))
	if err != nil {
		return err
	}
	app = face(ctx).Application(app)
	vm := ScalingVM{Chrome: h.chrome(c, i18n.T(ctx, "scaling.title", map[string]any{"Name": app.Name})), App: app, FieldError: FieldError{Field: field, Error: msg}}
	vm.Chrome.Widgets = true
	vm.Form = ScalingForm{MinFlavor: app.Instance.MinFlavor.Name, MaxFlavor: app.Instance.MaxFlavor.Name,
		MinInstances: strconv.Itoa(app.Instance.MinInstances), MaxInstances: strconv.Itoa(app.Instance.MaxInstances)}
	if form != nil {
		vm.Form = *form
	}
	slug := app.Instance.Variant.Slug
	w := h.formWidget(ctx, s, app.Zone)
	for _, f := range scalingFlavors(s, slug) {
		vm.Flavors = append(vm.Flavors, Option{Value: f.Name, Label: withEstimate(flavorLabel(ctx, f), planEstimate(ctx, w.Catalogue, slug, f.Name))})
	}
	qty, err := strconv.Atoi(vm.Form.MaxInstances)
	if err != nil || qty < 1 || qty > maxInstances {
		qty = 1
	}
	vm.Estimate = components.EstimatorProps{Widget: w, Product: slug, Plan: vm.Form.MaxFlavor, Quantity: qty,
		Period: components.Period30Days, Form: "scaling-form", TestID: "scaling-estimate"}
	return render(c, status, scalingPage(vm))
}

// scalingFlavors are the flavors the application's runtime offers, in the
// catalogue's order (smallest first).
func scalingFlavors(s scope, slug string) []platform.Flavor {
	rt, ok := s.cat.Runtime(slug)
	if !ok {
		return nil
	}
	var out []platform.Flavor
	for _, f := range rt.Flavors {
		if f.Available {
			out = append(out, f)
		}
	}
	return out
}

// SaveScaling changes an application's flavors and instance counts, within
// what its runtime offers.
func (h *Handler) SaveScaling(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	app, err := s.api.Application(ctx, s.org(), c.Param("app"))
	if err != nil {
		return err
	}
	f := ScalingForm{MinFlavor: c.FormValue("min_flavor"), MaxFlavor: c.FormValue("max_flavor"),
		MinInstances: c.FormValue("min_instances"), MaxInstances: c.FormValue("max_instances")}
	flavors := scalingFlavors(s, app.Instance.Variant.Slug)
	index := func(name string) int {
		return slices.IndexFunc(flavors, func(fl platform.Flavor) bool { return fl.Name == name })
	}
	minI, err1 := strconv.Atoi(f.MinInstances)
	maxI, err2 := strconv.Atoi(f.MaxInstances)
	switch {
	case index(f.MinFlavor) < 0:
		return h.scalingPage(c, http.StatusBadRequest, &f, "min_flavor", i18n.T(ctx, "scaling.error.flavor"))
	case index(f.MaxFlavor) < 0:
		return h.scalingPage(c, http.StatusBadRequest, &f, "max_flavor", i18n.T(ctx, "scaling.error.flavor"))
	case index(f.MinFlavor) > index(f.MaxFlavor):
		return h.scalingPage(c, http.StatusBadRequest, &f, "max_flavor", i18n.T(ctx, "scaling.error.flavor_order"))
	case err1 != nil || minI < 1 || minI > maxInstances:
		return h.scalingPage(c, http.StatusBadRequest, &f, "min_instances", i18n.T(ctx, "scaling.error.instances", map[string]any{"Max": maxInstances}))
	case err2 != nil || maxI < 1 || maxI > maxInstances:
		return h.scalingPage(c, http.StatusBadRequest, &f, "max_instances", i18n.T(ctx, "scaling.error.instances", map[string]any{"Max": maxInstances}))
	case minI > maxI:
		return h.scalingPage(c, http.StatusBadRequest, &f, "max_instances", i18n.T(ctx, "scaling.error.instances_order"))
	}
	return h.appActionTo(c, "app.scale", "flash.app_scaled", "/scaling", func(ctx context.Context, api *platform.Client, org, id string) error {
		_, err := api.UpdateApplication(ctx, org, id, platform.ApplicationUpdate{MinFlavor: &f.MinFlavor, MaxFlavor: &f.MaxFlavor,
			MinInstances: &minI, MaxInstances: &maxI})
		return err
	})
}
