package themes

import (
	"fmt"
	"math"
	"strings"
)

// rgb is a parsed sRGB colour, 0–255 per channel.
type rgb struct{ r, g, b uint8 }

// NormalizeColor parses a "#rgb" or "#rrggbb" colour (any case, surrounding
// spaces ignored) and returns it as lowercase "#rrggbb". It reports false for
// anything else, including CSS names, rgb() and alpha forms.
func NormalizeColor(s string) (string, bool) {
	c, ok := parseColor(s)
	if !ok {
		return "", false
	}
	return c.hex(), true
}

// parseColor parses "#rgb" or "#rrggbb".
func parseColor(s string) (rgb, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	digits := make([]uint8, 0, 6)
	for i := 1; i < len(s); i++ {
		d, ok := hexDigit(s[i])
		if !ok {
			return rgb{}, false
		}
		digits = append(digits, d)
	}
	if len(digits) == 3 {
		return rgb{digits[0] * 17, digits[1] * 17, digits[2] * 17}, true
	}
	return rgb{digits[0]<<4 | digits[1], digits[2]<<4 | digits[3], digits[4]<<4 | digits[5]}, true
}

// hexDigit returns the value of one hexadecimal digit.
func hexDigit(c byte) (uint8, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hex formats the colour as lowercase "#rrggbb".
func (c rgb) hex() string {
	return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b)
}

// luminance returns the WCAG 2 relative luminance of the colour, 0–1.
func (c rgb) luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast returns the WCAG 2 contrast ratio of two colours, 1–21.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// ContrastRatio returns the WCAG 2 contrast ratio (1 to 21) between two
// "#rgb"/"#rrggbb" colours, or 0 when either cannot be parsed.
func ContrastRatio(a, b string) float64 {
	ca, ok := parseColor(a)
	if !ok {
		return 0
	}
	cb, ok := parseColor(b)
	if !ok {
		return 0
	}
	return contrast(ca, cb)
}

// OnColor returns "#ffffff" or "#000000", whichever contrasts more with the
// given background colour; text drawn on a brand colour uses it.
func OnColor(background string) string {
	c, ok := parseColor(background)
	if !ok {
		return "#000000"
	}
	return onColor(c).hex()
}

// onColor picks white or black text for a background.
func onColor(bg rgb) rgb {
	white, black := rgb{255, 255, 255}, rgb{0, 0, 0}
	if contrast(white, bg) >= contrast(black, bg) {
		return white
	}
	return black
}

// IsDark reports whether a surface of this colour is dark: white text
// contrasts with it better than black does. A logo drawn on it is the
// dark-surface variant.
func IsDark(color string) bool {
	return OnColor(color) == "#ffffff"
}

// tint mixes the colour with white; weight is the share of the colour kept.
func tint(c rgb, weight float64) rgb {
	mix := func(v uint8) uint8 {
		return uint8(math.Round(float64(v)*weight + 255*(1-weight)))
	}
	return rgb{mix(c.r), mix(c.g), mix(c.b)}
}

// colorOr parses s, falling back to the parsed fallback when s is invalid.
func colorOr(s, fallback string) rgb {
	if c, ok := parseColor(s); ok {
		return c
	}
	c, _ := parseColor(fallback)
	return c
}

// Declarations returns the brand's CSS custom property declarations, without
// a selector, for use on :root or on a widget's :host. Every value is
// re-parsed here: an invalid colour falls back to the default brand's and an
// unknown font to the system stack, so no input ever reaches the CSS as text.
func (b Brand) Declarations() string {
	d := Default("")
	primary := colorOr(b.PrimaryColor, d.PrimaryColor)
	accent := colorOr(b.AccentColor, d.AccentColor)
	bg := colorOr(b.BackgroundColor, d.BackgroundColor)
	text := colorOr(b.TextColor, d.TextColor)
	var sb strings.Builder
	decl := func(name, value string) {
		sb.WriteString("--brand-")
		sb.WriteString(name)
		sb.WriteByte(':')
		sb.WriteString(value)
		sb.WriteByte(';')
	}
	decl("primary", primary.hex())
	decl("on-primary", onColor(primary).hex())
	decl("primary-soft", tint(primary, 0.12).hex())
	decl("accent", accent.hex())
	decl("on-accent", onColor(accent).hex())
	decl("accent-soft", tint(accent, 0.12).hex())
	decl("bg", bg.hex())
	decl("text", text.hex())
	decl("font", FontStack(b.Font))
	return sb.String()
}

// CSS returns the brand as a rule of custom properties on :root:
// --brand-primary, --brand-on-primary (black or white by WCAG contrast),
// --brand-primary-soft (a light tint), --brand-accent, --brand-on-accent,
// --brand-accent-soft, --brand-bg, --brand-text and --brand-font. It is safe
// to embed in a <style> element whatever the brand holds.
func (b Brand) CSS() string {
	return ":root{" + b.Declarations() + "}"
}

// BrandFontFamily is the family name of a partner's own font in CSS.
const BrandFontFamily = "Brand Font"

// CSSWithFont is CSS with the partner's own font, served at fontURL (a
// path of the portal's, never a partner's input), loaded by an @font-face
// rule and put first in --brand-font; CSS alone when fontURL is "".
func (b Brand) CSSWithFont(fontURL string) string {
	if fontURL == "" {
		return b.CSS()
	}
	return `@font-face{font-family:"` + BrandFontFamily + `";src:url("` + fontURL + `") format("woff2");font-display:swap}` +
		":root{" + b.Declarations() + `--brand-font:"` + BrandFontFamily + `",` + FontStack(b.Font) + ";}"
}
