package i18n

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Date formats t as a date with its time of day, in the context's language
// and in UTC: "Nov 26, 2026, 18:04 UTC" or "26 nov. 2026, 18:04 UTC".
func Date(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	l := From(ctx)
	month := l.T("month.short." + strconv.Itoa(int(t.Month())))
	clock := t.Format("15:04")
	if l.Lang() == "fr" {
		return strconv.Itoa(t.Day()) + " " + month + " " + strconv.Itoa(t.Year()) + ", " + clock + " UTC"
	}
	return month + " " + strconv.Itoa(t.Day()) + ", " + strconv.Itoa(t.Year()) + ", " + clock + " UTC"
}

// UnixMilli formats a platform timestamp in milliseconds like Date.
func UnixMilli(ctx context.Context, ms int64) string {
	if ms == 0 {
		return ""
	}
	return Date(ctx, time.UnixMilli(ms))
}

// Number formats a decimal number given as a plain string ("1234.5") with
// the context language's separators: "1,234.5" or "1 234,5" (narrow
// no-break space for thousands, comma for decimals, as French typography
// wants).
func Number(ctx context.Context, plain string) string {
	neg := strings.HasPrefix(plain, "-")
	plain = strings.TrimPrefix(plain, "-")
	intPart, frac, hasFrac := strings.Cut(plain, ".")
	group, point := ",", "."
	if Lang(ctx) == "fr" {
		group, point = "\u202f", ","
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String()
}

// Int formats an integer like Number.
func Int(ctx context.Context, n int64) string {
	return Number(ctx, strconv.FormatInt(n, 10))
}

// Month formats a month, in the context's language: "November 2026" or
// "novembre 2026".
func Month(ctx context.Context, t time.Time) string {
	return From(ctx).T("month.long."+strconv.Itoa(int(t.Month()))) + " " + strconv.Itoa(t.Year())
}

// Day formats a day without its time, in the context's language: "Nov 26"
// or "26 nov.".
func Day(ctx context.Context, t time.Time) string {
	l := From(ctx)
	month := l.T("month.short." + strconv.Itoa(int(t.Month())))
	if l.Lang() == "fr" {
		return strconv.Itoa(t.Day()) + " " + month
	}
	return month + " " + strconv.Itoa(t.Day())
}
