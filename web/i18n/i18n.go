// Package i18n translates every user-facing string of the portal into English
// and French through go-i18n bundles embedded in the binary, and formats dates
// and numbers for the reader's locale.
//
// A request's Localizer lives in its context (WithLocalizer, From); pages call
// T(ctx, id) and never pick a language themselves.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/grisaille/grisaille/components"
)

//go:embed locales/*.json
var locales embed.FS

// Languages lists the languages the portal speaks, the fallback first.
var Languages = []string{"en", "fr"}

// Bundle holds every translation. It is built once at start and shared.
type Bundle struct {
	bundle *goi18n.Bundle
	// matchers are the matchers of the sets of languages partners offer.
	matchers sync.Map
	ids      map[string]map[string]bool   // language → message ids; read-only after NewBundle
	texts    map[string]map[string]string // language → message id → source text; read-only
}

// NewBundle loads the embedded English and French messages.
func NewBundle() (*Bundle, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	ids := map[string]map[string]bool{}
	texts := map[string]map[string]string{}
	for _, lang := range Languages {
		ids[lang] = map[string]bool{}
		texts[lang] = map[string]string{}
	}
	// One file per language and area: "en.json", "grids.en.json", …, and
	// the components' own words ("en.json" under components/locales).
	type file struct {
		fsys fs.FS
		name string
	}
	var files []file
	for _, fsys := range []fs.FS{locales, components.Locales} {
		names, err := fs.Glob(fsys, "locales/*.json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		for _, n := range names {
			files = append(files, file{fsys, n})
		}
	}
	for _, f := range files {
		name := f.name
		base := strings.TrimSuffix(path.Base(name), ".json")
		lang := base[strings.LastIndex(base, ".")+1:]
		if !Supported(lang) {
			return nil, fmt.Errorf("i18n: %s: unknown language %q", name, lang)
		}
		data, err := fs.ReadFile(f.fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", name, err)
		}
		// go-i18n reads the language from the file name's last part.
		mf, err := b.ParseMessageFileBytes(data, lang+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: parse %s: %w", name, err)
		}
		for _, m := range mf.Messages {
			if ids[lang][m.ID] {
				return nil, fmt.Errorf("i18n: %s: message %q is defined twice", name, m.ID)
			}
			ids[lang][m.ID] = true
			texts[lang][m.ID] = m.Other
		}
	}
	return &Bundle{bundle: b, ids: ids, texts: texts}, nil
}

// MessageIDs returns the message ids defined for lang.
func (b *Bundle) MessageIDs(lang string) map[string]bool {
	out := make(map[string]bool, len(b.ids[lang]))
	for id := range b.ids[lang] {
		out[id] = true
	}
	return out
}

// Text returns the portal's own text of message id in lang (its template,
// placeholders unfilled) and whether the id exists.
func (b *Bundle) Text(lang, id string) (string, bool) {
	t, ok := b.texts[lang][id]
	return t, ok
}

// placeholder matches a template action of a message ("{{.Name}}").
var placeholder = regexp.MustCompile(`{{[^}]*}}`)

// WordError is a refused wording override: the message id and language at
// fault and the message id of the reason, translated by the page.
type WordError struct {
	Lang, ID, Reason string
	// Keep lists the placeholders the text must keep, for a reason of
	// "words.placeholders".
	Keep string
}

func (e *WordError) Error() string { return "i18n: word " + e.Lang + "/" + e.ID + ": " + e.Reason }

// CheckWords holds a partner's wording overrides against the portal's
// messages: every id must be one of the language's message ids, and an
// override must keep exactly the message's placeholders ({{.Name}}), which
// are the only template actions it may hold. It returns the first fault.
func (b *Bundle) CheckWords(words map[string]map[string]string) error {
	for _, lang := range Languages {
		ids := make([]string, 0, len(words[lang]))
		for id := range words[lang] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			src, ok := b.texts[lang][id]
			if !ok {
				return &WordError{Lang: lang, ID: id, Reason: "words.unknown_id"}
			}
			want, got := placeholders(src), placeholders(words[lang][id])
			if !slices.Equal(want, got) {
				return &WordError{Lang: lang, ID: id, Reason: "words.placeholders", Keep: strings.Join(want, " ")}
			}
			if strings.Count(words[lang][id], "{{") != len(got) || strings.Count(words[lang][id], "}}") != len(got) {
				return &WordError{Lang: lang, ID: id, Reason: "words.placeholders", Keep: strings.Join(want, " ")}
			}
		}
	}
	return nil
}

// placeholders lists a text's template actions, sorted and deduplicated.
func placeholders(s string) []string {
	out := placeholder.FindAllString(s, -1)
	slices.Sort(out)
	return slices.Compact(out)
}

// Search lists the message ids of lang whose id or text (the portal's, or
// the override in words) contains q, case-insensitively, sorted by id, at
// most limit of them.
func (b *Bundle) Search(lang, q string, words map[string]string, limit int) []string {
	q = strings.ToLower(strings.TrimSpace(q))
	var out []string
	for id, text := range b.texts[lang] {
		if q == "" || strings.Contains(strings.ToLower(id), q) || strings.Contains(strings.ToLower(text), q) ||
			strings.Contains(strings.ToLower(words[id]), q) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Negotiate picks the language of a request among the languages the partner
// offers (every language when offered is empty): the user's own choice when
// offered, else the best offered match of the Accept-Language header, else
// the partner's default, else the first offered language. A partner that
// offers only French speaks French to every browser.
func (b *Bundle) Negotiate(userChoice, acceptLanguage, partnerDefault string, offered []string) string {
	offered = Offered(offered)
	if slices.Contains(offered, userChoice) {
		return userChoice
	}
	if acceptLanguage != "" && len(offered) > 1 {
		if prefs, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(prefs) > 0 {
			_, idx, conf := b.matcherOf(offered).Match(prefs...)
			if conf != language.No {
				return offered[idx]
			}
		}
	}
	if slices.Contains(offered, partnerDefault) {
		return partnerDefault
	}
	return offered[0]
}

// Offered keeps the supported languages of langs, in Languages order:
// every language when none is (a partner's languages before it chose).
func Offered(langs []string) []string {
	var out []string
	for _, l := range Languages {
		if slices.Contains(langs, l) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return Languages
	}
	return out
}

// matcherOf returns the matcher of a set of languages, made once.
func (b *Bundle) matcherOf(langs []string) language.Matcher {
	key := strings.Join(langs, ",")
	if m, ok := b.matchers.Load(key); ok {
		return m.(language.Matcher)
	}
	tags := make([]language.Tag, len(langs))
	for i, l := range langs {
		tags[i] = language.Make(l)
	}
	m := language.NewMatcher(tags)
	b.matchers.Store(key, m)
	return m
}

// Localizer translates into one language.
type Localizer struct {
	lang  string
	loc   *goi18n.Localizer
	words map[string]string // a partner's overrides
}

// Localizer returns a translator for lang (an unsupported language falls
// back to English).
func (b *Bundle) Localizer(lang string) *Localizer {
	if !Supported(lang) {
		lang = Languages[0]
	}
	return &Localizer{lang: lang, loc: goi18n.NewLocalizer(b.bundle, lang)}
}

// LocalizerWith returns a translator for lang that says a partner's
// wording (language → message id → text, checked by CheckWords) in place
// of the portal's: Localizer(lang).WithWords(words[lang]).
func (b *Bundle) LocalizerWith(lang string, words map[string]map[string]string) *Localizer {
	l := b.Localizer(lang)
	return l.WithWords(words[l.lang])
}

// WithWords returns a localizer that says a partner's wording (message id
// → text, checked by CheckWords) in place of the portal's for those ids.
// An override that does not parse as a template is ignored.
func (l *Localizer) WithWords(words map[string]string) *Localizer {
	if len(words) == 0 {
		return l
	}
	return &Localizer{lang: l.lang, loc: l.loc, words: words}
}

// word is the partner's override of id filled with data, if it has one
// that renders.
func (l *Localizer) word(id string, data []map[string]any) (string, bool) {
	text, ok := l.words[id]
	if !ok || !strings.Contains(text, "{{") {
		return text, ok
	}
	t, err := template.New(id).Option("missingkey=zero").Parse(text)
	if err != nil {
		return "", false
	}
	var d map[string]any
	if len(data) > 0 {
		d = data[0]
	}
	var sb strings.Builder
	if t.Execute(&sb, d) != nil {
		return "", false
	}
	return sb.String(), true
}

// Lang is the localizer's language code ("en" or "fr").
func (l *Localizer) Lang() string { return l.lang }

// T translates the message id with optional template data. A missing id
// renders as the id itself, so that a gap is visible rather than blank; the
// completeness test keeps that from shipping.
func (l *Localizer) T(id string, data ...map[string]any) string {
	if s, ok := l.word(id, data); ok {
		return s
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
	}
	s, err := l.loc.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Error is an error a user should read: a message id and its data,
// translated when it is rendered.
type Error struct {
	ID   string
	Data map[string]any
}

// Error returns the message id, for logs.
func (e *Error) Error() string { return e.ID }

// NewError returns an Error for the message id with optional data given as
// alternating keys and values.
func NewError(id string, kv ...any) *Error {
	e := &Error{ID: id}
	if len(kv) > 1 {
		e.Data = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return e
}

type ctxKey struct{}

// WithLocalizer returns a context carrying l.
func WithLocalizer(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// fallback is the English localizer used where a context carries none.
var fallback = sync.OnceValue(func() *Localizer {
	b, err := NewBundle()
	if err != nil {
		panic(err) // the embedded files are checked by tests
	}
	return b.Localizer("en")
})

// From returns the context's Localizer, or an English one.
func From(ctx context.Context) *Localizer {
	if l, ok := ctx.Value(ctxKey{}).(*Localizer); ok && l != nil {
		return l
	}
	return fallback()
}

// T translates id in the context's language.
func T(ctx context.Context, id string, data ...map[string]any) string {
	return From(ctx).T(id, data...)
}

// TE translates a user-facing error in the context's language.
func TE(ctx context.Context, e *Error) string {
	if e == nil {
		return ""
	}
	return From(ctx).T(e.ID, e.Data)
}

// Lang returns the context's language code.
func Lang(ctx context.Context) string { return From(ctx).Lang() }

// Key returns a message id built from parts, for ids such as "state.SHOULD_BE_UP".
func Key(parts ...string) string { return strings.Join(parts, ".") }
