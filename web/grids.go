package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// dateLayout is how the grid forms write dates: a day, in UTC.
const dateLayout = "2006-01-02"

// gridPreviewPageSize is how many rows one page of a grid's preview shows.
const gridPreviewPageSize = 40

// maxGridImport bounds an imported grid file (the pricing package reads at
// most 4 MiB; the request body is limited further by the server).
const maxGridImport = 4 << 20

// gridCurrencies are the currencies a grid may be in.
var gridCurrencies = []string{pricing.EUR, pricing.USD}

// GridRow is one grid in the partner's list.
type GridRow struct {
	ID, Name, Customer, Currency string
	ValidFrom                    time.Time
	ValidTo                      *time.Time
	Version, Rules               int
	InForce                      bool
}

// GridForm is what the grid forms send: the rules as the CSV text of the
// pricing package's format.
type GridForm struct {
	Name, Customer, Currency, ValidFrom, ValidTo, Rules string
}

// GridsVM is the list of the partner's grids, with the import form.
type GridsVM struct {
	Chrome    Chrome
	Rows      []GridRow
	Page      components.Pagination
	Customers []Option
	Import    GridForm
	Error     string
}

// GridVersionRow is one saved version of a grid.
type GridVersionRow struct {
	Version   int
	CreatedAt time.Time
	Rules     int
	Current   bool
}

// GridPreviewRow is one product in one zone: the platform's price, the
// partner's and the margin, formatted for display.
type GridPreviewRow struct {
	SlugID, Zone                         string
	ListHour, PriceHour, MarginHour      string
	List30, Price30, Margin30, MarginPct string
	// Source says which grid set the price: "grid" (this one), "default"
	// (the partner's default grid, for a contract grid) or "list".
	Source     string
	LossLeader bool
	BelowCost  bool
}

// GridPreview is the preview table of a grid's saved version.
type GridPreview struct {
	// Draft says the preview prices the submitted, unsaved grid.
	Draft       bool
	Version     int
	At          time.Time
	Families    []string
	Family      string
	Rows        []GridPreviewRow
	Page        int
	Pages       int
	Unavailable bool
}

// GridVM is a grid's editor page, or the new-grid page when ID is "".
type GridVM struct {
	Chrome     Chrome
	ID         string
	Title      string
	Version    int
	Form       GridForm
	Customers  []Option
	Currencies []string
	Versions   []GridVersionRow
	Preview    *GridPreview
	Error      string
}

// gridMoney formats a rounded amount with its currency symbol.
func gridMoney(ctx context.Context, d decimal.Decimal, cur string) string {
	return money(ctx, d.StringFixed(2), cur)
}

// gridDay writes a time as a form's date.
func gridDay(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

// gridRulesCSV writes a grid's rules as the editor's CSV text.
func gridRulesCSV(g pricing.Grid) (string, error) {
	var b bytes.Buffer
	if err := pricing.ExportCSV(&b, g); err != nil {
		return "", err
	}
	return b.String(), nil
}

// gridFormOf fills the editor form from a saved grid.
func gridFormOf(g pricing.Grid) (GridForm, error) {
	rules, err := gridRulesCSV(g)
	if err != nil {
		return GridForm{}, err
	}
	return GridForm{Name: g.Name, Customer: g.CustomerID, Currency: g.Currency, ValidFrom: gridDay(&g.ValidFrom),
		ValidTo: gridDay(g.ValidTo), Rules: rules}, nil
}

// readGridForm reads a grid form, trimmed.
func readGridForm(c echo.Context) GridForm {
	return GridForm{Name: strings.TrimSpace(c.FormValue("name")), Customer: strings.TrimSpace(c.FormValue("customer")),
		Currency: strings.ToUpper(strings.TrimSpace(c.FormValue("currency"))), ValidFrom: strings.TrimSpace(c.FormValue("valid_from")),
		ValidTo: strings.TrimSpace(c.FormValue("valid_to")), Rules: c.FormValue("rules")}
}

// gridFields sets a grid's name, customer, currency and dates from a form.
// prev, when not nil, is the saved grid: a date left as it was keeps its
// exact time of day.
func gridFields(g *pricing.Grid, f GridForm, prev *pricing.Grid) *i18n.Error {
	g.Name, g.CustomerID, g.Currency = f.Name, f.Customer, f.Currency
	from, err := time.ParseInLocation(dateLayout, f.ValidFrom, time.UTC)
	if err != nil {
		return i18n.NewError("grids.error.valid_from")
	}
	if prev != nil && gridDay(&prev.ValidFrom) == f.ValidFrom {
		from = prev.ValidFrom
	}
	g.ValidFrom, g.ValidTo = from, nil
	if f.ValidTo != "" {
		to, err := time.ParseInLocation(dateLayout, f.ValidTo, time.UTC)
		if err != nil {
			return i18n.NewError("grids.error.valid_to")
		}
		if prev != nil && gridDay(prev.ValidTo) == f.ValidTo {
			to = *prev.ValidTo
		}
		g.ValidTo = &to
	}
	return nil
}

// parseGridRules reads the editor's CSV text; a blank text is no rules.
func parseGridRules(text string) ([]pricing.Rule, error) {
	if strings.TrimSpace(text) == "" {
		return []pricing.Rule{}, nil
	}
	g, err := pricing.ImportCSV(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	return g.Rules, nil
}

// gridRefusal translates a refusal of the pricing package (a bad line, a
// bad rule, a bad grid) into the message a user reads; ok is false for any
// other error.
func gridRefusal(ctx context.Context, err error) (msg string, ok bool) {
	var le *pricing.LineError
	var re *pricing.RuleError
	var ge *pricing.GridError
	switch {
	case errors.As(err, &le):
		reason := gridReason(ctx, le.MessageID, nil)
		if le.Field != "" {
			return i18n.T(ctx, "grids.error.line_field", map[string]any{"Line": le.Line, "Field": le.Field, "Reason": reason}), true
		}
		return i18n.T(ctx, "grids.error.line", map[string]any{"Line": le.Line, "Reason": reason}), true
	case errors.As(err, &re):
		reason := gridReason(ctx, re.MessageID, map[string]any{"Product": re.SlugID, "Zone": re.Zone})
		return i18n.T(ctx, "grids.error.rule", map[string]any{"Rule": re.Index + 1, "Line": re.Index + 2, "Reason": reason}), true
	case errors.As(err, &ge):
		return gridReason(ctx, ge.MessageID, nil), true
	}
	return "", false
}

// gridReason translates a message id of the pricing package; an id no
// translation knows reads as a generic refusal rather than as the id.
func gridReason(ctx context.Context, id string, data map[string]any) string {
	if s := i18n.T(ctx, id, data); s != id {
		return s
	}
	return i18n.T(ctx, "grids.error.invalid")
}

// gridCustomers lists the partner's customers as choices, and their names
// by id.
func (h *Handler) gridCustomers(ctx context.Context, partnerID string) ([]Option, map[string]string, error) {
	custs, err := h.cfg.Tenants.Customers(ctx, partnerID)
	if err != nil {
		return nil, nil, err
	}
	opts := make([]Option, 0, len(custs))
	names := make(map[string]string, len(custs))
	for _, cu := range custs {
		opts = append(opts, Option{Value: cu.ID, Label: cu.Name})
		names[cu.ID] = cu.Name
	}
	return opts, names, nil
}

// gridsVM builds the list page.
func (h *Handler) gridsVM(c echo.Context, form GridForm) (GridsVM, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	grids, err := h.cfg.Grids.Grids(ctx, p.ID)
	if err != nil {
		return GridsVM{}, err
	}
	opts, names, err := h.gridCustomers(ctx, p.ID)
	if err != nil {
		return GridsVM{}, err
	}
	vm := GridsVM{Chrome: h.chrome(c, i18n.T(ctx, "grids.title")), Customers: opts, Import: form}
	now := time.Now()
	for _, g := range grids {
		vm.Rows = append(vm.Rows, GridRow{ID: g.ID, Name: g.Name, Customer: names[g.CustomerID], Currency: g.Currency,
			ValidFrom: g.ValidFrom, ValidTo: g.ValidTo, Version: g.Version, Rules: len(g.Rules), InForce: g.InForce(now)})
	}
	// Default grids first, then contract grids by customer name; within
	// each, by currency and start (the store's order).
	slices.SortStableFunc(vm.Rows, func(a, b GridRow) int {
		if (a.Customer == "") != (b.Customer == "") {
			if a.Customer == "" {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.Customer), strings.ToLower(b.Customer))
	})
	vm.Rows, vm.Page = pageOf(c, vm.Rows)
	return vm, nil
}

// Grids lists the partner's price grids: its default grids, then its
// customers' contract grids.
func (h *Handler) Grids(c echo.Context) error {
	vm, err := h.gridsVM(c, GridForm{Currency: pricing.DefaultCurrency})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, gridsPage(vm))
}

// newGridVM builds the new-grid page.
func (h *Handler) newGridVM(c echo.Context, form GridForm) (GridVM, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	opts, _, err := h.gridCustomers(ctx, p.ID)
	if err != nil {
		return GridVM{}, err
	}
	return GridVM{Chrome: h.chrome(c, i18n.T(ctx, "grids.new.title")), Title: i18n.T(ctx, "grids.new.title"),
		Form: form, Customers: opts, Currencies: gridCurrencies}, nil
}

// NewGrid renders the form of a new grid.
func (h *Handler) NewGrid(c echo.Context) error {
	form := GridForm{Currency: pricing.DefaultCurrency, ValidFrom: time.Now().UTC().Format(dateLayout),
		Rules: "family,product,zone,kind,percent,price,tiers,loss_leader\n"}
	vm, err := h.newGridVM(c, form)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, gridPage(vm))
}

// CreateGrid saves a new grid, version 1.
func (h *Handler) CreateGrid(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	form := readGridForm(c)
	refuse := func(msg string) error {
		vm, err := h.newGridVM(c, form)
		if err != nil {
			return err
		}
		vm.Error = msg
		return render(c, http.StatusBadRequest, gridPage(vm))
	}
	g := pricing.Grid{PartnerID: p.ID}
	if msg := gridFields(&g, form, nil); msg != nil {
		return refuse(i18n.TE(ctx, msg))
	}
	rules, err := parseGridRules(form.Rules)
	if err != nil {
		if msg, ok := gridRefusal(ctx, err); ok {
			return refuse(msg)
		}
		return err
	}
	g.Rules = rules
	if c.FormValue("preview") != "" {
		vm, err := h.newGridVM(c, form)
		if err != nil {
			return err
		}
		return h.previewDraft(c, vm, g, refuse)
	}
	saved, err := h.cfg.Grids.SaveGrid(ctx, g)
	h.audit(c, "grid.create", saved.ID, err)
	if err != nil {
		if msg, ok := gridRefusal(ctx, err); ok {
			return refuse(msg)
		}
		return err
	}
	setFlash(c, "ok", "flash.grid_created")
	return c.Redirect(http.StatusSeeOther, "/admin/grids/"+saved.ID)
}

// ImportGrid imports a grid from a CSV file (its rules; the form gives the
// name, customer, currency and dates) or a JSON file (a whole grid; the form
// fills what it lacks). A bad file is refused with its line and reason.
func (h *Handler) ImportGrid(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	form := readGridForm(c)
	form.Rules = ""
	refuse := func(msg string) error {
		vm, err := h.gridsVM(c, form)
		if err != nil {
			return err
		}
		vm.Error = msg
		return render(c, http.StatusBadRequest, gridsPage(vm))
	}
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		return refuse(i18n.T(ctx, "grids.error.no_file"))
	}
	if fh.Size > maxGridImport {
		return refuse(i18n.T(ctx, "grids.error.file_too_large"))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxGridImport+1))
	f.Close()
	if err != nil {
		return err
	}
	var imported pricing.Grid
	if isJSONGrid(fh.Filename, data) {
		imported, err = pricing.ImportJSON(bytes.NewReader(data))
	} else {
		imported, err = pricing.ImportCSV(bytes.NewReader(data))
	}
	if err != nil {
		if msg, ok := gridRefusal(ctx, err); ok {
			return refuse(msg)
		}
		return err
	}
	// What the file carries wins; the form fills the rest.
	if imported.Name != "" {
		form.Name = imported.Name
	}
	if imported.CustomerID != "" {
		form.Customer = imported.CustomerID
	}
	if imported.Currency != "" {
		form.Currency = strings.ToUpper(imported.Currency)
	}
	if !imported.ValidFrom.IsZero() {
		form.ValidFrom = gridDay(&imported.ValidFrom)
	}
	if imported.ValidTo != nil {
		form.ValidTo = gridDay(imported.ValidTo)
	}
	g := pricing.Grid{PartnerID: p.ID}
	if msg := gridFields(&g, form, nil); msg != nil {
		return refuse(i18n.TE(ctx, msg))
	}
	if !imported.ValidFrom.IsZero() {
		g.ValidFrom = imported.ValidFrom
	}
	if imported.ValidTo != nil {
		g.ValidTo = imported.ValidTo
	}
	// A new grid gets new rules: ids of another grid's rules are not kept.
	g.Rules = make([]pricing.Rule, len(imported.Rules))
	for i, r := range imported.Rules {
		r.ID = ""
		g.Rules[i] = r
	}
	saved, err := h.cfg.Grids.SaveGrid(ctx, g)
	h.audit(c, "grid.import", saved.ID, err)
	if err != nil {
		if msg, ok := gridRefusal(ctx, err); ok {
			return refuse(msg)
		}
		return err
	}
	setFlash(c, "ok", "flash.grid_imported")
	return c.Redirect(http.StatusSeeOther, "/admin/grids/"+saved.ID)
}

// isJSONGrid reports whether an imported file is JSON: by its extension,
// else by its first character.
func isJSONGrid(name string, data []byte) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return true
	case ".csv":
		return false
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// partnerGrid returns the current version of one of the partner's grids;
// another partner's grid is not found.
func (h *Handler) partnerGrid(c echo.Context) (pricing.Grid, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	g, err := h.cfg.Grids.Grid(ctx, p.ID, c.Param("grid"))
	if errors.Is(err, pricing.ErrNotFound) {
		return pricing.Grid{}, NewUserError(http.StatusNotFound, "error.not_found")
	}
	return g, err
}

// gridVM builds a saved grid's editor page with the form filled from the
// saved version, its versions and the preview of its prices.
func (h *Handler) gridVM(c echo.Context, g pricing.Grid) (GridVM, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	form, err := gridFormOf(g)
	if err != nil {
		return GridVM{}, err
	}
	opts, _, err := h.gridCustomers(ctx, p.ID)
	if err != nil {
		return GridVM{}, err
	}
	versions, err := h.cfg.Grids.Versions(ctx, p.ID, g.ID)
	if err != nil {
		return GridVM{}, err
	}
	vm := GridVM{Chrome: h.chrome(c, g.Name), ID: g.ID, Title: g.Name, Version: g.Version, Form: form,
		Customers: opts, Currencies: gridCurrencies}
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		vm.Versions = append(vm.Versions, GridVersionRow{Version: v.Version, CreatedAt: v.CreatedAt, Rules: len(v.Rules),
			Current: v.Version == g.Version})
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	vm.Preview, err = h.gridPreview(c, p, g, c.QueryParam("family"), page, false)
	if err != nil {
		return GridVM{}, err
	}
	return vm, nil
}

// ShowGrid renders a grid's editor, the preview of its saved version and
// its versions.
func (h *Handler) ShowGrid(c echo.Context) error {
	g, err := h.partnerGrid(c)
	if err != nil {
		return err
	}
	vm, err := h.gridVM(c, g)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, gridPage(vm))
}

// SaveGrid saves the edited grid as its new version. A refusal shows the
// form again with what was typed and the line or rule at fault.
func (h *Handler) SaveGrid(c echo.Context) error {
	ctx := c.Request().Context()
	cur, err := h.partnerGrid(c)
	if err != nil {
		return err
	}
	form := readGridForm(c)
	refuse := func(msg string) error {
		vm, err := h.gridVM(c, cur)
		if err != nil {
			return err
		}
		vm.Form, vm.Error = form, msg
		return render(c, http.StatusBadRequest, gridPage(vm))
	}
	g := pricing.Grid{ID: cur.ID, PartnerID: cur.PartnerID}
	if msg := gridFields(&g, form, &cur); msg != nil {
		return refuse(i18n.TE(ctx, msg))
	}
	rules, err := parseGridRules(form.Rules)
	if err != nil {
		if msg, ok := gridRefusal(ctx, err); ok {
			return refuse(msg)
		}
		return err
	}
	g.Rules = keepRuleIDs(rules, cur.Rules)
	if c.FormValue("preview") != "" {
		vm, err := h.gridVM(c, cur)
		if err != nil {
			return err
		}
		vm.Form = form
		return h.previewDraft(c, vm, g, refuse)
	}
	_, err = h.cfg.Grids.SaveGrid(ctx, g)
	h.audit(c, "grid.save", g.ID, err)
	if err != nil {
		if msg, ok := gridRefusal(ctx, err); ok {
			return refuse(msg)
		}
		if errors.Is(err, pricing.ErrNotFound) {
			return NewUserError(http.StatusNotFound, "error.not_found")
		}
		return err
	}
	setFlash(c, "ok", "flash.grid_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/grids/"+g.ID)
}

// previewDraft shows the editor with the preview of the submitted grid,
// priced as if it were saved, without saving it; a draft that would be
// refused at save time is refused the same way.
func (h *Handler) previewDraft(c echo.Context, vm GridVM, draft pricing.Grid, refuse func(string) error) error {
	ctx := c.Request().Context()
	if err := h.cfg.Grids.ValidateGrid(ctx, draft); err != nil {
		if msg, ok := gridRefusal(ctx, err); ok {
			return refuse(msg)
		}
		return err
	}
	p, _ := tenants.PartnerFrom(ctx)
	pv, err := h.gridPreview(c, p, draft, c.FormValue("family"), 1, true)
	if err != nil {
		return err
	}
	vm.Preview = pv
	return render(c, http.StatusOK, gridPage(vm))
}

// keepRuleIDs gives edited rules the id of the saved rule of the same scope,
// so that a rule keeps its identity across versions (the CSV text carries
// no ids).
func keepRuleIDs(rules, saved []pricing.Rule) []pricing.Rule {
	type scope struct{ family, product, zone string }
	key := func(r pricing.Rule) scope {
		return scope{strings.ToLower(strings.TrimSpace(r.Family)), strings.ToLower(strings.TrimSpace(r.Product)),
			strings.ToLower(strings.TrimSpace(r.Zone))}
	}
	ids := make(map[scope]string, len(saved))
	for _, r := range saved {
		ids[key(r)] = r.ID
	}
	out := make([]pricing.Rule, len(rules))
	for i, r := range rules {
		r.ID = ids[key(r)]
		out[i] = r
	}
	return out
}

// RestoreGrid saves the content of an earlier version of a grid as its new
// version, validated again.
func (h *Handler) RestoreGrid(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	cur, err := h.partnerGrid(c)
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || version < 1 {
		return NewUserError(http.StatusNotFound, "error.not_found")
	}
	_, err = h.cfg.Grids.RestoreVersion(ctx, p.ID, cur.ID, version)
	h.audit(c, "grid.restore", cur.ID, err)
	if errors.Is(err, pricing.ErrNotFound) {
		return NewUserError(http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		msg, ok := gridRefusal(ctx, err)
		if !ok {
			return err
		}
		vm, verr := h.gridVM(c, cur)
		if verr != nil {
			return verr
		}
		vm.Error = i18n.T(ctx, "grids.error.restore", map[string]any{"Version": version, "Reason": msg})
		return render(c, http.StatusBadRequest, gridPage(vm))
	}
	setFlash(c, "ok", "flash.grid_restored")
	return c.Redirect(http.StatusSeeOther, "/admin/grids/"+cur.ID)
}

// DeleteGrid deletes a grid and all its versions.
func (h *Handler) DeleteGrid(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	id := c.Param("grid")
	err := h.cfg.Grids.DeleteGrid(ctx, p.ID, id)
	if errors.Is(err, pricing.ErrNotFound) {
		return NewUserError(http.StatusNotFound, "error.not_found")
	}
	h.audit(c, "grid.delete", id, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.grid_deleted")
	return c.Redirect(http.StatusSeeOther, "/admin/grids")
}

// ExportGrid downloads a grid (its current version, or ?version=N) as CSV
// (its rules) or JSON (the whole grid).
func (h *Handler) ExportGrid(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	g, err := h.partnerGrid(c)
	if err != nil {
		return err
	}
	if v := c.QueryParam("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return NewUserError(http.StatusNotFound, "error.not_found")
		}
		versions, err := h.cfg.Grids.Versions(ctx, p.ID, g.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(versions, func(o pricing.Grid) bool { return o.Version == n })
		if i < 0 {
			return NewUserError(http.StatusNotFound, "error.not_found")
		}
		g = versions[i]
	}
	format := strings.ToLower(c.QueryParam("format"))
	if format == "" {
		format = "csv"
	}
	var b bytes.Buffer
	var ctype string
	switch format {
	case "csv":
		err, ctype = pricing.ExportCSV(&b, g), "text/csv; charset=utf-8"
	case "json":
		err, ctype = pricing.ExportJSON(&b, g), echo.MIMEApplicationJSONCharsetUTF8
	default:
		return NewUserError(http.StatusBadRequest, "grids.error.format")
	}
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-v%d.%s", fileSlug(g.Name), g.Version, format)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, ctype, b.Bytes())
}

// fileSlug makes a file name of a grid's name: lower-case ASCII letters,
// digits and dashes, "grid" when nothing is left.
func fileSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		return "grid"
	}
	return s
}

// previewEntry is one hourly product of a zone, before it is priced.
type previewEntry struct{ slug, zone string }

// soldFamilies returns the families the partner sells: applications
// ("apps") and the add-on families the platform's catalogue offers, found
// through its plans' price ids. When the platform can't be reached, only
// applications.
func (h *Handler) soldFamilies(ctx context.Context, lists [][]pricing.ListPrice) (map[string]bool, error) {
	sold := map[string]bool{"apps": true}
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if isPlatformDown(err) {
		return sold, nil
	}
	if err != nil {
		return nil, err
	}
	planPrices := map[string]bool{}
	for _, pr := range cat.Providers {
		for _, pl := range pr.Plans {
			if pl.PriceID != "" {
				planPrices[strings.ToLower(pl.PriceID)] = true
			}
		}
	}
	for _, l := range lists {
		for _, lp := range l {
			if planPrices[strings.ToLower(lp.SlugID)] {
				sold[lp.Family] = true
			}
		}
	}
	return sold, nil
}

// gridPreview prices, with the engine, one family's hourly products in each
// of the partner's zones under the saved grid g: the platform's price, the
// partner's and the margin. Prices are those in force now, or at the grid's
// start when it is not in force now. A contract grid's products without a
// matching rule show the partner's default price, as the engine charges.
func (h *Handler) gridPreview(c echo.Context, p tenants.Partner, g pricing.Grid, family string, page int, draft bool) (*GridPreview, error) {
	ctx := c.Request().Context()
	at := time.Now()
	if !g.InForce(at) {
		at = g.ValidFrom
	}
	pv := &GridPreview{Version: g.Version, At: at, Draft: draft}
	var lists [][]pricing.ListPrice
	var zones []string
	for _, zone := range p.AllowedZones {
		l, err := h.cfg.PriceList.ListPrices(ctx, zone, g.Currency)
		if errors.Is(err, pricing.ErrNoPrice) {
			continue
		}
		if err != nil {
			return nil, err
		}
		lists, zones = append(lists, l), append(zones, zone)
	}
	if len(lists) == 0 {
		pv.Unavailable = true
		return pv, nil
	}
	sold, err := h.soldFamilies(ctx, lists)
	if err != nil {
		return nil, err
	}
	byFamily := map[string][]string{} // family → product slugs in catalogue order
	inZone := map[previewEntry]bool{}
	for i, l := range lists {
		for _, lp := range l {
			if lp.Kind != pricing.KindHourly || !sold[lp.Family] {
				continue
			}
			slug := strings.ToLower(lp.SlugID)
			if !slices.ContainsFunc(byFamily[lp.Family], func(s string) bool { return strings.EqualFold(s, slug) }) {
				byFamily[lp.Family] = append(byFamily[lp.Family], lp.SlugID)
			}
			inZone[previewEntry{slug, zones[i]}] = true
		}
	}
	for f := range byFamily {
		pv.Families = append(pv.Families, f)
	}
	slices.SortFunc(pv.Families, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "apps":
			return -1
		case b == "apps":
			return 1
		}
		return strings.Compare(a, b)
	})
	if len(pv.Families) == 0 {
		pv.Unavailable = true
		return pv, nil
	}
	pv.Family = family
	if !slices.Contains(pv.Families, family) {
		pv.Family = pv.Families[0]
	}
	var entries []previewEntry
	for _, slug := range byFamily[pv.Family] {
		for _, zone := range zones {
			if inZone[previewEntry{strings.ToLower(slug), zone}] {
				entries = append(entries, previewEntry{slug, zone})
			}
		}
	}
	pv.Pages = max(1, (len(entries)+gridPreviewPageSize-1)/gridPreviewPageSize)
	pv.Page = min(max(page, 1), pv.Pages)
	lo := (pv.Page - 1) * gridPreviewPageSize
	for _, e := range entries[lo:min(lo+gridPreviewPageSize, len(entries))] {
		var q pricing.Quote
		var err error
		if draft {
			q, err = h.cfg.Prices.QuoteDraft(ctx, g, e.zone, e.slug, at)
		} else {
			q, err = h.cfg.Prices.Quote(ctx, p.ID, g.CustomerID, e.zone, g.Currency, e.slug, at)
		}
		if errors.Is(err, pricing.ErrNoPrice) {
			continue
		}
		if err != nil {
			return nil, err
		}
		pv.Rows = append(pv.Rows, previewRow(ctx, g, q))
	}
	return pv, nil
}

// previewRow formats one quote for the preview table.
func previewRow(ctx context.Context, g pricing.Grid, q pricing.Quote) GridPreviewRow {
	cur := q.Currency
	diff := q.Price.Sub(q.List)
	row := GridPreviewRow{SlugID: q.SlugID, Zone: q.Zone,
		ListHour: gridMoney(ctx, pricing.PerHour(q.List), cur), PriceHour: gridMoney(ctx, pricing.PerHour(q.Price), cur),
		MarginHour: gridMoney(ctx, pricing.PerHour(diff), cur), List30: gridMoney(ctx, pricing.Per30Days(q.List), cur),
		Price30: gridMoney(ctx, pricing.Per30Days(q.Price), cur), Margin30: gridMoney(ctx, pricing.Per30Days(diff), cur),
		LossLeader: q.LossLeader && q.Source != pricing.SourceList, BelowCost: q.Price.LessThan(q.List)}
	if !q.List.IsZero() {
		row.MarginPct = i18n.Number(ctx, diff.Div(q.List).Shift(2).StringFixed(1)) + "\u00a0%"
	}
	switch {
	case q.Source == pricing.SourceList:
		row.Source = "list"
	case q.GridID == g.ID:
		row.Source = "grid"
	default:
		row.Source = "default"
	}
	return row
}
