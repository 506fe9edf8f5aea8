// Package tokens issues and checks the portal's API tokens: Biscuit tokens
// (biscuit-go v2.2.0, datalog v3.0) whose authority block the portal signs
// with its root key.
//
// Rights come from datalog; identity comes from the store. The portal
// records every block it mints or attenuates (revocation id → partner,
// customer, user, label, restriction) in the token_blocks table. A request's
// identity is that of the newest block the store knows; blocks a holder
// appended offline are not recorded and can only narrow what the token
// allows, never change who it speaks for.
//
// Authorizer policies are parsed once, in NewService. Every value coming
// from a user enters datalog as a typed term, never as datalog text. Every
// call into biscuit-go that may panic on a crafted token is recovered into
// ErrInvalidToken, and tokens are size- and block-capped before parsing.
// docs/tokens.md describes the vocabulary for partners.
package tokens

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Operations named in tokens and in requests.
const (
	// OpOrgRead reads an organisation (a customer) and its listings.
	OpOrgRead = "org:read"
	// OpAppRead reads applications, their environment and deployments.
	OpAppRead = "app:read"
	// OpAppWrite creates, updates and deletes applications and their environment.
	OpAppWrite = "app:write"
	// OpAppDeploy starts, stops and restarts applications.
	OpAppDeploy = "app:deploy"
	// OpAddonRead reads add-ons.
	OpAddonRead = "addon:read"
	// OpAddonWrite creates and deletes add-ons.
	OpAddonWrite = "addon:write"
	// OpTokenRead lists and inspects tokens.
	OpTokenRead = "token:read"
	// OpTokenWrite attenuates and revokes tokens.
	OpTokenWrite = "token:write"
	// OpBillingRead reads an organisation's invoices.
	OpBillingRead = "billing:read"
	// OpMemberWrite invites an organisation's members and changes their roles.
	OpMemberWrite = "member:write"
	// OpCustomerRead reads the partner's customers, their members, usage
	// and invoices (the partner's support staff).
	OpCustomerRead = "customer:read"
	// OpAdminRead reads the partner's administration (brand, customers, users).
	OpAdminRead = "admin:read"
	// OpAdminWrite changes the partner's administration.
	OpAdminWrite = "admin:write"
)

// operations lists every known operation, in documentation order.
var operations = []string{
	OpOrgRead, OpAppRead, OpAppWrite, OpAppDeploy, OpAddonRead, OpAddonWrite,
	OpTokenRead, OpTokenWrite, OpBillingRead, OpMemberWrite, OpCustomerRead, OpAdminRead, OpAdminWrite,
}

// Operations returns every operation a token or a request may name, as a
// new slice the caller may modify.
func Operations() []string {
	return slices.Clone(operations)
}

// validOperation reports whether op is a known operation.
func validOperation(op string) bool {
	return slices.Contains(operations, op)
}

// Message ids carried by WidenError.MessageID, translated by the web layer.
const (
	MsgWidenZone         = "token.widen.zone"
	MsgWidenOperation    = "token.widen.operation"
	MsgWidenExpiry       = "token.widen.expiry"
	MsgWidenOrganisation = "token.widen.organisation"
	MsgWidenApplication  = "token.widen.application"
	MsgWidenSession      = "token.widen.session"
	MsgWidenPrincipal    = "token.widen.principal"
	MsgExpiryPast        = "token.expiry.past"
	MsgInvalidOperation  = "token.invalid.operation"
	MsgInvalidZone       = "token.invalid.zone"
)

// Sentinel errors returned (wrapped) by the service; test them with errors.Is.
// Authorize's errors wrap exactly one of ErrInvalidToken, ErrRevoked and
// ErrDenied.
var (
	// ErrInvalidToken reports a token that does not decode, does not verify
	// against a trusted key, exceeds the size or block limits, or none of
	// whose blocks the portal recorded.
	ErrInvalidToken = errors.New("tokens: invalid token")
	// ErrRevoked reports a token one of whose blocks was revoked.
	ErrRevoked = errors.New("tokens: token revoked")
	// ErrDenied reports a valid token that does not allow the request.
	ErrDenied = errors.New("tokens: request denied")
	// ErrWiden reports an attenuation that would widen what its parent
	// allows, or that names an unknown operation, a malformed zone or a past
	// expiry. Every WidenError matches it.
	ErrWiden = errors.New("tokens: attenuation widens its parent")
	// ErrUnknownToken reports a revocation id the store does not know for
	// the partner, exactly as for another partner's id.
	ErrUnknownToken = errors.New("tokens: unknown token")
)

// WidenError reports an attenuation refused because of one field. It
// matches ErrWiden with errors.Is.
type WidenError struct {
	// Field is the Restriction (or Principal) field at fault.
	Field string
	// MessageID names the message shown to the user ("token.widen.zone").
	MessageID string
}

// Error returns a description of the refusal.
func (e *WidenError) Error() string {
	return fmt.Sprintf("tokens: attenuation refused on %s (%s)", e.Field, e.MessageID)
}

// Is reports whether target is ErrWiden.
func (e *WidenError) Is(target error) bool {
	return target == ErrWiden
}

// widen returns a *WidenError for field with message id id.
func widen(field, id string) error {
	return &WidenError{Field: field, MessageID: id}
}

// Restriction is what one block restricts. Zero values mean "no restriction
// from this block"; a token allows what every one of its blocks allows.
type Restriction struct {
	// Organisation is the only platform organisation allowed, "" for any.
	Organisation string `json:"organisation,omitempty"`
	// Application is the only application allowed, "" for any.
	Application string `json:"application,omitempty"`
	// Zones, when not nil, are the only zones a request naming a zone may
	// name; requests naming no zone are not restricted by it.
	Zones []string `json:"zones"`
	// Operations, when not nil, are the only operations allowed.
	Operations []string `json:"operations"`
	// ExpiresAt, when not zero, is the last instant (to the second) the
	// token is valid.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Session, when not "", binds the token to one console session id.
	Session string `json:"session,omitempty"`
	// EndWithParent, when attenuating, makes ExpiresAt a wish: a parent
	// that expires sooner sets the expiry instead of refusing the block (a
	// lifetime in days chosen on a page). It is never recorded.
	EndWithParent bool `json:"-"`
}

// Principal is who a block is issued to.
type Principal struct {
	// PartnerID is the partner, always set.
	PartnerID string
	// CustomerID is the customer, "" for a partner-level principal.
	CustomerID string
	// UserID is the user, "" for a principal that is not a person.
	UserID string
}

// Record is the portal's record of one block it minted or attenuated.
type Record struct {
	// RevocationID is the hex of the block's revocation id.
	RevocationID string
	// ParentID is the revocation id of the previous block, "" for an
	// authority block.
	ParentID string
	// PartnerID is the partner the block was issued to.
	PartnerID string
	// CustomerID is the customer the block was issued to, "" if none.
	CustomerID string
	// UserID is the user the block was issued to, "" if none.
	UserID string
	// Label is the holder's name for the token.
	Label string
	// BlockIndex is the block's position in its token, 0 for the authority.
	BlockIndex int
	// Restriction is what the block itself restricts.
	Restriction Restriction
	// CreatedAt is when the block was minted, in UTC.
	CreatedAt time.Time
	// RevokedAt is when the block was revoked, nil while it is not.
	RevokedAt *time.Time
}

// Principal returns who the block was issued to.
func (r Record) Principal() Principal {
	return Principal{PartnerID: r.PartnerID, CustomerID: r.CustomerID, UserID: r.UserID}
}

// Request is what a token is asked to allow. Empty fields are not provided
// to the authorizer.
type Request struct {
	// Tenant is the partner whose host received the request.
	Tenant string
	// Operation is one of the Op constants.
	Operation string
	// Organisation is the platform organisation acted on, if any.
	Organisation string
	// Application is the application acted on, if any.
	Application string
	// Zone is the zone the request names, if any.
	Zone string
	// Session is the console session id the request comes with, if any.
	Session string
	// Time is the request's time; zero means now.
	Time time.Time
}

// Identity is who a token speaks for and what it allows.
type Identity struct {
	// PartnerID is the partner of the newest recorded block.
	PartnerID string
	// CustomerID is the customer of the newest recorded block, "" if none.
	CustomerID string
	// UserID is the user of the newest recorded block, "" if none.
	UserID string
	// Record is the newest block the store knows.
	Record Record
	// Restriction is the effective restriction of the recorded blocks.
	Restriction Restriction
	// RevocationIDs are the hex revocation ids of every block, in order.
	RevocationIDs []string
}

// Inspection describes a token's blocks.
type Inspection struct {
	// Blocks are the token's blocks, authority first.
	Blocks []BlockInfo
	// Valid reports whether the signatures verify with a trusted key.
	Valid bool
}

// Block statuses reported by Inspect.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
	StatusUnknown = "unknown"
	StatusExpired = "expired"
)

// BlockInfo describes one block of an inspected token.
type BlockInfo struct {
	// Index is the block's position, 0 for the authority.
	Index int
	// Datalog is the block's source as biscuit-go prints it.
	Datalog string
	// RevocationID is the hex of the block's revocation id.
	RevocationID string
	// ExpiresAt is the recorded expiry of the block, zero if none or unknown.
	ExpiresAt time.Time
	// Status is StatusActive, StatusRevoked, StatusUnknown (appended
	// offline) or StatusExpired.
	Status string
	// Record is the store's record of the block, nil if unknown.
	Record *Record
}
