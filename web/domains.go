package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
	"github.com/grisaille/grisaille/whitelabel"
)

// DomainRow is one of the partner's domains on its domains page.
type DomainRow struct {
	ID, Name, State string
	// Since says since when the domain is in its state ("verified on …").
	Since string
	// Problem is what the last check found wrong, in the reader's words.
	Problem string
	// Challenge and Token are the TXT record to create.
	Challenge, Token string
	Primary, Serving bool
	Removed          bool
}

// DomainsVM is the partner's domains page.
type DomainsVM struct {
	Chrome Chrome
	// Edge is the CNAME target of the partner's domains.
	Edge string
	// Operator are the hostnames the operator gave the partner.
	Operator []HostRow
	Domains  []DomainRow
	// Form is the domain typed in the add form, kept on a refusal.
	Form  string
	Error string
	// AppDomain is the domain applications are named under; AppForm what
	// was typed in its form, kept on a refusal with AppError; AppEdge the
	// CNAME target of its wildcard record ("" when the operator set none).
	AppDomain, AppForm, AppError, AppEdge string
	// AppExample is an application's host under AppForm.
	AppExample string
}

// HostRow is one operator hostname and whether it is the primary host.
type HostRow struct {
	Name    string
	Primary bool
}

func domainRow(ctx context.Context, p tenants.Partner, d tenants.Domain) DomainRow {
	r := DomainRow{ID: d.ID, Name: d.Name, State: string(d.State()), Challenge: d.ChallengeName(), Token: d.Token,
		Primary: p.PrimaryHost == d.Name && d.Serving(), Serving: d.Serving(), Removed: d.State() == tenants.DomainRemoved}
	switch d.State() {
	case tenants.DomainVerified:
		r.Since = i18n.T(ctx, "domains.since.verified", map[string]any{"Date": i18n.Date(ctx, d.VerifiedAt)})
	case tenants.DomainFailing:
		r.Since = i18n.T(ctx, "domains.since.failing", map[string]any{"Date": i18n.Date(ctx, d.FailingSince),
			"Until": i18n.Date(ctx, d.FailingSince.Add(tenants.DomainGrace))})
	case tenants.DomainRemoved:
		r.Since = i18n.T(ctx, "domains.since.removed", map[string]any{"Date": i18n.Date(ctx, d.RemovedAt)})
		if d.RemovedWhy != "" {
			r.Problem = i18n.T(ctx, d.RemovedWhy)
		}
	default:
		if d.CheckedAt.IsZero() {
			r.Since = i18n.T(ctx, "domains.since.unchecked")
		} else {
			r.Since = i18n.T(ctx, "domains.since.checked", map[string]any{"Date": i18n.Date(ctx, d.CheckedAt)})
		}
	}
	if d.Problem != "" && !r.Removed {
		r.Problem = i18n.T(ctx, d.Problem, map[string]any{"Seen": d.Seen, "Name": d.ChallengeName()})
	}
	return r
}

func (h *Handler) domainsVM(c echo.Context, p tenants.Partner) (DomainsVM, error) {
	ctx := c.Request().Context()
	list, err := h.cfg.Tenants.Domains(ctx, p.ID)
	if err != nil {
		return DomainsVM{}, err
	}
	vm := DomainsVM{Chrome: h.chrome(c, i18n.T(ctx, "domains.title")), Edge: h.cfg.Domains.EdgeFor(p),
		AppDomain: p.AppDomain, AppForm: p.AppDomain, AppEdge: h.cfg.AppEdgeHost}
	if p.AppDomain != "" {
		vm.AppExample = whitelabel.AppHost("shop", "app_example", p.AppDomain)
	}
	for _, n := range p.Hostnames {
		vm.Operator = append(vm.Operator, HostRow{Name: n, Primary: p.PrimaryHost == n})
	}
	for _, d := range list {
		vm.Domains = append(vm.Domains, domainRow(ctx, p, d))
	}
	return vm, nil
}

// Domains shows the partner's hosts and domains, each with its state and
// the DNS records it needs.
func (h *Handler) Domains(c echo.Context) error {
	p, _ := tenants.PartnerFrom(c.Request().Context())
	vm, err := h.domainsVM(c, p)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, domainsPage(vm))
}

// AddDomain claims a domain for the partner and checks its records at once.
func (h *Handler) AddDomain(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	name := strings.TrimSpace(c.FormValue("domain"))
	d, err := h.cfg.Tenants.AddDomain(ctx, p.ID, name, h.cfg.Domains.EdgeFor(p))
	h.audit(c, "domain.add", name, err)
	if id, ok := tenants.MessageID(err); ok {
		vm, verr := h.domainsVM(c, p)
		if verr != nil {
			return verr
		}
		vm.Form, vm.Error = name, i18n.T(ctx, id, map[string]any{"Domain": name})
		status := http.StatusBadRequest
		if errors.As(err, new(*tenants.DuplicateError)) {
			status = http.StatusConflict
		}
		return render(c, status, domainsPage(vm))
	}
	if err != nil {
		return err
	}
	if h.cfg.Domains != nil {
		if _, err := h.cfg.Domains.Check(ctx, d); err != nil {
			return err
		}
	}
	setFlash(c, "ok", "flash.domain_added")
	return c.Redirect(http.StatusSeeOther, "/admin/domains")
}

// CheckDomain checks a domain's records now.
func (h *Handler) CheckDomain(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	d, err := h.cfg.Tenants.Domain(ctx, p.ID, c.Param("domain"))
	if err != nil {
		return err
	}
	if d.State() == tenants.DomainRemoved || h.cfg.Domains == nil {
		return echo.ErrNotFound
	}
	d, err = h.cfg.Domains.Check(ctx, d)
	if err != nil {
		return err
	}
	if d.State() == tenants.DomainVerified {
		setFlash(c, "ok", "flash.domain_verified")
	} else {
		setFlash(c, "error", "flash.domain_not_verified")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/domains")
}

// RemoveDomain removes one of the partner's domains.
func (h *Handler) RemoveDomain(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	err := h.cfg.Tenants.RemoveDomain(ctx, p.ID, c.Param("domain"))
	h.audit(c, "domain.remove", c.Param("domain"), err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.domain_removed")
	return c.Redirect(http.StatusSeeOther, "/admin/domains")
}

// SetAppDomain sets the domain the partner's customers' applications are
// named under; an empty field stops naming new ones.
func (h *Handler) SetAppDomain(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	domain := strings.TrimSpace(c.FormValue("app_domain"))
	err := h.cfg.Tenants.SetAppDomain(ctx, p.ID, domain)
	h.audit(c, "domain.apps", domain, err)
	if id, ok := tenants.MessageID(err); ok {
		vm, verr := h.domainsVM(c, p)
		if verr != nil {
			return verr
		}
		vm.AppForm, vm.AppError = domain, i18n.T(ctx, id, map[string]any{"Domain": domain})
		return render(c, http.StatusBadRequest, domainsPage(vm))
	}
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.app_domain_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/domains")
}

// SetPrimaryHost chooses the host the partner's other hosts redirect to.
func (h *Handler) SetPrimaryHost(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	host := c.FormValue("host")
	err := h.cfg.Tenants.SetPrimaryHost(ctx, p.ID, host)
	h.audit(c, "domain.primary", host, err)
	if _, ok := tenants.MessageID(err); ok {
		return NewUserError(http.StatusBadRequest, "domains.error.primary")
	}
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.primary_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/domains")
}
