// Package audit owns the portal's audit log: an append-only record, per
// partner, of security-relevant events — sign-ins (and failed ones), token
// mints, attenuations and revocations, and every write a console or API user
// makes to applications, add-ons, environment variables, customers, the
// brand and the zones.
//
// Events are inserted and read, never updated or deleted one by one; they go
// with their partner. An event's detail is a short note for a person and
// must never hold a secret (a token, a password, an environment value).
package audit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Kinds of actor.
const (
	// ActorUser is a person signed in to a console.
	ActorUser = "user"
	// ActorToken is an API client holding a token.
	ActorToken = "token"
	// ActorOperator is the portal's operator, through the command line.
	ActorOperator = "operator"
	// ActorSystem is the portal itself (seeding, sweeps).
	ActorSystem = "system"
)

// Outcomes of an action.
const (
	// OutcomeOK is an action that was done.
	OutcomeOK = "ok"
	// OutcomeDenied is an action the authorizer or a policy refused.
	OutcomeDenied = "denied"
	// OutcomeError is an action that was allowed but failed.
	OutcomeError = "error"
)

// Actions the portal records. Others may be added: an action is any dotted,
// lower-case name such as "resource.verb".
const (
	ActionSignIn          = "auth.sign_in"
	ActionSignInFailed    = "auth.sign_in_failed"
	ActionSignInLocked    = "auth.locked"
	ActionResetAsked      = "auth.password_reset_asked"
	ActionPasswordReset   = "auth.password_reset"
	ActionPasswordChange  = "auth.password_change"
	ActionSessionsEnd     = "auth.sessions_end"
	ActionTwoFactorOn     = "auth.two_factor_on"
	ActionTwoFactorOff    = "auth.two_factor_off"
	ActionTwoFactorFailed = "auth.two_factor_failed"
	ActionRecoveryCodes   = "auth.recovery_codes"
	ActionSSOUserCreated  = "auth.sso_user_created"
	ActionSecurityUpdate  = "security.update"
	ActionMemberRole      = "member.role"
	ActionMemberRemove    = "member.remove"
	ActionInvite          = "member.invite"
	ActionInviteResend    = "member.invite_resend"
	ActionInviteRevoke    = "member.invite_revoke"
	ActionInviteAccept    = "member.invite_accept"
	ActionTokenMint       = "token.mint"
	ActionTokenAttenuate  = "token.attenuate"
	ActionTokenRevoke     = "token.revoke"
	ActionAppCreate       = "app.create"
	ActionAppDelete       = "app.delete"
	ActionAppStart        = "app.start"
	ActionAppStop         = "app.stop"
	ActionAppRestart      = "app.restart"
	ActionEnvSet          = "env.set"
	ActionEnvDelete       = "env.delete"
	ActionAddonCreate     = "addon.create"
	ActionAddonDelete     = "addon.delete"
	ActionCustomerCreate  = "customer.create"
	ActionBrandUpdate     = "brand.update"
	ActionZonesUpdate     = "zones.update"
)

// Limits.
const (
	// MaxDetail is the longest detail kept, in characters; Record cuts
	// longer ones.
	MaxDetail = 500
	// MaxEvents is the most events one call to Events returns.
	MaxEvents = 500
)

// ErrInvalidEvent is wrapped by Record's errors for an event it refuses.
var ErrInvalidEvent = errors.New("audit: invalid event")

// actionPattern is the shape of an action: dotted lower-case words.
var actionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// Event is one entry of the audit log.
type Event struct {
	// ID identifies the event; Record sets it.
	ID string
	// PartnerID is the partner whose log holds the event.
	PartnerID string
	// ActorKind is one of ActorUser, ActorToken, ActorOperator, ActorSystem.
	ActorKind string
	// ActorID is the user's or token's id ("" when unknown, as for a failed
	// sign-in).
	ActorID string
	// ActorLabel is the actor's e-mail address or token label, kept as it
	// was at the time.
	ActorLabel string
	// Action is what was done, such as ActionAppCreate.
	Action string
	// Target is the id of the resource acted on.
	Target string
	// Outcome is one of OutcomeOK, OutcomeDenied, OutcomeError.
	Outcome string
	// Detail is a short note for a person, never a secret; Record cuts it
	// to MaxDetail characters.
	Detail string
	// RequestID is the id of the HTTP request that did it.
	RequestID string
	// RevocationIDs are the hex revocation ids of the token blocks the
	// request carried, oldest first.
	RevocationIDs []string
	// At is when it happened; Record uses the current time when it is zero.
	At time.Time
}

// Log is the audit log, stored in the portal's database.
type Log struct {
	db  *sqlx.DB
	now func() time.Time
}

// NewLog returns the audit log stored in db, whose schema is migrated.
func NewLog(db *sqlx.DB) *Log {
	return &Log{db: db, now: time.Now}
}

// eventRow is an audit_events row.
type eventRow struct {
	ID            string    `db:"id"`
	PartnerID     string    `db:"partner_id"`
	At            time.Time `db:"at"`
	ActorKind     string    `db:"actor_kind"`
	ActorID       string    `db:"actor_id"`
	ActorLabel    string    `db:"actor_label"`
	Action        string    `db:"action"`
	Target        string    `db:"target"`
	RevocationIDs string    `db:"revocation_ids"`
	Outcome       string    `db:"outcome"`
	Detail        string    `db:"detail"`
	RequestID     string    `db:"request_id"`
}

const eventColumns = `id, partner_id, at, actor_kind, actor_id, actor_label, action, target, revocation_ids, outcome, detail, request_id`

// event is the row as an Event.
func (r eventRow) event() Event {
	var revs []string
	if r.RevocationIDs != "" {
		revs = strings.Fields(r.RevocationIDs)
	}
	return Event{
		ID: r.ID, PartnerID: r.PartnerID, ActorKind: r.ActorKind, ActorID: r.ActorID, ActorLabel: r.ActorLabel,
		Action: r.Action, Target: r.Target, Outcome: r.Outcome, Detail: r.Detail, RequestID: r.RequestID,
		RevocationIDs: revs, At: r.At.UTC(),
	}
}

// validate checks the fields of e that Record requires.
func validate(e Event) error {
	switch {
	case e.PartnerID == "":
		return fmt.Errorf("%w: no partner", ErrInvalidEvent)
	case e.ActorKind != ActorUser && e.ActorKind != ActorToken && e.ActorKind != ActorOperator && e.ActorKind != ActorSystem:
		return fmt.Errorf("%w: actor kind %q (want user, token, operator or system)", ErrInvalidEvent, e.ActorKind)
	case e.Outcome != OutcomeOK && e.Outcome != OutcomeDenied && e.Outcome != OutcomeError:
		return fmt.Errorf("%w: outcome %q (want ok, denied or error)", ErrInvalidEvent, e.Outcome)
	case !actionPattern.MatchString(e.Action) || len(e.Action) > 64:
		return fmt.Errorf("%w: action %q (want a dotted lower-case name such as app.create)", ErrInvalidEvent, e.Action)
	}
	for _, id := range e.RevocationIDs {
		if !isHex(id) {
			return fmt.Errorf("%w: revocation id %q is not hexadecimal", ErrInvalidEvent, id)
		}
	}
	return nil
}

// isHex reports whether s is a non-empty string of hexadecimal digits.
func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// truncate cuts s to at most n characters, on a character boundary; invalid
// UTF-8 is replaced first.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// Record appends e to its partner's log. It fails, wrapping
// ErrInvalidEvent, when the partner, the actor kind, the outcome or the
// action is missing or unknown, or a revocation id is not hexadecimal. It
// cuts the detail to MaxDetail characters and stamps the event with the
// current time when e.At is zero.
func (l *Log) Record(ctx context.Context, e Event) error {
	if err := validate(e); err != nil {
		return err
	}
	at := e.At
	if at.IsZero() {
		at = l.now()
	}
	id, err := uuid.NewV7() // time-ordered, so that ties on at keep their order
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	row := eventRow{
		ID: "aud_" + id.String(), PartnerID: e.PartnerID,
		// UTC at the microsecond precision PostgreSQL keeps, so that a value
		// read back equals the one written and compares as it should.
		At:        at.UTC().Truncate(time.Microsecond),
		ActorKind: e.ActorKind, ActorID: e.ActorID, ActorLabel: truncate(e.ActorLabel, MaxDetail),
		Action: e.Action, Target: e.Target, RevocationIDs: strings.Join(e.RevocationIDs, " "),
		Outcome: e.Outcome, Detail: truncate(e.Detail, MaxDetail), RequestID: e.RequestID,
	}
	query := `INSERT INTO audit_events (` + eventColumns + `) VALUES (:id, :partner_id, :at, :actor_kind, :actor_id, :actor_label, :action, :target, :revocation_ids, :outcome, :detail, :request_id)`
	if _, err := l.db.NamedExecContext(ctx, query, row); err != nil {
		return fmt.Errorf("audit: record %s for partner %s: %w", e.Action, e.PartnerID, err)
	}
	return nil
}

// Events returns partnerID's events that happened before before (all of them
// when it is zero), newest first, at most limit of them; a limit that is not
// positive, or above MaxEvents, means MaxEvents. To read the next page, call
// it again with the At of the last event returned.
func (l *Log) Events(ctx context.Context, partnerID string, limit int, before time.Time) ([]Event, error) {
	if limit <= 0 || limit > MaxEvents {
		limit = MaxEvents
	}
	query := `SELECT ` + eventColumns + ` FROM audit_events WHERE partner_id = ?`
	args := []any{partnerID}
	if !before.IsZero() {
		query += ` AND at < ?`
		args = append(args, before.UTC().Truncate(time.Microsecond))
	}
	query += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	var rows []eventRow
	if err := l.db.SelectContext(ctx, &rows, l.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("audit: events of partner %s: %w", partnerID, err)
	}
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.event())
	}
	return out, nil
}
