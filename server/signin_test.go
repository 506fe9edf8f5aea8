package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/demo"
)

// TestSignInThrottle: twenty wrong passwords for one account are
// throttled with a message saying when to try again; the right password
// is refused until the backoff ends, then works; an unknown address is
// answered and throttled exactly as a known one; the lockout is audited
// and the e-mail typed is kept.
func TestSignInThrottle(t *testing.T) {
	a := newApp(t)
	clock := time.Now()
	var mu sync.Mutex
	a.store.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

	c := a.client(t, "acme.localhost")
	try := func(email, password string) (*http.Response, string) {
		t.Helper()
		return c.do(http.MethodPost, "/login", url.Values{"_csrf": {c.csrf("/login")}, "email": {email}, "password": {password}})
	}
	for _, email := range []string{"admin@acme.example", "nobody@acme.example"} {
		var statuses []int
		for i := 0; i < 20; i++ {
			res, page := try(email, "wrong password "+fmt.Sprint(i))
			statuses = append(statuses, res.StatusCode)
			if i >= 5 && (res.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Too many failed sign-ins") ||
				!strings.Contains(page, "Try again in 30 seconds") || res.Header.Get("Retry-After") != "30" ||
				!strings.Contains(page, `value="`+email+`"`)) {
				t.Fatalf("%s attempt %d: %d, Retry-After %q\n%s", email, i+1, res.StatusCode, res.Header.Get("Retry-After"), page)
			}
		}
		for i, s := range statuses[:4] {
			if s != http.StatusUnauthorized {
				t.Fatalf("%s: attempt %d answered %d before the throttle", email, i+1, s)
			}
		}
		if statuses[4] != http.StatusTooManyRequests {
			t.Fatalf("%s: the fifth failure did not lock: %d", email, statuses[4])
		}
	}
	if res, page := try("admin@acme.example", demo.Password); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the right password during the backoff: %d\n%s", res.StatusCode, page)
	}
	advance(29 * time.Second)
	if res, page := try("admin@acme.example", demo.Password); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Try again in 1 seconds") {
		t.Fatalf("one second before the end of the backoff: %d", res.StatusCode)
	}
	advance(time.Second)
	if res, _ := try("admin@acme.example", demo.Password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password after the backoff: %d", res.StatusCode)
	}
	// The next failures start from none: a success forgets them.
	other := a.client(t, "acme.localhost")
	res, _ := other.do(http.MethodPost, "/login", url.Values{"_csrf": {other.csrf("/login")}, "email": {"admin@acme.example"}, "password": {"wrong"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a failure after a success: %d", res.StatusCode)
	}

	acme, err := a.store.PartnerBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	events, err := a.audit.Events(context.Background(), acme.ID, 200, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	locks := map[string]bool{}
	for _, e := range events {
		if e.Action == "auth.locked" {
			locks[e.ActorLabel] = e.Outcome == "denied" && strings.HasPrefix(e.Detail, "account locked until ")
		}
	}
	if !locks["admin@acme.example"] || !locks["nobody@acme.example"] {
		t.Fatalf("lockouts audited: %v", locks)
	}
}

// TestSignInFrenchLock: the lock's message is in the reader's language.
func TestSignInFrenchLock(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "globex.localhost")
	var page string
	for i := 0; i < 5; i++ {
		_, page = c.do(http.MethodPost, "/login", url.Values{"_csrf": {c.csrf("/login")}, "email": {"x@globex.example"}, "password": {"wrong"}})
	}
	if !strings.Contains(page, "Réessayez dans 30 secondes") {
		t.Fatalf("the French lock message is missing:\n%s", page)
	}
}

// TestSignInReturnsAndRenewsCSRF: a page that asks for a sign-in is
// returned to after it, only when local and of the user's part; the CSRF
// token changes at sign-in.
func TestSignInReturnsAndRenewsCSRF(t *testing.T) {
	a := newApp(t)
	c := a.client(t, "acme.localhost")
	res, _ := c.do(http.MethodGet, "/admin/domains?tab=1", nil)
	if loc := res.Header.Get("Location"); loc != "/login?next=%2Fadmin%2Fdomains%3Ftab%3D1" {
		t.Fatalf("the sign-in redirect: %q", loc)
	}
	_, page := c.do(http.MethodGet, "/login?next=%2Fadmin%2Fdomains%3Ftab%3D1", nil)
	if !strings.Contains(page, `name="next" value="/admin/domains?tab=1"`) {
		t.Fatal("the sign-in form does not carry the page to return to")
	}
	before := c.csrf("/login")
	res, _ = c.do(http.MethodPost, "/login", url.Values{"_csrf": {before}, "email": {"admin@acme.example"},
		"password": {demo.Password}, "next": {"/admin/domains?tab=1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/domains?tab=1" {
		t.Fatalf("after sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if after := c.csrf("/admin"); after == before {
		t.Fatal("the CSRF token was not renewed at sign-in")
	}
	for next, want := range map[string]string{
		"/%2F%2Fevil.example": "/console", "//evil.example": "/console", "https://evil.example": "/console",
		"/admin": "/console", "/console/apps/new": "/console/apps/new",
	} {
		cust := a.client(t, "acme.localhost")
		res, _ := cust.do(http.MethodPost, "/login", url.Values{"_csrf": {cust.csrf("/login")}, "email": {"dev@acme.example"},
			"password": {demo.Password}, "next": {next}})
		if res.Header.Get("Location") != want {
			t.Errorf("next %q: sent to %q, want %q", next, res.Header.Get("Location"), want)
		}
	}
	// The language switch's next is local too.
	res, _ = c.do(http.MethodPost, "/language", url.Values{"_csrf": {c.csrf("/admin")}, "lang": {"fr"}, "next": {"/%2F%2Fevil"}})
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Fatalf("POST /language next=/%%2F%%2Fevil: sent to %q", loc)
	}
}
