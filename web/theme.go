package web

import (
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
		font = FilePath(tenants.FileFont, false)
	}
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(p.Brand.CSSWithFont(font)))
}

// filePaths are where a partner's files are served, live and in the
// studio's draft (to its admins only).
var filePaths = map[tenants.FileKind][2]string{
	tenants.FileLogo:     {"/brand/logo", "/admin/brand/draft-logo"},
	tenants.FileLogoDark: {"/brand/logo-dark", "/admin/brand/draft-logo-dark"},
	tenants.FileIcon:     {"/brand/icon", "/admin/brand/draft-icon"},
	tenants.FileIconDark: {"/brand/icon-dark", "/admin/brand/draft-icon-dark"},
	tenants.FileFont:     {"/brand/font.woff2", "/admin/brand/draft-font.woff2"},
}

// FilePath is where the partner's file of kind k is served: the draft's
// when draft is true.
func FilePath(k tenants.FileKind, draft bool) string {
	if draft {
		return filePaths[k][1]
	}
	return filePaths[k][0]
}

// BrandFile serves the partner's live file of kind k, or 404 when it has
// none.
func (h *Handler) BrandFile(k tenants.FileKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		p, _ := tenants.PartnerFrom(ctx)
		f, err := h.cfg.Tenants.BrandFile(ctx, p.ID, k)
		if errors.Is(err, tenants.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		return serveImage(c, f.Data, f.ContentType, "no-cache")
	}
}

// serveImage answers a partner's image or font. SVG images are sandboxed by their
// own Content-Security-Policy so that a script inside one never runs.
func serveImage(c echo.Context, data []byte, ctype, cache string) error {
	hd := c.Response().Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	hd.Set("Cache-Control", cache)
	return c.Blob(http.StatusOK, ctype, data)
}
