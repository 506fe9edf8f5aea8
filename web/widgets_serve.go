package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/static"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// WidgetScriptPath is where each partner's host serves the widgets' bundle.
const WidgetScriptPath = "/widgets/v1.js"

// asset is an embedded file served with its gzip copy and a content hash.
type asset struct {
	body, gz    []byte
	hash, etag  string
	contentType string
}

func newAsset(body []byte, contentType string) *asset {
	etag := contentTag(body)
	return &asset{body: body, gz: gzipped(body, gzip.BestCompression), etag: etag, hash: strings.Trim(etag, `"`), contentType: contentType}
}

// gzipped compresses body in memory; level is one of gzip's.
func gzipped(body []byte, level int) []byte {
	var b bytes.Buffer
	pool := gzipWriters[level]
	var w *gzip.Writer
	if pool != nil {
		w, _ = pool.Get().(*gzip.Writer)
	}
	if w == nil {
		w, _ = gzip.NewWriterLevel(&b, level) // a known level: no error
	} else {
		w.Reset(&b)
	}
	_, _ = w.Write(body) // writing to memory does not fail
	_ = w.Close()
	if pool != nil {
		pool.Put(w)
	}
	return b.Bytes()
}

// gzipWriters keeps gzip writers (large buffers) for the levels used.
var gzipWriters = map[int]*sync.Pool{gzip.BestCompression: {}, gzip.BestSpeed: {}}

// acceptsGzip reports whether the client takes gzip.
func acceptsGzip(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip")
}

var (
	widgetScript     = sync.OnceValue(func() *asset { return newAsset(static.WidgetScript(), "text/javascript; charset=utf-8") })
	widgetStylesheet = sync.OnceValue(func() *asset { return newAsset(static.WidgetStylesheet(), "text/css; charset=utf-8") })
)

// WidgetScriptURL is the bundle's URL keyed by its content hash, which the
// portal's own pages load and browsers may keep for a year.
func WidgetScriptURL() string { return WidgetScriptPath + "?v=" + widgetScript().hash }

// publicCORS lets any website read the response, never with credentials.
func publicCORS(c echo.Context) {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
}

// serve writes an asset: gzip when the client takes it, 304 when it holds
// this version, a year's cache when the URL names the content hash (?v=),
// else an hour's, revalidated with the ETag.
func (a *asset) serve(c echo.Context) error {
	publicCORS(c)
	h := c.Response().Header()
	h.Add("Vary", "Accept-Encoding")
	if c.QueryParam("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600, stale-while-revalidate=86400")
	}
	return sendVersion(c, a.etag, a.contentType, a.body, a.gz)
}

// sendVersion answers 304 when the client holds the version etag, else the
// body, gzip-compressed (gz) when the client takes it.
func sendVersion(c echo.Context, etag, contentType string, body, gz []byte) error {
	if notModified(c, etag) {
		return nil
	}
	if acceptsGzip(c) {
		c.Response().Header().Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, contentType, gz)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// WidgetScript serves the widgets' bundle.
func (h *Handler) WidgetScript(c echo.Context) error { return widgetScript().serve(c) }

// WidgetStylesheet serves the stylesheet the widgets' shadow roots link.
func (h *Handler) WidgetStylesheet(c echo.Context) error { return widgetStylesheet().serve(c) }

// WidgetTheme serves the partner's brand as custom properties on a widget's
// shadow root (:host).
func (h *Handler) WidgetTheme(c echo.Context) error {
	p, _ := tenants.PartnerFrom(c.Request().Context())
	publicCORS(c)
	body := []byte(":host{" + p.Brand.Declarations() + "}")
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	if notModified(c, contentTag(body)) {
		return nil
	}
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", body)
}

// widgetErrorBody is a refused widget query as JSON: the platform's error
// shape plus the query field at fault.
type widgetErrorBody struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Type    string `json:"type"`
	Field   string `json:"field"`
}

// cachedCatalogue is widgetCatalogue through the catalogue cache, with
// the catalogue encoded once: what its audience sees in lang, reused for a
// few seconds. A refused query is a *WidgetError, not cached.
func (h *Handler) cachedCatalogue(ctx context.Context, a widgetAudience, q widgetQuery, lang string) (encodedCatalogue, error) {
	now := time.Now()
	key := catalogueKey(a, lang, h.cfg.Grids.Generation(), q)
	if e, ok := h.catalogues.get(key, now); ok {
		return e, nil
	}
	cat, err := h.widgetCatalogue(i18n.WithLocalizer(ctx, h.cfg.Bundle.LocalizerWith(lang, a.partner.Brand.Words)), a, q)
	if err != nil {
		return encodedCatalogue{}, err
	}
	body, err := json.Marshal(cat)
	if err != nil {
		return encodedCatalogue{}, err
	}
	e := encodedCatalogue{cat: cat, body: body, gz: gzipped(body, gzip.BestSpeed), etag: contentTag(body)}
	if h.cfg.WidgetCacheTTL > 0 {
		e.expires = now.Add(h.cfg.WidgetCacheTTL)
		h.catalogues.put(key, e, now)
	}
	return e, nil
}

// catalogueJSON answers a widget catalogue, or its refusal, as JSON with an
// ETag; other errors go to the server's error handler.
func (h *Handler) catalogueJSON(c echo.Context, a widgetAudience, q widgetQuery, lang, cacheControl string) error {
	e, err := h.cachedCatalogue(c.Request().Context(), a, q, lang)
	var we *WidgetError
	if errors.As(err, &we) {
		return h.widgetRefusal(c, lang, we)
	}
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Cache-Control", cacheControl)
	hd.Add("Vary", "Accept-Encoding")
	return sendVersion(c, e.etag, echo.MIMEApplicationJSON, e.body, e.gz)
}

// widgetRefusal answers a refused widget query in lang.
func (h *Handler) widgetRefusal(c echo.Context, lang string, we *WidgetError) error {
	msg := h.cfg.Bundle.Localizer(lang).T(we.ID, map[string]any{"Value": we.Value, "Field": we.Field})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(we.Status, widgetErrorBody{ID: we.ID, Message: msg, Type: "error", Field: we.Field})
}

// WidgetCatalogue answers GET /widgets/v1/catalogue: the partner's zones
// and public prices (its default grid) for any website, with no credentials.
// The encoded answer is reused for a few seconds (catalogueCache).
func (h *Handler) WidgetCatalogue(c echo.Context) error {
	p, _ := tenants.PartnerFrom(c.Request().Context())
	publicCORS(c)
	lang := p.Brand.Language
	if !i18n.Supported(lang) {
		lang = i18n.Languages[0]
	}
	q, we := parseWidgetQuery(c.QueryParams())
	if we != nil {
		return h.widgetRefusal(c, lang, we)
	}
	if i18n.Supported(q.Lang) {
		lang = q.Lang
	}
	return h.catalogueJSON(c, widgetAudience{partner: p}, q, lang, "public, max-age=300")
}

// ConsoleWidgetCatalogue answers GET /console/widgets/catalogue: what the
// console's widgets show when they change zone, with the customer's own
// zones and (contract) prices.
func (h *Handler) ConsoleWidgetCatalogue(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	lang := i18n.Lang(ctx)
	q, we := parseWidgetQuery(c.QueryParams())
	if we != nil {
		return h.widgetRefusal(c, lang, we)
	}
	if i18n.Supported(q.Lang) {
		lang = q.Lang
	}
	return h.catalogueJSON(c, widgetAudience{partner: s.partner, customer: &s.customer}, q, lang, "private, no-cache")
}
