package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// The widgets a partner can embed, as their elements are named.
const (
	widgetPriceTable = "gl-price-table"
	widgetZonePicker = "gl-zone-picker"
	widgetEstimator  = "gl-estimator"
)

var widgetNames = []string{widgetPriceTable, widgetZonePicker, widgetEstimator}

// WidgetForm is the widget and attributes the partner chose.
type WidgetForm struct {
	Widget, Zone, Currency, Lang, Product, Period string
}

// attrs lists the element's attributes in a stable order, set ones only.
func (f WidgetForm) attrs() [][2]string {
	var out [][2]string
	for _, kv := range [][2]string{{"zone", f.Zone}, {"currency", f.Currency}, {"lang", f.Lang}, {"product", f.Product}, {"period", f.Period}} {
		// A zone picker shows zones only: product and period mean nothing to it.
		if kv[1] == "" || f.Widget == widgetZonePicker && (kv[0] == "product" || kv[0] == "period") {
			continue
		}
		out = append(out, kv)
	}
	if f.Widget == widgetPriceTable {
		out = append(out, [2]string{"selectable", ""})
	}
	return out
}

// AdminWidgetsVM is the widgets page: the choices, the preview and the
// snippet to paste.
type AdminWidgetsVM struct {
	Chrome     Chrome
	Form       WidgetForm
	Widgets    []Option
	Zones      []Option
	Currencies []Option
	Langs      []Option
	Products   []Option
	Periods    []Option
	Snippet    string
	// Preview is the chosen widget, server-rendered with the partner's
	// public catalogue; Error a refused choice.
	Preview templ.Component
	Error   string
}

// AdminWidgets lets a partner choose a widget and its attributes, see it in
// its brand and copy the snippet that embeds it on its own website.
func (h *Handler) AdminWidgets(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	f := WidgetForm{Widget: c.QueryParam("widget"), Zone: c.QueryParam("zone"), Currency: c.QueryParam("currency"),
		Lang: c.QueryParam("lang"), Product: c.QueryParam("product"), Period: c.QueryParam("period")}
	if !slices.Contains(widgetNames, f.Widget) {
		f.Widget = widgetPriceTable
	}
	vm := AdminWidgetsVM{Chrome: h.chrome(c, i18n.T(ctx, "widgets.title")), Form: f}
	vm.Chrome.Widgets = true
	defaultOption := func(label string) []Option { return []Option{{Value: "", Label: label}} }
	for _, w := range widgetNames {
		vm.Widgets = append(vm.Widgets, Option{Value: w, Label: i18n.T(ctx, "widgets.kind."+strings.TrimPrefix(w, "gl-"))})
	}
	vm.Langs = append(defaultOption(i18n.T(ctx, "widgets.default")), Option{Value: "en", Label: i18n.T(ctx, "lang.name.en")}, Option{Value: "fr", Label: i18n.T(ctx, "lang.name.fr")})
	vm.Periods = defaultOption(i18n.T(ctx, "widgets.default"))
	for _, per := range components.Periods {
		vm.Periods = append(vm.Periods, Option{Value: per, Label: i18n.T(ctx, "widget.per."+per)})
	}
	// The choices come from the partner's public catalogue (its default
	// zone and currency), so that only what it sells is offered.
	base, err := h.widgetCatalogue(ctx, widgetAudience{partner: p}, widgetQuery{})
	if err != nil {
		return err
	}
	vm.Zones = defaultOption(i18n.T(ctx, "widgets.default"))
	for _, z := range base.Zones {
		vm.Zones = append(vm.Zones, Option{Value: z.ID, Label: z.Label()})
	}
	vm.Currencies = defaultOption(i18n.T(ctx, "widgets.default"))
	for _, cur := range base.Currencies {
		vm.Currencies = append(vm.Currencies, Option{Value: cur, Label: cur})
	}
	vm.Products = defaultOption(i18n.T(ctx, "widgets.all_sizes"))
	for _, pr := range base.Products {
		vm.Products = append(vm.Products, Option{Value: pr.ID, Label: pr.Name})
	}
	vm.Snippet = snippet(c.Scheme()+"://"+c.Request().Host, f)
	vm.Preview, vm.Error = h.widgetPreview(c, p, f)
	return render(c, http.StatusOK, adminWidgetsPage(vm))
}

// snippet is the HTML a partner pastes into its website.
func snippet(origin string, f WidgetForm) string {
	var b strings.Builder
	b.WriteString(`<script type="module" src="` + origin + WidgetScriptPath + `"></script>` + "\n<" + f.Widget)
	for _, kv := range f.attrs() {
		b.WriteString(" " + kv[0])
		if kv[1] != "" {
			b.WriteString(`="` + templ.EscapeString(kv[1]) + `"`)
		}
	}
	b.WriteString("></" + f.Widget + ">")
	return b.String()
}

// widgetPreview renders the chosen widget as a partner's visitor sees it:
// the public catalogue, in the brand, upgraded by the bundle.
func (h *Handler) widgetPreview(c echo.Context, p tenants.Partner, f WidgetForm) (templ.Component, string) {
	ctx := c.Request().Context()
	lang := f.Lang
	if !i18n.Supported(lang) {
		lang = p.Brand.Language
	}
	if !i18n.Supported(lang) {
		lang = i18n.Languages[0]
	}
	lctx := i18n.WithLocalizer(ctx, h.cfg.Bundle.LocalizerWith(lang, p.Brand.Words))
	if f.Period != "" && !components.ValidPeriod(f.Period) {
		return nil, i18n.T(lctx, components.MsgErrPeriod, map[string]any{"Value": f.Period})
	}
	cat, err := h.widgetCatalogue(lctx, widgetAudience{partner: p}, widgetQuery{Zone: f.Zone, Currency: f.Currency, Lang: f.Lang})
	var we *WidgetError
	if errors.As(err, &we) {
		return nil, i18n.T(lctx, we.ID, map[string]any{"Value": we.Value, "Field": we.Field})
	}
	if err != nil {
		return nil, i18n.T(lctx, components.MsgErrLoad)
	}
	if _, ok := cat.Product(f.Product); f.Product != "" && !ok {
		return nil, i18n.T(lctx, components.MsgErrProduct, map[string]any{"Value": f.Product})
	}
	w := components.Widget{State: components.StateLoaded, Catalogue: cat, Words: widgetWords(lctx)}
	switch f.Widget {
	case widgetZonePicker:
		return components.ZonePicker(components.ZonePickerProps{Widget: w, TestID: "preview"}), ""
	case widgetEstimator:
		period := f.Period
		if period == "" {
			period = components.Period30Days
		}
		plan := ""
		if plans := cat.Plans(f.Product); len(plans) > 0 {
			plan = plans[0].ID
		}
		return components.Estimator(components.EstimatorProps{Widget: w, Product: f.Product, Plan: plan, Quantity: 1,
			Period: period, TestID: "preview"}), ""
	}
	return components.PriceTable(components.PriceTableProps{Widget: w, Product: f.Product, Period: f.Period,
		Selectable: true, TestID: "preview"}), ""
}
