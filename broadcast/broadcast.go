// Package broadcast tells every instance of the portal that some shared
// state changed, so that each drops its cached copy of it: a partner's brand,
// hostnames or zones, a partner's price grids.
//
// A Bus delivers to the handlers of its own process at once. On PostgreSQL
// it also sends each change with NOTIFY and listens on a dedicated
// connection (LISTEN, through pgxlisten) for the other instances' changes;
// when that connection is lost and comes back, every handler is told that
// everything may have changed (key ""), since notifications sent meanwhile
// are gone. On SQLite there is one instance, and the bus is local.
package broadcast

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
	"github.com/jmoiron/sqlx"
)

// channelPrefix names the PostgreSQL notification channel of the portal's
// changes. Notifications are database-wide: portals on one database in
// different schemas (a search_path in their URL) get a channel each.
const channelPrefix = "grisaille_changes"

// channelFor is the notification channel of the portal whose database URL
// is url.
func channelFor(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return channelPrefix
	}
	schema := u.Query().Get("search_path")
	if schema == "" {
		return channelPrefix
	}
	var b strings.Builder
	b.WriteString(channelPrefix + "_")
	for _, r := range strings.ToLower(schema) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Bus delivers changes to the handlers subscribed to their topic, in this
// process and, on PostgreSQL, in every other instance. It is safe for
// concurrent use.
type Bus struct {
	// instance tells this process's notifications from the others'.
	instance string
	// db sends NOTIFY on channel; nil for a local bus.
	db      *sqlx.DB
	channel string
	log     *slog.Logger

	mu       sync.RWMutex // guards handlers
	handlers map[string][]func(key string)

	listening chan struct{} // closed once LISTEN is in place the first time
	once      sync.Once
	stop      context.CancelFunc
	done      chan struct{}
}

// Local returns a bus for one process: changes reach this process only.
func Local() *Bus {
	b := &Bus{instance: newID(), handlers: map[string][]func(string){}, listening: make(chan struct{}), done: make(chan struct{})}
	b.once.Do(func() { close(b.listening) })
	close(b.done)
	return b
}

// Listen returns a bus for the instances sharing the PostgreSQL database
// at url (db is a pool on it, which sends the notifications). It listens in
// the background until Close; Ready tells when it first listens.
func Listen(dbURL string, db *sqlx.DB, log *slog.Logger) *Bus {
	b := &Bus{instance: newID(), db: db, channel: channelFor(dbURL), log: log, handlers: map[string][]func(string){},
		listening: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	b.stop = cancel
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			return pgx.Connect(ctx, dbURL)
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				log.Warn("broadcast: listener", slog.String("error", err.Error()))
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(b.channel, listener{b})
	go func() {
		defer close(b.done)
		_ = l.Listen(ctx) // returns when ctx ends
	}()
	return b
}

// Ready is closed once the bus delivers the other instances' changes.
func (b *Bus) Ready() <-chan struct{} { return b.listening }

// Close stops listening.
func (b *Bus) Close() {
	if b.stop != nil {
		b.stop()
	}
	<-b.done
}

// Subscribe calls fn with the key of every change of topic, "" for "any".
// fn must be quick and must not block: it runs on the bus's goroutine.
func (b *Bus) Subscribe(topic string, fn func(key string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[topic] = append(b.handlers[topic], fn)
}

// Publish tells every instance that key of topic changed: this process's
// handlers at once, the others' within moments. Call it after the change is
// committed. A failure to notify is returned: the other instances then see
// the change when their caches expire.
func (b *Bus) Publish(ctx context.Context, topic, key string) error {
	b.deliver(topic, key)
	if b.db == nil {
		return nil
	}
	payload := b.instance + " " + topic + " " + key
	if _, err := b.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, b.channel, payload); err != nil {
		b.log.Warn("broadcast: notify", slog.String("topic", topic), slog.String("key", key), slog.String("error", err.Error()))
		return fmt.Errorf("broadcast: notify %s %s: %w", topic, key, err)
	}
	return nil
}

// deliver calls the handlers of topic.
func (b *Bus) deliver(topic, key string) {
	b.mu.RLock()
	hs := b.handlers[topic]
	b.mu.RUnlock()
	for _, h := range hs {
		h(key)
	}
}

// deliverAll tells every handler that anything may have changed.
func (b *Bus) deliverAll() {
	b.mu.RLock()
	var hs []func(string)
	for _, list := range b.handlers {
		hs = append(hs, list...)
	}
	b.mu.RUnlock()
	for _, h := range hs {
		h("")
	}
}

// listener is the bus's pgxlisten handler.
type listener struct{ b *Bus }

// HandleNotification delivers another instance's change.
func (l listener) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	instance, rest, ok := strings.Cut(n.Payload, " ")
	if !ok {
		return fmt.Errorf("broadcast: malformed notification %q", n.Payload)
	}
	if instance == l.b.instance {
		return nil // delivered when published
	}
	topic, key, _ := strings.Cut(rest, " ")
	l.b.deliver(topic, key)
	return nil
}

// HandleBacklog runs when the listener (re)connects: changes sent while it
// was away are lost, so every cache is told to drop everything.
func (l listener) HandleBacklog(context.Context, string, *pgx.Conn) error {
	l.b.deliverAll()
	l.b.once.Do(func() { close(l.b.listening) })
	return nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
