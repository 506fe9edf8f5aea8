package invoicing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// DefaultLease is how long a run's lease lasts without a heartbeat: a run
// whose process died blocks its partner's period that long at most, unless
// the operator resumes it at once (Release).
const DefaultLease = time.Minute

// Lease is the right of one run to invoice a partner's period.
type Lease struct {
	PartnerID, Period, RunID string
	// Holder is the process that runs it: host name and process id.
	Holder string
	// TakenAt is when the run took it; Until when it lapses without a
	// heartbeat.
	TakenAt, Until time.Time
}

// LeaseError refuses a run while another holds the partner's period. It
// matches ErrRunInProgress.
type LeaseError struct {
	Lease Lease
}

// Error says whose the lease is and until when.
func (e *LeaseError) Error() string {
	return fmt.Sprintf("invoicing: run %s of %s holds the lease of period %s until %s", e.Lease.RunID, e.Lease.Holder,
		e.Lease.Period, e.Lease.Until.Format(time.RFC3339))
}

// Is makes a LeaseError match ErrRunInProgress.
func (e *LeaseError) Is(target error) bool { return target == ErrRunInProgress }

// defaultHolder names this process: host name and process id.
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return host + " pid " + strconv.Itoa(os.Getpid())
}

// WithLease sets how long a run's lease lasts without a heartbeat (default
// DefaultLease); the run renews it three times as often.
func WithLease(d time.Duration) Option { return func(s *Service) { s.lease = d } }

// WithHolder names the process in the leases it takes (default: host name
// and process id).
func WithHolder(name string) Option { return func(s *Service) { s.holder = name } }

// leaseRow is an invoice_locks row.
type leaseRow struct {
	PartnerID string       `db:"partner_id"`
	Period    string       `db:"period"`
	RunID     string       `db:"run_id"`
	Holder    string       `db:"holder"`
	TakenAt   sql.NullTime `db:"taken_at"`
	ExpiresAt time.Time    `db:"expires_at"`
}

func (r leaseRow) lease() Lease {
	return Lease{PartnerID: r.PartnerID, Period: r.Period, RunID: r.RunID, Holder: r.Holder, TakenAt: r.TakenAt.Time.UTC(),
		Until: r.ExpiresAt.UTC()}
}

// Leases lists the partner's live leases: the runs in progress.
func (s *Service) Leases(ctx context.Context, partnerID string) ([]Lease, error) {
	var rows []leaseRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT partner_id, period, run_id, holder, taken_at, expires_at
		FROM invoice_locks WHERE partner_id = ? AND expires_at >= ? ORDER BY period`), partnerID, s.clock()); err != nil {
		return nil, fmt.Errorf("invoicing: leases of %s: %w", partnerID, err)
	}
	out := make([]Lease, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.lease())
	}
	return out, nil
}

// Release takes back the lease of a partner's period, so that a new run
// can start at once: for a run whose process died, or that the operator
// wants stopped. The run that held it is recorded as failed, and stops at
// its next heartbeat if it is still alive; a new run completes what it left
// without billing anything twice. It answers ErrNoLease when no run holds
// the period.
func (s *Service) Release(ctx context.Context, partnerID, period string) (Lease, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Lease{}, fmt.Errorf("invoicing: release: %w", err)
	}
	defer tx.Rollback()
	var row leaseRow
	err = tx.GetContext(ctx, &row, tx.Rebind(`SELECT partner_id, period, run_id, holder, taken_at, expires_at
		FROM invoice_locks WHERE partner_id = ? AND period = ?`), partnerID, period)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, ErrNoLease
	}
	if err != nil {
		return Lease{}, fmt.Errorf("invoicing: release: %w", err)
	}
	now := s.clock()
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM invoice_locks WHERE partner_id = ? AND period = ?`), partnerID, period); err != nil {
		return Lease{}, fmt.Errorf("invoicing: release: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE invoice_runs SET status = ?, error = ?, updated_at = ?, finished_at = ?
		WHERE id = ? AND status = ?`), RunFailed, "interrupted: its lease was released to resume the run", now, now,
		row.RunID, RunRunning); err != nil {
		return Lease{}, fmt.Errorf("invoicing: release: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Lease{}, fmt.Errorf("invoicing: release: %w", err)
	}
	s.log.Warn("invoicing lease released", "partner", partnerID, "period", period, "run", row.RunID, "holder", row.Holder)
	return row.lease(), nil
}

// ErrNoLease answers Release when no run holds the period.
var ErrNoLease = errors.New("invoicing: no run holds this period")

// errLeaseLost stops a run whose lease was released or taken over.
var errLeaseLost = errors.New("invoicing: the run's lease was released")

// heartbeat renews a run's lease three times per lease until ctx ends;
// when the lease is gone (released to resume the run), it calls lost.
func (s *Service) heartbeat(ctx context.Context, partnerID, period, runID string, lost func()) {
	t := time.NewTicker(s.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE invoice_locks SET expires_at = ? WHERE partner_id = ? AND period = ?
			AND run_id = ?`), s.clock().Add(s.lease), partnerID, period, runID)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("invoicing lease not renewed", "run", runID, "err", err)
			}
			continue
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			lost()
			return
		}
	}
}
