package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/migrations"
)

// Message ids of single sign-on's refusals.
const (
	MsgSSONameInvalid     = "sso.error.name"
	MsgSSOIssuerInvalid   = "sso.error.issuer"
	MsgSSOClientInvalid   = "sso.error.client_id"
	MsgSSOSecretInvalid   = "sso.error.client_secret"
	MsgSSODomainsInvalid  = "sso.error.domains"
	MsgSSORoleInvalid     = "sso.error.role"
	MsgSSOClientTaken     = "sso.error.client_taken"
	MsgSSODomainRefused   = "sso.refused.domain"
	MsgSSOEmailUnverified = "sso.refused.unverified"
	MsgSSOEmailTaken      = "sso.refused.email_taken"
	MsgSSOOtherAccount    = "sso.refused.other_account"
)

// noPassword is the password hash of a user who signs in only through
// single sign-on: no password matches it.
const noPassword = "!sso"

// SSOProvider is an OpenID Connect provider a partner's team, or one of
// its customers, signs in through.
type SSOProvider struct {
	ID        string `db:"id"`
	PartnerID string `db:"partner_id"`
	// CustomerID is the customer whose users sign in through it; "" for
	// the partner's own team.
	CustomerID string `db:"customer_id"`
	// Name is what the sign-in button says ("Sign in with NAME").
	Name string `db:"name"`
	// Issuer is the provider's issuer URL, as its discovery document and
	// its ID tokens name it.
	Issuer   string `db:"issuer"`
	ClientID string `db:"client_id"`
	// EmailDomains are the domains whose users the provider may create.
	EmailDomains []string `db:"-"`
	// Role is the role of the users it creates: a member role for a
	// customer's, a staff role for the partner's team.
	Role      MemberRole `db:"new_user_role"`
	CreatedAt time.Time  `db:"created_at"`
}

// SSOProviderCreate is a new provider, its client secret in clear.
type SSOProviderCreate struct {
	PartnerID, CustomerID, Name, Issuer, ClientID, ClientSecret string
	EmailDomains                                                []string
	Role                                                        MemberRole
}

// ValidIssuer reports whether issuer is an issuer URL: absolute http or
// https, a host, no user, query or fragment. Whether plain http or a
// loopback host is allowed is the caller's to decide.
func ValidIssuer(issuer string) bool {
	u, err := url.Parse(issuer)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
		u.RawQuery == "" && u.Fragment == "" && len(issuer) <= 500
}

// CreateSSOProvider adds a provider, its client secret sealed and bound
// to it.
func (s *Store) CreateSSOProvider(ctx context.Context, pc SSOProviderCreate) (SSOProvider, error) {
	p := SSOProvider{ID: newID("sso"), PartnerID: pc.PartnerID, CustomerID: pc.CustomerID, Name: strings.TrimSpace(pc.Name),
		Issuer: strings.TrimSpace(pc.Issuer), ClientID: strings.TrimSpace(pc.ClientID), Role: pc.Role, CreatedAt: s.timestamp()}
	for _, d := range pc.EmailDomains {
		d = strings.TrimPrefix(strings.TrimSpace(d), "@")
		if d == "" {
			continue
		}
		d, ok := normalizeHostname(d)
		if !ok || !strings.Contains(d, ".") {
			return p, invalid("domains", MsgSSODomainsInvalid)
		}
		if !slices.Contains(p.EmailDomains, d) {
			p.EmailDomains = append(p.EmailDomains, d)
		}
	}
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0 || n > 60:
		return p, invalid("name", MsgSSONameInvalid)
	case !ValidIssuer(p.Issuer):
		return p, invalid("issuer", MsgSSOIssuerInvalid)
	case p.ClientID == "" || len(p.ClientID) > 200:
		return p, invalid("client_id", MsgSSOClientInvalid)
	case pc.ClientSecret == "" || len(pc.ClientSecret) > 500:
		return p, invalid("client_secret", MsgSSOSecretInvalid)
	case len(p.EmailDomains) == 0 || len(p.EmailDomains) > 20:
		return p, invalid("domains", MsgSSODomainsInvalid)
	case p.CustomerID != "" && !p.Role.Valid(), p.CustomerID == "" && !p.Role.ValidStaff():
		return p, invalid("role", MsgSSORoleInvalid)
	}
	sealed, err := s.sealer.seal([]byte(pc.ClientSecret), ssoBinding(p.ID))
	if err != nil {
		return p, err
	}
	err = s.inTx(ctx, "create single sign-on provider", func(tx *sqlx.Tx) error {
		if err := partnerExists(ctx, tx, p.PartnerID); err != nil {
			return err
		}
		if p.CustomerID != "" {
			if err := customerExists(ctx, tx, p.PartnerID, p.CustomerID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO sso_providers (id, partner_id, customer_id, name, issuer, client_id,
			client_secret, email_domains, new_user_role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			p.ID, p.PartnerID, sql.NullString{String: p.CustomerID, Valid: p.CustomerID != ""}, p.Name, p.Issuer, p.ClientID,
			sealed, strings.Join(p.EmailDomains, ","), string(p.Role), p.CreatedAt)
		if migrations.IsUniqueViolation(err) {
			return invalid("client_id", MsgSSOClientTaken)
		}
		return err
	})
	return p, err
}

func ssoBinding(id string) []byte { return []byte("sso:" + id) }

const ssoColumns = `id, partner_id, COALESCE(customer_id, '') AS customer_id, name, issuer, client_id, email_domains,
	new_user_role, created_at`

type ssoRow struct {
	SSOProvider
	Domains string `db:"email_domains"`
}

func (r ssoRow) provider() SSOProvider {
	p := r.SSOProvider
	p.EmailDomains = strings.Split(r.Domains, ",")
	p.CreatedAt = utc(p.CreatedAt)
	return p
}

// SSOProviders lists the partner's providers, its team's first, then by
// name.
func (s *Store) SSOProviders(ctx context.Context, partnerID string) ([]SSOProvider, error) {
	var rows []ssoRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+ssoColumns+` FROM sso_providers WHERE partner_id = ?
		ORDER BY COALESCE(customer_id, ''), name, id`), partnerID); err != nil {
		return nil, fmt.Errorf("tenants: single sign-on providers: %w", err)
	}
	out := make([]SSOProvider, len(rows))
	for i, r := range rows {
		out[i] = r.provider()
	}
	return out, nil
}

// SSOProvider returns one of the partner's providers; ErrNotFound for
// another partner's.
func (s *Store) SSOProvider(ctx context.Context, partnerID, id string) (SSOProvider, error) {
	var r ssoRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+ssoColumns+` FROM sso_providers WHERE partner_id = ? AND id = ?`), partnerID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return SSOProvider{}, ErrNotFound
	}
	if err != nil {
		return SSOProvider{}, fmt.Errorf("tenants: single sign-on provider: %w", err)
	}
	return r.provider(), nil
}

// SSOClientSecret opens a provider's client secret, for its relying party.
func (s *Store) SSOClientSecret(ctx context.Context, p SSOProvider) (string, error) {
	var sealed string
	if err := s.db.GetContext(ctx, &sealed, s.db.Rebind(`SELECT client_secret FROM sso_providers WHERE partner_id = ? AND id = ?`),
		p.PartnerID, p.ID); err != nil {
		return "", fmt.Errorf("tenants: single sign-on client secret: %w", err)
	}
	secret, err := s.sealer.open(sealed, ssoBinding(p.ID))
	if err != nil {
		return "", fmt.Errorf("tenants: single sign-on client secret of %s: %w", p.ID, err)
	}
	return string(secret), nil
}

// DeleteSSOProvider removes one of the partner's providers. The users it
// created stay, bound to its issuer: a provider added again for the same
// issuer finds them.
func (s *Store) DeleteSSOProvider(ctx context.Context, partnerID, id string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sso_providers WHERE partner_id = ? AND id = ?`), partnerID, id)
	return affectedOne(res, err, "delete single sign-on provider")
}

// SSOIdentity is who a provider's verified ID token says signed in.
type SSOIdentity struct {
	Subject, Email, Name string
	EmailVerified        bool
}

// SSOSignIn returns the user a provider's identity signs in as: the user
// bound to the provider's issuer and that subject, which must belong to
// the provider's customer (or team); else, on a first sign-in, a new user
// of the configured role, when the verified e-mail address is of an
// allowed domain and no account here has it. Refusals are ValidationErrors.
func (s *Store) SSOSignIn(ctx context.Context, p SSOProvider, id SSOIdentity) (User, bool, error) {
	if id.Subject == "" {
		return User{}, false, invalid("subject", MsgSSOOtherAccount)
	}
	var userID string
	err := s.db.GetContext(ctx, &userID, s.db.Rebind(`SELECT user_id FROM sso_identities WHERE partner_id = ? AND issuer = ? AND subject = ?`),
		p.PartnerID, p.Issuer, id.Subject)
	switch {
	case err == nil:
		u, err := s.User(ctx, p.PartnerID, userID)
		if err != nil {
			return User{}, false, err
		}
		if u.CustomerID != p.CustomerID {
			return User{}, false, invalid("subject", MsgSSOOtherAccount)
		}
		return u, false, s.customerActive(ctx, u)
	case !errors.Is(err, sql.ErrNoRows):
		return User{}, false, fmt.Errorf("tenants: single sign-on identity: %w", err)
	}
	email, ok := normalizeEmail(id.Email)
	if !ok {
		return User{}, false, invalid("email", MsgSSOEmailUnverified)
	}
	if !id.EmailVerified {
		return User{}, false, invalid("email", MsgSSOEmailUnverified)
	}
	if !slices.Contains(p.EmailDomains, email[strings.LastIndexByte(email, '@')+1:]) {
		return User{}, false, invalid("email", MsgSSODomainRefused)
	}
	name := strings.TrimSpace(id.Name)
	if utf8.RuneCountInString(name) > MaxUserNameLength {
		name = string([]rune(name)[:MaxUserNameLength])
	}
	role := RoleCustomer
	if p.CustomerID == "" {
		role = RolePartnerAdmin
	}
	nu := pendingUser{User: User{ID: newID("usr"), PartnerID: p.PartnerID, CustomerID: p.CustomerID, Email: email, Name: name,
		Role: role, Member: p.Role, CreatedAt: s.timestamp()}, hash: noPassword}
	if p.CustomerID != "" {
		if err := s.customerActive(ctx, nu.User); err != nil {
			return User{}, false, err
		}
	}
	err = s.inTx(ctx, "single sign-on user", func(tx *sqlx.Tx) error {
		if err := insertUser(ctx, tx, nu); err != nil {
			if errors.Is(err, ErrDuplicate) {
				return invalid("email", MsgSSOEmailTaken)
			}
			return err
		}
		return bindIdentityTx(ctx, tx, p, id.Subject, nu.User)
	})
	if migrations.IsUniqueViolation(err) {
		// The same first sign-in twice at once: the other one bound it.
		return s.SSOSignIn(ctx, p, id)
	}
	return nu.User, err == nil, err
}

// bindIdentityTx binds u to the provider's issuer and subject, inside tx.
func bindIdentityTx(ctx context.Context, tx *sqlx.Tx, p SSOProvider, subject string, u User) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO sso_identities (partner_id, issuer, subject, user_id, created_at)
		VALUES (?, ?, ?, ?, ?)`), p.PartnerID, p.Issuer, subject, u.ID, u.CreatedAt)
	return err
}

// customerActive refuses a user of a suspended customer.
func (s *Store) customerActive(ctx context.Context, u User) error {
	if u.CustomerID == "" {
		return nil
	}
	c, err := s.Customer(ctx, u.PartnerID, u.CustomerID)
	if err != nil {
		return err
	}
	if c.Suspended {
		return ErrCustomerSuspended
	}
	return nil
}

// Message ids of the invitations accepted through single sign-on.
const (
	MsgSSOInviteProvider = "sso.refused.invite_provider"
	MsgSSOInviteEmail    = "sso.refused.invite_email"
	MsgSSOBound          = "sso.refused.bound"
)

// AcceptInvitationSSO accepts an invitation with an identity one of the
// partner's providers verified: the provider must be the one of the
// invitation's customer (or team), and its verified address the invited
// one. The new user is bound to the provider's issuer and subject and has
// no password.
func (s *Store) AcceptInvitationSSO(ctx context.Context, token string, p SSOProvider, id SSOIdentity) (User, error) {
	inv, err := s.InvitationByToken(ctx, p.PartnerID, token)
	if err != nil {
		return User{}, err
	}
	if inv.CustomerID != p.CustomerID {
		return User{}, invalid("provider", MsgSSOInviteProvider)
	}
	if email, ok := normalizeEmail(id.Email); !ok || !id.EmailVerified || email != inv.Email || id.Subject == "" {
		return User{}, invalid("email", MsgSSOInviteEmail)
	}
	role := RolePartnerAdmin
	if inv.CustomerID != "" {
		role = RoleCustomer
	}
	name := strings.TrimSpace(id.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxUserNameLength {
		name = inv.Name
	}
	nu := pendingUser{User: User{ID: newID("usr"), PartnerID: p.PartnerID, CustomerID: inv.CustomerID, Email: inv.Email, Name: name,
		Role: role, Member: inv.Member, Language: inv.Language, CreatedAt: s.timestamp()}, hash: noPassword}
	err = s.inTx(ctx, "accept invitation with single sign-on", func(tx *sqlx.Tx) error {
		if err := s.acceptTx(ctx, tx, inv, token, nu); err != nil {
			return err
		}
		err := bindIdentityTx(ctx, tx, p, id.Subject, nu.User)
		if migrations.IsUniqueViolation(err) {
			return invalid("subject", MsgSSOBound)
		}
		return err
	})
	if err != nil {
		return User{}, err
	}
	return nu.User, nil
}
