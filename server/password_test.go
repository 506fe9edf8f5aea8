package server_test

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grisaille/grisaille/demo"
	"github.com/grisaille/grisaille/email/smtptest"
)

// parts reads a delivered message's text and HTML parts, decoded.
func parts(t *testing.T, m smtptest.Message) (text, html string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("the message is %q, not multipart (%v)", mt, err)
	}
	r := multipart.NewReader(strings.NewReader(m.Body()), params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			html = string(b)
		}
	}
}

var resetLink = regexp.MustCompile(`https?://[^\s"<>]+/password/reset\?token=[A-Za-z0-9_%-]+`)

// TestPasswordReset: a reset by e-mail end to end. The e-mail is in the
// partner's brand and the user's language, with a plain-text part and no
// word of the platform, its link on the partner's host; the new password
// works, the old one and every other session stop working, the link works
// once; an unknown address gets the same answer and no e-mail, and asking
// twice sends one.
func TestPasswordReset(t *testing.T) {
	a := newApp(t)
	other1, other2 := a.client(t, "acme.localhost"), a.client(t, "acme.localhost")
	other1.signIn("dev@acme.example")
	other2.signIn("dev@acme.example")

	c := a.client(t, "acme.localhost")
	if _, login := c.do(http.MethodGet, "/login", nil); !strings.Contains(login, `href="/password/forgot"`) {
		t.Fatal("the sign-in page has no link to reset a password")
	}
	for _, addr := range []string{"dev@acme.example", "DEV@acme.example", "nobody@acme.example"} {
		res, page := c.do(http.MethodPost, "/password/forgot", url.Values{"_csrf": {c.csrf("/password/forgot")}, "email": {addr}})
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "If an account here uses "+addr) {
			t.Fatalf("forgot %s: %d\n%s", addr, res.StatusCode, page)
		}
	}
	ms, err := a.mail.Wait(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a second e-mail would arrive now
	if ms = a.mail.Messages(); len(ms) != 1 {
		t.Fatalf("%d e-mails for one account asked twice and an unknown one, want 1", len(ms))
	}
	m := ms[0]
	if m.To[0] != "dev@acme.example" || m.Header.Get("Subject") != "Reset your Acme Cloud password" ||
		!strings.Contains(m.Header.Get("From"), `"Acme Cloud" <no-reply@acme.localhost>`) {
		t.Fatalf("the e-mail's header: %v", m.Header)
	}
	text, html := parts(t, m)
	link := resetLink.FindString(text)
	if link == "" || !strings.Contains(html, "#c2410c") || !strings.Contains(html, "Acme Cloud") || !strings.Contains(text, "Hello Wile E. Coyote") {
		t.Fatalf("the e-mail's parts:\n%s\n%s", text, html)
	}
	for _, word := range []string{"Clever", "clever-cloud", "cleverapps"} {
		if strings.Contains(text+html, word) {
			t.Fatalf("the e-mail names the platform (%s)", word)
		}
	}
	u, _ := url.Parse(link)
	if u.Host != "acme.localhost" {
		t.Fatalf("the link is on %s, not the partner's host", u.Host)
	}
	path := u.RequestURI()
	res, page := c.do(http.MethodGet, path, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(page, `name="token"`) {
		t.Fatalf("the reset page: %d", res.StatusCode)
	}
	token := u.Query().Get("token")
	res, page = c.do(http.MethodPost, "/password/reset", url.Values{"_csrf": {c.csrf(path)}, "token": {token},
		"password": {"a brand new secret"}, "confirm": {"another secret"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "The two passwords differ") {
		t.Fatalf("different passwords: %d", res.StatusCode)
	}
	res, page = c.do(http.MethodPost, "/password/reset", url.Values{"_csrf": {c.csrf(path)}, "token": {token},
		"password": {"a brand new secret"}, "confirm": {"a brand new secret"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("reset: %d\n%s", res.StatusCode, page)
	}
	for i, s := range []*client{other1, other2} {
		if res, _ := s.do(http.MethodGet, "/console", nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("session %d still open after the reset: %d", i+1, res.StatusCode)
		}
	}
	fresh := a.client(t, "acme.localhost")
	if res, _ := fresh.do(http.MethodPost, "/login", url.Values{"_csrf": {fresh.csrf("/login")}, "email": {"dev@acme.example"},
		"password": {demo.Password}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old password after the reset: %d", res.StatusCode)
	}
	fresh.signInWith("dev@acme.example", "a brand new secret")
	res, page = c.do(http.MethodPost, "/password/reset", url.Values{"_csrf": {c.csrf("/login")}, "token": {token},
		"password": {"yet another secret"}, "confirm": {"yet another secret"}})
	if res.StatusCode != http.StatusGone || !strings.Contains(page, "This link was already used") || !strings.Contains(page, `href="/password/forgot"`) {
		t.Fatalf("the link used twice: %d", res.StatusCode)
	}
	if res, page := c.do(http.MethodGet, "/password/reset?token=forged", nil); res.StatusCode != http.StatusGone || !strings.Contains(page, "not a valid password reset link") {
		t.Fatalf("a forged link: %d", res.StatusCode)
	}
	// Another partner's host does not know the link.
	g := a.client(t, "globex.localhost")
	if res, _ := g.do(http.MethodGet, path, nil); res.StatusCode != http.StatusGone {
		t.Fatalf("acme's link on globex: %d", res.StatusCode)
	}
}

// TestPasswordResetFrench: Globex's e-mail is in French, in Globex's name.
func TestPasswordResetFrench(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "globex.localhost")
	if res, page := c.do(http.MethodPost, "/password/forgot", url.Values{"_csrf": {c.csrf("/password/forgot")}, "email": {"dev@globex.example"}}); res.StatusCode != http.StatusOK || !strings.Contains(page, "Si un compte utilise") {
		t.Fatalf("forgot: %d", res.StatusCode)
	}
	ms, err := a.mail.Wait(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := parts(t, ms[0])
	if subj := ms[0].Header.Get("Subject"); !strings.Contains(text, "Bonjour Peter Gibbons") || !strings.Contains(text, "Choisir un nouveau mot de passe") {
		t.Fatalf("the French e-mail %q:\n%s", subj, text)
	}
}

// TestResetExpires: a link older than 30 minutes is refused.
func TestResetExpires(t *testing.T) {
	a := newApp(t)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	a.store.SetClock(func() time.Time { return time.Unix(0, now.Load()) })
	c := a.client(t, "acme.localhost")
	c.do(http.MethodPost, "/password/forgot", url.Values{"_csrf": {c.csrf("/password/forgot")}, "email": {"dev@acme.example"}})
	ms, err := a.mail.Wait(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := parts(t, ms[0])
	u, _ := url.Parse(resetLink.FindString(text))
	now.Add(int64(31 * time.Minute))
	if res, page := c.do(http.MethodGet, u.RequestURI(), nil); res.StatusCode != http.StatusGone || !strings.Contains(page, "This link has expired") {
		t.Fatalf("an expired link: %d", res.StatusCode)
	}
}
