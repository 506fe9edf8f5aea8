package tenants

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Two-factor sign-in: a time-based one-time password (RFC 6238: six
// digits, a 30-second step, SHA-1, what every authenticator app reads) and
// single-use recovery codes.
const (
	// totpPeriod is the TOTP time step, in seconds.
	totpPeriod = 30
	// totpSkew is how many steps before and after now a code is accepted
	// for (a phone's clock a little off).
	totpSkew = 1
	// RecoveryCodeCount is how many recovery codes a user is given.
	RecoveryCodeCount = 10
	// ChallengeTTL is how long a sign-in waits for its second step.
	ChallengeTTL = 10 * time.Minute
	// challengeTries is how many wrong codes one challenge takes before it
	// ends and the password must be typed again.
	challengeTries = 5
)

// Message ids of the two-factor refusals.
const (
	MsgCodeInvalid         = "twofactor.code_invalid"
	MsgTwoFactorRequired   = "twofactor.required_cannot_disable"
	MsgTwoFactorNotEnabled = "twofactor.not_enabled"
)

// ErrChallengeGone reports a second sign-in step whose challenge is
// unknown, expired, used or ended by too many wrong codes: the user signs
// in again from the password.
var ErrChallengeGone = errors.New("tenants: sign-in challenge gone")

// TwoFactorPolicy is whom a partner requires two-factor sign-in of.
type TwoFactorPolicy struct {
	// Admins requires it of the partner's own staff.
	Admins bool `db:"require_2fa_admins"`
	// Customers requires it of its customers' users.
	Customers bool `db:"require_2fa_customers"`
}

// Requires reports whether the policy requires two-factor sign-in of u.
func (p TwoFactorPolicy) Requires(u User) bool {
	if u.CustomerID != "" {
		return p.Customers
	}
	return p.Admins
}

// TwoFactorPolicyOf returns the partner's two-factor requirement.
func (s *Store) TwoFactorPolicyOf(ctx context.Context, partnerID string) (TwoFactorPolicy, error) {
	var p TwoFactorPolicy
	err := s.db.GetContext(ctx, &p, s.db.Rebind(`SELECT require_2fa_admins, require_2fa_customers FROM partners WHERE id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("tenants: two-factor policy: %w", err)
	}
	return p, nil
}

// SetTwoFactorPolicy sets the partner's two-factor requirement; users it
// newly covers enrol at their next sign-in.
func (s *Store) SetTwoFactorPolicy(ctx context.Context, partnerID string, p TwoFactorPolicy) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET require_2fa_admins = ?, require_2fa_customers = ? WHERE id = ?`),
		p.Admins, p.Customers, partnerID)
	return affectedOne(res, err, "set two-factor policy")
}

// TwoFactorState is a user's two-factor sign-in as their account page
// shows it.
type TwoFactorState struct {
	Enabled   bool
	EnabledAt time.Time
	// CodesLeft is how many recovery codes are still unused.
	CodesLeft int
}

// TwoFactor returns the user's two-factor state.
func (s *Store) TwoFactor(ctx context.Context, partnerID, userID string) (TwoFactorState, error) {
	var st TwoFactorState
	var at sql.NullTime
	err := s.db.GetContext(ctx, &at, s.db.Rebind(`SELECT enabled_at FROM user_totp WHERE partner_id = ? AND user_id = ?`), partnerID, userID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("tenants: two-factor state: %w", err)
	}
	if !at.Valid {
		return st, nil
	}
	st.Enabled, st.EnabledAt = true, utc(at.Time)
	if err := s.db.GetContext(ctx, &st.CodesLeft, s.db.Rebind(`SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`),
		userID); err != nil {
		return st, fmt.Errorf("tenants: two-factor state: %w", err)
	}
	return st, nil
}

// totpRow is a user's TOTP secret as stored.
type totpRow struct {
	Secret    string       `db:"secret"`
	EnabledAt sql.NullTime `db:"enabled_at"`
	LastStep  int64        `db:"last_step"`
}

func (s *Store) totpOf(ctx context.Context, q queryer, partnerID, userID string) (totpRow, string, error) {
	var row totpRow
	err := sqlx.GetContext(ctx, q, &row, q.Rebind(
		`SELECT secret, enabled_at, last_step FROM user_totp WHERE partner_id = ? AND user_id = ?`), partnerID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return row, "", ErrNotFound
	}
	if err != nil {
		return row, "", fmt.Errorf("tenants: two-factor secret: %w", err)
	}
	secret, err := s.sealer.open(row.Secret, totpBinding(userID))
	if err != nil {
		return row, "", fmt.Errorf("tenants: two-factor secret of %s: %w", userID, err)
	}
	return row, string(secret), nil
}

// totpBinding binds a sealed secret to its user: copied to another
// user's row it does not open.
func totpBinding(userID string) []byte { return []byte("totp:" + userID) }

// PendingTOTP returns the secret the user is enrolling with, as a key an
// authenticator app reads (its otpauth:// URL, for a QR code), named for
// issuer (the partner's brand) and the user's e-mail address: the one
// already pending, else a new one. A user whose two-factor is enabled
// gets a ValidationError: they turn it off first.
func (s *Store) PendingTOTP(ctx context.Context, issuer string, u User) (*otp.Key, error) {
	row, secret, err := s.totpOf(ctx, s.db, u.PartnerID, u.ID)
	switch {
	case err == nil && row.EnabledAt.Valid:
		return nil, invalid("code", "twofactor.already_enabled")
	case err == nil:
		return totpKey(issuer, u.Email, secret)
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: totpPeriod, SecretSize: 20})
	if err != nil {
		return nil, fmt.Errorf("tenants: new two-factor secret: %w", err)
	}
	sealed, err := s.sealer.seal([]byte(key.Secret()), totpBinding(u.ID))
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO user_totp (user_id, partner_id, secret, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO NOTHING`), u.ID, u.PartnerID, sealed, s.timestamp()); err != nil {
		return nil, fmt.Errorf("tenants: new two-factor secret: %w", err)
	}
	// Another request may have written first: everyone shows the one kept.
	_, secret, err = s.totpOf(ctx, s.db, u.PartnerID, u.ID)
	if err != nil {
		return nil, err
	}
	return totpKey(issuer, u.Email, secret)
}

// totpKey is the otpauth:// key of a secret, as totp.Generate writes it.
func totpKey(issuer, account, secret string) (*otp.Key, error) {
	issuer = strings.ReplaceAll(issuer, ":", " ")
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: v.Encode()}
	return otp.NewKeyFromURL(u.String())
}

// EnableTOTP confirms the user's pending secret with a first code from
// their app, enables two-factor sign-in and returns their new recovery
// codes (shown once). A wrong code is a ValidationError on "code".
func (s *Store) EnableTOTP(ctx context.Context, partnerID, userID, code string) ([]string, error) {
	var codes []string
	err := s.inTx(ctx, "enable two-factor", func(tx *sqlx.Tx) error {
		var err error
		codes, err = s.enableTOTPTx(ctx, tx, partnerID, userID, code)
		return err
	})
	return codes, err
}

func (s *Store) enableTOTPTx(ctx context.Context, tx *sqlx.Tx, partnerID, userID, code string) ([]string, error) {
	var codes []string
	err := func() error {
		row, secret, err := s.totpOf(ctx, tx, partnerID, userID)
		if errors.Is(err, ErrNotFound) {
			return invalid("code", MsgCodeInvalid)
		}
		if err != nil {
			return err
		}
		if row.EnabledAt.Valid {
			return invalid("code", "twofactor.already_enabled")
		}
		step, ok := s.matchTOTP(secret, code, row.LastStep)
		if !ok {
			return invalid("code", MsgCodeInvalid)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE user_totp SET enabled_at = ?, last_step = ? WHERE user_id = ? AND enabled_at IS NULL`),
			s.timestamp(), step, userID)
		if err := affectedOne(res, err, "enable two-factor"); err != nil {
			return invalid("code", "twofactor.already_enabled")
		}
		codes, err = newRecoveryCodesTx(ctx, tx, userID)
		return err
	}()
	return codes, err
}

// DisableTOTP turns the user's two-factor sign-in off once a current code
// (or a recovery code) proves they hold it, unless their partner requires
// it of them.
func (s *Store) DisableTOTP(ctx context.Context, u User, code string) error {
	policy, err := s.TwoFactorPolicyOf(ctx, u.PartnerID)
	if err != nil {
		return err
	}
	if policy.Requires(u) {
		return invalid("code", MsgTwoFactorRequired)
	}
	return s.inTx(ctx, "disable two-factor", func(tx *sqlx.Tx) error {
		if err := s.checkSecondFactor(ctx, tx, u.PartnerID, u.ID, code); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM recovery_codes WHERE user_id = ?`), u.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM user_totp WHERE user_id = ?`), u.ID)
		return err
	})
}

// NewRecoveryCodes replaces the user's recovery codes once a current code
// proves they hold their second factor, and returns the new ones.
func (s *Store) NewRecoveryCodes(ctx context.Context, partnerID, userID, code string) ([]string, error) {
	var codes []string
	err := s.inTx(ctx, "new recovery codes", func(tx *sqlx.Tx) error {
		if err := s.checkSecondFactor(ctx, tx, partnerID, userID, code); err != nil {
			return err
		}
		var err error
		codes, err = newRecoveryCodesTx(ctx, tx, userID)
		return err
	})
	return codes, err
}

// newRecoveryCodesTx replaces the user's recovery codes with new ones.
func newRecoveryCodesTx(ctx context.Context, tx *sqlx.Tx, userID string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM recovery_codes WHERE user_id = ?`), userID); err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		raw := make([]byte, 8)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		c := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))[:10]
		codes[i] = c[:5] + "-" + c[5:]
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`),
			userID, tokenHash(normalizeCode(codes[i]))); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// normalizeCode is a code as typed, without spaces, dashes and case.
func normalizeCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

// matchTOTP returns the time step a six-digit code was made for, when it
// is within the skew of now and later than the last one accepted.
func (s *Store) matchTOTP(secret, code string, last int64) (int64, bool) {
	code = normalizeCode(code)
	if len(code) != 6 {
		return 0, false
	}
	now := s.now().Unix() / totpPeriod
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0),
			totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// checkSecondFactor accepts a code of the user's enabled TOTP secret (each
// time step once) or one of their unused recovery codes (which it uses
// up), inside tx; anything else is a ValidationError on "code".
func (s *Store) checkSecondFactor(ctx context.Context, tx *sqlx.Tx, partnerID, userID, code string) error {
	row, secret, err := s.totpOf(ctx, tx, partnerID, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && !row.EnabledAt.Valid) {
		return invalid("code", MsgTwoFactorNotEnabled)
	}
	if err != nil {
		return err
	}
	if step, ok := s.matchTOTP(secret, code, row.LastStep); ok {
		// The step only moves forward: two requests racing with one code
		// cannot both pass.
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?`), step, userID, step)
		if affectedOne(res, err, "use code") == nil {
			return nil
		}
		return invalid("code", MsgCodeInvalid)
	}
	if n := normalizeCode(code); len(n) == 10 {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`),
			s.timestamp(), userID, tokenHash(n))
		if affectedOne(res, err, "use recovery code") == nil {
			return nil
		}
	}
	return invalid("code", MsgCodeInvalid)
}

// Challenge is a sign-in waiting for its second step.
type Challenge struct {
	User User
	// Next is the local page the sign-in returns to.
	Next string
	// Enrol reports that the user has no second factor yet and that their
	// partner requires one: they enrol before their session opens.
	Enrol bool
}

// StartChallenge records that u typed the right password and now owes a
// second step, and returns the token the challenge's cookie carries.
func (s *Store) StartChallenge(ctx context.Context, u User, next string) (string, error) {
	token, err := newLinkToken()
	if err != nil {
		return "", err
	}
	now := s.timestamp()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sign_in_challenges WHERE expires_at < ?`), now); err != nil {
		return "", fmt.Errorf("tenants: start challenge: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO sign_in_challenges (id, partner_id, user_id, next_path, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), tokenHash(token), u.PartnerID, u.ID, next, now, now.Add(ChallengeTTL)); err != nil {
		return "", fmt.Errorf("tenants: start challenge: %w", err)
	}
	return token, nil
}

// ChallengeOf returns the partner's live challenge of token, or
// ErrChallengeGone.
func (s *Store) ChallengeOf(ctx context.Context, partnerID, token string) (Challenge, error) {
	return s.challengeOf(ctx, s.db, partnerID, token)
}

func (s *Store) challengeOf(ctx context.Context, q queryer, partnerID, token string) (Challenge, error) {
	var row struct {
		UserID    string    `db:"user_id"`
		Next      string    `db:"next_path"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := sqlx.GetContext(ctx, q, &row, q.Rebind(
		`SELECT user_id, next_path, expires_at FROM sign_in_challenges WHERE id = ? AND partner_id = ?`), tokenHash(token), partnerID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !row.ExpiresAt.After(s.timestamp())) {
		return Challenge{}, ErrChallengeGone
	}
	if err != nil {
		return Challenge{}, fmt.Errorf("tenants: challenge: %w", err)
	}
	u, err := s.User(ctx, partnerID, row.UserID)
	if errors.Is(err, ErrNotFound) {
		return Challenge{}, ErrChallengeGone
	}
	if err != nil {
		return Challenge{}, err
	}
	st, err := s.TwoFactor(ctx, partnerID, u.ID)
	if err != nil {
		return Challenge{}, err
	}
	return Challenge{User: u, Next: row.Next, Enrol: !st.Enabled}, nil
}

// PassChallenge checks the second step of a sign-in: a code of the user's
// app or one of their recovery codes. It is behind its own throttle, per
// user and per client address, that a right password does not reset;
// a wrong code is a ValidationError on "code", and the challenge ends after
// a few (ErrChallengeGone then). The challenge is used up by a success.
func (s *Store) PassChallenge(ctx context.Context, partnerID, token, code, addr string) (Challenge, error) {
	return s.passChallenge(ctx, partnerID, token, addr, func(tx *sqlx.Tx, ch Challenge) error {
		if ch.Enrol {
			return ErrChallengeGone
		}
		return s.checkSecondFactor(ctx, tx, partnerID, ch.User.ID, code)
	})
}

// EnrolChallenge completes a sign-in that the partner's requirement held
// for enrolment: a first code confirms the user's pending secret, and the
// user's new recovery codes are returned with the challenge.
func (s *Store) EnrolChallenge(ctx context.Context, partnerID, token, code, addr string) (Challenge, []string, error) {
	var codes []string
	ch, err := s.passChallenge(ctx, partnerID, token, addr, func(tx *sqlx.Tx, ch Challenge) error {
		if !ch.Enrol {
			return ErrChallengeGone
		}
		var err error
		codes, err = s.enableTOTPTx(ctx, tx, partnerID, ch.User.ID, code)
		return err
	})
	return ch, codes, err
}

// passChallenge runs check on the live challenge of token behind the
// second-step throttle, counting its failures, and ends the challenge on
// success.
func (s *Store) passChallenge(ctx context.Context, partnerID, token, addr string, check func(*sqlx.Tx, Challenge) error) (Challenge, error) {
	ch, err := s.ChallengeOf(ctx, partnerID, token)
	if err != nil {
		return ch, err
	}
	keys := throttleKeys(partnerID, "", addr)
	keys[ThrottleAccount] = "second-factor:" + ch.User.ID
	now := s.timestamp()
	if locked, err := s.signInLock(ctx, keys, now); err != nil || locked != nil {
		if err == nil {
			err = locked
		}
		return ch, err
	}
	err = s.inTx(ctx, "second sign-in step", func(tx *sqlx.Tx) error {
		if err := check(tx, ch); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sign_in_challenges WHERE id = ?`), tokenHash(token))
		if affectedOne(res, err, "end challenge") != nil {
			return ErrChallengeGone // used by another request meanwhile
		}
		return nil
	})
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.MessageID != MsgCodeInvalid {
		if err == nil {
			_, err = s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sign_in_throttle WHERE throttle_key = ?`), keys[ThrottleAccount])
		}
		return ch, err
	}
	locked, ferr := s.signInFailed(ctx, keys, now)
	if ferr != nil {
		return ch, ferr
	}
	var failures int
	if err := s.db.GetContext(ctx, &failures, s.db.Rebind(`UPDATE sign_in_challenges SET failures = failures + 1 WHERE id = ?
		RETURNING failures`), tokenHash(token)); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ch, fmt.Errorf("tenants: challenge failure: %w", err)
	}
	if failures >= challengeTries {
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sign_in_challenges WHERE id = ?`), tokenHash(token)); err != nil {
			return ch, fmt.Errorf("tenants: end challenge: %w", err)
		}
		return ch, ErrChallengeGone
	}
	if locked != nil {
		return ch, locked
	}
	return ch, verr
}

// EndChallenge drops a challenge (the user went back to the password).
func (s *Store) EndChallenge(ctx context.Context, partnerID, token string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sign_in_challenges WHERE id = ? AND partner_id = ?`), tokenHash(token), partnerID)
	return err
}
