package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web/i18n"
)

// customerOps are the operations a customer's token may carry.
var customerOps = []string{tokens.OpOrgRead, tokens.OpAppRead, tokens.OpAppWrite, tokens.OpAppDeploy,
	tokens.OpAddonRead, tokens.OpAddonWrite, tokens.OpTokenRead, tokens.OpTokenWrite, tokens.OpBillingRead, tokens.OpMemberWrite}

// memberOps are the operations the console sessions of each member role
// carry, checked by the one authorizer on every route.
var memberOps = map[tenants.MemberRole][]string{
	tenants.MemberOwner: customerOps,
	tenants.MemberDeveloper: {tokens.OpOrgRead, tokens.OpAppRead, tokens.OpAppWrite, tokens.OpAppDeploy,
		tokens.OpAddonRead, tokens.OpAddonWrite, tokens.OpTokenRead, tokens.OpTokenWrite},
	tenants.MemberViewer:  {tokens.OpOrgRead, tokens.OpAppRead, tokens.OpAddonRead},
	tenants.MemberBilling: {tokens.OpOrgRead, tokens.OpBillingRead},
}

// consoleOps are the signed-in user's operations.
func consoleOps(ctx context.Context) []string {
	u, _ := tenants.UserFrom(ctx)
	return opsOf(u)
}

// homeOf is where a user lands after signing in: the part of the portal
// their role opens with.
func homeOf(u tenants.User) string {
	switch {
	case u.Role == tenants.RolePartnerAdmin && u.Member == tenants.StaffSupport:
		return "/admin/customers"
	case u.Role == tenants.RolePartnerAdmin:
		return "/admin"
	case u.Member == tenants.MemberBilling:
		return "/console/invoices"
	}
	return "/console"
}

// OpsOf are the operations u's role allows: what their console session
// carries, the most their tokens may carry, and what the authorizer lets
// a token of theirs do, whatever it was minted with when their role was
// another.
func OpsOf(u tenants.User) []string { return opsOf(u) }

// opsOf are the operations a user's console session carries.
func opsOf(u tenants.User) []string {
	switch {
	case u.Role == tenants.RolePartnerAdmin && u.Member == tenants.StaffSupport:
		return supportOps
	case u.Role == tenants.RolePartnerAdmin:
		return adminOps
	}
	return memberOps[u.Member]
}

// adminOps are the operations a partner admin's console session carries.
var adminOps = []string{tokens.OpAdminRead, tokens.OpAdminWrite, tokens.OpTokenRead, tokens.OpTokenWrite, tokens.OpOrgRead,
	tokens.OpCustomerRead}

// supportOps are the operations of the partner's support staff: reading
// the customers, their members, usage and invoices.
var supportOps = []string{tokens.OpCustomerRead}

// maxTokenDays is the longest lifetime the pages offer a token.
const maxTokenDays = 365

// TokenRow is one issued token block in a list.
type TokenRow struct {
	RevocationID, Label, Customer, Application string
	Operations, Zones                          []string
	ExpiresAt, CreatedAt                       time.Time
	Revoked, Expired, Partner                  bool
}

// TokenForm is what the token forms send.
type TokenForm struct {
	Label, Customer, Application string
	Operations, Zones            []string
	Days                         int
}

// TokensVM is the token page of the console or the admin.
type TokensVM struct {
	Chrome     Chrome
	Admin      bool
	Rows       []TokenRow
	Form       TokenForm
	Operations []string
	Zones      []Choice
	Customers  []Option
	Apps       []Option
	NewToken   string
	Error      string
	// Page is where Rows stand among all the tokens.
	Page components.Pagination
}

// tokenRows lists the tokens a person manages: console sessions are left
// out, and so is the authority block of a token minted in one go with its
// first block (a customer's token): the row is that first block.
func tokenRows(recs []tokens.Record, names map[string]string, now time.Time) []TokenRow {
	byID := make(map[string]tokens.Record, len(recs))
	for _, r := range recs {
		byID[r.RevocationID] = r
	}
	mintedWith := map[string]bool{} // authority ids minted together with a child
	for _, r := range recs {
		if parent, ok := byID[r.ParentID]; ok && parent.BlockIndex == 0 && r.CreatedAt.Equal(parent.CreatedAt) {
			mintedWith[parent.RevocationID] = true
		}
	}
	rows := []TokenRow{}
	for _, r := range recs {
		if r.Restriction.Session != "" || mintedWith[r.RevocationID] {
			continue
		}
		rows = append(rows, TokenRow{RevocationID: r.RevocationID, Label: r.Label, Customer: names[r.CustomerID],
			Application: r.Restriction.Application, Operations: r.Restriction.Operations, Zones: r.Restriction.Zones,
			ExpiresAt: r.Restriction.ExpiresAt, CreatedAt: r.CreatedAt, Revoked: r.RevokedAt != nil,
			Expired: !r.Restriction.ExpiresAt.IsZero() && !now.Before(r.Restriction.ExpiresAt), Partner: r.BlockIndex == 0})
	}
	return rows
}

// expiresAt is when a token made from the form expires: its lifetime from
// now, to the second (Biscuit dates are in seconds).
func (f TokenForm) expiresAt() time.Time {
	return time.Now().Add(time.Duration(f.Days) * 24 * time.Hour).UTC().Truncate(time.Second)
}

// readTokenForm reads and checks a token form: a label, known operations
// within allowedOps, zones within allowedZones, a lifetime of 1 to 365 days.
func readTokenForm(c echo.Context, allowedOps, allowedZones []string) (TokenForm, *i18n.Error) {
	params, _ := c.FormParams()
	days, err := strconv.Atoi(c.FormValue("days"))
	f := TokenForm{Label: strings.TrimSpace(c.FormValue("label")), Customer: c.FormValue("customer"),
		Application: c.FormValue("application"), Operations: params["operations"], Zones: params["zones"], Days: days}
	switch {
	case f.Label == "" || utf8.RuneCountInString(f.Label) > 80:
		return f, i18n.NewError("token.error.label")
	case err != nil || days < 1 || days > maxTokenDays:
		return f, i18n.NewError("token.error.days")
	case len(f.Operations) == 0:
		return f, i18n.NewError("token.error.operations")
	}
	for _, op := range f.Operations {
		if !slices.Contains(allowedOps, op) {
			return f, i18n.NewError("token.invalid.operation")
		}
	}
	for _, z := range f.Zones {
		if !slices.Contains(allowedZones, z) {
			return f, i18n.NewError("error.zone_not_allowed", "Zone", z)
		}
	}
	return f, nil
}

// issueCustomerToken mints a token for a customer: the partner's authority
// and one block that fixes the organisation and narrows zones, operations
// and lifetime. With no zone chosen, the token carries all the customer's.
func (h *Handler) issueCustomerToken(ctx context.Context, p tenants.Partner, cust tenants.Customer, userID string,
	f TokenForm, customerZones []string) (string, error) {
	zones := f.Zones
	if len(zones) == 0 {
		zones = customerZones
	}
	r := tokens.Restriction{Organisation: cust.OrganisationID, Application: f.Application, Zones: zones,
		Operations: f.Operations, ExpiresAt: f.expiresAt()}
	tok, _, err := h.cfg.Tokens.MintSession(ctx, tokens.Principal{PartnerID: p.ID, CustomerID: cust.ID, UserID: userID}, r, f.Label)
	return tok, err
}

// attenuateForCustomer appends to parent, a token of the partner, one block
// issued to a customer: its organisation, and narrower zones, operations and
// lifetime.
func (h *Handler) attenuateForCustomer(ctx context.Context, parent string, p tenants.Partner, cust tenants.Customer,
	f TokenForm, customerZones []string) (string, error) {
	zones := f.Zones
	if len(zones) == 0 {
		zones = customerZones
	}
	r := tokens.Restriction{Organisation: cust.OrganisationID, Zones: zones, Operations: f.Operations,
		ExpiresAt: f.expiresAt(), EndWithParent: true}
	tok, _, err := h.cfg.Tokens.Attenuate(ctx, parent, p.ID, tokens.Principal{PartnerID: p.ID, CustomerID: cust.ID}, r, f.Label)
	return tok, err
}

// ConsoleTokens lists the customer's tokens and offers to create one.
func (h *Handler) ConsoleTokens(c echo.Context) error {
	vm, err := h.consoleTokensVM(c, TokenForm{Days: 30, Operations: []string{tokens.OpOrgRead, tokens.OpAppRead, tokens.OpAddonRead}})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, tokensPage(vm))
}

func (h *Handler) consoleTokensVM(c echo.Context, f TokenForm) (TokensVM, error) {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return TokensVM{}, err
	}
	recs, err := h.cfg.Tokens.RecordsOfCustomer(ctx, s.partner.ID, s.customer.ID)
	if err != nil {
		return TokensVM{}, err
	}
	apps, err := s.api.Applications(ctx, s.org())
	if err != nil {
		return TokensVM{}, err
	}
	rows, page := pageOf(c, tokenRows(recs, nil, time.Now()))
	vm := TokensVM{Chrome: h.chrome(c, i18n.T(ctx, "token.title")), Rows: rows, Page: page, Form: f,
		Operations: consoleOps(ctx), Zones: zoneChoices(ctx, s.cat, s.zones(), f.Zones)}
	for _, a := range apps {
		vm.Apps = append(vm.Apps, Option{Value: a.ID, Label: a.Name})
	}
	return vm, nil
}

// CreateConsoleToken issues a token to the signed-in customer.
func (h *Handler) CreateConsoleToken(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	// A member's tokens carry at most what the member's role may do.
	u, _ := tenants.UserFrom(ctx)
	f, msg := readTokenForm(c, opsOf(u), s.zones())
	if msg == nil && f.Application != "" {
		if _, err := s.api.Application(ctx, s.org(), f.Application); err != nil {
			msg = i18n.NewError("token.error.application")
		}
	}
	var tok string
	if msg == nil {
		if parent := strings.TrimSpace(c.FormValue("parent")); parent != "" {
			// Narrow a token the customer holds rather than mint a new one:
			// zones left unchecked keep the parent's.
			r := tokens.Restriction{Organisation: s.customer.OrganisationID, Application: f.Application, Zones: nilIfEmpty(f.Zones),
				Operations: f.Operations, ExpiresAt: f.expiresAt(), EndWithParent: true}
			tok, _, err = h.cfg.Tokens.Attenuate(ctx, parent, s.partner.ID,
				tokens.Principal{PartnerID: s.partner.ID, CustomerID: s.customer.ID, UserID: s.user.ID}, r, f.Label)
			h.audit(c, "token.attenuate", "", err)
		} else {
			tok, err = h.issueCustomerToken(ctx, s.partner, s.customer, s.user.ID, f, s.zones())
			h.audit(c, "token.mint", "", err)
		}
		if msg, err = tokenRefusal(err); err != nil {
			return err
		}
	}
	vm, err := h.consoleTokensVM(c, f)
	return tokenResult(c, vm, err, msg, tok)
}

// nilIfEmpty is nil for an empty list: "no restriction" rather than "none".
func nilIfEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

// tokenRefusal turns a refused mint or attenuation into the message a
// person reads; other errors are returned as they are.
func tokenRefusal(err error) (*i18n.Error, error) {
	var we *tokens.WidenError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &we):
		return i18n.NewError(we.MessageID), nil
	case errors.Is(err, tokens.ErrInvalidToken), errors.Is(err, tokens.ErrRevoked), errors.Is(err, tokens.ErrUnknownToken):
		return i18n.NewError("token.inspect.invalid"), nil
	}
	return nil, err
}

// RevokeConsoleToken revokes one of the customer's tokens.
func (h *Handler) RevokeConsoleToken(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	recs, err := h.cfg.Tokens.RecordsOfCustomer(ctx, s.partner.ID, s.customer.ID)
	if err != nil {
		return err
	}
	return h.revoke(c, recs, "/console/tokens")
}

// tokenResult renders a token page after a token form: the refusal, or the
// new token shown once.
func tokenResult(c echo.Context, vm TokensVM, err error, msg *i18n.Error, tok string) error {
	if err != nil {
		return err
	}
	if msg != nil {
		vm.Error = i18n.TE(c.Request().Context(), msg)
		return render(c, http.StatusBadRequest, tokensPage(vm))
	}
	vm.NewToken = tok
	return render(c, http.StatusCreated, tokensPage(vm))
}

// revoke revokes the posted revocation id if it is one of recs.
func (h *Handler) revoke(c echo.Context, recs []tokens.Record, back string) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	id := c.FormValue("revocation_id")
	if !slices.ContainsFunc(recs, func(r tokens.Record) bool { return r.RevocationID == id }) {
		return NewUserError(http.StatusNotFound, "error.not_found")
	}
	err := h.cfg.Tokens.Revoke(ctx, p.ID, id)
	h.audit(c, "token.revoke", id, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", "flash.token_revoked")
	return c.Redirect(http.StatusSeeOther, back)
}

// AdminTokens lists the partner's tokens and offers to mint and issue them.
func (h *Handler) AdminTokens(c echo.Context) error {
	vm, err := h.adminTokensVM(c, TokenForm{Days: 90, Operations: customerOps})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, tokensPage(vm))
}

func (h *Handler) adminTokensVM(c echo.Context, f TokenForm) (TokensVM, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	recs, err := h.cfg.Tokens.Records(ctx, p.ID)
	if err != nil {
		return TokensVM{}, err
	}
	custs, err := h.cfg.Tenants.Customers(ctx, p.ID)
	if err != nil {
		return TokensVM{}, err
	}
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return TokensVM{}, err
	}
	names := map[string]string{}
	vm := TokensVM{Chrome: h.chrome(c, i18n.T(ctx, "token.title")), Admin: true, Form: f, Operations: customerOps,
		Zones: zoneChoices(ctx, cat, tenants.AllowedZones(cat.ZoneNames(), p.AllowedZones, p.AllowedZones), f.Zones)}
	for _, cu := range custs {
		names[cu.ID] = cu.Name
		vm.Customers = append(vm.Customers, Option{Value: cu.ID, Label: cu.Name})
	}
	vm.Rows, vm.Page = pageOf(c, tokenRows(recs, names, time.Now()))
	return vm, nil
}

// MintPartnerToken mints a new authority token for the partner.
func (h *Handler) MintPartnerToken(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	label := strings.TrimSpace(c.FormValue("label"))
	vm, err := h.adminTokensVM(c, TokenForm{Days: 90, Operations: customerOps})
	if err != nil {
		return err
	}
	if label == "" || utf8.RuneCountInString(label) > 80 {
		vm.Error = i18n.T(ctx, "token.error.label")
		return render(c, http.StatusBadRequest, tokensPage(vm))
	}
	tok, _, err := h.cfg.Tokens.MintPartner(ctx, p.ID, label)
	h.audit(c, "token.mint", "", err)
	if err != nil {
		return err
	}
	if vm, err = h.adminTokensVM(c, vm.Form); err != nil {
		return err
	}
	vm.NewToken = tok
	return render(c, http.StatusCreated, tokensPage(vm))
}

// IssueCustomerToken issues a token to one of the partner's customers.
func (h *Handler) IssueCustomerToken(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	cust, err := h.cfg.Tenants.Customer(ctx, p.ID, c.FormValue("customer"))
	if errors.Is(err, tenants.ErrNotFound) {
		return NewUserError(http.StatusBadRequest, "token.error.customer")
	}
	if err != nil {
		return err
	}
	cat, err := h.cfg.Catalogue.Snapshot(ctx)
	if err != nil {
		return err
	}
	custZones := tenants.AllowedZones(cat.ZoneNames(), p.AllowedZones, cust.AllowedZones)
	f, msg := readTokenForm(c, customerOps, custZones)
	var tok string
	if msg == nil {
		if parent := strings.TrimSpace(c.FormValue("parent")); parent != "" {
			// Narrow a token the partner holds, rather than mint a new one.
			tok, err = h.attenuateForCustomer(ctx, parent, p, cust, f, custZones)
		} else {
			tok, err = h.issueCustomerToken(ctx, p, cust, "", f, custZones)
		}
		h.audit(c, "token.attenuate", cust.ID, err)
		if msg, err = tokenRefusal(err); err != nil {
			return err
		}
	}
	vm, err := h.adminTokensVM(c, f)
	return tokenResult(c, vm, err, msg, tok)
}

// RevokeAdminToken revokes any of the partner's tokens.
func (h *Handler) RevokeAdminToken(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	recs, err := h.cfg.Tokens.Records(ctx, p.ID)
	if err != nil {
		return err
	}
	return h.revoke(c, recs, "/admin/tokens")
}

// InspectVM is the token inspection page.
type InspectVM struct {
	Chrome     Chrome
	Token      string
	Inspection *tokens.Inspection
	Error      string
}

// InspectToken shows each block of a pasted token: its datalog, expiry,
// revocation id and status. Only tokens of this partner are described, and
// to a customer only its own.
func (h *Handler) InspectToken(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	vm := InspectVM{Chrome: h.chrome(c, i18n.T(ctx, "token.inspect.title"))}
	if c.Request().Method != http.MethodPost {
		return render(c, http.StatusOK, inspectPage(vm))
	}
	vm.Token = strings.TrimSpace(c.FormValue("token"))
	ins, err := h.cfg.Tokens.Inspect(ctx, vm.Token)
	u, _ := tenants.UserFrom(ctx)
	if err != nil || !ins.Valid || !ownedBy(ins, p.ID) || u.Role == tenants.RoleCustomer && !heldBy(ins, u.CustomerID) {
		vm.Error = i18n.T(ctx, "token.inspect.invalid")
		return render(c, http.StatusBadRequest, inspectPage(vm))
	}
	vm.Inspection = &ins
	return render(c, http.StatusOK, inspectPage(vm))
}

// heldBy reports whether a token was issued to customer: a block of it is
// the customer's, and none is another customer's. A customer inspecting
// another customer's token learns nothing of it.
func heldBy(ins tokens.Inspection, customerID string) bool {
	mine := false
	for _, b := range ins.Blocks {
		switch {
		case b.Record == nil || b.Record.CustomerID == "":
		case b.Record.CustomerID == customerID:
			mine = true
		default:
			return false
		}
	}
	return mine
}

// ownedBy reports whether a token's authority block was issued to partner.
func ownedBy(ins tokens.Inspection, partnerID string) bool {
	return len(ins.Blocks) > 0 && ins.Blocks[0].Record != nil && ins.Blocks[0].Record.PartnerID == partnerID
}
