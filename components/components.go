// Package components holds the portal's reusable templ components: the
// building blocks of the console and admin pages (page header, data table,
// form field, application state badge) and the three widgets partners also
// embed on their own websites (price table, zone picker, cost estimator).
//
// Each component is a function of one typed props or state struct and knows
// nothing of tenants or HTTP: the pages hand it translated words and data.
// It is themed only through CSS custom properties: the brand's --brand-*
// properties and the per-component ones documented in docs/widgets.md.
//
// The widgets render inside a declarative shadow root (<template
// shadowrootmode="open">), so they paint with no JavaScript; where
// JavaScript runs, the custom elements of the bundle built from elements/
// (gl-price-table, gl-zone-picker, gl-estimator) upgrade them in place.
package components

import (
	"embed"
	"strings"
)

// Locales holds the components' words in every language ("en.json",
// "fr.json"): the page translator loads them, and the bundle embeds them.
//
//go:embed locales/*.json
var Locales embed.FS

// Widget states, as clever-components models them.
const (
	StateLoading = "loading"
	StateError   = "error"
	StateLoaded  = "loaded"
)

// Periods a price is shown for, as the widgets' period attribute names them.
const (
	PeriodHour   = "hour"
	PeriodDay    = "day"
	Period30Days = "30-days"
)

// Periods lists the periods in the order the tables show them.
var Periods = []string{PeriodHour, PeriodDay, Period30Days}

// ValidPeriod reports whether p is one of Periods.
func ValidPeriod(p string) bool {
	for _, q := range Periods {
		if p == q {
			return true
		}
	}
	return false
}

// Money formats a decimal amount given as a plain string ("1234.5") in a
// currency the way the browser's Intl.NumberFormat does for the language
// with currencyDisplay "narrowSymbol", so that a server-rendered widget reads
// exactly as the upgraded element: "€1,234.50" in English, "1 234,50 €" in
// French (narrow no-break space between thousands, no-break space before the
// symbol). Amounts are shown with two to four decimals (hourly prices carry
// four): trailing zeros past the second are dropped.
func Money(lang, currency, amount string) string {
	neg := strings.HasPrefix(amount, "-")
	amount = strings.TrimPrefix(amount, "-")
	intPart, frac, _ := strings.Cut(amount, ".")
	if len(frac) > 4 {
		frac = frac[:4] // callers round first; Intl would round here too
	}
	frac = strings.TrimRight(frac, "0")
	frac += "00"[min(len(frac), 2):]
	if intPart == "" {
		intPart = "0"
	}
	group, point := ",", "."
	if lang == "fr" {
		group, point = "\u202f", ","
	}
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	number := b.String() + point + frac
	sign := ""
	if neg {
		sign = "-"
	}
	symbol := CurrencySymbol(currency)
	if lang == "fr" {
		return sign + number + "\u00a0" + symbol
	}
	return sign + symbol + number
}

// CurrencySymbol is the narrow symbol of a currency ("€", "$"), or its code.
func CurrencySymbol(currency string) string {
	switch currency {
	case "EUR":
		return "€"
	case "USD":
		return "$"
	}
	return currency
}
