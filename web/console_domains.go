package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/web/i18n"
)

// AppDomainsVM is an application's domains page: its names, the DNS record
// each needs, and the form adding one.
type AppDomainsVM struct {
	Chrome Chrome
	App    platform.Application
	// Edge is the host a domain's CNAME record points to, "" when the
	// partner gave none (the page then says to ask its support).
	Edge string
	// Favourite is the application's primary name, "" for none.
	Favourite string
	// Form is the name as typed when it was refused, with the message.
	Form, Error string
}

// AppDomains lists an application's domains with the DNS record to
// create for each.
func (h *Handler) AppDomains(c echo.Context) error {
	return h.appDomainsPage(c, http.StatusOK, "", "")
}

func (h *Handler) appDomainsPage(c echo.Context, status int, form, msg string) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	app, err := s.api.Application(ctx, s.org(), c.Param("app"))
	if err != nil {
		return err
	}
	fav, err := s.api.FavouriteVhost(ctx, s.org(), app.ID)
	if err != nil {
		return err
	}
	app = face(ctx).Application(app)
	vm := AppDomainsVM{Chrome: h.chrome(c, i18n.T(ctx, "domains.app.title", map[string]any{"Name": app.Name})), App: app,
		Edge: h.cfg.AppEdgeHost, Favourite: fav, Form: form, Error: msg}
	return render(c, status, appDomainsPage(vm))
}

// AddAppDomain gives an application a domain name.
func (h *Handler) AddAppDomain(c echo.Context) error {
	ctx := c.Request().Context()
	fqdn := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(c.FormValue("fqdn")), "."))
	if !validDomain(fqdn) {
		return h.appDomainsPage(c, http.StatusBadRequest, c.FormValue("fqdn"), i18n.T(ctx, "domains.app.error.invalid"))
	}
	if face(ctx).Platform.Hides(fqdn) {
		return h.appDomainsPage(c, http.StatusBadRequest, c.FormValue("fqdn"), i18n.T(ctx, "domains.app.error.reserved"))
	}
	err := h.appActionTo(c, "domain.add", "flash.app_domain_added", "/domains", func(ctx context.Context, api *platform.Client, org, app string) error {
		return api.AddVhost(ctx, org, app, fqdn)
	})
	if errors.Is(err, platform.ErrConflict) {
		return h.appDomainsPage(c, http.StatusConflict, c.FormValue("fqdn"), i18n.T(ctx, "domains.app.error.taken"))
	}
	return err
}

// RemoveAppDomain takes a domain name from an application.
func (h *Handler) RemoveAppDomain(c echo.Context) error {
	fqdn := strings.ToLower(strings.TrimSpace(c.FormValue("fqdn")))
	if !validDomain(fqdn) || face(c.Request().Context()).Platform.Hides(fqdn) {
		return NewUserError(http.StatusBadRequest, "domains.app.error.invalid")
	}
	return h.appActionTo(c, "domain.remove", "flash.app_domain_removed", "/domains", func(ctx context.Context, api *platform.Client, org, app string) error {
		return api.RemoveVhost(ctx, org, app, fqdn)
	})
}

// SetPrimaryAppDomain makes one of an application's domains its primary
// (the platform's favourite): the one its links and the CLI show first.
func (h *Handler) SetPrimaryAppDomain(c echo.Context) error {
	fqdn := strings.ToLower(strings.TrimSpace(c.FormValue("fqdn")))
	if !validDomain(fqdn) || face(c.Request().Context()).Platform.Hides(fqdn) {
		return NewUserError(http.StatusBadRequest, "domains.app.error.invalid")
	}
	return h.appActionTo(c, "domain.favourite", "flash.app_domain_primary", "/domains", func(ctx context.Context, api *platform.Client, org, app string) error {
		return api.SetFavouriteVhost(ctx, org, app, fqdn)
	})
}

// validDomain reports whether s is a domain name: dot-separated labels of
// letters, digits and hyphens, 253 characters at most.
func validDomain(s string) bool {
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
