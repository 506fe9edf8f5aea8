// Package smtptest runs a real SMTP server on loopback (emersion/go-smtp)
// that keeps what it receives, for the tests and the demo to read: it can
// be stopped and started again on the same address, as a mail server that
// goes down and comes back.
package smtptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one message received: its envelope and its parsed header and
// raw body.
type Message struct {
	From   string
	To     []string
	Header mail.Header
	// Raw is the whole message as received.
	Raw []byte
}

// Server is a loopback SMTP server.
type Server struct {
	mu       sync.Mutex
	addr     string
	srv      *smtp.Server
	ln       net.Listener
	messages []Message
	arrived  chan struct{}
	// dir, when set, receives each message as a numbered .eml file.
	dir string
}

// KeepIn writes each message received from now on into dir, as
// 0001.eml, 0002.eml… (the demo's mailbox, read with any mail client).
func (s *Server) KeepIn(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.mu.Lock()
	s.dir = dir
	s.mu.Unlock()
	return nil
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves.
func Start(addr string) (*Server, error) {
	s := &Server{arrived: make(chan struct{}, 1)}
	if err := s.listen(addr); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	s.mu.Lock()
	s.addr, s.srv, s.ln = ln.Addr().String(), srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is the --smtp-url of the server.
func (s *Server) URL() string { return "smtp://" + s.Addr() + "?tls=none" }

// Stop closes the server: connections are refused until Restart.
func (s *Server) Stop() error {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	// The listener is closed here too: Close misses one that Serve has
	// not registered yet.
	lerr := ln.Close()
	if err := srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	if lerr != nil && !errors.Is(lerr, net.ErrClosed) {
		return lerr
	}
	return nil
}

// Restart serves again on the same address.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.listen(s.Addr())
}

// Messages returns what was received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits up to timeout for at least n messages and returns them.
func (s *Server) Wait(n int, timeout time.Duration) ([]Message, error) {
	deadline := time.After(timeout)
	for {
		if ms := s.Messages(); len(ms) >= n {
			return ms, nil
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return s.Messages(), errors.New("smtptest: the messages did not arrive")
		}
	}
}

// Body returns the message's body as received (its MIME parts encoded).
func (m Message) Body() string {
	if i := bytes.Index(m.Raw, []byte("\r\n\r\n")); i >= 0 {
		return string(m.Raw[i+4:])
	}
	return ""
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unreadable message: " + strings.TrimSpace(err.Error())}
	}
	x.s.mu.Lock()
	x.s.messages = append(x.s.messages, Message{From: x.from, To: x.to, Header: msg.Header, Raw: raw})
	dir, n := x.s.dir, len(x.s.messages)
	x.s.mu.Unlock()
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.eml", n)), raw, 0o600); err != nil {
			return &smtp.SMTPError{Code: 451, Message: "mailbox not written: " + err.Error()}
		}
	}
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}
