package invoicing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
)

// periodBounds parses a "YYYY-MM" period into its first instant and the
// first instant of the next month, in UTC.
func periodBounds(period string) (from, to time.Time, err error) {
	from, err = time.Parse("2006-01", period)
	if err != nil || from.Format("2006-01") != period {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: %q", ErrInvalidPeriod, period)
	}
	return from, from.AddDate(0, 1, 0), nil
}

// zeroDecimal lists the currencies Stripe counts in whole units.
var zeroDecimal = map[string]bool{
	"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true, "KRW": true, "MGA": true,
	"PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true,
}

// minorDigits is the number of decimal places of a currency's minor unit,
// as Stripe counts amounts.
func minorDigits(currency string) int32 {
	if zeroDecimal[strings.ToUpper(currency)] {
		return 0
	}
	return 2
}

// roundAmount rounds an exact amount to the currency's minor unit, half away
// from zero. It is the one rounding of a line's money.
func roundAmount(d decimal.Decimal, currency string) decimal.Decimal {
	return d.Round(minorDigits(currency))
}

// minorUnits converts a rounded amount to Stripe's integer minor units
// (cents), refusing anything that is not a whole number of them or does not
// fit an int64.
func minorUnits(d decimal.Decimal, currency string) (int64, error) {
	shifted := d.Shift(minorDigits(currency))
	if !shifted.IsInteger() {
		return 0, fmt.Errorf("invoicing: amount %s %s is not rounded to the minor unit", d, currency)
	}
	if !shifted.BigInt().IsInt64() {
		return 0, fmt.Errorf("invoicing: amount %s %s is out of range", d, currency)
	}
	return shifted.IntPart(), nil
}

// lineKey is the stable identity of a consumption line within an invoice:
// a hash of its resource, slug and usage interval. A second line with the
// same identity in one consumption gets its ordinal n appended.
func lineKey(c platform.Consumption, n int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", c.ResourceID, c.SlugID, c.From, c.To)
	if n > 0 {
		fmt.Fprintf(h, "\x00%d", n)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// buildLines turns consumption lines and their prices into invoice lines,
// rounded once each, and returns them with the invoice's currency. All
// lines must share one currency; with no line the currency is "".
func buildLines(cons []platform.Consumption, priced []Line) ([]InvoiceLine, string, error) {
	currency := ""
	seen := map[string]int{}
	lines := make([]InvoiceLine, 0, len(cons))
	for i, c := range cons {
		p := priced[i]
		cur := strings.ToUpper(p.Currency)
		if cur == "" {
			return nil, "", fmt.Errorf("invoicing: price of %s for %s has no currency", c.SlugID, c.ResourceID)
		}
		if currency == "" {
			currency = cur
		} else if cur != currency {
			return nil, "", fmt.Errorf("%w: %s and %s", ErrMixedCurrencies, currency, cur)
		}
		base := lineKey(c, 0)
		key := lineKey(c, seen[base])
		seen[base]++
		desc := p.Description
		if desc == "" {
			desc = fmt.Sprintf("%s %s (%s), %s to %s", c.SlugID, c.ResourceID, c.Zone, c.From, c.To)
		}
		zone := p.Zone
		if zone == "" {
			zone = c.Zone
		}
		slug := p.SlugID
		if slug == "" {
			slug = c.SlugID
		}
		lines = append(lines, InvoiceLine{
			Key: key, ResourceID: c.ResourceID, ResourceType: c.ResourceType, SlugID: slug, Zone: zone,
			From: c.From, To: c.To, Quantity: p.Quantity, Unit: c.Unit, UnitPrice: p.UnitPrice,
			Amount: roundAmount(p.Amount, cur), ListAmount: roundAmount(p.ListAmount, cur), Description: desc,
		})
	}
	return lines, currency, nil
}

// totals sums the rounded lines' amounts and list amounts.
func totals(lines []InvoiceLine) (total, list decimal.Decimal) {
	for _, l := range lines {
		total = total.Add(l.Amount)
		list = list.Add(l.ListAmount)
	}
	return total, list
}

// billable reports whether any line has a non-zero amount.
func billable(lines []InvoiceLine) bool {
	for _, l := range lines {
		if !l.Amount.IsZero() {
			return true
		}
	}
	return false
}
