package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
	"github.com/grisaille/grisaille/web/i18n"
)

// brandUpload is one of the brand form's file inputs: a file of Kind sent
// as Field, removed by the "<Kind>_remove" checkbox.
type brandUpload struct {
	Kind                        tenants.FileKind
	Field                       string
	Label, Hint, Remove, Accept string
	TooLarge                    string
	Limit                       int64
}

// removeField is the name of the checkbox removing the stored file.
func (up brandUpload) removeField() string { return string(up.Kind) + "_remove" }

// imageTypes are the image types a brand's logos and icons may be.
const imageTypes = "image/png,image/jpeg,image/webp,image/svg+xml"

// brandUploads are the brand form's files, in the form's order.
var brandUploads = []brandUpload{
	{tenants.FileLogo, "logo", "brand.logo", "brand.logo_hint", "brand.logo_remove", imageTypes, "brand.logo.too_large", tenants.MaxLogoSize},
	{tenants.FileLogoDark, "logo_dark", "brand.logo_dark", "brand.logo_dark_hint", "brand.logo_dark_remove", imageTypes, "brand.logo.too_large", tenants.MaxLogoSize},
	{tenants.FileIcon, "icon", "brand.icon", "brand.icon_hint", "brand.icon_remove", imageTypes, "brand.icon.too_large", tenants.MaxLogoSize},
	{tenants.FileIconDark, "icon_dark", "brand.icon_dark", "brand.icon_dark_hint", "brand.icon_dark_remove", imageTypes, "brand.icon.too_large", tenants.MaxLogoSize},
	{tenants.FileFont, "font_file", "brand.font_file", "brand.font_file_hint", "brand.font_remove", "font/woff2,.woff2", tenants.MsgFontTooLarge, tenants.MaxFontSize},
}

// Choice is one checkbox of a set: a zone, a language.
type Choice struct {
	Name, Label string
	Checked     bool
}

// CustomerRow is one customer in the partner's list.
type CustomerRow struct {
	ID, Name, Organisation string
	Zones                  []string
}

// AdminVM is the partner admin's home page.
type AdminVM struct {
	Chrome    Chrome
	Brand     themes.Brand
	Fonts     []string
	Zones     []Choice
	Customers []CustomerRow
	// CustomersPage is where Customers stand among all of them.
	CustomersPage components.Pagination
	// StripeKeyHint shows which Stripe key is set ("sk_test_…1234"), "" when none.
	StripeKeyHint string
	// StripeWebhookURL is the endpoint to give Stripe; StripeWebhookSet
	// says its signing secret is stored.
	StripeWebhookURL string
	StripeWebhookSet bool
	// Draft is the unpublished draft, nil for none; Versions the brand's
	// publications, newest first.
	Draft    *DraftInfo
	Versions []VersionRow
	Error    string
}

// zoneChoices lists the zones offered (all the platform's, or only the
// partner's) with the chosen ones checked.
func zoneChoices(ctx context.Context, cat platform.CatalogueSnapshot, offered, chosen []string) []Choice {
	out := make([]Choice, 0, len(offered))
	for _, o := range zoneOptions(ctx, cat, offered) {
		out = append(out, Choice{Name: o.Value, Label: o.Label, Checked: slices.Contains(chosen, o.Value)})
	}
	return out
}

func (h *Handler) adminVM(c echo.Context, p tenants.Partner) (AdminVM, error) {
	ctx := c.Request().Context()
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return AdminVM{}, err
	}
	customers, err := h.cfg.Tenants.Customers(ctx, p.ID)
	if err != nil {
		return AdminVM{}, err
	}
	vm := AdminVM{Chrome: h.chrome(c, i18n.T(ctx, "admin.title")), Brand: p.Brand, Fonts: themes.Fonts(),
		Zones: zoneChoices(ctx, cat, cat.ZoneNames(), p.AllowedZones)}
	for _, cu := range customers {
		vm.Customers = append(vm.Customers, CustomerRow{ID: cu.ID, Name: cu.Name, Organisation: cu.OrganisationID, Zones: cu.AllowedZones})
	}
	vm.Customers, vm.CustomersPage = pageOf(c, vm.Customers)
	key, err := h.cfg.Tenants.StripeKey(ctx, p.ID)
	if err != nil {
		return AdminVM{}, err
	}
	vm.StripeKeyHint = keyHint(key)
	secret, err := h.cfg.Tenants.StripeWebhookSecret(ctx, p.ID)
	if err != nil {
		return AdminVM{}, err
	}
	vm.StripeWebhookSet = secret != ""
	vm.StripeWebhookURL = "https://" + c.Request().Host + "/webhooks/stripe/" + p.Slug
	if err := h.studioVM(ctx, p, &vm); err != nil {
		return AdminVM{}, err
	}
	return vm, nil
}

// AdminHome shows the partner's brand, zones and customers.
func (h *Handler) AdminHome(c echo.Context) error {
	p, _ := tenants.PartnerFrom(c.Request().Context())
	vm, err := h.adminVM(c, p)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, adminPage(vm))
}

// uploadsOf returns the brand's uploads of fonts (font true) or of images.
func uploadsOf(font bool) []brandUpload {
	var out []brandUpload
	for _, up := range brandUploads {
		if (up.Kind == tenants.FileFont) == font {
			out = append(out, up)
		}
	}
	return out
}

// SaveBrand saves the brand form: as the draft ("Save draft"), or
// published at once ("Publish", and a form without the choice). The logo
// is the uploaded one, else the draft's, else the published one.
func (h *Handler) SaveBrand(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	snap, _, err := h.cfg.Tenants.EditedBrand(ctx, p.ID)
	if err != nil {
		return err
	}
	b := snap.Brand
	b.Name = strings.TrimSpace(c.FormValue("name"))
	b.PrimaryColor = c.FormValue("primary")
	b.AccentColor = c.FormValue("accent")
	b.BackgroundColor = c.FormValue("background")
	b.TextColor = c.FormValue("text")
	b.Font = c.FormValue("font")
	b.Language = c.FormValue("language")
	if c.FormValue("languages_sent") != "" {
		form, _ := c.FormParams()
		b.Offered = form["languages"]
		if len(b.Offered) == 0 {
			b.Offered = []string{""} // none checked: refused, not read as all
		}
	}
	b.PoweredBy = c.FormValue("powered_by") == "on"
	b.SupportURL = c.FormValue("support_url")
	b.TermsURL = c.FormValue("terms_url")
	b.PrivacyURL = c.FormValue("privacy_url")
	refuse := func(status int, msg *i18n.Error) error {
		vm, err := h.adminVM(c, p)
		if err != nil {
			return err
		}
		vm.Brand = b
		vm.Error = i18n.TE(ctx, msg)
		return render(c, status, adminPage(vm))
	}
	if err := b.Validate(); err != nil {
		var fe themes.Errors
		if errors.As(err, &fe) && len(fe) > 0 {
			return refuse(http.StatusBadRequest, i18n.NewError(fe[0].MessageID,
				"Ratio", i18n.Number(ctx, strconv.FormatFloat(fe[0].Ratio, 'f', 1, 64)),
				"Min", i18n.Number(ctx, strconv.FormatFloat(fe[0].Min, 'f', 1, 64))))
		}
		return err
	}
	// The uploads, each kept when no file is chosen for it, removed when
	// asked whatever was chosen: the images cleaned (tenants.CleanLogo),
	// the font checked by the store.
	for _, up := range brandUploads {
		if c.FormValue(up.removeField()) == "on" {
			snap = snap.WithFile(up.Kind, nil)
			continue
		}
		fh, err := c.FormFile(up.Field)
		if err != nil || fh.Size == 0 {
			continue
		}
		if fh.Size > up.Limit {
			return refuse(http.StatusBadRequest, i18n.NewError(up.TooLarge))
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(f, up.Limit+1))
		f.Close()
		if err != nil {
			return err
		}
		ctype := fh.Header.Get("Content-Type")
		if up.Kind.IsImage() {
			data, ctype, err = tenants.CleanLogo(data, ctype)
		}
		var ve *tenants.ValidationError
		if errors.As(err, &ve) {
			return refuse(http.StatusBadRequest, i18n.NewError(ve.MessageID))
		}
		if err != nil {
			return err
		}
		snap = snap.WithFile(up.Kind, &tenants.File{Data: data, ContentType: ctype})
	}
	snap.Brand = b
	draft := c.FormValue("action") == "draft"
	if draft {
		err = h.cfg.Tenants.SaveBrandDraft(ctx, p.ID, snap, u.Email)
	} else {
		_, err = h.cfg.Tenants.PublishBrand(ctx, p.ID, snap, u.Email)
	}
	var ve *tenants.ValidationError
	if errors.As(err, &ve) {
		return refuse(http.StatusBadRequest, i18n.NewError(ve.MessageID))
	}
	if draft {
		h.audit(c, "brand.draft", p.ID, err)
	} else {
		h.audit(c, "brand.update", p.ID, err)
	}
	if err != nil {
		return err
	}
	if draft {
		setFlash(c, "ok", "flash.brand_draft_saved")
		return c.Redirect(http.StatusSeeOther, "/admin#brand")
	}
	setFlash(c, "ok", "flash.brand_saved")
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// formZones reads the checked zones of a form.
func formZones(c echo.Context) []string {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	return form["zones"]
}

// SavePartnerZones sets the zones the partner's customers may be offered.
func (h *Handler) SavePartnerZones(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return err
	}
	zones := formZones(c)
	for _, z := range zones {
		if _, ok := cat.Zone(z); !ok {
			return NewUserError(http.StatusBadRequest, "error.unknown_zone", "Zone", z)
		}
	}
	err = h.cfg.Tenants.SetPartnerZones(ctx, p.ID, zones)
	h.audit(c, "zones.update", p.ID, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.zones_saved")
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// keyHint shows enough of a secret key to recognise it: its kind and last
// four characters.
func keyHint(key string) string {
	if len(key) < 12 {
		return ""
	}
	kind := key[:strings.LastIndex(key[:min(len(key), 8)], "_")+1]
	return kind + "…" + key[len(key)-4:]
}

// SaveStripeWebhookSecret sets the signing secret of the partner's Stripe
// webhook endpoint, which keeps its invoices' status current. It is sealed
// at rest and never shown again.
func (h *Handler) SaveStripeWebhookSecret(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	secret := strings.TrimSpace(c.FormValue("webhook_secret"))
	if c.FormValue("remove") == "on" {
		secret = ""
	} else if secret == "" {
		return NewUserError(http.StatusBadRequest, tenants.MsgStripeWebhookSecretInvalid)
	}
	err := h.cfg.Tenants.SetStripeWebhookSecret(ctx, p.ID, secret)
	h.audit(c, "stripe.webhook_update", p.ID, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.stripe_webhook_saved")
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// SaveStripeKey sets the secret key of the partner's Stripe account, which
// invoices its customers. The key is sealed at rest and never shown again.
func (h *Handler) SaveStripeKey(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	key := strings.TrimSpace(c.FormValue("stripe_key"))
	if c.FormValue("remove") == "on" {
		key = ""
	} else if key == "" {
		return NewUserError(http.StatusBadRequest, tenants.MsgStripeKeyInvalid)
	}
	err := h.cfg.Tenants.SetStripeKey(ctx, p.ID, key)
	h.audit(c, "stripe.update", p.ID, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.stripe_saved")
	return c.Redirect(http.StatusSeeOther, "/admin")
}
