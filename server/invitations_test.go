package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/email/smtptest"
)

var inviteLink = regexp.MustCompile(`https?://[^\s"<>]+/invite\?token=[A-Za-z0-9_%-]+`)

// mailTo waits for the n-th message to addr and returns its text part.
func mailTo(t *testing.T, srv *smtptest.Server, addr string, n int) (smtptest.Message, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var got []smtptest.Message
		for _, m := range srv.Messages() {
			if len(m.To) > 0 && m.To[0] == addr {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			text, _ := parts(t, got[n-1])
			return got[n-1], text
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no message %d to %s", n, addr)
	return smtptest.Message{}, ""
}

// TestInvitation: the Acme admin invites new@roadrunner.example as a
// developer of Roadrunner Labs; the e-mail is Acme's, in English, its link
// on Acme's host; the invitee sets a password, is signed in, may create an
// application and may not open the invoices; the owner makes them a
// viewer, and creating is refused at once with a clear message.
func TestInvitation(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	dev, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	customerPage := "/admin/customers/" + dev.CustomerID
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	if _, page := admin.do(http.MethodGet, customerPage, nil); !strings.Contains(page, `data-testid="invite-form"`) ||
		!strings.Contains(page, "Runs applications and add-ons") {
		t.Fatal("the customer's page has no invitation form or no roles' description")
	}
	invite := func(email, role string) (*http.Response, string) {
		return admin.do(http.MethodPost, customerPage+"/invite", url.Values{"_csrf": {admin.csrf(customerPage)}, "email": {email}, "role": {role}})
	}
	if res, _ := invite("new@roadrunner.example", "developer"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	m, text := mailTo(t, a.mail, "new@roadrunner.example", 1)
	if m.Header.Get("Subject") != "You are invited to Acme Cloud" || !strings.Contains(text, "to join Roadrunner Labs on Acme Cloud, as Developer") {
		t.Fatalf("the invitation e-mail %q:\n%s", m.Header.Get("Subject"), text)
	}
	link, _ := url.Parse(inviteLink.FindString(text))
	if link == nil || link.Host != "acme.localhost" {
		t.Fatalf("the invitation's link %v is not on Acme's host", link)
	}
	// Refusals keep what was typed.
	if res, page := invite("new@roadrunner.example", "viewer"); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "An invitation to this address is pending") ||
		!strings.Contains(page, `value="new@roadrunner.example"`) {
		t.Fatalf("invite twice: %d", res.StatusCode)
	}
	if res, page := invite("dev@acme.example", "viewer"); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "already has an account") {
		t.Fatalf("invite a member: %d", res.StatusCode)
	}

	invitee := a.client(t, "acme.localhost")
	res, page := invitee.do(http.MethodGet, link.RequestURI(), nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "You are invited as new@roadrunner.example") {
		t.Fatalf("the invitation's page: %d", res.StatusCode)
	}
	token := link.Query().Get("token")
	res, page = invitee.do(http.MethodPost, "/invite", url.Values{"_csrf": {invitee.csrf(link.RequestURI())}, "token": {token},
		"name": {"Road Runner"}, "password": {"short"}, "confirm": {"short"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `value="Road Runner"`) {
		t.Fatalf("a short password: %d", res.StatusCode)
	}
	res, _ = invitee.do(http.MethodPost, "/invite", url.Values{"_csrf": {invitee.csrf(link.RequestURI())}, "token": {token},
		"name": {"Road Runner"}, "password": {"meep meep meep"}, "confirm": {"meep meep meep"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console" {
		t.Fatalf("accept: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	create := func() (*http.Response, string) {
		return invitee.do(http.MethodPost, "/console/apps", url.Values{"_csrf": {invitee.csrf("/console/apps/new")}, "name": {"x"},
			"runtime": {"node"}, "zone": {"par"}, "flavor": {"XS"}, "idempotency_key": {randomKey()}})
	}
	if res, body := create(); res.StatusCode == http.StatusForbidden {
		t.Fatalf("the new developer creating: %d\n%s", res.StatusCode, body)
	}
	if res, _ := invitee.do(http.MethodGet, "/console/invoices", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the new developer opening the invoices: %d", res.StatusCode)
	}
	if res, page := a.client(t, "acme.localhost").do(http.MethodGet, link.RequestURI(), nil); res.StatusCode != http.StatusGone || !strings.Contains(page, "already accepted") {
		t.Fatalf("the link used twice: %d", res.StatusCode)
	}

	owner := a.client(t, "acme.localhost")
	owner.signIn("dev@acme.example")
	newbie, _ := a.store.UserByEmail(ctx, acme.ID, "new@roadrunner.example")
	if res, _ := owner.do(http.MethodPost, "/console/members/role", url.Values{"_csrf": {owner.csrf("/console/members")},
		"user": {newbie.ID}, "role": {"viewer"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's role change: %d", res.StatusCode)
	}
	if res, body := create(); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Your access does not allow this action") {
		t.Fatalf("the viewer creating: %d", res.StatusCode)
	}
}

// TestInvitationSMTPDown: with the SMTP server down while inviting, the
// invitation is kept and its e-mail delivered once when the server is
// back; a resend sends a new link and the old one stops working; a
// cancelled invitation's link is dead; an owner invites from the console
// and the partner invites an admin.
func TestInvitationSMTPDown(t *testing.T) {
	a := newApp(t)
	owner := a.client(t, "acme.localhost")
	owner.signIn("dev@acme.example")
	if err := a.mail.Stop(); err != nil {
		t.Fatal(err)
	}
	res, _ := owner.do(http.MethodPost, "/console/members/invite", url.Values{"_csrf": {owner.csrf("/console/members")},
		"email": {"later@roadrunner.example"}, "role": {"billing"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite with the SMTP server down: %d", res.StatusCode)
	}
	time.Sleep(200 * time.Millisecond) // the outbox tries, and fails
	if _, page := owner.do(http.MethodGet, "/console/members", nil); !strings.Contains(page, "later@roadrunner.example") ||
		!strings.Contains(page, "Waiting for the mail server") {
		t.Fatal("the pending invitation is not listed, or not as waiting for the mail server")
	}
	if err := a.mail.Restart(); err != nil {
		t.Fatal(err)
	}
	// The retry falls due after email.RetryBase: deliver now, as a worker
	// would then.
	a.outbox.SetClock(func() time.Time { return time.Now().Add(time.Minute) })
	_, text := mailTo(t, a.mail, "later@roadrunner.example", 1)
	time.Sleep(300 * time.Millisecond)
	n := 0
	for _, m := range a.mail.Messages() {
		if m.To[0] == "later@roadrunner.example" {
			n++
		}
	}
	if n != 1 || !strings.Contains(text, "as Billing") {
		t.Fatalf("%d e-mails delivered after the server came back, want 1:\n%s", n, text)
	}
	first, _ := url.Parse(inviteLink.FindString(text))
	if _, page := owner.do(http.MethodGet, "/console/members", nil); !strings.Contains(page, `data-testid="mail-sent"`) {
		t.Fatal("the delivered invitation is not shown as delivered")
	}

	_, page := owner.do(http.MethodGet, "/console/members", nil)
	id := regexpFind(t, page, `name="invitation" value="([^"]+)"`)
	owner.do(http.MethodPost, "/console/members/invitations/resend", url.Values{"_csrf": {owner.csrf("/console/members")}, "invitation": {id}})
	_, text = mailTo(t, a.mail, "later@roadrunner.example", 2)
	second, _ := url.Parse(inviteLink.FindString(text))
	visitor := a.client(t, "acme.localhost")
	if res, _ := visitor.do(http.MethodGet, first.RequestURI(), nil); res.StatusCode != http.StatusGone {
		t.Fatalf("the first link after a resend: %d", res.StatusCode)
	}
	if res, _ := visitor.do(http.MethodGet, second.RequestURI(), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the resent link: %d", res.StatusCode)
	}
	owner.do(http.MethodPost, "/console/members/invitations/revoke", url.Values{"_csrf": {owner.csrf("/console/members")}, "invitation": {id}})
	if res, _ := visitor.do(http.MethodGet, second.RequestURI(), nil); res.StatusCode != http.StatusGone {
		t.Fatalf("a cancelled invitation's link: %d", res.StatusCode)
	}

	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	if res, _ := admin.do(http.MethodPost, "/admin/people/invite", url.Values{"_csrf": {admin.csrf("/admin/people")}, "email": {"ops@acme.example"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite an admin: %d", res.StatusCode)
	}
	_, text = mailTo(t, a.mail, "ops@acme.example", 1)
	link, _ := url.Parse(inviteLink.FindString(text))
	newAdmin := a.client(t, "acme.localhost")
	res, _ = newAdmin.do(http.MethodPost, "/invite", url.Values{"_csrf": {newAdmin.csrf(link.RequestURI())}, "token": {link.Query().Get("token")},
		"password": {"acme admin two"}, "confirm": {"acme admin two"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		t.Fatalf("the invited admin: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, page := admin.do(http.MethodGet, "/admin/people", nil); !strings.Contains(page, "ops@acme.example") {
		t.Fatal("the new admin is not listed")
	}
}
