package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// DraftInfo is the partner's unpublished draft on the admin page.
type DraftInfo struct {
	UpdatedAt, UpdatedBy string
}

// VersionRow is one publication in the brand's history.
type VersionRow struct {
	Version      int
	Date, By     string
	Changed      string
	RestoredFrom int
	Current      bool
}

// studioVM fills the admin page's draft and history.
func (h *Handler) studioVM(ctx context.Context, p tenants.Partner, vm *AdminVM) error {
	d, err := h.cfg.Tenants.BrandDraft(ctx, p.ID)
	switch {
	case err == nil:
		vm.Draft = &DraftInfo{UpdatedAt: i18n.Date(ctx, d.UpdatedAt), UpdatedBy: d.UpdatedBy}
		vm.Brand = d.Brand
	case !errors.Is(err, tenants.ErrNotFound):
		return err
	}
	versions, err := h.cfg.Tenants.BrandVersions(ctx, p.ID)
	if err != nil {
		return err
	}
	for i, v := range versions {
		row := VersionRow{Version: v.Version, Date: i18n.Date(ctx, v.PublishedAt), By: v.PublishedBy, RestoredFrom: v.RestoredFrom, Current: i == 0}
		var changed []string
		for _, c := range v.Changed {
			changed = append(changed, i18n.T(ctx, "studio.changed."+c))
		}
		switch {
		case v.Version == 1 && v.PublishedBy == "":
			row.Changed = i18n.T(ctx, "studio.initial")
		case len(changed) == 0:
			row.Changed = i18n.T(ctx, "studio.unchanged")
		default:
			row.Changed = strings.Join(changed, ", ")
		}
		vm.Versions = append(vm.Versions, row)
	}
	return nil
}

// PublishBrandDraft publishes the draft.
func (h *Handler) PublishBrandDraft(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	_, err := h.cfg.Tenants.PublishBrandDraft(ctx, p.ID, u.Email)
	if errors.Is(err, tenants.ErrNotFound) {
		return NewUserError(http.StatusConflict, "studio.error.no_draft")
	}
	h.audit(c, "brand.publish", p.ID, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.brand_published")
	return c.Redirect(http.StatusSeeOther, "/admin#brand")
}

// DiscardBrandDraft throws the draft away.
func (h *Handler) DiscardBrandDraft(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	err := h.cfg.Tenants.DiscardBrandDraft(ctx, p.ID)
	h.audit(c, "brand.discard", p.ID, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.brand_discarded")
	return c.Redirect(http.StatusSeeOther, "/admin#brand")
}

// RollbackBrand republishes an earlier version exactly.
func (h *Handler) RollbackBrand(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	v, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || v <= 0 {
		return NewUserError(http.StatusBadRequest, "studio.error.version")
	}
	_, err = h.cfg.Tenants.RollbackBrand(ctx, p.ID, v, u.Email)
	if errors.Is(err, tenants.ErrNotFound) {
		return NewUserError(http.StatusNotFound, "studio.error.version")
	}
	h.audit(c, "brand.rollback", strconv.Itoa(v), err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.brand_rolled_back")
	return c.Redirect(http.StatusSeeOther, "/admin#brand")
}

// draft returns the partner's draft, or a refusal when it has none.
func (h *Handler) draft(c echo.Context) (tenants.BrandDraft, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	d, err := h.cfg.Tenants.BrandDraft(ctx, p.ID)
	if errors.Is(err, tenants.ErrNotFound) {
		return d, NewUserError(http.StatusNotFound, "studio.error.no_draft")
	}
	return d, err
}

// DraftCSS serves the draft brand as CSS custom properties, to the
// partner's admins only (the route is theirs).
func (h *Handler) DraftCSS(c echo.Context) error {
	d, err := h.draft(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	font := ""
	if _, ok := d.File(tenants.FileFont); ok {
		font = FilePath(tenants.FileFont, true)
	}
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(d.Brand.CSSWithFont(font)))
}

// DraftFile serves the draft's file of kind k, sandboxed as the published
// one is, or 404 when the draft has none.
func (h *Handler) DraftFile(k tenants.FileKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		d, err := h.draft(c)
		if err != nil {
			return err
		}
		f, ok := d.File(k)
		if !ok {
			return echo.ErrNotFound
		}
		return serveImage(c, f.Data, f.ContentType, "no-store")
	}
}

// PreviewBrand shows one of the customers' pages (sign-in, dashboard,
// pricing, a widget) in the draft brand, to the partner's admin; customers
// keep seeing the published brand.
func (h *Handler) PreviewBrand(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	page := c.Param("page")
	if !slices.Contains(previewPages, page) {
		return echo.ErrNotFound
	}
	d, err := h.draft(c)
	if err != nil {
		return err
	}
	// The draft's wording, in the preview's texts and in the products'
	// names (the pages' face translates through the context's localizer).
	lang := i18n.Lang(ctx)
	ctx = i18n.WithLocalizer(ctx, h.cfg.Bundle.LocalizerWith(lang, d.Brand.Words))
	c.SetRequest(c.Request().WithContext(ctx))
	// The partner as its draft would make it, for the widget and pricing
	// previews (their cache is keyed by the wording too).
	drafted := p
	drafted.Brand = d.Brand
	ch := h.chrome(c, i18n.T(ctx, "studio.page."+page))
	ch.BrandName, ch.PoweredBy, ch.Languages = d.Brand.Name, d.Brand.PoweredBy, d.Brand.Offered
	ch.Files = chromeFiles(d.Brand)
	ch.SupportURL, ch.TermsURL, ch.PrivacyURL = d.Brand.SupportURL, d.Brand.TermsURL, d.Brand.PrivacyURL
	ch.Preview = page
	// The preview shows what a customer sees: a customer's menu on the
	// signed-in pages, none on the sign-in page.
	ch.User = nil
	if page != "login" {
		ch.User = &tenants.User{Email: "customer@example.com", Role: tenants.RoleCustomer, Member: tenants.MemberOwner}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	switch page {
	case "login":
		return render(c, http.StatusOK, loginPage(LoginVM{Chrome: ch}))
	case "dashboard":
		vm := DashboardVM{Chrome: ch, Organisation: i18n.T(ctx, "studio.sample.customer")}
		vm.Apps = appsTable(ctx, []AppRow{
			{ID: "preview-1", Name: i18n.T(ctx, "studio.sample.app"), State: "UP", Zone: "par", Flavor: "S", Runtime: "Node.js"},
			{ID: "preview-2", Name: i18n.T(ctx, "studio.sample.worker"), State: "STOPPED", Zone: "par", Flavor: "XS", Runtime: "Go"},
		}, components.Pagination{})
		vm.Addons = addonsTable(ctx, []AddonRow{{ID: "preview-3", Name: i18n.T(ctx, "studio.sample.database"),
			Provider: providerName(ctx, "postgresql-addon", ""), Plan: "S", Zone: "par"}}, components.Pagination{})
		return render(c, http.StatusOK, dashboardPage(vm))
	}
	if page == "widget" {
		w, msg := h.widgetPreview(c, drafted, WidgetForm{Widget: widgetPriceTable})
		return render(c, http.StatusOK, previewWidgetPage(ch, w, msg))
	}
	// The pricing page, on the partner's public prices.
	e, err := h.cachedCatalogue(ctx, widgetAudience{partner: drafted}, widgetQuery{Zone: firstZone(p.AllowedZones)}, i18n.Lang(ctx))
	if err != nil {
		return err
	}
	ch.Widgets = true
	w := components.Widget{State: components.StateLoaded, Catalogue: e.cat, Words: widgetWords(ctx)}
	vm := PricingVM{Chrome: ch, Currency: e.cat.Currency, Widget: w}
	for _, pr := range e.cat.Products {
		if pr.Kind == components.KindAddon {
			vm.Addons = append(vm.Addons, pr)
		}
	}
	body, err := templ.ToGoHTML(ctx, pricingBody(vm))
	if err != nil {
		return err
	}
	vm.Body = string(body)
	return render(c, http.StatusOK, pricingPage(vm))
}

func firstZone(zones []string) string {
	if len(zones) == 0 {
		return ""
	}
	return zones[0]
}
