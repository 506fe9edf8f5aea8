package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/tenants"
)

// ThemeCSS serves the partner's brand as CSS custom properties.
func (h *Handler) ThemeCSS(c echo.Context) error {
	p, _ := tenants.PartnerFrom(c.Request().Context())
	c.Response().Header().Set("Cache-Control", "no-cache")
	font := ""
	if p.Brand.HasFont {
		font = fontPath
	}
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(p.Brand.CSSWithFont(font)))
}

// Logo serves the partner's logo.
func (h *Handler) Logo(c echo.Context) error { return h.image(c, h.cfg.Tenants.Logo) }

// fontPath is where the partner's own font is served.
const fontPath = "/brand/font.woff2"

// Font serves the partner's own font (WOFF2).
func (h *Handler) Font(c echo.Context) error { return h.image(c, h.cfg.Tenants.Font) }

// Icon serves the partner's icon, the browser tab's favicon.
func (h *Handler) Icon(c echo.Context) error { return h.image(c, h.cfg.Tenants.Icon) }

// image answers the partner's image that read returns, or 404 when it has
// none.
func (h *Handler) image(c echo.Context, read func(ctx context.Context, partnerID string) ([]byte, string, error)) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	data, ctype, err := read(ctx, p.ID)
	if errors.Is(err, tenants.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return serveImage(c, data, ctype, "no-cache")
}

// serveImage answers a partner's image or font. SVG images are sandboxed by their
// own Content-Security-Policy so that a script inside one never runs.
func serveImage(c echo.Context, data []byte, ctype, cache string) error {
	hd := c.Response().Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	hd.Set("Cache-Control", cache)
	return c.Blob(http.StatusOK, ctype, data)
}
