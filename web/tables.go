package web

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/web/i18n"
)

// The lists of the admin and the console, each a components.DataTable.

// col is a column headed by a translated label.
func col(ctx context.Context, id string, class ...string) components.Column {
	return components.Column{Label: i18n.T(ctx, id), Class: strings.Join(class, " ")}
}

// text is a cell of plain text.
func text(s string, class ...string) components.Cell {
	return components.Cell{Content: components.Text(s), Class: strings.Join(class, " ")}
}

// testID is a data-testid attribute.
func testID(id string) templ.Attributes { return templ.Attributes{"data-testid": id} }

// customersTable lists the partner's customers.
func customersTable(ctx context.Context, rows []CustomerRow, page components.Pagination) components.DataTableProps {
	t := components.DataTableProps{TestID: "customers", Empty: i18n.T(ctx, "admin.no_customers"), Page: page, Columns: []components.Column{
		col(ctx, "field.name"), col(ctx, "field.organisation", "opt"), col(ctx, "field.zones")}}
	for _, cu := range rows {
		t.Rows = append(t.Rows, components.Row{Attrs: testID("customer-row"), Cells: []components.Cell{
			{Content: components.Link("/admin/customers/"+cu.ID, cu.Name, nil)},
			{Content: components.Mono(cu.Organisation), Class: "opt"},
			text(strings.Join(cu.Zones, ", ")),
		}})
	}
	return t
}

// envTable lists an application's environment variables, each with its
// remove button.
func envTable(ctx context.Context, vm AppVM) components.DataTableProps {
	t := components.DataTableProps{TestID: "env", Empty: i18n.T(ctx, "env.none"), Columns: []components.Column{
		col(ctx, "env.name"), col(ctx, "env.value"), {}}}
	for _, v := range vm.Env {
		t.Rows = append(t.Rows, components.Row{Cells: []components.Cell{
			{Content: components.Text(v.Name), Class: "mono"}, {Content: components.Secret(v.Value, i18n.T(ctx, "env.reveal"), "env-value")},
			{Content: postButton("/console/apps/"+vm.App.ID+"/env/delete", vm.Chrome.CSRF, "name", v.Name, i18n.T(ctx, "action.remove"), "")},
		}})
	}
	return t
}

// deploymentsTable lists an application's deployments.
func deploymentsTable(ctx context.Context, ds []platform.Deployment) components.DataTableProps {
	t := components.DataTableProps{TestID: "deployments", Empty: i18n.T(ctx, "deployments.none"), Columns: []components.Column{
		col(ctx, "deployments.date"), col(ctx, "deployments.action"), col(ctx, "field.state"), col(ctx, "deployments.commit", "opt")}}
	for _, d := range ds {
		t.Rows = append(t.Rows, components.Row{Attrs: testID("deployment-row"), Cells: []components.Cell{
			text(i18n.UnixMilli(ctx, d.Date)), text(i18n.T(ctx, "deployments.action."+d.Action)),
			text(i18n.T(ctx, "deployments.state."+d.State)), text(shortCommit(d.Commit), "opt", "mono"),
		}})
	}
	return t
}

// tokensTable lists the tokens a person manages, each with its revoke button.
func tokensTable(ctx context.Context, vm TokensVM) components.DataTableProps {
	t := components.DataTableProps{TestID: "tokens", Empty: i18n.T(ctx, "token.none"), Page: vm.Page}
	t.Columns = []components.Column{col(ctx, "token.label")}
	if vm.Admin {
		t.Columns = append(t.Columns, col(ctx, "token.customer"))
	}
	t.Columns = append(t.Columns, col(ctx, "token.operations"), col(ctx, "field.zones", "opt"), col(ctx, "token.expires"),
		col(ctx, "field.state"), components.Column{})
	for _, r := range vm.Rows {
		cells := []components.Cell{{Content: tokenLabel(r)}}
		if vm.Admin {
			who := r.Customer
			if r.Partner {
				who = i18n.T(ctx, "token.partner")
			}
			cells = append(cells, text(who))
		}
		expires := i18n.T(ctx, "token.never")
		if !r.ExpiresAt.IsZero() {
			expires = i18n.Date(ctx, r.ExpiresAt)
		}
		revoke := components.Cell{}
		if !r.Revoked {
			revoke.Content = postButton(tokensBase(vm)+"/revoke", vm.Chrome.CSRF, "revocation_id", r.RevocationID, i18n.T(ctx, "token.revoke"), "revoke")
		}
		cells = append(cells, text(orAll(ctx, r.Operations), "mono", "small"), text(orAll(ctx, r.Zones), "opt"), text(expires),
			components.Cell{Content: tokenStatus(r)}, revoke)
		t.Rows = append(t.Rows, components.Row{Attrs: testID("token-row"), Cells: cells})
	}
	return t
}

// auditTable lists audit events, with a link to the older ones.
func auditTable(ctx context.Context, events []audit.Event, olderURL string) components.DataTableProps {
	t := components.DataTableProps{TestID: "audit", Empty: i18n.T(ctx, "audit.none"), Columns: []components.Column{
		col(ctx, "audit.at"), col(ctx, "audit.actor"), col(ctx, "audit.action"), col(ctx, "audit.target", "opt"), col(ctx, "audit.outcome")},
		Page: components.Pagination{NextURL: olderURL, NextLabel: i18n.T(ctx, "audit.older")}}
	for _, e := range events {
		t.Rows = append(t.Rows, components.Row{Attrs: testID("audit-row"), Cells: []components.Cell{
			text(i18n.Date(ctx, e.At)), text(e.ActorLabel), text(e.Action, "mono", "small"), text(e.Target, "opt", "mono", "small"),
			text(i18n.T(ctx, "audit.outcome."+e.Outcome)),
		}})
	}
	return t
}

// gridsTable lists the partner's price grids.
func gridsTable(ctx context.Context, rows []GridRow, page components.Pagination) components.DataTableProps {
	t := components.DataTableProps{TestID: "grids", Empty: i18n.T(ctx, "grids.none"), Page: page, Columns: []components.Column{
		col(ctx, "grids.field.name"), col(ctx, "grids.field.customer"), col(ctx, "grids.field.currency"),
		col(ctx, "grids.field.valid_from", "opt"), col(ctx, "grids.field.valid_to", "opt"), col(ctx, "grids.version"), col(ctx, "grids.rules", "num")}}
	for _, r := range rows {
		badge, customer, validTo := "", r.Customer, i18n.T(ctx, "grids.open_ended")
		if r.InForce {
			badge = i18n.T(ctx, "grids.in_force")
		}
		if customer == "" {
			customer = i18n.T(ctx, "grids.customer.all")
		}
		if r.ValidTo != nil {
			validTo = i18n.Date(ctx, *r.ValidTo)
		}
		t.Rows = append(t.Rows, components.Row{Attrs: testID("grid-row"), Cells: []components.Cell{
			{Content: withBadge(gridURL(r.ID), r.Name, badge, "up", "")}, text(customer), text(r.Currency),
			text(i18n.Date(ctx, r.ValidFrom), "opt"), text(validTo, "opt"),
			text(i18n.T(ctx, "grids.version_n", map[string]any{"Version": r.Version})), text(i18n.Int(ctx, int64(r.Rules)), "num"),
		}})
	}
	return t
}

// gridPreviewTable lists a grid's prices next to the platform's, one family
// and page at a time.
func gridPreviewTable(ctx context.Context, id string, pv GridPreview) components.DataTableProps {
	t := components.DataTableProps{TestID: "preview", Class: "preview", Columns: []components.Column{
		col(ctx, "grids.preview.product"), col(ctx, "grids.preview.zone"), col(ctx, "grids.preview.list_hour", "num"),
		col(ctx, "grids.preview.price_hour", "num"), col(ctx, "grids.preview.margin_hour", "num", "opt"), col(ctx, "grids.preview.list_30", "num"),
		col(ctx, "grids.preview.price_30", "num"), col(ctx, "grids.preview.margin_30", "num"), col(ctx, "grids.preview.source")},
		Page: components.Pagination{Page: pv.Page, Pages: pv.Pages,
			Label:     i18n.T(ctx, "grids.preview.page", map[string]any{"Page": pv.Page, "Pages": pv.Pages}),
			PrevLabel: i18n.T(ctx, "grids.preview.previous"), NextLabel: i18n.T(ctx, "grids.preview.next")}}
	if pv.Page > 1 {
		t.Page.PrevURL = gridPreviewURL(id, pv.Family, pv.Page-1)
	}
	if pv.Page < pv.Pages {
		t.Page.NextURL = gridPreviewURL(id, pv.Family, pv.Page+1)
	}
	for _, r := range pv.Rows {
		t.Rows = append(t.Rows, components.Row{Attrs: testID("preview-row"), Cells: []components.Cell{
			text(r.SlugID, "mono"), text(r.Zone), text(r.ListHour, "num"), text(r.PriceHour, "num"), text(r.MarginHour, "num", "opt"),
			text(r.List30, "num"), {Content: components.Text(r.Price30), Class: "num", Attrs: testID("preview-price")},
			{Content: withNote(r.Margin30, r.MarginPct), Class: "num"}, {Content: previewSource(r)},
		}})
	}
	return t
}

// gridVersionsTable lists a grid's saved versions, each exportable and,
// but the current one, restorable.
func gridVersionsTable(ctx context.Context, vm GridVM) components.DataTableProps {
	t := components.DataTableProps{TestID: "versions", Columns: []components.Column{
		col(ctx, "grids.version"), col(ctx, "grids.versions.saved"), col(ctx, "grids.rules", "num"), col(ctx, "grids.versions.export"), {}}}
	for _, v := range vm.Versions {
		badge, restore := "", components.Cell{}
		if v.Current {
			badge = i18n.T(ctx, "grids.versions.current")
		} else {
			restore.Content = postButton(gridURL(vm.ID)+"/restore", vm.Chrome.CSRF, "version", strconv.Itoa(v.Version),
				i18n.T(ctx, "grids.versions.restore"), "restore")
		}
		t.Rows = append(t.Rows, components.Row{Attrs: testID("version-row"), Cells: []components.Cell{
			{Content: withBadge("", i18n.T(ctx, "grids.version_n", map[string]any{"Version": v.Version}), badge, "up", "")},
			text(i18n.Date(ctx, v.CreatedAt)), text(i18n.Int(ctx, int64(v.Rules)), "num"), {Content: exportLinks(vm.ID, v.Version)}, restore,
		}})
	}
	return t
}

// money is an amount with its currency symbol, in the reader's format.
func money(ctx context.Context, amount string, currency string) string {
	return i18n.Number(ctx, amount) + " " + components.CurrencySymbol(currency)
}

// runsTable lists the partner's invoicing runs.
func runsTable(ctx context.Context, runs []invoicing.RunRecord) components.DataTableProps {
	t := components.DataTableProps{TestID: "runs", Empty: i18n.T(ctx, "invoice.no_runs"), Columns: []components.Column{
		col(ctx, "invoice.period"), col(ctx, "invoice.started"), col(ctx, "field.state"), col(ctx, "invoice.progress"), col(ctx, "invoice.outcome", "opt")}}
	for _, r := range runs {
		outcome := i18n.T(ctx, "invoice.outcome_counts", map[string]any{"Created": r.Created, "Already": r.AlreadyDone, "Failed": r.Failed})
		t.Rows = append(t.Rows, components.Row{Attrs: templ.Attributes{"data-testid": "run-row", "data-status": r.Status}, Cells: []components.Cell{
			text(r.Period), text(i18n.Date(ctx, r.StartedAt)), {Content: runState(r)}, {Content: runProgress(r)},
			{Content: withNote(outcome, runProblem(ctx, r)), Class: "opt"},
		}})
	}
	return t
}

// runProblem is what a failed run's admin reads: what went wrong and what
// to do, translated; never the error's text, which the logs keep.
func runProblem(ctx context.Context, r invoicing.RunRecord) string {
	switch {
	case r.Problem != "":
		return i18n.T(ctx, r.Problem)
	case r.Error != "":
		return i18n.T(ctx, invoicing.ProblemInternal)
	}
	return ""
}

// wholesaleTable shows, per currency, what the partner owes the platform,
// bills its customers and earns.
func wholesaleTable(ctx context.Context, w invoicing.Wholesale) components.DataTableProps {
	t := components.DataTableProps{TestID: "wholesale", Empty: i18n.T(ctx, "invoice.no_wholesale"), Columns: []components.Column{
		col(ctx, "invoice.currency"), col(ctx, "invoice.count", "num"), col(ctx, "invoice.owed", "num"),
		col(ctx, "invoice.billed", "num"), col(ctx, "invoice.margin", "num")}}
	for _, c := range w.Currencies {
		t.Rows = append(t.Rows, components.Row{Cells: []components.Cell{
			text(c.Currency), text(strconv.Itoa(c.Invoices), "num"),
			{Content: components.Text(money(ctx, c.List.StringFixed(2), c.Currency)), Class: "num", Attrs: testID("owed")},
			{Content: components.Text(money(ctx, c.Billed.StringFixed(2), c.Currency)), Class: "num", Attrs: testID("billed")},
			{Content: components.Text(money(ctx, c.Margin.StringFixed(2), c.Currency)), Class: "num", Attrs: testID("margin")},
		}})
	}
	return t
}

// invoicesTable lists invoices: the partner's (with their customer) or a
// customer's own.
func invoicesTable(ctx context.Context, rows []InvoiceRow, withCustomer bool, page components.Pagination) components.DataTableProps {
	t := components.DataTableProps{TestID: "invoices", Empty: i18n.T(ctx, "invoice.none"), Page: page}
	if withCustomer {
		t.Columns = append(t.Columns, col(ctx, "token.customer"))
	}
	t.Columns = append(t.Columns, col(ctx, "invoice.period"), col(ctx, "invoice.total", "num"), col(ctx, "field.state"), components.Column{})
	for _, inv := range rows {
		var cells []components.Cell
		if withCustomer {
			cells = append(cells, text(inv.Customer))
		}
		cells = append(cells, text(inv.Period),
			components.Cell{Content: components.Text(money(ctx, inv.Total.StringFixed(2), inv.Currency)), Class: "num", Attrs: testID("invoice-total")},
			text(i18n.T(ctx, invoiceStatus(inv.Invoice))), components.Cell{Content: invoiceLinks(inv.Invoice, !withCustomer)})
		t.Rows = append(t.Rows, components.Row{Attrs: testID("invoice-row"), Cells: cells})
	}
	return t
}

// languageOptions are the portal's languages, each named in the reader's.
func languageOptions(ctx context.Context) []Option {
	return languageOptionsOf(ctx, i18n.Languages)
}

// languageOptionsOf are the languages langs, each named in the reader's.
func languageOptionsOf(ctx context.Context, langs []string) []Option {
	out := make([]Option, 0, len(langs))
	for _, l := range langs {
		out = append(out, Option{Value: l, Label: i18n.T(ctx, "lang.name."+l)})
	}
	return out
}

// chromeLanguages are the options of the language switch: the partner's
// languages (i18n.Offered).
func chromeLanguages(ctx context.Context, offered []string) []Option {
	return languageOptionsOf(ctx, i18n.Offered(offered))
}

// offeredChoices are the portal's languages as checkboxes, those in offered
// checked (every one when offered is empty).
func offeredChoices(ctx context.Context, offered []string) []Choice {
	out := make([]Choice, 0, len(i18n.Languages))
	for _, l := range i18n.Languages {
		out = append(out, Choice{Name: l, Label: i18n.T(ctx, "lang.name."+l), Checked: len(offered) == 0 || slices.Contains(offered, l)})
	}
	return out
}

// fontOptions are the brand fonts, named in the reader's language.
func fontOptions(ctx context.Context, fonts []string) []Option {
	out := make([]Option, 0, len(fonts))
	for _, f := range fonts {
		out = append(out, Option{Value: f, Label: i18n.T(ctx, "brand.font."+f)})
	}
	return out
}

// currencyOptions are currencies with their symbols: "EUR (€)".
func currencyOptions(currencies []string) []Option {
	out := make([]Option, 0, len(currencies))
	for _, c := range currencies {
		out = append(out, Option{Value: c, Label: c + " (" + components.CurrencySymbol(c) + ")"})
	}
	return out
}

// usageResourcesTable lists the month's cost per application and add-on.
func usageResourcesTable(ctx context.Context, u Usage) components.DataTableProps {
	t := components.DataTableProps{TestID: "usage-resources", Empty: i18n.T(ctx, "usage.none"), Columns: []components.Column{
		col(ctx, "usage.resource"), col(ctx, "usage.kind", "opt"), col(ctx, "usage.amount", "num")}}
	for _, r := range u.Resources {
		t.Rows = append(t.Rows, components.Row{Attrs: testID("usage-resource"), Cells: []components.Cell{
			text(r.Name), text(i18n.T(ctx, "usage.kind."+r.Kind), "opt"), text(money(ctx, r.Amount.StringFixed(2), u.Currency), "num")}})
	}
	return t
}

// usageDaysTable lists the month's cost per day: the chart's numbers.
func usageDaysTable(ctx context.Context, u Usage) components.DataTableProps {
	t := components.DataTableProps{TestID: "usage-days", Empty: i18n.T(ctx, "usage.none"), Columns: []components.Column{
		col(ctx, "usage.day"), col(ctx, "usage.amount", "num")}}
	for _, d := range u.Days {
		t.Rows = append(t.Rows, components.Row{Attrs: testID("usage-day"), Cells: []components.Cell{
			text(i18n.Day(ctx, d.Date)), text(money(ctx, d.Amount.StringFixed(2), u.Currency), "num")}})
	}
	return t
}

// partnerUsageTable lists each customer's month: billed, owed, margin, and
// the totals.
func partnerUsageTable(ctx context.Context, vm PartnerUsageVM) components.DataTableProps {
	t := components.DataTableProps{TestID: "partner-usage", Empty: i18n.T(ctx, "admin.no_customers"), Columns: []components.Column{
		col(ctx, "usage.customer"), col(ctx, "usage.billed", "num"), col(ctx, "usage.owed", "num opt"), col(ctx, "usage.margin", "num")}}
	row := func(attrs templ.Attributes, name templ.Component, billed, owed, margin decimal.Decimal) components.Row {
		return components.Row{Attrs: attrs, Cells: []components.Cell{{Content: name},
			text(money(ctx, billed.StringFixed(2), vm.Currency), "num"), text(money(ctx, owed.StringFixed(2), vm.Currency), "num", "opt"),
			text(money(ctx, margin.StringFixed(2), vm.Currency), "num")}}
	}
	for _, r := range vm.Rows {
		t.Rows = append(t.Rows, row(testID("partner-usage-row"), components.Link("/admin/customers/"+r.CustomerID, r.Name, nil), r.Billed, r.Owed, r.Margin))
	}
	if len(vm.Rows) > 0 {
		t.Rows = append(t.Rows, row(testID("partner-usage-total"), components.Text(i18n.T(ctx, "usage.total")), vm.Billed, vm.Owed, vm.Margin))
	}
	return t
}

// invoiceLinesTable lists an invoice's lines and its total.
func invoiceLinesTable(ctx context.Context, vm CustomerInvoiceVM) components.DataTableProps {
	inv := vm.Invoice
	t := components.DataTableProps{TestID: "invoice-lines", Empty: i18n.T(ctx, "invoice.no_lines"), Columns: []components.Column{
		col(ctx, "invoice.line"), col(ctx, "field.zone", "opt"), col(ctx, "invoice.quantity", "num opt"), col(ctx, "invoice.unit_price", "num opt"),
		col(ctx, "usage.amount", "num")}}
	for _, l := range inv.Lines {
		name := vm.Names[l.ResourceID]
		if name == "" {
			name = l.ResourceID
		}
		what := l.SlugID
		from, err1 := time.Parse(time.RFC3339, l.From)
		to, err2 := time.Parse(time.RFC3339, l.To)
		if err1 == nil && err2 == nil && to.After(from) {
			what += ", " + i18n.Day(ctx, from) + " – " + i18n.Day(ctx, to.Add(-time.Second))
		}
		t.Rows = append(t.Rows, components.Row{Attrs: testID("invoice-line"), Cells: []components.Cell{
			{Content: withNote(name, what)}, text(l.Zone, "opt"),
			text(quantity(ctx, l.Quantity.String(), l.Unit), "num", "opt"),
			text(money(ctx, l.UnitPrice.Round(6).String(), inv.Currency), "num", "opt"),
			{Content: components.Text(money(ctx, l.Amount.StringFixed(2), inv.Currency)), Class: "num", Attrs: testID("invoice-line-amount")}}})
	}
	t.Rows = append(t.Rows, components.Row{Attrs: testID("invoice-lines-total"), Cells: []components.Cell{
		text(i18n.T(ctx, "usage.total")), text("", "opt"), text("", "opt"), text("", "opt"),
		{Content: components.Text(money(ctx, inv.Total.StringFixed(2), inv.Currency)), Class: "num", Attrs: testID("invoice-detail-total")}}})
	return t
}

// invoiceMonth is an invoice's period as a month name.
func invoiceMonth(ctx context.Context, period string) string {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return period
	}
	return i18n.Month(ctx, t)
}

// quantity is a consumed quantity with its unit (hours, bytes), in the
// reader's format.
func quantity(ctx context.Context, q, unit string) string {
	switch unit {
	case "PT1H", "B":
		return i18n.Number(ctx, q) + " " + i18n.T(ctx, "invoice.unit."+unit)
	}
	return i18n.Number(ctx, q) + " " + unit
}

// appDomainsTable lists an application's domains, each with the DNS record
// it needs and its remove button.
func appDomainsTable(ctx context.Context, vm AppDomainsVM) components.DataTableProps {
	t := components.DataTableProps{TestID: "app-domains", Empty: i18n.T(ctx, "domains.app.none"), Columns: []components.Column{
		col(ctx, "field.domain"), col(ctx, "domains.app.record"), col(ctx, "account.session.action")}}
	for _, v := range vm.App.Vhosts {
		record := i18n.T(ctx, "domains.app.record_ask")
		if vm.Edge != "" {
			record = v.FQDN + ". CNAME " + vm.Edge + "."
		}
		name := components.Cell{Content: components.Text(v.FQDN), Class: "mono"}
		actions := []templ.Component{postButton("/console/apps/"+vm.App.ID+"/domains/remove", vm.Chrome.CSRF, "fqdn", v.FQDN, i18n.T(ctx, "action.remove"), "remove-domain")}
		if v.FQDN == vm.Favourite {
			name.Content = withBadge("", v.FQDN, i18n.T(ctx, "domains.app.primary"), "ok", "primary-domain")
		} else {
			actions = append([]templ.Component{postButton("/console/apps/"+vm.App.ID+"/domains/primary", vm.Chrome.CSRF, "fqdn", v.FQDN,
				i18n.T(ctx, "domains.app.make_primary"), "make-primary")}, actions...)
		}
		t.Rows = append(t.Rows, components.Row{Attrs: testID("app-domain"), Cells: []components.Cell{
			name, text(record, "mono", "small"), {Content: inlineButtons(actions)}}})
	}
	return t
}
