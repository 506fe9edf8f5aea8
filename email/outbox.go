package email

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Outbox is the durable queue of outgoing e-mail. Enqueue writes a message
// in the caller's transaction; Deliver (and Run, which calls it as messages
// fall due) sends what is due, each message leased by one worker at a time,
// marked sent once the server accepted it, else retried later.
//
// Delivery is at least once: a worker that dies after the server accepted
// a message and before it was marked sent leaves it to be sent again when
// its lease ends. Both copies carry the same Message-ID.
type Outbox struct {
	db     *sqlx.DB
	sender Sender
	log    *slog.Logger
	now    func() time.Time
	holder string
	kick   chan struct{}
}

// Retry policy: the first retry after RetryBase, each next one after
// twice the delay before, up to RetryMax; a message that failed
// MaxAttempts times is given up, its last error kept.
const (
	RetryBase   = 30 * time.Second
	RetryMax    = time.Hour
	MaxAttempts = 40
	// leaseFor is how long a worker holds a message it is sending: longer
	// than a delivery may take.
	leaseFor = 2 * sendTimeout
	// batch is the most messages one Deliver pass leases.
	batch = 20
)

// NewOutbox returns the outbox on db, sending through sender (nil: the
// messages are kept, and Deliver says no server is configured).
func NewOutbox(db *sqlx.DB, sender Sender, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{db: db, sender: sender, log: log, now: time.Now, holder: uuid.NewString(), kick: make(chan struct{}, 1)}
}

// SetClock replaces the outbox's clock (tests move it).
func (o *Outbox) SetClock(now func() time.Time) { o.now = now }

func (o *Outbox) timestamp() time.Time { return o.now().UTC().Truncate(time.Microsecond) }

// Enqueue adds m to the outbox through q (the caller's transaction, or the
// database), due at once. It reports false, and changes nothing, when a
// message with m.Key is already there.
func (o *Outbox) Enqueue(ctx context.Context, q sqlx.ExtContext, m Message) (bool, error) {
	if err := m.check(); err != nil {
		return false, err
	}
	now := o.timestamp()
	res, err := q.ExecContext(ctx, o.db.Rebind(`INSERT INTO email_outbox (id, partner_id, dedupe_key, from_name, from_address,
		to_address, subject, text_body, html_body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (dedupe_key) DO NOTHING`), "msg_"+uuid.NewString(), m.PartnerID, m.Key, m.FromName, m.FromAddress, m.To,
		m.Subject, m.Text, m.HTML, now, now)
	if err != nil {
		return false, fmt.Errorf("email: enqueue: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("email: enqueue: %w", err)
	}
	return n == 1, nil
}

// Kick asks Run to deliver now, after a message was enqueued (its
// transaction committed).
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// ErrNoSender is Deliver's answer when no SMTP server is configured: the
// messages stay in the outbox.
var ErrNoSender = errors.New("email: no SMTP server is configured (--smtp-url)")

// row is a message as stored.
type row struct {
	ID          string `db:"id"`
	PartnerID   string `db:"partner_id"`
	Key         string `db:"dedupe_key"`
	FromName    string `db:"from_name"`
	FromAddress string `db:"from_address"`
	To          string `db:"to_address"`
	Subject     string `db:"subject"`
	Text        string `db:"text_body"`
	HTML        string `db:"html_body"`
	Attempts    int    `db:"attempts"`
}

// Deliver sends the messages due now, one pass: it returns how many were
// sent and how many failed (to be retried).
func (o *Outbox) Deliver(ctx context.Context) (sent, failed int, err error) {
	if o.sender == nil {
		return 0, 0, ErrNoSender
	}
	now := o.timestamp()
	var ids []string
	if err := o.db.SelectContext(ctx, &ids, o.db.Rebind(`SELECT id FROM email_outbox WHERE sent_at IS NULL AND attempts < ?
		AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until < ?) ORDER BY next_attempt_at LIMIT ?`),
		MaxAttempts, now, now, batch); err != nil {
		return 0, 0, fmt.Errorf("email: due messages: %w", err)
	}
	for _, id := range ids {
		m, ok, err := o.lease(ctx, id, now)
		if err != nil {
			return sent, failed, err
		}
		if !ok {
			continue // another worker has it
		}
		serr := o.sender.Send(ctx, Message{PartnerID: m.PartnerID, Key: m.Key, FromName: m.FromName, FromAddress: m.FromAddress,
			To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}, messageID(m))
		done := o.timestamp()
		if serr == nil {
			sent++
			_, err = o.db.ExecContext(ctx, o.db.Rebind(`UPDATE email_outbox SET sent_at = ?, attempts = attempts + 1,
				leased_until = NULL, last_error = '' WHERE id = ? AND leased_by = ?`), done, id, o.holder)
		} else {
			failed++
			o.log.Warn("e-mail not sent, kept for a retry", "message", id, "attempt", m.Attempts+1, "err", serr.Error())
			_, err = o.db.ExecContext(ctx, o.db.Rebind(`UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = ?,
				leased_until = NULL, last_error = ? WHERE id = ? AND leased_by = ?`),
				done.Add(retryAfter(m.Attempts+1)), truncate(serr.Error(), 500), id, o.holder)
		}
		if err != nil {
			return sent, failed, fmt.Errorf("email: record delivery of %s: %w", id, err)
		}
	}
	return sent, failed, nil
}

// lease takes message id for this worker, unless another holds it or it
// was sent meanwhile.
func (o *Outbox) lease(ctx context.Context, id string, now time.Time) (row, bool, error) {
	res, err := o.db.ExecContext(ctx, o.db.Rebind(`UPDATE email_outbox SET leased_until = ?, leased_by = ? WHERE id = ?
		AND sent_at IS NULL AND (leased_until IS NULL OR leased_until < ?)`), now.Add(leaseFor), o.holder, id, now)
	if err != nil {
		return row{}, false, fmt.Errorf("email: lease %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return row{}, false, err
	}
	var m row
	err = o.db.GetContext(ctx, &m, o.db.Rebind(`SELECT id, partner_id, dedupe_key, from_name, from_address, to_address,
		subject, text_body, html_body, attempts FROM email_outbox WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return row{}, false, nil
	}
	return m, err == nil, err
}

// retryAfter is the delay before the attempt after the n-th failure.
func retryAfter(n int) time.Duration {
	d := RetryBase
	for i := 1; i < n && d < RetryMax; i++ {
		d *= 2
	}
	return min(d, RetryMax)
}

// messageID is a message's stable Message-ID value, on its sender's
// domain.
func messageID(m row) string {
	domain := m.FromAddress[strings.LastIndexByte(m.FromAddress, '@')+1:]
	return m.ID + "@" + domain
}

// Run delivers due messages until ctx ends: at once when kicked, else
// every interval (a retry falls due, another instance enqueued one).
func (o *Outbox) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, _, err := o.Deliver(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, ErrNoSender) {
			o.log.Error("e-mail outbox", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.kick:
		}
	}
}

// Status is a message's delivery state, for the pages that follow one.
type Status struct {
	ID        string     `db:"id"`
	To        string     `db:"to_address"`
	Subject   string     `db:"subject"`
	Attempts  int        `db:"attempts"`
	SentAt    *time.Time `db:"sent_at"`
	LastError string     `db:"last_error"`
}

// StatusOf returns the state of the message enqueued with key.
func (o *Outbox) StatusOf(ctx context.Context, key string) (Status, error) {
	var s Status
	err := o.db.GetContext(ctx, &s, o.db.Rebind(`SELECT id, to_address, subject, attempts, sent_at, last_error
		FROM email_outbox WHERE dedupe_key = ?`), key)
	if err != nil {
		return Status{}, fmt.Errorf("email: status of %s: %w", key, err)
	}
	return s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
