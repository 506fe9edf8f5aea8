package tenants

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/grisaille/grisaille/migrations"
	"github.com/jmoiron/sqlx"
)

// ChallengeLabel is the label under a partner's domain whose TXT record
// proves the partner controls it: _grisaille-challenge.console.acme.example.
// It is a label of its own because a CNAME forbids any other record at the
// domain itself.
const ChallengeLabel = "_grisaille-challenge"

// Domain verification timings.
const (
	// DomainGrace is how long a verified domain whose records stopped
	// checking out keeps serving before it falls back to pending.
	DomainGrace = 72 * time.Hour
	// pendingEvery and verifiedEvery are how often pending and verified
	// domains are checked; a pending domain older than a week is checked
	// hourly.
	pendingEvery   = time.Minute
	staleEvery     = time.Hour
	verifiedEvery  = 15 * time.Minute
	pendingFastFor = 7 * 24 * time.Hour
	// removedKept is how long removed domains stay in the partner's list.
	removedKept = 30 * 24 * time.Hour
)

// Message ids of the domain errors and problems.
const (
	MsgDomainInvalid  = "domain.invalid"
	MsgDomainOperator = "domain.operator"
	MsgDomainTaken    = "domain.taken"
	MsgDomainLimit    = "domain.limit"
	MsgAppDomain      = "domain.app_domain"
	// The problems a check finds, shown with what it saw.
	DomainProblemTXTMissing   = "domain.problem.txt_missing"
	DomainProblemTXTWrong     = "domain.problem.txt_wrong"
	DomainProblemCNAMEMissing = "domain.problem.cname_missing"
	DomainProblemCNAMEWrong   = "domain.problem.cname_wrong"
	DomainProblemLookup       = "domain.problem.lookup"
	// Why a domain was removed.
	DomainRemovedByPartner = "domain.removed.partner"
	DomainRemovedMoved     = "domain.removed.moved"
)

// maxDomains bounds the domains a partner may have at once.
const maxDomains = 20

// DomainState is where a partner's domain stands.
type DomainState string

// The states of a domain.
const (
	DomainPending  DomainState = "pending"
	DomainVerified DomainState = "verified"
	DomainFailing  DomainState = "failing"
	DomainRemoved  DomainState = "removed"
)

// Domain is a partner's own domain and the state of its verification.
type Domain struct {
	ID        string
	PartnerID string
	// Name is the domain, normalised ("console.acme.example").
	Name string
	// Token is the value the TXT record must hold.
	Token     string
	CreatedAt time.Time
	// CheckedAt is when the records were last checked; zero before the first check.
	CheckedAt time.Time
	// VerifiedAt is when the domain was verified; zero while pending.
	VerifiedAt time.Time
	// FailingSince is when the records of a verified domain stopped
	// checking out (or a pending one's last failed); zero while they hold.
	FailingSince time.Time
	// Problem is the message id of what the last check found wrong, and
	// Seen what it saw (the CNAME's target, the TXT values).
	Problem, Seen string
	// RemovedAt and RemovedWhy say when and why the domain was removed.
	RemovedAt  time.Time
	RemovedWhy string
}

// State returns the domain's state.
func (d Domain) State() DomainState {
	switch {
	case !d.RemovedAt.IsZero():
		return DomainRemoved
	case d.VerifiedAt.IsZero():
		return DomainPending
	case !d.FailingSince.IsZero():
		return DomainFailing
	}
	return DomainVerified
}

// Serving reports whether the domain serves its partner (verified, or
// failing within its grace period: the grace is enforced by the checks,
// which clear VerifiedAt once it runs out).
func (d Domain) Serving() bool {
	s := d.State()
	return s == DomainVerified || s == DomainFailing
}

// ChallengeName is the name whose TXT record proves the claim.
func (d Domain) ChallengeName() string {
	return ChallengeLabel + "." + d.Name
}

type domainRow struct {
	ID           string       `db:"id"`
	PartnerID    string       `db:"partner_id"`
	Name         string       `db:"domain"`
	Token        string       `db:"token"`
	CreatedAt    time.Time    `db:"created_at"`
	CheckedAt    sql.NullTime `db:"checked_at"`
	VerifiedAt   sql.NullTime `db:"verified_at"`
	FailingSince sql.NullTime `db:"failing_since"`
	Problem      string       `db:"problem"`
	Seen         string       `db:"seen"`
	RemovedAt    sql.NullTime `db:"removed_at"`
	RemovedWhy   string       `db:"removed_why"`
}

const domainColumns = `id, partner_id, domain, token, created_at, checked_at, verified_at, failing_since,
	problem, seen, removed_at, removed_why`

func nullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return utc(t.Time)
}

func (r domainRow) domain() Domain {
	return Domain{ID: r.ID, PartnerID: r.PartnerID, Name: r.Name, Token: r.Token, CreatedAt: utc(r.CreatedAt),
		CheckedAt: nullTime(r.CheckedAt), VerifiedAt: nullTime(r.VerifiedAt), FailingSince: nullTime(r.FailingSince),
		Problem: r.Problem, Seen: r.Seen, RemovedAt: nullTime(r.RemovedAt), RemovedWhy: r.RemovedWhy}
}

// challengeToken returns a new random TXT value.
func challengeToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return "grisaille-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// AddDomain claims a domain for a partner, pending until its records check
// out. A domain already claimed by this partner, one of the operator's
// hostnames or the edge host itself is refused; another partner's claim,
// even verified, is not: the first to prove control keeps it.
func (s *Store) AddDomain(ctx context.Context, partnerID, name, edgeHost string) (Domain, error) {
	n, ok := normalizeHostname(name)
	if !ok || !strings.Contains(n, ".") || strings.HasPrefix(n, "_") {
		return Domain{}, invalid("domain", MsgDomainInvalid)
	}
	if n == NormalizeHost(edgeHost) {
		return Domain{}, invalid("domain", MsgDomainOperator)
	}
	d := Domain{ID: newID("dom"), PartnerID: partnerID, Name: n, Token: challengeToken(), CreatedAt: s.timestamp()}
	err := s.inTx(ctx, "add domain", func(tx *sqlx.Tx) error {
		var taken int
		if err := tx.GetContext(ctx, &taken, tx.Rebind(`SELECT COUNT(*) FROM partner_hostnames WHERE hostname = ?`), n); err != nil {
			return err
		}
		if taken > 0 {
			return invalid("domain", MsgDomainOperator)
		}
		if err := tx.GetContext(ctx, &taken, tx.Rebind(
			`SELECT COUNT(*) FROM partner_domains WHERE partner_id = ? AND removed_at IS NULL`), partnerID); err != nil {
			return err
		}
		if taken >= maxDomains {
			return invalid("domain", MsgDomainLimit)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO partner_domains (id, partner_id, domain, token, created_at)
			VALUES (?, ?, ?, ?, ?)`), d.ID, d.PartnerID, d.Name, d.Token, d.CreatedAt)
		if migrations.IsUniqueViolation(err) {
			return duplicate("domain", MsgDomainTaken)
		}
		return err
	})
	if err != nil {
		return Domain{}, err
	}
	return d, nil
}

// Domains returns a partner's domains, oldest first, with those removed in
// the last 30 days.
func (s *Store) Domains(ctx context.Context, partnerID string) ([]Domain, error) {
	var rows []domainRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+domainColumns+` FROM partner_domains
		WHERE partner_id = ? AND (removed_at IS NULL OR removed_at > ?) ORDER BY created_at, domain`),
		partnerID, s.timestamp().Add(-removedKept)); err != nil {
		return nil, fmt.Errorf("tenants: domains: %w", err)
	}
	out := make([]Domain, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Domain returns one of a partner's domains by id.
func (s *Store) Domain(ctx context.Context, partnerID, id string) (Domain, error) {
	var r domainRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+domainColumns+` FROM partner_domains WHERE partner_id = ? AND id = ?`), partnerID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Domain{}, ErrNotFound
	}
	if err != nil {
		return Domain{}, fmt.Errorf("tenants: domain: %w", err)
	}
	return r.domain(), nil
}

// RemoveDomain removes one of a partner's domains: it stops serving at once
// and, if it was the primary host, the partner has none.
func (s *Store) RemoveDomain(ctx context.Context, partnerID, id string) error {
	err := s.inTx(ctx, "remove domain", func(tx *sqlx.Tx) error {
		var name string
		err := tx.GetContext(ctx, &name, tx.Rebind(`SELECT domain FROM partner_domains WHERE partner_id = ? AND id = ? AND removed_at IS NULL`), partnerID, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE partner_domains SET removed_at = ?, removed_why = ? WHERE id = ?`),
			s.timestamp(), DomainRemovedByPartner, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE partners SET primary_host = '' WHERE id = ? AND primary_host = ?`), partnerID, name)
		return err
	})
	return s.afterTenantChange(ctx, err)
}

// SetPrimaryHost makes host the partner's primary host, to which its other
// hosts redirect: one of its operator hostnames or a verified domain. An
// empty host redirects nothing.
func (s *Store) SetPrimaryHost(ctx context.Context, partnerID, host string) error {
	host = NormalizeHost(host)
	if host != "" {
		p, err := s.partnerWhere(ctx, partnerByHostCond, host, host)
		if errors.Is(err, ErrNotFound) || err == nil && p.ID != partnerID {
			return invalid("primary", MsgDomainInvalid)
		}
		if err != nil {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET primary_host = ? WHERE id = ?`), host, partnerID)
	if err != nil {
		err = fmt.Errorf("tenants: primary host: %w", err)
	}
	return s.afterTenantChange(ctx, err)
}

// SetAppDomain sets the domain a partner's customers' applications are
// named under ("apps.acme.example"; "" for none). It must be one of the
// partner's hosts or verified domains, or under one of them, so that no
// partner names applications under another's domain. Applications made
// before keep their names.
func (s *Store) SetAppDomain(ctx context.Context, partnerID, domain string) error {
	if domain != "" {
		n, ok := normalizeHostname(domain)
		if !ok || !strings.Contains(n, ".") {
			return invalid("app_domain", MsgAppDomain)
		}
		owned := false
		for h := n; strings.Contains(h, ".") && !owned; h = h[strings.Index(h, ".")+1:] {
			p, err := s.partnerWhere(ctx, partnerByHostCond, h, h)
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				return err
			default:
				if p.ID != partnerID {
					return invalid("app_domain", MsgAppDomain)
				}
				owned = true
			}
		}
		if !owned {
			return invalid("app_domain", MsgAppDomain)
		}
		domain = n
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET app_domain = ? WHERE id = ?`), domain, partnerID)
	if err != nil {
		err = fmt.Errorf("tenants: application domain: %w", err)
	}
	return s.afterTenantChange(ctx, err)
}

// partnerByHostCond selects the partner of a host given twice: one of its
// operator hostnames, or a domain of its that serves.
const partnerByHostCond = `p.suspended_at IS NULL AND p.id IN (SELECT h.partner_id FROM partner_hostnames h WHERE h.hostname = ?
	UNION SELECT d.partner_id FROM partner_domains d WHERE d.domain = ? AND d.verified_at IS NOT NULL AND d.removed_at IS NULL)`

// Resolver is what the domain checks ask of DNS; *net.Resolver is one.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupCNAME(ctx context.Context, host string) (string, error)
}

// DomainCheck is the outcome of checking a domain's records.
type DomainCheck struct {
	// OK is whether both records check out.
	OK bool
	// Problem is the message id of the first thing wrong, and Seen what
	// the lookup saw.
	Problem, Seen string
}

// CheckRecords checks a domain's records: the TXT record on its challenge
// label holds token, and the domain is a CNAME to edgeHost.
func CheckRecords(ctx context.Context, r Resolver, name, token, edgeHost string) DomainCheck {
	txts, err := r.LookupTXT(ctx, ChallengeLabel+"."+name)
	if err != nil && !isNotFound(err) {
		return DomainCheck{Problem: DomainProblemLookup, Seen: lookupError(err)}
	}
	if len(txts) == 0 {
		return DomainCheck{Problem: DomainProblemTXTMissing}
	}
	if !slices.Contains(txts, token) {
		return DomainCheck{Problem: DomainProblemTXTWrong, Seen: strings.Join(txts, ", ")}
	}
	cname, err := r.LookupCNAME(ctx, name)
	if err != nil && !isNotFound(err) {
		return DomainCheck{Problem: DomainProblemLookup, Seen: lookupError(err)}
	}
	cname = NormalizeHost(cname)
	edge := NormalizeHost(edgeHost)
	switch {
	case cname == "" || cname == name:
		return DomainCheck{Problem: DomainProblemCNAMEMissing}
	case cname != edge:
		return DomainCheck{Problem: DomainProblemCNAMEWrong, Seen: cname}
	}
	return DomainCheck{OK: true}
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// lookupError shortens a lookup error for the partner: no resolver address.
func lookupError(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsTimeout {
			return "timeout"
		}
		return de.Err
	}
	return err.Error()
}

// DueDomains returns the domains due for a check at now: pending ones every
// minute in their first week and hourly after, verified ones every 15
// minutes, the least recently checked first, at most limit.
func (s *Store) DueDomains(ctx context.Context, now time.Time, limit int) ([]Domain, error) {
	now = now.UTC()
	var rows []domainRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+domainColumns+` FROM partner_domains
		WHERE removed_at IS NULL AND (checked_at IS NULL
			OR (verified_at IS NULL AND created_at > ? AND checked_at <= ?)
			OR (verified_at IS NULL AND checked_at <= ?)
			OR (verified_at IS NOT NULL AND checked_at <= ?))
		ORDER BY checked_at IS NOT NULL, checked_at LIMIT ?`),
		now.Add(-pendingFastFor), now.Add(-pendingEvery), now.Add(-staleEvery), now.Add(-verifiedEvery), limit)
	if err != nil {
		return nil, fmt.Errorf("tenants: due domains: %w", err)
	}
	out := make([]Domain, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// RecordCheck stores the outcome of a check of domain id made at now and
// returns the domain as it then stands. A pending domain whose records
// check out is verified (and moved from any other partner that held it); a
// verified one whose records fail starts failing, and falls back to pending
// once it has failed for DomainGrace.
func (s *Store) RecordCheck(ctx context.Context, id string, c DomainCheck, now time.Time) (Domain, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var d Domain
	changed := false
	err := s.inTx(ctx, "record domain check", func(tx *sqlx.Tx) error {
		var r domainRow
		err := tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+domainColumns+` FROM partner_domains WHERE id = ? AND removed_at IS NULL`), id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		d = r.domain()
		d.CheckedAt = now
		switch {
		case c.OK:
			if d.VerifiedAt.IsZero() {
				// Moving a domain: the other partners' claims end,
				// with their primary host if it was this one.
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE partner_domains SET removed_at = ?, removed_why = ?
					WHERE domain = ? AND id <> ? AND removed_at IS NULL`), now, DomainRemovedMoved, d.Name, d.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE partners SET primary_host = '' WHERE primary_host = ? AND id <> ?`),
					d.Name, d.PartnerID); err != nil {
					return err
				}
				d.VerifiedAt = now
				changed = true
			}
			d.FailingSince, d.Problem, d.Seen = time.Time{}, "", ""
		default:
			if d.FailingSince.IsZero() {
				d.FailingSince = now
			}
			d.Problem, d.Seen = c.Problem, c.Seen
			if !d.VerifiedAt.IsZero() && now.Sub(d.FailingSince) >= DomainGrace {
				d.VerifiedAt = time.Time{}
				changed = true
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE partners SET primary_host = '' WHERE primary_host = ? AND id = ?`),
					d.Name, d.PartnerID); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE partner_domains SET checked_at = ?, verified_at = ?, failing_since = ?,
			problem = ?, seen = ? WHERE id = ?`),
			now, nullable(d.VerifiedAt), nullable(d.FailingSince), d.Problem, truncate(d.Seen, 500), d.ID)
		return err
	})
	if err != nil {
		return Domain{}, err
	}
	if changed {
		s.tenantsChanged(ctx)
	}
	return d, nil
}

func nullable(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t, Valid: !t.IsZero()}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// DomainChecker checks the partners' domains: the records of each due
// domain, with a deadline per lookup.
type DomainChecker struct {
	Store    *Store
	Resolver Resolver
	// EdgeHost is the CNAME target; when empty, a partner's first
	// operator hostname is.
	EdgeHost string
	// Timeout bounds each domain's lookups (default 5 s).
	Timeout time.Duration
}

// EdgeFor returns the CNAME target a partner's domains must point to.
func EdgeFor(edgeHost string, p Partner) string {
	if edgeHost != "" {
		return NormalizeHost(edgeHost)
	}
	if len(p.Hostnames) > 0 {
		return p.Hostnames[0]
	}
	return ""
}

// EdgeFor returns the CNAME target of a partner's domains; a nil checker
// has no edge host of its own.
func (c *DomainChecker) EdgeFor(p Partner) string {
	if c == nil {
		return EdgeFor("", p)
	}
	return EdgeFor(c.EdgeHost, p)
}

// Check checks one domain now and records the outcome.
func (c *DomainChecker) Check(ctx context.Context, d Domain) (Domain, error) {
	p, err := c.Store.Partner(ctx, d.PartnerID)
	if err != nil {
		return Domain{}, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	res := CheckRecords(lctx, c.Resolver, d.Name, d.Token, c.EdgeFor(p))
	cancel()
	return c.Store.RecordCheck(ctx, d.ID, res, c.Store.now())
}

// CheckDue checks every domain due now, returning how many were checked.
func (c *DomainChecker) CheckDue(ctx context.Context) (int, error) {
	due, err := c.Store.DueDomains(ctx, c.Store.now(), 100)
	if err != nil {
		return 0, err
	}
	for i, d := range due {
		if _, err := c.Check(ctx, d); err != nil && !errors.Is(err, ErrNotFound) {
			return i, err
		}
	}
	return len(due), nil
}

// Run checks the due domains every interval until ctx ends, logging
// failures through logf.
func (c *DomainChecker) Run(ctx context.Context, every time.Duration, logf func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := c.CheckDue(ctx); err != nil && ctx.Err() == nil {
			logf(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
