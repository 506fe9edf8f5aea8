package components

// Words are the translated words the widgets show, in one language. The
// pages build them with NewWords from the page translator; the bundle carries
// the same messages (locales/*.json), so that a server-rendered widget and
// the element that upgrades it read alike.
type Words struct {
	Lang                       string
	Zone, Zones, Product, Plan string
	Quantity, Total, Show      string
	PerHour, PerDay, Per30Days string
	Period                     map[string]string // period → "per 30 days"
	Loading, Empty             string
}

// Message ids of the widgets' words, as in locales/*.json.
const (
	MsgZone       = "widget.zone"
	MsgZones      = "widget.zones"
	MsgProduct    = "widget.product"
	MsgPlan       = "widget.plan"
	MsgQuantity   = "widget.quantity"
	MsgTotal      = "widget.total"
	MsgShow       = "widget.show"
	MsgPerHour    = "widget.per.hour"
	MsgPerDay     = "widget.per.day"
	MsgPer30Days  = "widget.per.30-days"
	MsgLoading    = "widget.loading"
	MsgEmpty      = "widget.empty"
	MsgErrZone    = "widget.error.zone"
	MsgErrCurr    = "widget.error.currency"
	MsgErrProduct = "widget.error.product"
	MsgErrPeriod  = "widget.error.period"
	MsgErrLang    = "widget.error.lang"
	MsgErrQty     = "widget.error.quantity"
	MsgErrParam   = "widget.error.param"
	MsgErrLoad    = "widget.error.load"
)

// NewWords returns the widgets' words in lang, translated by t.
func NewWords(lang string, t func(id string) string) Words {
	return Words{
		Lang: lang, Zone: t(MsgZone), Zones: t(MsgZones), Product: t(MsgProduct), Plan: t(MsgPlan),
		Quantity: t(MsgQuantity), Total: t(MsgTotal), Show: t(MsgShow),
		PerHour: t(MsgPerHour), PerDay: t(MsgPerDay), Per30Days: t(MsgPer30Days),
		Period:  map[string]string{PeriodHour: t(MsgPerHour), PeriodDay: t(MsgPerDay), Period30Days: t(MsgPer30Days)},
		Loading: t(MsgLoading), Empty: t(MsgEmpty),
	}
}
