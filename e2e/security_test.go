package e2e

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// totpCode is the code of the secret a page shows, at now+offset.
func totpCode(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(strings.ReplaceAll(secret, " ", ""), time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolOnPage reads the secret of the enrolment page the browser shows,
// types its first code and waits for the recovery codes.
func enrolOnPage(t *testing.T, b context.Context, who string) {
	t.Helper()
	secret, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(`[data-testid=totp-secret]`)))
	if err != nil || len(strings.ReplaceAll(secret, " ", "")) != 32 {
		t.Fatalf("%s: the enrolment's secret %q: %v", who, secret, err)
	}
	qr, err := chromedp.Run(b, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('[data-testid=totp-qr]'); return i.complete && i.naturalWidth > 100 })()`))
	if err != nil || !qr {
		t.Fatalf("%s: the QR code does not show: %v", who, err)
	}
	run(t, b, who+": the first code",
		chromedp.SendKeys(chromedp.CSS(`input[name=code]`), totpCode(t, secret, 0)),
		chromedp.Submit(chromedp.CSS(`form[data-testid=two-factor-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=recovery-codes]`)),
	)
	if n, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=recovery-codes] li').length`)); err != nil || n != 10 {
		t.Fatalf("%s: %d recovery codes shown: %v", who, n, err)
	}
	secrets[who] = secret
}

// secrets are the two-factor secrets the browsers enrolled, by who.
var secrets = map[string]string{}

// TestTwoFactorInTheBrowser: a customer's user sets up two-factor sign-in
// from their account (QR code, a first code, recovery codes), then signs in
// with the password and a code; Acme then requires two-factor of its team,
// and its admin's next sign-in enrols before the admin pages open.
func TestTwoFactorInTheBrowser(t *testing.T) {
	p := startPortal(t)
	const acme = "acme.localhost"
	dev := NewBrowser(t)
	signIn(t, dev, p, acme, "dev@acme.example")
	run(t, dev, "open the set-up",
		chromedp.Navigate(p.URL(acme, "/account")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=two-factor-set-up]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=two-factor-set-up]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=totp-qr]`)),
	)
	checkAccessibility(t, dev, "the two-factor set-up")
	enrolOnPage(t, dev, "dev")
	run(t, dev, "back to the account",
		chromedp.Click(chromedp.CSS(`[data-testid=continue]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=two-factor-on]`)),
	)
	mustContain(t, "the account with two-factor on", body(t, dev), "10 recovery codes left")

	laptop := NewBrowser(t)
	signInUntil(t, laptop, p, acme, "dev@acme.example", `form[data-testid=two-factor-form]`)
	run(t, laptop, "a wrong code",
		chromedp.SendKeys(chromedp.CSS(`input[name=code]`), "000000"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=two-factor-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=two-factor-error]`)),
	)
	mustContain(t, "a wrong code", body(t, laptop), "This code is not right")
	checkAccessibility(t, laptop, "the second sign-in step")
	run(t, laptop, "the right code",
		chromedp.SendKeys(chromedp.CSS(`input[name=code]`), totpCode(t, secrets["dev"], 30*time.Second)),
		chromedp.Submit(chromedp.CSS(`form[data-testid=two-factor-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=user-email]`)),
	)
	mustContain(t, "the console after two-factor sign-in", body(t, laptop), "dev@acme.example", "Roadrunner Labs")

	admin := NewBrowser(t)
	signIn(t, admin, p, acme, "admin@acme.example")
	run(t, admin, "require two-factor of the team",
		chromedp.Navigate(p.URL(acme, "/admin/security")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=two-factor-policy]`)),
		chromedp.Click(chromedp.CSS(`input[name=admins]`)),
		chromedp.Submit(chromedp.CSS(`form[data-testid=two-factor-policy]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	next := NewBrowser(t)
	signInUntil(t, next, p, acme, "admin@acme.example", `[data-testid=two-factor-required]`)
	mustContain(t, "the required enrolment", body(t, next), "Acme Cloud requires two-factor sign-in for your account")
	enrolOnPage(t, next, "admin")
	run(t, next, "on to the admin",
		chromedp.Click(chromedp.CSS(`[data-testid=continue]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=user-email]`)),
	)
	mustContain(t, "the admin after enrolling", body(t, next), "admin@acme.example")
	if loc, err := chromedp.Run(next, chromedp.Evaluate[string](`location.pathname`)); err != nil || loc != "/admin" {
		t.Fatalf("the admin landed on %q: %v", loc, err)
	}
}

// startProvider serves zitadel's example OpenID provider, with its login
// page, on loopback, with one web client for redirectURI.
func startProvider(t *testing.T, clientID, secret, redirectURI string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	storage.RegisterClients(storage.WebClient(clientID, secret, redirectURI))
	router := exampleop.SetupServer(issuer, storage.NewStorage(storage.NewUserStore(issuer)), nil, false)
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return issuer
}

// TestSingleSignOnInTheBrowser: Acme's admin adds an OpenID Connect
// provider for Roadrunner Labs; a user of the provider signs in through its
// login page and lands in Roadrunner Labs' console, as a new developer.
func TestSingleSignOnInTheBrowser(t *testing.T) {
	p := startPortal(t)
	const acme = "acme.localhost"
	issuer := startProvider(t, "acme-portal", "acme-portal-secret", p.URL(acme, "/login/sso/callback"))
	admin := NewBrowser(t)
	signIn(t, admin, p, acme, "admin@acme.example")
	run(t, admin, "add the provider",
		chromedp.Navigate(p.URL(acme, "/admin/security")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=sso-form]`)),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid=sso-form] input[name=name]`), "Roadrunner Login"),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const s = document.querySelector('form[data-testid=sso-form] select[name=customer]');
			s.value = [...s.options].find(o => o.textContent.includes('Roadrunner Labs')).value;
		})()`),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid=sso-form] input[name=issuer]`), issuer),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid=sso-form] input[name=client_id]`), "acme-portal"),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid=sso-form] input[name=client_secret]`), "acme-portal-secret"),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid=sso-form] input[name=domains]`), "zitadel.ch"),
		chromedp.SetValue(chromedp.CSS(`form[data-testid=sso-form] select[name=role]`), "developer"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=sso-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	mustContain(t, "the security page", body(t, admin), "The single sign-on provider was added.", "Roadrunner Login", "zitadel.ch")
	checkAccessibility(t, admin, "the sign-in security page")

	user := NewBrowser(t)
	run(t, user, "sign in through the provider",
		chromedp.Navigate(p.URL(acme, "/login")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sso-button]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=sso-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "test-user@127.0.0.1"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "verysecure"),
		chromedp.Submit(chromedp.CSS(`form`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=user-email]`)),
	)
	mustContain(t, "the console after single sign-on", body(t, user), "test-user@zitadel.ch", "Roadrunner Labs")
	mustNotContain(t, "the console after single sign-on", body(t, user), "Initech", "Globex")
	if loc, err := chromedp.Run(user, chromedp.Evaluate[string](`location.host + location.pathname`)); err != nil || loc != acme+":"+p.Port+"/console" {
		t.Fatalf("single sign-on landed on %q: %v", loc, err)
	}
}
