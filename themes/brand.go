// Package themes turns a partner's brand into data the pages can render: a
// validated set of colours, a font stack from an allow-list, a default
// language and a few switches, rendered as CSS custom properties on :root so
// that components read var(--brand-…) and never know which partner they serve.
//
// A brand is data, not code: nothing a partner types ever reaches a
// stylesheet unless it has first been parsed into a known shape (a #rrggbb
// colour, an allow-listed font name).
package themes

import (
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest brand name accepted, in characters.
const MaxNameLength = 60

// MinTextContrast is the lowest contrast ratio accepted between a brand's
// text and background colours (WCAG 2 level AA for normal text).
const MinTextContrast = 4.5

// MinControlContrast is the lowest contrast ratio accepted between a
// control or highlight colour (the accent) and the background: WCAG AA's
// 3:1 for non-text contrast.
const MinControlContrast = 3.0

// Brand is the look of one partner's console: its name, colours, font,
// default language and whether the platform is credited.
type Brand struct {
	// Name is the display name shown in titles and headers, 1–60 characters.
	Name string
	// PrimaryColor is the main brand colour (buttons, links), "#rrggbb".
	PrimaryColor string
	// AccentColor is the secondary colour (highlights, badges), "#rrggbb".
	AccentColor string
	// BackgroundColor is the page background, "#rrggbb".
	BackgroundColor string
	// TextColor is the body text colour, "#rrggbb"; it must contrast with
	// BackgroundColor at least MinTextContrast:1.
	TextColor string
	// Font is one of Fonts(): "system", "serif", "mono" or "humanist".
	Font string
	// Language is the partner's default language, one of Languages() and
	// of Offered.
	Language string
	// Offered are the languages the partner's pages speak, in Languages()
	// order; a visitor sees only these, whatever the browser asks. Empty
	// normalises to every language.
	Offered []string
	// PoweredBy shows the "powered by <platform>" line when true.
	PoweredBy bool
	// Words are the partner's own wording, per language: message id →
	// text, replacing the portal's text for that id ("applications" →
	// "services", a product renamed). Which ids exist is the web layer's
	// to check; see NormalizeWords for the shape kept.
	Words map[string]map[string]string
	// SupportURL, TermsURL and PrivacyURL are the links of the pages'
	// footer: https URLs ("" for none); support may be a mailto: address.
	SupportURL, TermsURL, PrivacyURL string
	// HasLogo reports that a logo is stored for the partner; the tenants
	// package owns the bytes and sets this field when it loads a brand.
	HasLogo bool
	// HasLogoDark reports that a logo for dark surfaces is stored.
	HasLogoDark bool
	// HasIcon reports that an icon (favicon) is stored, as HasLogo does.
	HasIcon bool
	// HasIconDark reports that an icon for browsers in a dark colour
	// scheme is stored.
	HasIconDark bool
	// HasFont reports that the partner's own font (WOFF2) is stored: the
	// pages use it before Font, which stays its fallback.
	HasFont bool
}

// Field names used in FieldError.Field, matching the brand form's inputs.
const (
	FieldName            = "name"
	FieldPrimaryColor    = "primary_color"
	FieldAccentColor     = "accent_color"
	FieldBackgroundColor = "background_color"
	FieldTextColor       = "text_color"
	FieldFont            = "font"
	FieldLanguage        = "language"
	FieldOffered         = "languages"
	FieldWords           = "words"
	FieldSupportURL      = "support_url"
	FieldTermsURL        = "terms_url"
	FieldPrivacyURL      = "privacy_url"
)

// Message ids returned in FieldError.MessageID, translated by the web layer.
const (
	MsgNameRequired    = "brand.name.required"
	MsgNameTooLong     = "brand.name.too_long"
	MsgNameInvalid     = "brand.name.invalid"
	MsgColorInvalid    = "brand.color.invalid"
	MsgFontInvalid     = "brand.font.invalid"
	MsgLanguageInvalid = "brand.language.invalid"
	MsgLanguageOffered = "brand.language.not_offered"
	MsgOfferedInvalid  = "brand.languages.invalid"
	MsgContrastLow     = "brand.contrast.low"
	MsgContrastPrimary = "brand.contrast.primary"
	MsgContrastAccent  = "brand.contrast.accent"
	MsgWordsTooMany    = "brand.words.too_many"
	MsgWordsTooLong    = "brand.words.too_long"
	MsgWordsInvalid    = "brand.words.invalid"
	MsgSupportURL      = "brand.support_url.invalid"
	MsgTermsURL        = "brand.terms_url.invalid"
	MsgPrivacyURL      = "brand.privacy_url.invalid"
)

// MaxLinkLength is the longest footer link accepted.
const MaxLinkLength = 300

// MaxWords is the most wording overrides a brand holds, all languages
// together; MaxWordLength the longest override, in characters.
const (
	MaxWords      = 300
	MaxWordLength = 300
)

// FieldError names one invalid brand field and the i18n message id that
// explains what is wrong with it.
type FieldError struct {
	// Field is the brand field at fault, one of the Field* constants.
	Field string
	// MessageID is the i18n message id describing the problem.
	MessageID string
	// Ratio and Min are, for a contrast too low, the pair's contrast ratio
	// (rounded down to a tenth, as a reader would check it) and the least
	// accepted.
	Ratio, Min float64
}

// Error returns a developer-facing description; users see MessageID
// translated instead.
func (e FieldError) Error() string {
	return "themes: " + e.Field + ": " + e.MessageID
}

// Errors lists every invalid field of a brand. Validate returns a non-empty
// Errors value, or nil when the brand is valid.
type Errors []FieldError

// Error joins the field errors into one developer-facing line.
func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Field + ": " + fe.MessageID
	}
	return "themes: invalid brand: " + strings.Join(parts, ", ")
}

// Field returns the message id of the first error on field, or "" when the
// field is valid; forms use it to place messages next to inputs.
func (e Errors) Field(field string) string {
	for _, fe := range e {
		if fe.Field == field {
			return fe.MessageID
		}
	}
	return ""
}

// fonts maps each allow-listed font name to its CSS font-family stack. Only
// locally installed fonts are named: no web fonts are ever loaded.
var fonts = map[string]string{
	"system":   `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif`,
	"serif":    `Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif`,
	"mono":     `ui-monospace, "Cascadia Code", "Source Code Pro", Menlo, Consolas, "DejaVu Sans Mono", monospace`,
	"humanist": `Seravek, "Gill Sans Nova", Ubuntu, Calibri, "DejaVu Sans", source-sans-pro, sans-serif`,
}

// fontOrder is the order in which Fonts lists the allow-list.
var fontOrder = []string{"system", "serif", "mono", "humanist"}

// languages is the list of languages the console is translated into.
var languages = []string{"en", "fr"}

// Fonts returns the allow-listed font names, in display order.
func Fonts() []string {
	return append([]string(nil), fontOrder...)
}

// FontStack returns the CSS font-family stack of an allow-listed font name,
// or the "system" stack for any other value.
func FontStack(font string) string {
	if s, ok := fonts[font]; ok {
		return s
	}
	return fonts["system"]
}

// Languages returns the language codes the console supports, default first.
func Languages() []string {
	return append([]string(nil), languages...)
}

// ValidLanguage reports whether lang is one of Languages().
func ValidLanguage(lang string) bool {
	for _, l := range languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Default returns the platform's neutral brand under the given display name:
// a slate primary, a warm accent, dark text on white, the system font,
// English, and the "powered by" line shown.
func Default(name string) Brand {
	return Brand{
		Name:            name,
		PrimaryColor:    "#2f4f7f",
		AccentColor:     "#c2410c",
		BackgroundColor: "#ffffff",
		TextColor:       "#1f2328",
		Font:            "system",
		Language:        "en",
		Offered:         Languages(),
		PoweredBy:       true,
	}
}

// Validate checks every field of the brand and returns an Errors value
// listing each invalid one, or nil when the brand is valid. Colours may be
// given as #rgb or #rrggbb in any case; see Normalize for the stored form.
func (b Brand) Validate() error {
	_, err := b.Normalize()
	return err
}

// Normalize returns the brand in its stored form (trimmed name, colours as
// lowercase #rrggbb) when it is valid, or the zero Brand and an Errors value
// listing every invalid field.
func (b Brand) Normalize() (Brand, error) {
	var errs Errors
	out := b
	out.Name = strings.TrimSpace(b.Name)
	switch n := utf8.RuneCountInString(out.Name); {
	case n == 0:
		errs = append(errs, FieldError{Field: FieldName, MessageID: MsgNameRequired})
	case n > MaxNameLength:
		errs = append(errs, FieldError{Field: FieldName, MessageID: MsgNameTooLong})
	case !validName(out.Name):
		errs = append(errs, FieldError{Field: FieldName, MessageID: MsgNameInvalid})
	}
	colors := []struct {
		field string
		in    string
		out   *string
	}{
		{FieldPrimaryColor, b.PrimaryColor, &out.PrimaryColor},
		{FieldAccentColor, b.AccentColor, &out.AccentColor},
		{FieldBackgroundColor, b.BackgroundColor, &out.BackgroundColor},
		{FieldTextColor, b.TextColor, &out.TextColor},
	}
	for _, c := range colors {
		hex, ok := NormalizeColor(c.in)
		if !ok {
			errs = append(errs, FieldError{Field: c.field, MessageID: MsgColorInvalid})
			continue
		}
		*c.out = hex
	}
	if _, ok := fonts[b.Font]; !ok {
		errs = append(errs, FieldError{Field: FieldFont, MessageID: MsgFontInvalid})
	}
	out.Offered = nil
	for _, l := range languages {
		if slices.Contains(b.Offered, l) || len(b.Offered) == 0 {
			out.Offered = append(out.Offered, l)
		}
	}
	for _, l := range b.Offered {
		if !ValidLanguage(l) {
			errs = append(errs, FieldError{Field: FieldOffered, MessageID: MsgOfferedInvalid})
			break
		}
	}
	switch {
	case !ValidLanguage(b.Language):
		errs = append(errs, FieldError{Field: FieldLanguage, MessageID: MsgLanguageInvalid})
	case !slices.Contains(out.Offered, b.Language):
		errs = append(errs, FieldError{Field: FieldLanguage, MessageID: MsgLanguageOffered})
	}
	for _, l := range []struct {
		in        string
		out       *string
		field, id string
		mailto    bool
	}{
		{b.SupportURL, &out.SupportURL, FieldSupportURL, MsgSupportURL, true},
		{b.TermsURL, &out.TermsURL, FieldTermsURL, MsgTermsURL, false},
		{b.PrivacyURL, &out.PrivacyURL, FieldPrivacyURL, MsgPrivacyURL, false},
	} {
		link, ok := NormalizeLink(l.in, l.mailto)
		if !ok {
			errs = append(errs, FieldError{Field: l.field, MessageID: l.id})
			continue
		}
		*l.out = link
	}
	if words, fe := NormalizeWords(b.Words); fe != nil {
		errs = append(errs, *fe)
	} else {
		out.Words = words
	}
	// WCAG AA: text (body text, and links in the primary colour) 4.5:1
	// on the background; the accent, a control and highlight colour, 3:1.
	// Text on the brand colours is black or white, whichever contrasts
	// more: always above 4.5:1.
	if errs.Field(FieldBackgroundColor) == "" {
		for _, pair := range []struct {
			field, color, msg string
			min               float64
		}{
			{FieldTextColor, out.TextColor, MsgContrastLow, MinTextContrast},
			{FieldPrimaryColor, out.PrimaryColor, MsgContrastPrimary, MinTextContrast},
			{FieldAccentColor, out.AccentColor, MsgContrastAccent, MinControlContrast},
		} {
			if errs.Field(pair.field) != "" {
				continue
			}
			if r := ContrastRatio(pair.color, out.BackgroundColor); r < pair.min {
				errs = append(errs, FieldError{Field: pair.field, MessageID: pair.msg, Ratio: math.Floor(r*10) / 10, Min: pair.min})
			}
		}
	}
	if len(errs) > 0 {
		return Brand{}, errs
	}
	return out, nil
}

// NormalizeLink returns a footer link in its stored form, and whether it
// is acceptable: "" (none), or an absolute https URL with a host and no
// user information, or, when mailto is set, a mailto: address; at most
// MaxLinkLength characters, printable.
func NormalizeLink(s string, mailto bool) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if len(s) > MaxLinkLength || !validName(s) || strings.ContainsAny(s, " \t<>\"'`\\") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" || u.User != nil || u.Opaque != "" {
			return "", false
		}
		u.Scheme = "https"
		return u.String(), true
	case "mailto":
		addr, err := mail.ParseAddress(u.Opaque)
		if !mailto || err != nil || addr.Address != u.Opaque || u.RawQuery != "" || u.Fragment != "" {
			return "", false
		}
		return "mailto:" + addr.Address, true
	}
	return "", false
}

// NormalizeWords returns wording overrides in their stored form: texts
// trimmed, empty ones dropped (an emptied override gives the portal's text
// back), nil for none. It refuses an unknown language, an id or text that
// is not printable, a text longer than MaxWordLength and more than MaxWords
// overrides.
func NormalizeWords(words map[string]map[string]string) (map[string]map[string]string, *FieldError) {
	var out map[string]map[string]string
	n := 0
	for lang, byID := range words {
		if !ValidLanguage(lang) {
			return nil, &FieldError{Field: FieldWords, MessageID: MsgWordsInvalid}
		}
		for id, text := range byID {
			text = strings.TrimSpace(text)
			if text == "" {
				continue
			}
			switch {
			case id == "" || len(id) > 120 || !validName(id) || strings.ContainsAny(id, " \t"):
				return nil, &FieldError{Field: FieldWords, MessageID: MsgWordsInvalid}
			case !validName(text):
				return nil, &FieldError{Field: FieldWords, MessageID: MsgWordsInvalid}
			case utf8.RuneCountInString(text) > MaxWordLength:
				return nil, &FieldError{Field: FieldWords, MessageID: MsgWordsTooLong}
			}
			if n++; n > MaxWords {
				return nil, &FieldError{Field: FieldWords, MessageID: MsgWordsTooMany}
			}
			if out == nil {
				out = map[string]map[string]string{}
			}
			if out[lang] == nil {
				out[lang] = map[string]string{}
			}
			out[lang][id] = text
		}
	}
	return out, nil
}

// validName reports whether a trimmed display name holds only printable
// characters (no control or format characters such as bidi overrides).
func validName(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}
