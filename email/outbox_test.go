package email_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/email"
	"github.com/grisaille/grisaille/email/smtptest"
	"github.com/grisaille/grisaille/migrations/dbtest"
)

func newOutbox(t *testing.T) (*sqlx.DB, *smtptest.Server, func(...email.Sender) *email.Outbox) {
	t.Helper()
	db := dbtest.Open(t)
	if _, err := db.Exec(db.Rebind(`INSERT INTO partners (id, slug, brand_name, brand_primary_color, brand_accent_color,
		brand_background_color, brand_text_color, brand_font, brand_language, created_at)
		VALUES ('ptn_a', 'acme', 'Acme Cloud', '#000000', '#000000', '#ffffff', '#000000', 'system', 'en', ?)`), time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	srv, err := smtptest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	smtp, err := email.ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return db, srv, func(s ...email.Sender) *email.Outbox {
		if len(s) == 1 {
			return email.NewOutbox(db, s[0], nil)
		}
		return email.NewOutbox(db, smtp, nil)
	}
}

func invitation(key string) email.Message {
	return email.Message{PartnerID: "ptn_a", Key: key, FromName: "Acme Cloud", FromAddress: "no-reply@acme.example",
		To: "new@roadrunner.example", Subject: "You are invited to Acme Cloud",
		Text: "Follow this link: https://acme.localhost/invite/x", HTML: `<p>Follow <a href="https://acme.localhost/invite/x">this link</a></p>`}
}

// TestDeliver: a message is sent once, with its sender, subject, stable
// Message-ID and both parts; enqueueing its key again does nothing.
func TestDeliver(t *testing.T) {
	ctx := context.Background()
	db, srv, outbox := newOutbox(t)
	o := outbox()
	for i, want := range []bool{true, false} {
		if created, err := o.Enqueue(ctx, db, invitation("invite:1")); err != nil || created != want {
			t.Fatalf("enqueue %d: %v %v", i, created, err)
		}
	}
	if sent, failed, err := o.Deliver(ctx); err != nil || sent != 1 || failed != 0 {
		t.Fatalf("deliver: %d sent, %d failed, %v", sent, failed, err)
	}
	if sent, _, _ := o.Deliver(ctx); sent != 0 {
		t.Fatal("a sent message was sent again")
	}
	ms, err := srv.Wait(1, 5*time.Second)
	if err != nil || len(ms) != 1 {
		t.Fatalf("%d messages, %v", len(ms), err)
	}
	m := ms[0]
	if m.From != "no-reply@acme.example" || m.To[0] != "new@roadrunner.example" || m.Header.Get("Subject") != "You are invited to Acme Cloud" ||
		!strings.Contains(m.Header.Get("From"), `"Acme Cloud" <no-reply@acme.example>`) ||
		!strings.HasSuffix(m.Header.Get("Message-Id"), "@acme.example>") {
		t.Fatalf("the message's envelope and header: %+v %v", m.To, m.Header)
	}
	if body := m.Body(); !strings.Contains(body, "text/plain") || !strings.Contains(body, "text/html") || !strings.Contains(body, "Follow this link") {
		t.Fatalf("the message's parts:\n%s", body)
	}
	st, err := o.StatusOf(ctx, "invite:1")
	if err != nil || st.SentAt == nil || st.Attempts != 1 {
		t.Fatalf("status %+v, %v", st, err)
	}
}

// TestServerDown: with the SMTP server down, the message is kept, retried
// when it falls due, and delivered once when the server is back.
func TestServerDown(t *testing.T) {
	ctx := context.Background()
	db, srv, outbox := newOutbox(t)
	o := outbox()
	clock := time.Now()
	var mu sync.Mutex
	o.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(ctx, db, invitation("invite:2")); err != nil {
		t.Fatal(err)
	}
	if sent, failed, err := o.Deliver(ctx); err != nil || sent != 0 || failed != 1 {
		t.Fatalf("deliver with the server down: %d sent, %d failed, %v", sent, failed, err)
	}
	st, _ := o.StatusOf(ctx, "invite:2")
	if st.SentAt != nil || st.Attempts != 1 || st.LastError == "" {
		t.Fatalf("the kept message: %+v", st)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if sent, failed, _ := o.Deliver(ctx); sent+failed != 0 {
		t.Fatal("a message was retried before its delay")
	}
	mu.Lock()
	clock = clock.Add(email.RetryBase)
	mu.Unlock()
	if sent, _, err := o.Deliver(ctx); err != nil || sent != 1 {
		t.Fatalf("the retry: %d sent, %v", sent, err)
	}
	if sent, _, _ := o.Deliver(ctx); sent != 0 {
		t.Fatal("sent twice")
	}
	if ms, err := srv.Wait(1, 5*time.Second); err != nil || len(ms) != 1 {
		t.Fatalf("%d messages delivered, %v", len(ms), err)
	}
}

// TestInstances: two instances delivering the same outbox at once send
// each message once.
func TestInstances(t *testing.T) {
	ctx := context.Background()
	db, srv, outbox := newOutbox(t)
	a, b := outbox(), outbox()
	const n = 12
	for i := range n {
		if _, err := a.Enqueue(ctx, db, invitation("invite:many:"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, o := range []*email.Outbox{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, _ = o.Deliver(ctx) }()
	}
	wg.Wait()
	_, _, _ = a.Deliver(ctx)
	ms, err := srv.Wait(n, 5*time.Second)
	time.Sleep(100 * time.Millisecond) // a duplicate would arrive now
	if ms = srv.Messages(); err != nil || len(ms) != n {
		t.Fatalf("%d messages for %d enqueued (%v)", len(ms), n, err)
	}
}

func TestParseSMTPURL(t *testing.T) {
	for raw, want := range map[string]string{
		"smtp://user:secret@mail.example.com":     "smtp://mail.example.com:587",
		"smtps://mail.example.com":                "smtps://mail.example.com:465",
		"smtp://127.0.0.1:2525?tls=none":          "smtp://127.0.0.1:2525",
		"smtp://mail.example.com:2525?tls=none":   "error",
		"http://mail.example.com":                 "error",
		"smtp://mail.example.com:99999":           "error",
		"smtp://mail.example.com?tls=opportunist": "error",
		"smtp://user:pa%ss@mail.example.com":      "error",
	} {
		s, err := email.ParseSMTPURL(raw)
		got := "error"
		if err == nil {
			got = s.String()
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
		if got != want {
			t.Errorf("ParseSMTPURL(%q) = %s (%v), want %s", raw, got, err, want)
		}
	}
}
