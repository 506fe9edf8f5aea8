package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ThrottlePolicy is how failed sign-ins slow down the next ones. A key
// (an account, or a client address) may fail Free times; each further
// failure locks it for Base, doubled at each one, up to Max. A key whose
// last failure is older than Forget starts again from none.
type ThrottlePolicy struct {
	AccountFree, AddressFree int
	Base, Max, Forget        time.Duration
}

// DefaultThrottle allows five failures per account and thirty per client
// address (a shared office, a spraying attacker), then locks for 30
// seconds, a minute, two… up to 15 minutes.
var DefaultThrottle = ThrottlePolicy{AccountFree: 5, AddressFree: 30, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: 24 * time.Hour}

// The kinds of throttle keys.
const (
	ThrottleAccount = "account"
	ThrottleAddress = "address"
)

// LockedError is a sign-in refused, or a failure that locked its key: the
// account (or the client address) may try again at Until.
type LockedError struct {
	// Kind is ThrottleAccount or ThrottleAddress.
	Kind  string
	Until time.Time
	// Wait is how long from now Until is.
	Wait time.Duration
	// Started reports that this very failure locked the key (a lockout to
	// record); false for an attempt refused while it was locked.
	Started bool
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("tenants: sign-in locked (%s) until %s", e.Kind, e.Until.Format(time.RFC3339))
}

// SetClock replaces the store's clock (tests move it).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// SetThrottle replaces the sign-in throttle's policy (tests shorten it).
func (s *Store) SetThrottle(p ThrottlePolicy) { s.throttle = p }

// throttleKeys are the keys of a sign-in: the partner's account of that
// e-mail address, known or not (the same answer either way), and the
// client's address (an IPv6 address by its /64, which one client holds).
func throttleKeys(partnerID, email, addr string) map[string]string {
	keys := map[string]string{ThrottleAccount: "account:" + partnerID + ":" + strings.ToLower(strings.TrimSpace(email))}
	if ip, err := netip.ParseAddr(addr); err == nil {
		ip = ip.Unmap()
		if ip.Is6() {
			p, _ := ip.Prefix(64)
			keys[ThrottleAddress] = "address:" + p.String()
		} else {
			keys[ThrottleAddress] = "address:" + ip.String()
		}
	}
	return keys
}

// SignIn checks a sign-in as Authenticate does, behind the throttle: while
// the account or the client address addr is locked it answers a
// *LockedError without checking the password; a failure is counted on
// both, and answers a *LockedError with Started when it locked one; a
// success forgets the account's failures.
func (s *Store) SignIn(ctx context.Context, partnerID, email, password, addr string) (User, error) {
	keys := throttleKeys(partnerID, email, addr)
	now := s.timestamp()
	if locked, err := s.signInLock(ctx, keys, now); err != nil || locked != nil {
		if err == nil {
			err = locked
		}
		return User{}, err
	}
	u, err := s.Authenticate(ctx, partnerID, email, password)
	if errors.Is(err, ErrInvalidCredentials) {
		locked, ferr := s.signInFailed(ctx, keys, now)
		if ferr != nil {
			return User{}, ferr
		}
		if locked != nil {
			return User{}, locked
		}
		return User{}, err
	}
	if err != nil {
		return User{}, err
	}
	if u.CustomerID != "" {
		c, err := s.Customer(ctx, partnerID, u.CustomerID)
		if err != nil {
			return User{}, err
		}
		if c.Suspended {
			return User{}, ErrCustomerSuspended
		}
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sign_in_throttle WHERE throttle_key = ?`), keys[ThrottleAccount]); err != nil {
		return User{}, fmt.Errorf("tenants: sign in: %w", err)
	}
	return u, nil
}

// signInLock returns the lock in force on any of keys at now, the one
// ending last, or nil.
func (s *Store) signInLock(ctx context.Context, keys map[string]string, now time.Time) (*LockedError, error) {
	var out *LockedError
	for kind, key := range keys {
		var until sql.NullTime
		err := s.db.GetContext(ctx, &until, s.db.Rebind(`SELECT locked_until FROM sign_in_throttle WHERE throttle_key = ?`), key)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tenants: sign-in throttle: %w", err)
		}
		if until.Valid && until.Time.After(now) && (out == nil || until.Time.After(out.Until)) {
			out = &LockedError{Kind: kind, Until: utc(until.Time), Wait: until.Time.Sub(now)}
		}
	}
	return out, nil
}

// signInFailed counts one failure on each key, in one transaction, and
// locks the keys past their free failures; it returns the lock it started
// that ends last, or nil.
func (s *Store) signInFailed(ctx context.Context, keys map[string]string, now time.Time) (*LockedError, error) {
	var out *LockedError
	err := s.inTx(ctx, "sign-in failure", func(tx *sqlx.Tx) error {
		for _, kind := range []string{ThrottleAccount, ThrottleAddress} {
			key, ok := keys[kind]
			if !ok {
				continue
			}
			var failures int
			if err := tx.GetContext(ctx, &failures, tx.Rebind(`INSERT INTO sign_in_throttle (throttle_key, failures, last_failure_at)
				VALUES (?, 1, ?) ON CONFLICT (throttle_key) DO UPDATE SET
				failures = CASE WHEN sign_in_throttle.last_failure_at < ? THEN 1 ELSE sign_in_throttle.failures + 1 END,
				last_failure_at = excluded.last_failure_at RETURNING failures`), key, now, now.Add(-s.throttle.Forget)); err != nil {
				return err
			}
			free := s.throttle.AccountFree
			if kind == ThrottleAddress {
				free = s.throttle.AddressFree
			}
			if failures < free {
				continue
			}
			until := now.Add(s.throttle.lock(failures - free))
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE sign_in_throttle SET locked_until = ? WHERE throttle_key = ?`), until, key); err != nil {
				return err
			}
			if out == nil || until.After(out.Until) {
				out = &LockedError{Kind: kind, Until: until, Wait: until.Sub(now), Started: true}
			}
		}
		return nil
	})
	return out, err
}

// lock is the lock after the n-th failure past the free ones (0 the first).
func (p ThrottlePolicy) lock(n int) time.Duration {
	d := p.Base
	for i := 0; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}
