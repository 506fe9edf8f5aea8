package certs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrNotOurs refuses a certificate for a name no partner is served on.
var ErrNotOurs = errors.New("certs: not a host this portal serves")

// ErrRateLimited refuses a certificate while too many were asked for.
var ErrRateLimited = errors.New("certs: too many certificates asked for; try again later")

// Owner returns who a host serves (a partner's id) or an error: a local,
// cached lookup, never a call out (tenants.Store.PartnerByHost is one).
type Owner func(ctx context.Context, host string) (string, error)

// Limits bound how many certificates are obtained on demand.
type Limits struct {
	// PerOwner is how many certificates one partner may have obtained per
	// hour, Burst of them at once.
	PerOwner, OwnerBurst int
	// Global is how many every partner together may, GlobalBurst at once.
	Global, GlobalBurst int
}

// DefaultLimits allow a partner 10 certificates an hour (5 at once) and the
// portal 100 (20 at once).
var DefaultLimits = Limits{PerOwner: 10, OwnerBurst: 5, Global: 100, GlobalBurst: 20}

// Decider decides whether a certificate may be obtained for a name during a
// TLS handshake: only for a host a partner is served on, within the
// partner's and the portal's rates. Anything else is refused at once,
// before any ACME order.
type Decider struct {
	owner  Owner
	limits Limits
	global *rate.Limiter

	mu     sync.Mutex
	owners map[string]*rate.Limiter
}

// NewDecider returns a Decider asking owner.
func NewDecider(owner Owner, limits Limits) *Decider {
	return &Decider{owner: owner, limits: limits, owners: map[string]*rate.Limiter{},
		global: rate.NewLimiter(perHour(limits.Global), limits.GlobalBurst)}
}

func perHour(n int) rate.Limit {
	return rate.Every(time.Hour / time.Duration(max(n, 1)))
}

// Decide is certmagic's OnDemandConfig.DecisionFunc.
func (d *Decider) Decide(ctx context.Context, name string) error {
	owner, err := d.owner(ctx, name)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrNotOurs, name)
	}
	d.mu.Lock()
	l, ok := d.owners[owner]
	if !ok {
		l = rate.NewLimiter(perHour(d.limits.PerOwner), d.limits.OwnerBurst)
		d.owners[owner] = l
	}
	d.mu.Unlock()
	// The partner's allowance first: a partner over its own rate does not
	// spend the portal's.
	if !l.Allow() {
		return fmt.Errorf("%w (%s)", ErrRateLimited, name)
	}
	if !d.global.Allow() {
		return fmt.Errorf("%w (%s)", ErrRateLimited, name)
	}
	return nil
}
