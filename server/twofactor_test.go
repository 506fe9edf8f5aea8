package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/grisaille/grisaille/demo"
	"github.com/grisaille/grisaille/tenants"
)

var (
	totpSecret    = regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7 ]+)<`)
	recoveryCodes = regexp.MustCompile(`<li>([a-z2-7]{5}-[a-z2-7]{5})</li>`)
)

// code is the TOTP code of secret at now+offset.
func code(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(strings.ReplaceAll(secret, " ", ""), time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP sets up two-factor sign-in from the account page and returns
// the secret, the recovery codes and the code it used.
func enrolTOTP(t *testing.T, c *client) (string, []string, string) {
	t.Helper()
	_, page := c.do(http.MethodGet, "/account/two-factor", nil)
	m := totpSecret.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Fatalf("the enrolment shows no secret or QR code:\n%s", page)
	}
	res, page := c.do(http.MethodPost, "/account/two-factor", url.Values{"_csrf": {c.csrf("/account/two-factor")}, "code": {"000000"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "This code is not right") || !strings.Contains(page, m[1]) {
		t.Fatalf("a wrong first code: %d", res.StatusCode)
	}
	used := code(t, m[1], 0)
	res, page = c.do(http.MethodPost, "/account/two-factor", url.Values{"_csrf": {c.csrf("/account/two-factor")}, "code": {used}})
	codes := recoveryCodes.FindAllStringSubmatch(page, -1)
	if res.StatusCode != http.StatusOK || len(codes) != 10 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("enrolment: %d, %d recovery codes\n%s", res.StatusCode, len(codes), page)
	}
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	return m[1], out, used
}

// passwordStep signs in with the demo password and expects the second step.
func passwordStep(t *testing.T, c *client, email string) {
	t.Helper()
	res, page := c.do(http.MethodPost, "/login", url.Values{"_csrf": {c.csrf("/login")}, "email": {email}, "password": {demo.Password}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/two-factor" {
		t.Fatalf("password of %s: %d %s\n%s", email, res.StatusCode, res.Header.Get("Location"), page)
	}
}

func (c *client) opens(path string) bool {
	res, _ := c.do(http.MethodGet, path, nil)
	return res.StatusCode == http.StatusOK
}

// TestTwoFactor: a user sets up TOTP from their account (a wrong first
// code refused), then signs in with a code after the password: a code
// already used is refused, the next one works; a recovery code works once;
// wrong codes end the challenge and lock the second step even for the
// right code; a current code turns it off.
func TestTwoFactor(t *testing.T) {
	a := newApp(t)
	me := a.client(t, "acme.localhost")
	me.signIn("dev@acme.example")
	if _, page := me.do(http.MethodGet, "/account", nil); !strings.Contains(page, "Two-factor sign-in is off") {
		t.Fatal("the account page does not say two-factor is off")
	}
	secret, codes, used := enrolTOTP(t, me)
	if _, page := me.do(http.MethodGet, "/account", nil); !strings.Contains(page, `data-testid="two-factor-on"`) ||
		!strings.Contains(page, "10 recovery codes left") {
		t.Fatal("the account page does not show two-factor on")
	}

	laptop := a.client(t, "acme.localhost")
	passwordStep(t, laptop, "dev@acme.example")
	if laptop.opens("/console") {
		t.Fatal("the password alone opened the console")
	}
	_, page := laptop.do(http.MethodGet, "/login/two-factor", nil)
	if !strings.Contains(page, `autocomplete="one-time-code"`) || strings.Contains(page, "totp-secret") {
		t.Fatalf("the second step asks no code:\n%s", page)
	}
	// The code the enrolment used is refused: each code works once.
	res, page := laptop.do(http.MethodPost, "/login/two-factor", url.Values{"_csrf": {laptop.csrf("/login/two-factor")}, "code": {used}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "already used") {
		t.Fatalf("a used code: %d", res.StatusCode)
	}
	res, _ = laptop.do(http.MethodPost, "/login/two-factor", url.Values{"_csrf": {laptop.csrf("/login/two-factor")}, "code": {code(t, secret, 30*time.Second)}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console" || !laptop.opens("/console") {
		t.Fatalf("the next code: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// The challenge is used up: its cookie no longer opens a second step.
	if res, _ := laptop.do(http.MethodGet, "/login/two-factor", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("a used challenge: %d", res.StatusCode)
	}

	phone := a.client(t, "acme.localhost")
	passwordStep(t, phone, "dev@acme.example")
	res, _ = phone.do(http.MethodPost, "/login/two-factor", url.Values{"_csrf": {phone.csrf("/login/two-factor")}, "code": {strings.ToUpper(codes[3])}})
	if res.StatusCode != http.StatusSeeOther || !phone.opens("/console") {
		t.Fatalf("a recovery code: %d", res.StatusCode)
	}
	again := a.client(t, "acme.localhost")
	passwordStep(t, again, "dev@acme.example")
	if res, _ := again.do(http.MethodPost, "/login/two-factor", url.Values{"_csrf": {again.csrf("/login/two-factor")}, "code": {codes[3]}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a recovery code used twice: %d", res.StatusCode)
	}
	if _, page := me.do(http.MethodGet, "/account", nil); !strings.Contains(page, "9 recovery codes left") {
		t.Fatal("a used recovery code is still counted")
	}

	// Wrong codes: five end the challenge (the throttle widened here), and
	// past the throttle's free failures the second step locks, the right
	// code refused too.
	a.store.SetThrottle(tenants.ThrottlePolicy{AccountFree: 100, AddressFree: 100, Base: time.Minute, Max: time.Hour, Forget: time.Hour})
	thief := a.client(t, "acme.localhost")
	passwordStep(t, thief, "dev@acme.example")
	for i := range 5 {
		res, _ := thief.do(http.MethodPost, "/login/two-factor", url.Values{"_csrf": {thief.csrf("/login")}, "code": {"123456"}})
		if i < 4 && res.StatusCode != http.StatusUnauthorized || i == 4 && (res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login") {
			t.Fatalf("wrong code %d: %d %s", i+1, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if _, page := thief.do(http.MethodGet, "/login", nil); !strings.Contains(page, "too many wrong codes") {
		t.Fatal("the sign-in page does not say why the challenge ended")
	}
	a.store.SetThrottle(tenants.DefaultThrottle)
	passwordStep(t, thief, "dev@acme.example")
	res, page = thief.do(http.MethodPost, "/login/two-factor", url.Values{"_csrf": {thief.csrf("/login")}, "code": {"654321"}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a wrong code past the free failures: %d", res.StatusCode)
	}
	res, page = thief.do(http.MethodPost, "/login/two-factor", url.Values{"_csrf": {thief.csrf("/login")}, "code": {code(t, secret, 60*time.Second)}})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Try again in") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the right code while locked: %d", res.StatusCode)
	}
	if n := a.auditCount(t, "auth.locked"); n == 0 {
		t.Fatal("the second step's lockout is not audited")
	}

	res, page = me.do(http.MethodPost, "/account/two-factor/disable", url.Values{"_csrf": {me.csrf("/account")}, "code": {"111111"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "This code is not right") {
		t.Fatalf("turning off with a wrong code: %d", res.StatusCode)
	}
	res, _ = me.do(http.MethodPost, "/account/two-factor/disable", url.Values{"_csrf": {me.csrf("/account")}, "code": {codes[0]}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("turning off: %d", res.StatusCode)
	}
	a.client(t, "acme.localhost").signIn("dev@acme.example") // the password alone again
}

// TestTwoFactorRequired: a partner that requires two-factor sign-in of its
// customers' users has them enrol at their next sign-in, before their
// session opens, and they cannot turn it off; its own team is not held.
func TestTwoFactorRequired(t *testing.T) {
	a := newApp(t)
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	res, _ := admin.do(http.MethodPost, "/admin/security/two-factor", url.Values{"_csrf": {admin.csrf("/admin/security")}, "customers": {"on"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("require two-factor: %d", res.StatusCode)
	}
	if _, page := admin.do(http.MethodGet, "/admin/security", nil); !regexp.MustCompile(`name="customers"[^>]*checked`).MatchString(page) ||
		regexp.MustCompile(`name="admins"[^>]*checked`).MatchString(page) {
		t.Fatal("the security page does not show the requirement")
	}
	a.client(t, "acme.localhost").signIn("admin@acme.example") // the team is not held

	dev := a.client(t, "acme.localhost")
	passwordStep(t, dev, "dev@acme.example")
	if dev.opens("/console") {
		t.Fatal("a session opened before the required enrolment")
	}
	_, page := dev.do(http.MethodGet, "/login/two-factor", nil)
	m := totpSecret.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Acme Cloud requires two-factor sign-in") || !strings.Contains(page, `action="/login/two-factor/enrol"`) {
		t.Fatalf("the required enrolment:\n%s", page)
	}
	res, page = dev.do(http.MethodPost, "/login/two-factor/enrol", url.Values{"_csrf": {dev.csrf("/login/two-factor")}, "code": {code(t, m[1], 0)}})
	if res.StatusCode != http.StatusOK || len(recoveryCodes.FindAllString(page, -1)) != 10 || !strings.Contains(page, `href="/console"`) {
		t.Fatalf("the enrolment at sign-in: %d\n%s", res.StatusCode, page)
	}
	if !dev.opens("/console") {
		t.Fatal("no session after the enrolment")
	}
	_, page = dev.do(http.MethodGet, "/account", nil)
	if strings.Contains(page, `data-testid="two-factor-off"`) || !strings.Contains(page, "requires two-factor sign-in for your account") {
		t.Fatal("the account page offers to turn off a required two-factor")
	}
	res, page = dev.do(http.MethodPost, "/account/two-factor/disable", url.Values{"_csrf": {dev.csrf("/account")}, "code": {code(t, m[1], 30*time.Second)}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Acme Cloud requires two-factor sign-in for your account: it cannot be turned off") {
		t.Fatalf("turning off a required two-factor: %d", res.StatusCode)
	}

}

// auditCount counts Acme's audit events of an action.
func (a *app) auditCount(t *testing.T, action string) int {
	t.Helper()
	acme, err := a.store.PartnerBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	events, err := a.audit.Events(context.Background(), acme.ID, 500, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == action {
			n++
		}
	}
	return n
}
