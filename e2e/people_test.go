package e2e

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// delivered waits for the e-mail to addr that the demo's SMTP server kept
// under the portal's data directory, and returns its subject and text.
func delivered(t *testing.T, p *portal, addr string) (subject, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(p.Data, "mail", "*.eml"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil || !strings.Contains(m.Header.Get("To"), addr) {
				continue
			}
			subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
			r := multipart.NewReader(m.Body, params["boundary"])
			for {
				part, err := r.NextPart()
				if err != nil {
					break
				}
				if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
					b, _ := io.ReadAll(part)
					return subject, string(b)
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no e-mail to %s arrived", addr)
	return "", ""
}

// TestInvitationInTheBrowser: the Acme admin invites new@roadrunner.example
// as a developer of Roadrunner Labs; the test reads the e-mail the SMTP
// server received (Acme's brand, English, its link on Acme's host), follows
// it, sets a password and is signed in; the developer creates an
// application and is refused the invoices; the owner makes them a viewer,
// and creating is then refused with a clear message.
func TestInvitationInTheBrowser(t *testing.T) {
	p := startPortal(t)
	const acme = "acme.localhost"
	admin := NewBrowser(t)
	signIn(t, admin, p, acme, "admin@acme.example")
	customer, err := chromedp.Run(admin, chromedp.Evaluate[string](
		`[...document.querySelectorAll('a')].find(a => a.textContent.includes('Roadrunner Labs')).getAttribute('href')`))
	if err != nil || !strings.HasPrefix(customer, "/admin/customers/") {
		t.Fatalf("the admin's link to Roadrunner Labs: %q, %v", customer, err)
	}
	run(t, admin, "invite a developer",
		chromedp.Navigate(p.URL(acme, customer)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=invite-form]`)),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid=invite-form] input[name=email]`), "new@roadrunner.example"),
		chromedp.SetValue(chromedp.CSS(`form[data-testid=invite-form] select[name=role]`), "developer"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=invite-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	mustContain(t, "the customer's page after inviting", body(t, admin), "The invitation was sent.", "new@roadrunner.example")

	subject, text := delivered(t, p, "new@roadrunner.example")
	mustContain(t, "the invitation e-mail", subject+"\n"+text, "You are invited to Acme Cloud", "Roadrunner Labs", "as Developer")
	mustNotContain(t, "the invitation e-mail", text, "Clever", "Globex")
	link := regexp.MustCompile(`http://[^\s]+/invite\?token=[A-Za-z0-9_%-]+`).FindString(text)
	if u, err := url.Parse(link); link == "" || err != nil || u.Hostname() != acme {
		t.Fatalf("the invitation's link %q is not on Acme's host", link)
	}

	invitee := NewBrowser(t)
	run(t, invitee, "accept the invitation",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=accept-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Road Runner"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "meep meep meep"),
		chromedp.SendKeys(chromedp.CSS(`input[name=confirm]`), "meep meep meep"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=accept-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=user-email]`)),
	)
	mustContain(t, "the new member's console", body(t, invitee), "new@roadrunner.example", "Roadrunner Labs")
	create := func(name string) {
		run(t, invitee, "create "+name,
			chromedp.Navigate(p.URL(acme, "/console/apps/new")),
			chromedp.WaitVisible(chromedp.CSS(`form[data-testid=new-app-form]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=name]`), name),
			chromedp.SetValue(chromedp.CSS(`select[name=runtime]`), "node"),
			chromedp.SetValue(chromedp.CSS(`select[name=zone]`), "par"),
			chromedp.SetValue(chromedp.CSS(`select[name=flavor]`), "XS"),
			chromedp.Submit(chromedp.CSS(`form[data-testid=new-app-form]`)),
			chromedp.WaitVisible(chromedp.CSS(`main`)),
		)
	}
	create("runner-app")
	mustContain(t, "the developer's new application", body(t, invitee), "runner-app", "The application was created.")
	run(t, invitee, "open the invoices", chromedp.Navigate(p.URL(acme, "/console/invoices")), chromedp.WaitVisible(chromedp.CSS(`main`)))
	mustContain(t, "the invoices, as a developer", body(t, invitee), "Your access does not allow this action.")

	owner := NewBrowser(t)
	signIn(t, owner, p, acme, "dev@acme.example")
	run(t, owner, "make the developer a viewer",
		chromedp.Navigate(p.URL(acme, "/console/members")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=users]`)),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const row = [...document.querySelectorAll('[data-testid=member-row]')].find(r => r.textContent.includes('new@roadrunner.example'));
			const form = row.querySelector('form[data-testid=role-form]');
			form.querySelector('select[name=role]').value = 'viewer';
			form.submit();
		})()`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	mustContain(t, "the members page", body(t, owner), "The member's role was changed")

	run(t, invitee, "open the new application form again",
		chromedp.Navigate(p.URL(acme, "/console/apps/new")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=new-app-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "viewer-app"),
		chromedp.SetValue(chromedp.CSS(`select[name=runtime]`), "node"),
		chromedp.SetValue(chromedp.CSS(`select[name=zone]`), "par"),
		chromedp.SetValue(chromedp.CSS(`select[name=flavor]`), "XS"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=new-app-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-page]`)),
	)
	mustContain(t, "creating as a viewer", body(t, invitee), "403", "Your access does not allow this action.")
}
