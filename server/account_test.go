package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/demo"
)

// TestAccount: a user lists their sessions (where from, which browser),
// signs one of the others out, changes their password (the current one
// checked, the other sessions ended, this one kept), and signs out of
// every other; nobody else's session can be ended from there.
func TestAccount(t *testing.T) {
	a := newApp(t)
	me := a.client(t, "acme.localhost")
	laptop, phone := a.client(t, "acme.localhost"), a.client(t, "acme.localhost")
	for _, c := range []*client{me, laptop, phone} {
		c.signIn("dev@acme.example")
	}
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")

	_, page := me.do(http.MethodGet, "/account", nil)
	if n := strings.Count(page, `data-testid="session-row"`); n != 3 || strings.Count(page, `data-testid="this-session"`) != 1 ||
		!strings.Contains(page, "127.0.0.1") || !strings.Contains(page, "Go-http-client") {
		t.Fatalf("%d sessions listed:\n%s", n, page)
	}
	ids := regexp.MustCompile(`name="session" value="([0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	if len(ids) != 2 {
		t.Fatalf("%d sign-out buttons, want 2", len(ids))
	}
	// The admin cannot end the developer's session: only their own.
	admin.do(http.MethodPost, "/account/sessions/end", url.Values{"_csrf": {admin.csrf("/account")}, "session": {ids[0][1]}})
	open := func(c *client) bool {
		res, _ := c.do(http.MethodGet, "/console", nil)
		return res.StatusCode == http.StatusOK
	}
	if !open(laptop) || !open(phone) {
		t.Fatal("another user ended a session")
	}
	res, _ := me.do(http.MethodPost, "/account/sessions/end", url.Values{"_csrf": {me.csrf("/account")}, "session": {ids[0][1]}})
	if res.StatusCode != http.StatusSeeOther || open(laptop) == open(phone) {
		t.Fatalf("ending one session: %d, laptop open %v, phone open %v", res.StatusCode, open(laptop), open(phone))
	}

	res, page = me.do(http.MethodPost, "/account/password", url.Values{"_csrf": {me.csrf("/account")}, "current": {"not it"},
		"password": {"a new long password"}, "confirm": {"a new long password"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "The current password is not right") {
		t.Fatalf("a wrong current password: %d", res.StatusCode)
	}
	res, _ = me.do(http.MethodPost, "/account/password", url.Values{"_csrf": {me.csrf("/account")}, "current": {demo.Password},
		"password": {"a new long password"}, "confirm": {"a new long password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change the password: %d", res.StatusCode)
	}
	if !open(me) || open(laptop) || open(phone) {
		t.Fatal("after a password change, this session stays and the others end")
	}
	stranger := a.client(t, "acme.localhost")
	if res, _ := stranger.do(http.MethodPost, "/login", url.Values{"_csrf": {stranger.csrf("/login")},
		"email": {"dev@acme.example"}, "password": {demo.Password}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old password after the change: %d", res.StatusCode)
	}
	other := a.client(t, "acme.localhost")
	other.signInWith("dev@acme.example", "a new long password")
	if res, _ := me.do(http.MethodPost, "/account/sessions/end", url.Values{"_csrf": {me.csrf("/account")}}); res.StatusCode != http.StatusSeeOther || open(other) || !open(me) {
		t.Fatal("sign out of every other session")
	}
	if res, _ := a.client(t, "acme.localhost").do(http.MethodGet, "/account", nil); res.StatusCode != http.StatusSeeOther ||
		res.Header.Get("Location") != "/login?next=%2Faccount" {
		t.Fatalf("the account page signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}
