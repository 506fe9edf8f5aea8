package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// widgetQuery is what a widget asks for; "" takes the partner's default.
type widgetQuery struct {
	Zone, Currency, Lang string
}

// WidgetError is a refused widget query: the status, the query field at
// fault, its value and the message id (the widgets' own words).
type WidgetError struct {
	Status       int
	Field, Value string
	ID           string
}

// Error returns the message id, for logs.
func (e *WidgetError) Error() string { return e.ID + " (" + e.Field + ")" }

// parseWidgetQuery reads zone, currency and lang from a query string,
// refusing any other field and any field given twice.
func parseWidgetQuery(v url.Values) (widgetQuery, *WidgetError) {
	for k, vals := range v {
		if k != "zone" && k != "currency" && k != "lang" {
			return widgetQuery{}, &WidgetError{Status: http.StatusBadRequest, Field: k, ID: components.MsgErrParam}
		}
		if len(vals) > 1 {
			return widgetQuery{}, &WidgetError{Status: http.StatusBadRequest, Field: k, Value: vals[0], ID: components.MsgErrParam}
		}
	}
	return widgetQuery{Zone: v.Get("zone"), Currency: v.Get("currency"), Lang: v.Get("lang")}, nil
}

// isCurrencyCode reports whether s looks like an ISO 4217 code.
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// widgetAudience is whom a catalogue prices for: a partner's public prices
// (customer nil) or one customer's own.
type widgetAudience struct {
	partner  tenants.Partner
	customer *tenants.Customer
}

func (a widgetAudience) customerID() string {
	if a.customer == nil {
		return ""
	}
	return a.customer.ID
}

// zones lists the zones on offer by the one zone policy: the partner's, or
// the customer's within them.
func (a widgetAudience) zones(cat platform.CatalogueSnapshot) []string {
	if a.customer == nil {
		return tenants.AllowedZones(cat.ZoneNames(), a.partner.AllowedZones, a.partner.AllowedZones)
	}
	return tenants.AllowedZones(cat.ZoneNames(), a.partner.AllowedZones, a.customer.AllowedZones)
}

// widgetCatalogue builds what the widgets show for an audience: the zones on
// offer and every runtime size and add-on plan priced in one of them by the
// one pricing engine. A query naming a zone, currency or language not on
// offer is refused with a *WidgetError.
func (h *Handler) widgetCatalogue(ctx context.Context, a widgetAudience, q widgetQuery) (components.Catalogue, error) {
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return components.Catalogue{}, err
	}
	lang := q.Lang
	switch {
	case lang == "":
		lang = i18n.Lang(ctx)
	case !i18n.Supported(lang):
		return components.Catalogue{}, &WidgetError{Status: http.StatusBadRequest, Field: "lang", Value: lang, ID: components.MsgErrLang}
	}
	zones := a.zones(cat)
	zone := q.Zone
	switch {
	case zone == "" && len(zones) > 0:
		zone = zones[0]
	case zone != "" && !tenants.ValidZone(zone):
		return components.Catalogue{}, &WidgetError{Status: http.StatusBadRequest, Field: "zone", Value: zone, ID: components.MsgErrZone}
	case !slices.Contains(zones, zone):
		return components.Catalogue{}, &WidgetError{Status: http.StatusNotFound, Field: "zone", Value: zone, ID: components.MsgErrZone}
	}
	now := time.Now()
	currencies, err := h.cfg.Grids.Currencies(ctx, a.partner.ID, a.customerID(), now)
	if err != nil {
		return components.Catalogue{}, err
	}
	currency := strings.ToUpper(q.Currency)
	switch {
	case currency == "":
		currency = currencies[0]
	case !isCurrencyCode(currency):
		return components.Catalogue{}, &WidgetError{Status: http.StatusBadRequest, Field: "currency", Value: q.Currency, ID: components.MsgErrCurr}
	case !slices.Contains(currencies, currency):
		return components.Catalogue{}, &WidgetError{Status: http.StatusNotFound, Field: "currency", Value: q.Currency, ID: components.MsgErrCurr}
	}
	loc := h.cfg.Bundle.LocalizerWith(lang, a.partner.Brand.Words)
	names := face(i18n.WithLocalizer(ctx, loc)) // the products in lang, in the partner's words
	out := components.Catalogue{Lang: lang, Currency: currency, Currencies: currencies, Zone: zone,
		Zones: []components.Zone{}, Products: []components.Product{}}
	for _, z := range zones {
		info, _ := cat.Zone(z)
		out.Zones = append(out.Zones, components.Zone{ID: z, City: info.City, Country: info.Country})
	}
	quoted := map[string]*components.Prices{} // price id → prices, nil when unpriced
	cpus := map[int]string{}                  // vCPU count → "12 vCPU"
	price := func(slug string) (*components.Prices, error) {
		if p, ok := quoted[slug]; ok {
			return p, nil
		}
		q, err := h.cfg.Prices.Quote(ctx, a.partner.ID, a.customerID(), zone, currency, slug, now)
		var p *components.Prices
		switch {
		case errors.Is(err, pricing.ErrNoPrice):
		case err != nil:
			return nil, err
		case q.Kind == pricing.KindHourly:
			p = &components.Prices{Hour: q.Price.Round(4).StringFixed(4), Day: pricing.PerDay(q.Price).StringFixed(2),
				Days30: pricing.Per30Days(q.Price).StringFixed(2)}
		}
		quoted[slug] = p
		return p, nil
	}
	for _, rt := range cat.Runtimes() {
		prod := components.Product{ID: rt.Variant.Slug, Name: names.RuntimeName(rt.Variant.Slug, rt.Variant.Name), Kind: components.KindRuntime}
		for _, f := range rt.Flavors {
			if !f.Available || f.MachineLearning {
				continue
			}
			p, err := price(f.PriceID)
			if err != nil {
				return components.Catalogue{}, err
			}
			if p != nil {
				if _, ok := cpus[f.CPUs]; !ok {
					cpus[f.CPUs] = loc.T("flavor.cpus", map[string]any{"Count": f.CPUs})
				}
				prod.Plans = append(prod.Plans, components.Plan{ID: f.Name, Name: f.Name, Price: *p,
					Detail: cpus[f.CPUs] + " · " + f.Memory.Formatted})
			}
		}
		if len(prod.Plans) > 0 {
			out.Products = append(out.Products, prod)
		}
	}
	for _, pv := range cat.Providers {
		if !slices.Contains(providerZones(pv, []string{zone}), zone) {
			continue
		}
		prod := components.Product{ID: pv.ID, Name: names.ProviderName(pv.ID, pv.Name), Kind: components.KindAddon}
		for _, pl := range pv.Plans {
			p, err := price(pl.PriceID)
			if err != nil {
				return components.Catalogue{}, err
			}
			if p != nil {
				prod.Plans = append(prod.Plans, components.Plan{ID: pl.Slug, Name: pl.Name, Price: *p})
			}
		}
		if len(prod.Plans) > 0 {
			out.Products = append(out.Products, prod)
		}
	}
	return out, nil
}

// widgetWords are the widgets' words in the context's language.
func widgetWords(ctx context.Context) components.Words {
	return components.NewWords(i18n.Lang(ctx), words(ctx))
}

// contentTag is a strong ETag of a body.
func contentTag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// notModified answers 304 when the request already holds this version.
func notModified(c echo.Context, etag string) bool {
	c.Response().Header().Set("ETag", etag)
	for _, t := range strings.Split(c.Request().Header.Get("If-None-Match"), ",") {
		if strings.TrimSpace(t) == etag {
			c.Response().WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}
