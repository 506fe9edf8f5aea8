package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/sso"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web/i18n"
)

// SSOCookie carries a single sign-on in flight, sealed, from the redirect
// to the provider to the way back.
const SSOCookie = "grisaille_sso"

// ssoFlowTTL is how long a sign-in at a provider may take.
const ssoFlowTTL = 10 * time.Minute

// SSOCallbackPath is where providers send users back.
const SSOCallbackPath = "/login/sso/callback"

// SSOButton is a provider offered on the sign-in page.
type SSOButton struct{ ID, Name string }

// ssoButtons are the partner's providers, for the sign-in page.
func (h *Handler) ssoButtons(ctx context.Context, partnerID string) []SSOButton {
	return h.providerButtons(ctx, partnerID, func(tenants.SSOProvider) bool { return true })
}

// providerButtons are the partner's providers that keep says to offer.
func (h *Handler) providerButtons(ctx context.Context, partnerID string, keep func(tenants.SSOProvider) bool) []SSOButton {
	if h.cfg.SSO == nil {
		return nil
	}
	providers, err := h.cfg.Tenants.SSOProviders(ctx, partnerID)
	if err != nil {
		h.cfg.Logger.Error("single sign-on providers", "error", err.Error())
		return nil
	}
	var out []SSOButton
	for _, p := range providers {
		if keep(p) {
			out = append(out, SSOButton{ID: p.ID, Name: p.Name})
		}
	}
	return out
}

// ssoFlow is what the sealed cookie keeps of a sign-in in flight.
type ssoFlow struct {
	Provider string `json:"p"`
	Next     string `json:"x,omitempty"`
	// Invite is the invitation the sign-in accepts, "" for none.
	Invite  string    `json:"i,omitempty"`
	Expires time.Time `json:"e"`
	sso.Flow
}

// ssoFlowBinding binds a flow's cookie to its partner: another partner's
// host cannot open it.
func ssoFlowBinding(partnerID string) string { return "sso-flow:" + partnerID }

// callbackURL is the provider's redirect URI on the request's host.
func callbackURL(c echo.Context) string {
	return c.Scheme() + "://" + c.Request().Host + SSOCallbackPath
}

// ssoProvider is the relying party's view of one of the partner's
// providers.
func (h *Handler) ssoProvider(c echo.Context, p tenants.SSOProvider) (sso.Provider, error) {
	secret, err := h.cfg.Tenants.SSOClientSecret(c.Request().Context(), p)
	return sso.Provider{Key: p.ID, Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: secret, RedirectURI: callbackURL(c)}, err
}

// StartSSO sends the user to sign in at one of the partner's providers.
func (h *Handler) StartSSO(c echo.Context) error {
	ctx := c.Request().Context()
	part, _ := tenants.PartnerFrom(ctx)
	if h.cfg.SSO == nil {
		return echo.ErrNotFound
	}
	p, err := h.cfg.Tenants.SSOProvider(ctx, part.ID, c.Param("provider"))
	if errors.Is(err, tenants.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	rp, err := h.ssoProvider(c, p)
	if err != nil {
		return err
	}
	flow, err := sso.NewFlow()
	if err != nil {
		return err
	}
	to, err := h.cfg.SSO.AuthURL(ctx, rp, flow)
	if err != nil {
		h.cfg.Logger.Warn("single sign-on", "provider", p.ID, "error", err.Error())
		return h.loginRefused(c, http.StatusBadGateway, i18n.T(ctx, "sso.unreachable", map[string]any{"Name": p.Name}))
	}
	raw, err := json.Marshal(ssoFlow{Provider: p.ID, Next: localNext(c.QueryParam("next")), Invite: c.QueryParam("invite"),
		Expires: time.Now().Add(ssoFlowTTL), Flow: flow})
	if err != nil {
		return err
	}
	sealed, err := h.cfg.Tenants.Sealer().SealBound(raw, ssoFlowBinding(part.ID))
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: SSOCookie, Value: sealed, Path: "/login/sso", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: c.Scheme() == "https", MaxAge: int(ssoFlowTTL / time.Second)})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, to)
}

// SSOCallback completes a sign-in at a provider: the flow's state, the
// code exchanged with its PKCE verifier, the ID token verified (this
// client's audience, the issuer, the nonce), then the user bound to the
// issuer and subject, created on a first sign-in.
func (h *Handler) SSOCallback(c echo.Context) error {
	ctx := c.Request().Context()
	part, _ := tenants.PartnerFrom(ctx)
	if h.cfg.SSO == nil {
		return echo.ErrNotFound
	}
	failed := func(status int, id string, detail string, kv ...map[string]any) error {
		h.recordSignIn(c, tenants.User{}, audit.ActionSignInFailed, audit.OutcomeDenied, "single sign-on: "+detail+", from "+c.RealIP())
		return h.loginRefused(c, status, i18n.T(ctx, id, kv...))
	}
	ck, err := c.Cookie(SSOCookie)
	c.SetCookie(&http.Cookie{Name: SSOCookie, Value: "", Path: "/login/sso", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
	var flow ssoFlow
	if err == nil {
		var raw []byte
		if raw, err = h.cfg.Tenants.Sealer().OpenBound(ck.Value, ssoFlowBinding(part.ID)); err == nil {
			err = json.Unmarshal(raw, &flow)
		}
	}
	if err != nil || time.Now().After(flow.Expires) {
		return failed(http.StatusBadRequest, "sso.expired", "no sign-in in flight")
	}
	p, err := h.cfg.Tenants.SSOProvider(ctx, part.ID, flow.Provider)
	if errors.Is(err, tenants.ErrNotFound) {
		return failed(http.StatusBadRequest, "sso.expired", "provider removed")
	}
	if err != nil {
		return err
	}
	if e := c.QueryParam("error"); e != "" {
		return failed(http.StatusUnauthorized, "sso.failed", "the provider answered "+e, map[string]any{"Name": p.Name})
	}
	rp, err := h.ssoProvider(c, p)
	if err != nil {
		return err
	}
	id, err := h.cfg.SSO.Exchange(ctx, rp, flow.Flow, c.QueryParam("state"), c.QueryParam("code"))
	if err != nil {
		h.cfg.Logger.Warn("single sign-on", "provider", p.ID, "error", err.Error())
		return failed(http.StatusUnauthorized, "sso.failed", err.Error(), map[string]any{"Name": p.Name})
	}
	identity := tenants.SSOIdentity{Subject: id.Subject, Email: id.Email, Name: id.Name, EmailVerified: id.EmailVerified}
	var u tenants.User
	created := flow.Invite != ""
	if created {
		u, err = h.cfg.Tenants.AcceptInvitationSSO(ctx, flow.Invite, p, identity)
	} else {
		u, created, err = h.cfg.Tenants.SSOSignIn(ctx, p, identity)
	}
	var verr *tenants.ValidationError
	switch {
	case errors.As(err, &verr):
		return failed(http.StatusForbidden, verr.MessageID, verr.MessageID+" ("+id.Email+")",
			map[string]any{"Name": p.Name, "Email": id.Email, "Brand": part.Brand.Name})
	case errors.Is(err, tenants.ErrNotFound) && flow.Invite != "":
		return failed(http.StatusBadRequest, tenants.MsgInvitationInvalid, "no such invitation")
	case errors.Is(err, tenants.ErrCustomerSuspended):
		return failed(http.StatusForbidden, tenants.MsgCustomerSuspended, "customer suspended")
	case err != nil:
		return err
	}
	detail := "single sign-on " + p.Issuer + ", from " + c.RealIP()
	switch {
	case flow.Invite != "":
		h.recordSignIn(c, u, audit.ActionInviteAccept, audit.OutcomeOK, detail)
	case created:
		h.recordSignIn(c, u, audit.ActionSSOUserCreated, audit.OutcomeOK, detail)
	}
	h.recordSignIn(c, u, audit.ActionSignIn, audit.OutcomeOK, detail)
	return h.startSession(c, part, u, flow.Next)
}

// loginRefused shows the sign-in page with a refusal.
func (h *Handler) loginRefused(c echo.Context, status int, msg string) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	return render(c, status, loginPage(LoginVM{Chrome: h.chrome(c, i18n.T(ctx, "auth.title")), Error: msg,
		Providers: h.ssoButtons(ctx, p.ID)}))
}

// SSOSection is the security page's single sign-on part: the providers,
// the callback URL to register at them, and the form adding one.
type SSOSection struct {
	Enabled   bool
	Providers components.DataTableProps
	Callback  string
	Form      SSOForm
	Customers []components.Option
	Roles     []components.Option
}

// SSOForm is a new provider as typed (its secret is not typed back).
type SSOForm struct {
	Name, Customer, Issuer, ClientID, Domains, Role string
	FieldError
}

func (h *Handler) ssoSection(c echo.Context, f SSOForm) (SSOSection, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	sec := SSOSection{Enabled: h.cfg.SSO != nil, Callback: callbackURL(c), Form: f}
	if sec.Form.Role == "" {
		sec.Form.Role = string(tenants.MemberDeveloper)
	}
	customers, err := h.cfg.Tenants.Customers(ctx, p.ID)
	if err != nil {
		return sec, err
	}
	names := map[string]string{"": i18n.T(ctx, "sso.for_team")}
	sec.Customers = []components.Option{{Value: "", Label: names[""]}}
	for _, cu := range customers {
		names[cu.ID] = cu.Name
		sec.Customers = append(sec.Customers, components.Option{Value: cu.ID, Label: cu.Name})
	}
	for _, r := range tenants.MemberRoles() {
		sec.Roles = append(sec.Roles, components.Option{Value: string(r), Label: i18n.T(ctx, "sso.role_customer",
			map[string]any{"Role": i18n.T(ctx, "member.role."+string(r))})})
	}
	for _, r := range tenants.StaffRoles() {
		sec.Roles = append(sec.Roles, components.Option{Value: string(r), Label: i18n.T(ctx, "sso.role_team",
			map[string]any{"Role": staffLabel(ctx, r)})})
	}
	providers, err := h.cfg.Tenants.SSOProviders(ctx, p.ID)
	if err != nil {
		return sec, err
	}
	chrome := h.chrome(c, "")
	sec.Providers = components.DataTableProps{TestID: "sso-providers", Empty: i18n.T(ctx, "sso.none"), Columns: []components.Column{
		col(ctx, "sso.name"), col(ctx, "sso.for"), col(ctx, "sso.issuer", "opt"), col(ctx, "sso.client_id", "opt"),
		col(ctx, "sso.domains"), col(ctx, "sso.role"), col(ctx, "sso.action")}}
	for _, sp := range providers {
		role := i18n.T(ctx, "member.role."+string(sp.Role))
		if sp.CustomerID == "" {
			role = staffLabel(ctx, sp.Role)
		}
		action := text("")
		if chrome.Can(tokens.OpAdminWrite) {
			action = components.Cell{Content: postButton("/admin/security/sso/remove", chrome.CSRF, "provider", sp.ID,
				i18n.T(ctx, "action.remove"), "remove-sso")}
		}
		sec.Providers.Rows = append(sec.Providers.Rows, components.Row{Attrs: testID("sso-row"), Cells: []components.Cell{
			text(sp.Name), text(names[sp.CustomerID]), text(sp.Issuer, "mono", "small", "opt"), text(sp.ClientID, "mono", "small", "opt"),
			text(strings.Join(sp.EmailDomains, ", "), "small"), text(role), action}})
	}
	return sec, nil
}

// AddSSOProvider adds a single sign-on provider once its settings are
// valid and its issuer answers.
func (h *Handler) AddSSOProvider(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	if h.cfg.SSO == nil {
		return echo.ErrNotFound
	}
	f := SSOForm{Name: c.FormValue("name"), Customer: c.FormValue("customer"), Issuer: strings.TrimSpace(c.FormValue("issuer")),
		ClientID: c.FormValue("client_id"), Domains: c.FormValue("domains"), Role: c.FormValue("role")}
	refuse := func(field, id string) error {
		f.Field, f.Error = field, i18n.T(ctx, id, map[string]any{"Issuer": f.Issuer})
		return h.securityPage(c, http.StatusBadRequest, f)
	}
	if tenants.ValidIssuer(f.Issuer) && h.cfg.SSO.CheckIssuer(f.Issuer) != nil {
		return refuse("issuer", "sso.error.issuer_refused")
	}
	pc := tenants.SSOProviderCreate{PartnerID: p.ID, CustomerID: f.Customer, Name: f.Name, Issuer: f.Issuer, ClientID: f.ClientID,
		ClientSecret: c.FormValue("client_secret"), EmailDomains: strings.FieldsFunc(f.Domains, func(r rune) bool { return r == ',' || r == ' ' }),
		Role: tenants.MemberRole(f.Role)}
	created, err := h.cfg.Tenants.CreateSSOProvider(ctx, pc)
	var verr *tenants.ValidationError
	switch {
	case errors.As(err, &verr):
		return refuse(verr.Field, verr.MessageID)
	case errors.Is(err, tenants.ErrNotFound):
		return refuse("customer", "sso.error.customer")
	case err != nil:
		return err
	}
	rp, err := h.ssoProvider(c, created)
	if err == nil {
		err = h.cfg.SSO.Discover(ctx, rp)
	}
	if err != nil {
		h.cfg.Logger.Warn("single sign-on discovery", "issuer", f.Issuer, "error", err.Error())
		if derr := h.cfg.Tenants.DeleteSSOProvider(context.WithoutCancel(ctx), p.ID, created.ID); derr != nil {
			return derr
		}
		return refuse("issuer", "sso.error.unreachable")
	}
	h.audit(c, audit.ActionSecurityUpdate, "sso "+created.ID+" "+created.Issuer, nil)
	setFlash(c, "ok", "flash.sso_added")
	return c.Redirect(http.StatusSeeOther, "/admin/security")
}

// RemoveSSOProvider removes one of the partner's providers; the users it
// created keep their accounts.
func (h *Handler) RemoveSSOProvider(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	id := c.FormValue("provider")
	err := h.cfg.Tenants.DeleteSSOProvider(ctx, p.ID, id)
	if errors.Is(err, tenants.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if h.cfg.SSO != nil {
		h.cfg.SSO.Forget(id)
	}
	h.audit(c, audit.ActionSecurityUpdate, "sso "+id+" removed", nil)
	setFlash(c, "ok", "flash.sso_removed")
	return c.Redirect(http.StatusSeeOther, "/admin/security")
}

// ssoStartURL starts a sign-in at a provider, to return to next.
func ssoStartURL(id, next string) string {
	u := "/login/sso/" + url.PathEscape(id)
	if next != "" {
		u += "?next=" + url.QueryEscape(next)
	}
	return u
}

// ssoInviteURL starts accepting an invitation through a provider.
func ssoInviteURL(id, token string) string {
	return "/login/sso/" + url.PathEscape(id) + "?invite=" + url.QueryEscape(token)
}

// inviteProviders are the providers an invitation may be accepted with:
// those of its customer, or of the team.
func (h *Handler) inviteProviders(ctx context.Context, inv tenants.Invitation) []SSOButton {
	return h.providerButtons(ctx, inv.PartnerID, func(p tenants.SSOProvider) bool { return p.CustomerID == inv.CustomerID })
}
