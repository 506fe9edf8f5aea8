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
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(p.Brand.CSS()))
}

// Logo serves the partner's logo. SVG logos are sandboxed by their own
// Content-Security-Policy so that a script inside one never runs.
func (h *Handler) Logo(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	data, ctype, err := h.cfg.Tenants.Logo(ctx, p.ID)
	if errors.Is(err, tenants.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	hd.Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, ctype, data)
}
