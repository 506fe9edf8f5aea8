// Package email sends the portal's e-mail: a durable outbox (Outbox), in
// the portal's database, that keeps every message until an SMTP server
// (SMTP, from --smtp-url) accepted it, retrying with a growing delay. What
// a message says, in which brand and language, is its writer's business.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one e-mail to one recipient.
type Message struct {
	// PartnerID is the partner the message is sent for.
	PartnerID string
	// Key makes the message once-only: enqueueing a message with a Key
	// already in the outbox does nothing, so that a retried request never
	// sends twice.
	Key string
	// FromName and FromAddress are the sender, in the partner's name.
	FromName, FromAddress string
	To                    string
	Subject               string
	// Text is the plain-text part; HTML, when not "", its alternative.
	Text, HTML string
}

// check validates the message's addresses and parts.
func (m Message) check() error {
	switch {
	case m.PartnerID == "" || m.Key == "":
		return errors.New("email: a message needs a partner and a key")
	case strings.TrimSpace(m.Subject) == "" || strings.TrimSpace(m.Text) == "":
		return errors.New("email: a message needs a subject and a text")
	case strings.ContainsAny(m.Subject+m.FromName, "\r\n"):
		return errors.New("email: a header holds a line break")
	}
	for _, a := range []string{m.FromAddress, m.To} {
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
			return fmt.Errorf("email: %q is not an e-mail address", a)
		}
	}
	return nil
}

// Sender hands a message to a mail server. messageID is the message's
// stable Message-ID: a message sent again after a crash carries the same
// one, so that the receiving side can tell it is the same message.
type Sender interface {
	Send(ctx context.Context, m Message, messageID string) error
}

// SMTP sends through an SMTP server.
type SMTP struct {
	host     string
	port     int
	implicit bool
	policy   gomail.TLSPolicy
	user     string
	password string
	tls      *tls.Config
}

// ParseSMTPURL reads --smtp-url: smtps://user:pass@host:465 (TLS from the
// first byte) or smtp://user:pass@host:587 (STARTTLS required). For a
// server on this machine only, ?tls=none sends in clear (the demo's and the
// tests' loopback server).
func ParseSMTPURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("email: --smtp-url %q is not smtp://host:port or smtps://host:port", redact(raw))
	}
	s := &SMTP{host: u.Hostname(), policy: gomail.TLSMandatory}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicit = 465, true
	default:
		return nil, fmt.Errorf("email: --smtp-url scheme %q: want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("email: --smtp-url port %q", p)
		}
	}
	switch mode := u.Query().Get("tls"); mode {
	case "":
	case "none":
		if !isLoopback(s.host) {
			return nil, fmt.Errorf("email: --smtp-url ?tls=none is for a server on this machine, not %s", s.host)
		}
		s.policy, s.implicit = gomail.NoTLS, false
	default:
		return nil, fmt.Errorf("email: --smtp-url ?tls=%q: the only choice is none", mode)
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	return s, nil
}

// WithRootCAs trusts these roots for the server's certificate (tests).
func (s *SMTP) WithRootCAs(cfg *tls.Config) *SMTP {
	c := *s
	c.tls = cfg
	return &c
}

// String names the server without its password.
func (s *SMTP) String() string {
	scheme := "smtp"
	if s.implicit {
		scheme = "smtps"
	}
	return scheme + "://" + net.JoinHostPort(s.host, strconv.Itoa(s.port))
}

// sendTimeout bounds one delivery, dial to QUIT.
const sendTimeout = 30 * time.Second

// Send delivers m through the server.
func (s *SMTP) Send(ctx context.Context, m Message, messageID string) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.FromName, m.FromAddress); err != nil {
		return fmt.Errorf("email: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("email: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(messageID)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(sendTimeout), gomail.WithTLSPolicy(s.policy),
		gomail.WithTLSConfig(s.tls)}
	if s.implicit {
		opts = append(opts, gomail.WithSSL())
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("email: %s: %w", s, err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("email: %s: %w", s, err)
	}
	return nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redact hides a URL's password.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unreadable)"
}
