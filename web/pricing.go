package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/web/i18n"
)

// ConsoleCataloguePath is where the console's widgets fetch the customer's
// own catalogue when they change zone.
const ConsoleCataloguePath = "/console/widgets/catalogue"

// PricingVM is the customer's pricing page: its zones and prices, shown by
// the zone picker and price table components.
type PricingVM struct {
	Chrome   Chrome
	Widget   components.Widget
	Currency string
	Addons   []components.Product
	// Body is the page within its frame, rendered (pricingBody).
	Body string
}

// consoleWidget is the state of the console's widgets: the customer's own
// catalogue in a zone, in the reader's language.
func (h *Handler) consoleWidget(ctx context.Context, s scope, zone string) (components.Widget, error) {
	e, err := h.cachedCatalogue(ctx, widgetAudience{partner: s.partner, customer: &s.customer}, widgetQuery{Zone: zone}, i18n.Lang(ctx))
	if err != nil {
		return components.Widget{}, err
	}
	return components.Widget{State: components.StateLoaded, Catalogue: e.cat, Words: widgetWords(ctx), Source: ConsoleCataloguePath}, nil
}

// Pricing shows the customer's own prices: its zones, its currency, per
// hour, per day and per 30 days.
func (h *Handler) Pricing(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	zones := s.zones()
	if len(zones) == 0 {
		return NewUserError(http.StatusNotFound, "console.no_zones")
	}
	zone := c.QueryParam("zone")
	if !slices.Contains(zones, zone) {
		zone = zones[0]
	}
	lang := i18n.Lang(ctx)
	e, err := h.cachedCatalogue(ctx, widgetAudience{partner: s.partner, customer: &s.customer}, widgetQuery{Zone: zone}, lang)
	if err != nil {
		return err
	}
	ch := h.chrome(c, i18n.T(ctx, "pricing.title"))
	ch.Widgets = true
	vm := PricingVM{Chrome: ch, Currency: e.cat.Currency}
	// The body depends on the catalogue (its ETag names it) and the
	// language only.
	vm.Body, err = h.pages.render(ctx, "pricing|"+lang+"|"+e.etag, func() templ.Component {
		body := PricingVM{Currency: e.cat.Currency, Widget: components.Widget{State: components.StateLoaded, Catalogue: e.cat,
			Words: widgetWords(ctx), Source: ConsoleCataloguePath}}
		for _, p := range e.cat.Products {
			if p.Kind == components.KindAddon {
				body.Addons = append(body.Addons, p)
			}
		}
		return pricingBody(body)
	})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pricingPage(vm))
}

// planEstimate is a plan's price for 30 days, as forms show it next to a
// choice ("≈ €576.00 / 30 days"); "" when it has no price.
func planEstimate(ctx context.Context, cat components.Catalogue, product, plan string) string {
	for _, pl := range cat.Plans(product) {
		if pl.ID == plan {
			return i18n.T(ctx, "pricing.estimate", map[string]any{
				"Amount": components.Money(cat.Lang, cat.Currency, pl.Price.Days30)})
		}
	}
	return ""
}

// estimateZone is the zone a form's estimates are for: the chosen one, else
// the first the customer may use.
func estimateZone(s scope, chosen string) string {
	zones := s.zones()
	if slices.Contains(zones, chosen) || len(zones) == 0 {
		return chosen
	}
	return zones[0]
}

// withEstimate appends an estimate to an option label.
func withEstimate(label, estimate string) string {
	if estimate == "" {
		return label
	}
	return strings.Join([]string{label, estimate}, " — ")
}
