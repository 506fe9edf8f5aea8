package web

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
	"github.com/grisaille/grisaille/web/i18n"
)

// maxWordRows is how many messages the wording page lists at once.
const maxWordRows = 60

// WordRow is one message on the wording page: its id, the portal's text
// and the partner's override of it ("" for none).
type WordRow struct {
	ID, Portal, Text string
	// Error is what is wrong with Text, on a refusal.
	Error string
}

// WordsVM is the brand studio's wording page: the partner's overrides of
// the portal's messages in one language, and a search among them.
type WordsVM struct {
	Chrome Chrome
	// Lang is the language edited, Langs those the partner may reword.
	Lang  string
	Langs []string
	// Query is the search; with none, the page lists the overrides.
	Query string
	Rows  []WordRow
	// More says the search found more than the page lists.
	More  bool
	Error string
	// Overrides counts the partner's overrides in Lang.
	Overrides int
	// Draft says the page edits an unpublished draft.
	Draft bool
}

// wordsLang is the language the wording page edits: the one asked for if
// the partner offers it, else the reader's, else the partner's first.
func wordsLang(c echo.Context, offered []string) string {
	for _, l := range []string{c.QueryParam("lang"), i18n.Lang(c.Request().Context())} {
		if slices.Contains(offered, l) {
			return l
		}
	}
	return offered[0]
}

// wordRows lists the messages of the page: those the search finds, else
// the overrides, each with its override from words.
func (h *Handler) wordRows(lang, q string, words map[string]string) (rows []WordRow, more bool) {
	var ids []string
	if strings.TrimSpace(q) == "" {
		for id := range words {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	} else {
		ids = h.cfg.Bundle.Search(lang, q, words, maxWordRows+1)
	}
	if len(ids) > maxWordRows {
		ids, more = ids[:maxWordRows], true
	}
	for _, id := range ids {
		portal, _ := h.cfg.Bundle.Text(lang, id)
		rows = append(rows, WordRow{ID: id, Portal: portal, Text: words[id]})
	}
	return rows, more
}

// Words shows the wording page of the brand studio.
func (h *Handler) Words(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	snap, draft, err := h.cfg.Tenants.EditedBrand(ctx, p.ID)
	if err != nil {
		return err
	}
	langs := i18n.Offered(snap.Brand.Offered)
	lang, q := wordsLang(c, langs), strings.TrimSpace(c.QueryParam("q"))
	vm := WordsVM{Chrome: h.chrome(c, i18n.T(ctx, "words.title")), Lang: lang, Langs: langs, Query: q,
		Overrides: len(snap.Brand.Words[lang]), Draft: draft}
	vm.Rows, vm.More = h.wordRows(lang, q, snap.Brand.Words[lang])
	return render(c, http.StatusOK, wordsPage(vm))
}

// SaveWords saves the overrides of the listed messages into the brand's
// draft (an emptied one gives the portal's text back). The partner sees
// them in the studio's preview and its customers once it publishes. A
// refusal shows the page again with what was typed.
func (h *Handler) SaveWords(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	snap, _, err := h.cfg.Tenants.EditedBrand(ctx, p.ID)
	if err != nil {
		return err
	}
	// Only a language the partner offers is reworded.
	langs := i18n.Offered(snap.Brand.Offered)
	lang, q := c.FormValue("lang"), strings.TrimSpace(c.FormValue("q"))
	if !slices.Contains(langs, lang) {
		return NewUserError(http.StatusBadRequest, "error.bad_language")
	}
	form, err := c.FormParams()
	if err != nil {
		return NewUserError(http.StatusBadRequest, "error.bad_request")
	}
	ids, texts := form["id"], form["text"]
	if len(ids) != len(texts) || len(ids) > maxWordRows {
		return NewUserError(http.StatusBadRequest, "error.bad_request")
	}
	words := map[string]map[string]string{}
	for l, byID := range snap.Brand.Words {
		words[l] = maps.Clone(byID)
	}
	if words[lang] == nil {
		words[lang] = map[string]string{}
	}
	typed := map[string]string{}
	for i, id := range ids {
		typed[id] = texts[i]
		if t := strings.TrimSpace(texts[i]); t != "" {
			words[lang][id] = t
		} else {
			delete(words[lang], id)
		}
	}
	refuse := func(msg *i18n.Error, at string) error {
		vm := WordsVM{Chrome: h.chrome(c, i18n.T(ctx, "words.title")), Lang: lang, Langs: langs, Query: q,
			Overrides: len(snap.Brand.Words[lang]), Error: i18n.TE(ctx, msg)}
		for _, id := range ids {
			portal, _ := h.cfg.Bundle.Text(lang, id)
			r := WordRow{ID: id, Portal: portal, Text: typed[id]}
			if id == at {
				r.Error = vm.Error
			}
			vm.Rows = append(vm.Rows, r)
		}
		return render(c, http.StatusBadRequest, wordsPage(vm))
	}
	if err := h.cfg.Bundle.CheckWords(words); err != nil {
		var we *i18n.WordError
		if !errors.As(err, &we) {
			return err
		}
		return refuse(i18n.NewError(we.Reason, "ID", we.ID, "Keep", we.Keep), we.ID)
	}
	norm, ferr := themes.NormalizeWords(words)
	if ferr != nil {
		return refuse(i18n.NewError(ferr.MessageID, "Max", themes.MaxWords, "Length", themes.MaxWordLength), "")
	}
	snap.Brand.Words = norm
	err = h.cfg.Tenants.SaveBrandDraft(ctx, p.ID, snap, u.Email)
	var ve *tenants.ValidationError
	if errors.As(err, &ve) {
		return refuse(i18n.NewError(ve.MessageID, "Max", themes.MaxWords, "Length", themes.MaxWordLength), "")
	}
	h.audit(c, "brand.words", lang, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.words_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/brand/words?"+url.Values{"lang": {lang}, "q": {q}}.Encode())
}
