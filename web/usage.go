package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// Usage is a customer's consumption and its cost over a month, priced
// with the customer's grid by the one engine.
type Usage struct {
	Month    string
	Currency string
	// Current says the month is this one: Until is now, and Forecast the
	// month's cost at this pace.
	Current     bool
	From, Until time.Time
	Total       decimal.Decimal
	Forecast    decimal.Decimal
	// ListTotal is the same usage at the platform's list prices: what the
	// partner owes the platform for it.
	ListTotal decimal.Decimal
	// Resources are the applications and add-ons that consumed, costliest
	// first.
	Resources []UsageResource
	// Days are the month's days up to Until, each with its cost.
	Days []UsageDay
}

// UsageResource is one application's or add-on's cost over the month.
type UsageResource struct {
	ID, Name, Kind string
	Amount         decimal.Decimal
	// ByDay is its cost per day, by the day's index in Usage.Days.
	ByDay map[int]decimal.Decimal
}

// UsageDay is the cost of one day.
type UsageDay struct {
	Date   time.Time
	Amount decimal.Decimal
}

// usageMonth is the month a usage page shows: ?month=YYYY-MM, a past or the
// current one; this month when absent.
func usageMonth(c echo.Context, now time.Time) (string, error) {
	m := c.QueryParam("month")
	if m == "" {
		return now.Format("2006-01"), nil
	}
	if !validPeriod(m) || m > now.Format("2006-01") {
		return "", NewUserError(http.StatusBadRequest, "usage.error.month")
	}
	return m, nil
}

// usageOf prices the customer's consumption of month. A line's cost is
// spread over the days it covers, by its hours in each: the days' costs add
// up to the lines', which add up to the month's total exactly (rounding is
// the display's).
func (h *Handler) usageOf(ctx context.Context, s scope, month string, now time.Time) (Usage, error) {
	from, _ := time.Parse("2006-01", month)
	to := from.AddDate(0, 1, 0)
	u := Usage{Month: month, Currency: pricing.DefaultCurrency, From: from, Until: to}
	if now.Before(to) {
		u.Current, u.Until = true, now
	}
	cons, err := s.api.Consumptions(ctx, s.org(), from, u.Until)
	if err != nil {
		return u, err
	}
	names, err := h.resourceNames(ctx, s)
	if err != nil {
		return u, err
	}
	for d := from; d.Before(u.Until); d = d.AddDate(0, 0, 1) {
		u.Days = append(u.Days, UsageDay{Date: d})
	}
	byID := map[string]*UsageResource{}
	for _, cn := range cons {
		line, err := h.cfg.Prices.PriceLine(ctx, s.partner.ID, s.customer.ID, cn)
		if err != nil {
			return u, err
		}
		r, ok := byID[cn.ResourceID]
		if !ok {
			name := names[cn.ResourceID]
			if name == "" {
				name = cn.ResourceID // deleted since
			}
			r = &UsageResource{ID: cn.ResourceID, Name: name, Kind: cn.ResourceType, ByDay: map[int]decimal.Decimal{}}
			byID[cn.ResourceID] = r
		}
		r.Amount = r.Amount.Add(line.Amount)
		u.Total = u.Total.Add(line.Amount)
		u.ListTotal = u.ListTotal.Add(line.ListAmount)
		for i, part := range spreadOverDays(cn, line.Amount, from, len(u.Days)) {
			r.ByDay[i] = r.ByDay[i].Add(part)
			u.Days[i].Amount = u.Days[i].Amount.Add(part)
		}
	}
	for _, r := range byID {
		u.Resources = append(u.Resources, *r)
	}
	sort.Slice(u.Resources, func(i, j int) bool {
		if c := u.Resources[i].Amount.Cmp(u.Resources[j].Amount); c != 0 {
			return c > 0
		}
		return u.Resources[i].Name < u.Resources[j].Name
	})
	u.Forecast = u.Total
	if u.Current && u.Until.After(from) {
		elapsed := decimal.NewFromFloat(u.Until.Sub(from).Hours())
		u.Forecast = u.Total.Mul(decimal.NewFromFloat(to.Sub(from).Hours())).Div(elapsed).Round(2)
	}
	return u, nil
}

// spreadOverDays splits amount over the days (indexes from the month's
// start) that the consumption covers, by its hours in each; the last part
// takes what rounding left, so that the parts add up to amount exactly.
func spreadOverDays(cn platform.Consumption, amount decimal.Decimal, month time.Time, days int) map[int]decimal.Decimal {
	start, err1 := time.Parse(time.RFC3339, cn.From)
	end, err2 := time.Parse(time.RFC3339, cn.To)
	out := map[int]decimal.Decimal{}
	if days == 0 {
		return out
	}
	if err1 != nil || err2 != nil || !end.After(start) {
		i := min(max(int(start.Sub(month).Hours()/24), 0), days-1)
		out[i] = amount
		return out
	}
	total := end.Sub(start)
	left, last := amount, -1
	for d := start.Truncate(24 * time.Hour); d.Before(end); d = d.AddDate(0, 0, 1) {
		i := int(d.Sub(month).Hours() / 24)
		if i < 0 || i >= days {
			continue
		}
		lo, hi := maxTime(d, start), minTime(d.AddDate(0, 0, 1), end)
		part := amount.Mul(decimal.NewFromInt(int64(hi.Sub(lo)))).Div(decimal.NewFromInt(int64(total))).Round(6)
		out[i] = out[i].Add(part)
		left, last = left.Sub(part), i
	}
	if last >= 0 {
		out[last] = out[last].Add(left)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// resourceNames are the names of the customer's applications and add-ons,
// by id.
func (h *Handler) resourceNames(ctx context.Context, s scope) (map[string]string, error) {
	names := map[string]string{}
	apps, err := s.api.Applications(ctx, s.org())
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		names[a.ID] = a.Name
	}
	addons, err := s.api.Addons(ctx, s.org())
	if err != nil {
		return nil, err
	}
	for _, a := range addons {
		names[a.ID] = a.Name
	}
	return names, nil
}

// UsageVM is the usage page.
type UsageVM struct {
	Chrome Chrome
	Usage  Usage
	Months []components.Option
}

// ConsoleUsage shows the customer's consumption and cost of a month: per
// application and add-on, per day (bars and a table of the same numbers)
// and, for this month, a forecast.
func (h *Handler) ConsoleUsage(c echo.Context) error {
	ctx := c.Request().Context()
	now := time.Now().UTC()
	u, err := h.customerUsage(c, now)
	if err != nil {
		return err
	}
	vm := UsageVM{Chrome: h.chrome(c, i18n.T(ctx, "usage.title")), Usage: u, Months: monthOptions(ctx, now)}
	return render(c, http.StatusOK, usagePage(vm))
}

// customerUsage is the signed-in customer's usage of the month the request
// asks for.
func (h *Handler) customerUsage(c echo.Context, now time.Time) (Usage, error) {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return Usage{}, err
	}
	month, err := usageMonth(c, now)
	if err != nil {
		return Usage{}, err
	}
	return h.usageOf(ctx, s, month, now)
}

// ConsoleUsageCSV exports the month's cost per day and resource as CSV.
func (h *Handler) ConsoleUsageCSV(c echo.Context) error {
	u, err := h.customerUsage(c, time.Now().UTC())
	if err != nil {
		return err
	}
	month := u.Month
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="usage-`+month+`.csv"`)
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	_ = w.Write([]string{"date", "resource_id", "resource", "kind", "amount", "currency"})
	for i, d := range u.Days {
		for _, r := range u.Resources {
			if a, ok := r.ByDay[i]; ok {
				_ = w.Write([]string{d.Date.Format("2006-01-02"), r.ID, r.Name, r.Kind, a.StringFixed(2), u.Currency})
			}
		}
	}
	w.Flush()
	return w.Error()
}

// PartnerUsageVM is the partner's usage page: each customer's month, what
// it is billed, what the partner owes the platform for it, the margin.
type PartnerUsageVM struct {
	Chrome Chrome
	Month  string
	From   time.Time
	// Current says the month is this one (month to date).
	Current bool
	Months  []components.Option
	Rows    []PartnerUsageRow
	// Billed, Owed and Margin are the totals over the customers.
	Billed, Owed, Margin decimal.Decimal
	Currency             string
}

// PartnerUsageRow is one customer's month.
type PartnerUsageRow struct {
	CustomerID, Name     string
	Billed, Owed, Margin decimal.Decimal
}

// AdminUsage shows the partner's customers' consumption of a month priced
// twice by the one engine: at each customer's prices (what it is billed)
// and at the platform's list prices (what the partner owes), with the
// margin, per customer and in total.
func (h *Handler) AdminUsage(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	now := time.Now().UTC()
	month, err := usageMonth(c, now)
	if err != nil {
		return err
	}
	api, err := h.partnerAPI(ctx, p)
	if err != nil {
		return err
	}
	customers, err := h.cfg.Tenants.Customers(ctx, p.ID)
	if err != nil {
		return err
	}
	vm := PartnerUsageVM{Chrome: h.chrome(c, i18n.T(ctx, "usage.title")), Month: month, Currency: pricing.DefaultCurrency}
	for _, cu := range customers {
		u, err := h.usageOf(ctx, scope{partner: p, customer: cu, api: api}, month, now)
		if err != nil {
			return err
		}
		vm.From, vm.Current = u.From, u.Current
		row := PartnerUsageRow{CustomerID: cu.ID, Name: cu.Name, Billed: u.Total, Owed: u.ListTotal, Margin: u.Total.Sub(u.ListTotal)}
		vm.Rows = append(vm.Rows, row)
		vm.Billed, vm.Owed, vm.Margin = vm.Billed.Add(row.Billed), vm.Owed.Add(row.Owed), vm.Margin.Add(row.Margin)
	}
	if vm.From.IsZero() {
		vm.From, _ = time.Parse("2006-01", month)
	}
	vm.Months = monthOptions(ctx, now)
	return render(c, http.StatusOK, partnerUsagePage(vm))
}

// monthOptions are this month and the eleven before, for a select.
func monthOptions(ctx context.Context, now time.Time) []components.Option {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var out []components.Option
	for i := range 12 {
		m := first.AddDate(0, -i, 0)
		out = append(out, components.Option{Value: m.Format("2006-01"), Label: i18n.Month(ctx, m)})
	}
	return out
}
