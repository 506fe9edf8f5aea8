package tenants

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
	stdpng "image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/broadcast"
)

func TestCreateUser(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a := mustPartner(t, s, "acme")
	c := mustCustomer(t, s, a.ID, "orga_1", "par")
	u := mustUser(t, s, UserCreate{PartnerID: a.ID, Email: "  Admin@Acme.Example ", Name: "Ada", Role: RolePartnerAdmin})
	if u.Email != "admin@acme.example" || u.CustomerID != "" || u.Language != "" {
		t.Errorf("got %+v, want normalised email, no customer, no language", u)
	}
	tests := []struct {
		name string
		uc   UserCreate
		is   error
		msg  string
	}{
		{"bad email", UserCreate{PartnerID: a.ID, Email: "not-an-email", Role: RolePartnerAdmin}, ErrInvalid, MsgEmailInvalid},
		{"display name in email", UserCreate{PartnerID: a.ID, Email: "Ann <ann@x.example>", Role: RolePartnerAdmin}, ErrInvalid, MsgEmailInvalid},
		{"short password", UserCreate{PartnerID: a.ID, Email: "b@x.example", Password: "123456789", Role: RolePartnerAdmin}, ErrInvalid, MsgPasswordTooShort},
		{"unknown role", UserCreate{PartnerID: a.ID, Email: "b@x.example", Role: "root"}, ErrInvalid, MsgRoleInvalid},
		{"customer without customer", UserCreate{PartnerID: a.ID, Email: "b@x.example", Role: RoleCustomer}, ErrInvalid, MsgUserCustomerRequired},
		{"admin with customer", UserCreate{PartnerID: a.ID, CustomerID: c.ID, Email: "b@x.example", Role: RolePartnerAdmin}, ErrInvalid, MsgUserCustomerForbidden},
		{"unknown language", UserCreate{PartnerID: a.ID, Email: "b@x.example", Role: RolePartnerAdmin, Language: "de"}, ErrInvalid, MsgLanguageInvalid},
		{"email taken", UserCreate{PartnerID: a.ID, Email: "ADMIN@acme.example", Role: RolePartnerAdmin}, ErrDuplicate, MsgEmailTaken},
		{"unknown partner", UserCreate{PartnerID: "ptn_nope", Email: "b@x.example", Role: RolePartnerAdmin}, ErrNotFound, MsgNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.uc.Password == "" {
				tt.uc.Password = "long enough password"
			}
			_, err := s.CreateUser(ctx, tt.uc)
			if !errors.Is(err, tt.is) {
				t.Fatalf("got %v, want %v", err, tt.is)
			}
			if got, _ := MessageID(err); got != tt.msg {
				t.Errorf("got message %q, want %q", got, tt.msg)
			}
		})
	}
	cu := mustUser(t, s, UserCreate{PartnerID: a.ID, CustomerID: c.ID, Email: "cust@x.example", Role: RoleCustomer, Language: "fr"})
	of, err := s.UsersOfCustomer(ctx, a.ID, c.ID)
	if err != nil || len(of) != 1 || of[0].ID != cu.ID || of[0].Language != "fr" {
		t.Errorf("users of customer: got %+v, %v; want [%s]", of, err, cu.ID)
	}
	all, _ := s.Users(ctx, a.ID)
	if len(all) != 2 {
		t.Errorf("got %d users, want 2", len(all))
	}
	if err := s.SetUserLanguage(ctx, a.ID, cu.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserLanguage(ctx, a.ID, cu.ID, "xx"); !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
	if got, _ := s.User(ctx, a.ID, cu.ID); got.Language != "" || got.CustomerID != c.ID || !got.CreatedAt.Equal(cu.CreatedAt) {
		t.Errorf("got %+v, want no language, customer %s", got, c.ID)
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a := mustPartner(t, s, "acme")
	u := mustUser(t, s, UserCreate{PartnerID: a.ID, Email: "ann@acme.example", Password: "correct horse battery", Role: RolePartnerAdmin})
	tests := []struct {
		name, email, password string
		want                  error
	}{
		{"right", "ann@acme.example", "correct horse battery", nil},
		{"email case and spaces", " ANN@acme.example ", "correct horse battery", nil},
		{"wrong password", "ann@acme.example", "correct horse battery ", ErrInvalidCredentials},
		{"unknown email", "bob@acme.example", "correct horse battery", ErrInvalidCredentials},
		{"malformed email", "bob", "correct horse battery", ErrInvalidCredentials},
		{"huge password", "ann@acme.example", strings.Repeat("x", 5000), ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Authenticate(ctx, a.ID, tt.email, tt.password)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && got.ID != u.ID {
				t.Errorf("got user %s, want %s", got.ID, u.ID)
			}
		})
	}
	// Unknown emails cost an argon2id verification too: compare timings
	// loosely (a tenth) so that the test stays stable on a busy machine.
	timeIt := func(email string) time.Duration {
		start := time.Now()
		_, _ = s.Authenticate(ctx, a.ID, email, "wrong password!")
		return time.Since(start)
	}
	known, unknown := timeIt("ann@acme.example"), timeIt("nobody@acme.example")
	if unknown < known/10 {
		t.Errorf("got unknown email in %v vs known in %v, want similar work", unknown, known)
	}
	if err := s.SetPassword(ctx, a.ID, u.ID, "new long password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, a.ID, "ann@acme.example", "correct horse battery"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("old password: got %v, want ErrInvalidCredentials", err)
	}
	if _, err := s.Authenticate(ctx, a.ID, "ann@acme.example", "new long password"); err != nil {
		t.Errorf("new password: got %v, want nil", err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a := mustPartner(t, s, "acme")
	u := mustUser(t, s, UserCreate{PartnerID: a.ID, Email: "ann@acme.example", Role: RolePartnerAdmin})
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }

	token, sess, err := s.CreateSession(ctx, a.ID, u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 43 || strings.ContainsAny(token, "+/=") {
		t.Errorf("got token %q, want 43 base64url characters", token)
	}
	if sess.ID != sessionID(token) || len(sess.ID) != 64 || sess.ID == token {
		t.Errorf("got session id %q, want the hex SHA-256 of the token", sess.ID)
	}
	var stored int
	if err := s.db.Get(&stored, s.db.Rebind(`SELECT COUNT(*) FROM sessions WHERE id = ?`), token); err != nil || stored != 0 {
		t.Errorf("got %d rows keyed by the raw token, want 0", stored)
	}
	other, _, _ := s.CreateSession(ctx, a.ID, u.ID, time.Hour)
	if other == token {
		t.Errorf("got the same token twice, want random tokens")
	}

	tests := []struct {
		name  string
		at    time.Time
		token string
		want  error
	}{
		{"fresh", clock.Add(time.Minute), token, nil},
		{"just before expiry", clock.Add(time.Hour - time.Microsecond), token, nil},
		{"unknown token", clock, "nope", ErrNotFound},
		{"empty token", clock, "", ErrNotFound},
		{"session id used as token", clock, sess.ID, ErrNotFound},
		{"at expiry", clock.Add(time.Hour), token, ErrNotFound},
		{"expired session was deleted", clock, token, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.now = func() time.Time { return tt.at }
			gs, gu, err := s.SessionUser(ctx, a.ID, tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && (gu.ID != u.ID || gs.ID != sess.ID || !gs.ExpiresAt.Equal(sess.ExpiresAt)) {
				t.Errorf("got %+v %+v, want session %s of %s", gs, gu, sess.ID, u.ID)
			}
		})
	}

	s.now = func() time.Time { return clock }
	if err := s.DeleteSession(ctx, a.ID, other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionUser(ctx, a.ID, other); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: got %v, want ErrNotFound", err)
	}
	third, _, _ := s.CreateSession(ctx, a.ID, u.ID, time.Minute)
	_, _, _ = s.CreateSession(ctx, a.ID, u.ID, 2*time.Hour)
	s.now = func() time.Time { return clock.Add(time.Hour) }
	if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 1 {
		t.Errorf("delete expired: got %d, %v; want 1", n, err)
	}
	if _, _, err := s.SessionUser(ctx, a.ID, third); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	if err := s.SetPassword(ctx, a.ID, u.ID, "changed password!"); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.db.Get(&left, `SELECT COUNT(*) FROM sessions`); err != nil || left != 0 {
		t.Errorf("after password change: got %d sessions, want 0", left)
	}
	if _, _, err := s.CreateSession(ctx, a.ID, u.ID, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero ttl: got %v, want ErrInvalid", err)
	}
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a, b := mustPartner(t, s, "acme"), mustPartner(t, s, "bolt")
	c := mustCustomer(t, s, a.ID, "orga_1", "par")
	cb := mustCustomer(t, s, b.ID, "orga_1", "par")

	op, created, err := s.BeginOperation(ctx, a.ID, c.ID, "key-1", "application.create")
	if err != nil || !created || op.Status != OperationPending {
		t.Fatalf("first begin: got %+v %v %v, want a new pending op", op, created, err)
	}
	again, created, err := s.BeginOperation(ctx, a.ID, c.ID, "key-1", "application.create")
	if err != nil || created || again.ID != op.ID || !again.CreatedAt.Equal(op.CreatedAt) {
		t.Errorf("second begin: got %+v %v %v, want the same row, created=false", again, created, err)
	}
	if _, _, err := s.BeginOperation(ctx, a.ID, c.ID, "key-1", "addon.create"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("key reused for another kind: got %v, want ErrDuplicate", err)
	}
	// The same key at another customer is another operation.
	if ob, created, err := s.BeginOperation(ctx, b.ID, cb.ID, "key-1", "application.create"); err != nil || !created || ob.ID == op.ID {
		t.Errorf("other customer: got %+v %v %v, want a new op", ob, created, err)
	}

	if err := s.CompleteOperation(ctx, b.ID, op.ID, "app_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("complete through other partner: got %v, want ErrNotFound", err)
	}
	if err := s.CompleteOperation(ctx, a.ID, op.ID, "app_1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteOperation(ctx, a.ID, op.ID, "app_1"); err != nil {
		t.Errorf("complete twice: got %v, want nil", err)
	}
	if err := s.CompleteOperation(ctx, a.ID, op.ID, "app_2"); !errors.Is(err, ErrInvalid) {
		t.Errorf("complete with another resource: got %v, want ErrInvalid", err)
	}
	if err := s.FailOperation(ctx, a.ID, op.ID); !errors.Is(err, ErrInvalid) {
		t.Errorf("fail a done op: got %v, want ErrInvalid", err)
	}
	done, created, _ := s.BeginOperation(ctx, a.ID, c.ID, "key-1", "application.create")
	if created || done.Status != OperationDone || done.ResourceID != "app_1" {
		t.Errorf("begin a done op: got %+v %v, want done with app_1, created=false", done, created)
	}

	op2, _, _ := s.BeginOperation(ctx, a.ID, c.ID, "key-2", "addon.create")
	if err := s.FailOperation(ctx, a.ID, op2.ID); err != nil {
		t.Fatal(err)
	}
	retry, created, err := s.BeginOperation(ctx, a.ID, c.ID, "key-2", "addon.create")
	if err != nil || !created || retry.ID != op2.ID || retry.Status != OperationPending {
		t.Errorf("begin a failed op: got %+v %v %v, want it reset to pending, created=true", retry, created, err)
	}
	if got, _ := s.Operation(ctx, a.ID, op2.ID); got.Status != OperationPending {
		t.Errorf("got status %q, want pending", got.Status)
	}

	for _, bad := range []struct{ key, kind string }{{"", "k"}, {"k", ""}, {strings.Repeat("k", 201), "k"}} {
		if _, _, err := s.BeginOperation(ctx, a.ID, c.ID, bad.key, bad.kind); !errors.Is(err, ErrInvalid) {
			t.Errorf("key %q kind %q: got %v, want ErrInvalid", bad.key, bad.kind, err)
		}
	}
}

func TestBeginOperationConcurrently(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a := mustPartner(t, s, "acme")
	c := mustCustomer(t, s, a.ID, "orga_1", "par")
	const n = 8
	var wg sync.WaitGroup
	ids := make([]string, n)
	createdCount := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			op, created, err := s.BeginOperation(ctx, a.ID, c.ID, "same", "application.create")
			ids[i], createdCount[i], errs[i] = op.ID, created, err
		})
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: got %v, want nil", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("call %d: got op %s, want %s", i, ids[i], ids[0])
		}
		if createdCount[i] {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("got %d creators, want 1", winners)
	}
}

func TestLogo(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a := mustPartner(t, s, "acme")
	png, jpeg := testImage(t, "png", 8, 8), testImage(t, "jpeg", 8, 8)
	// A 1×1 lossless WebP (Go encodes none).
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	polyglot := append(append([]byte(nil), png...), []byte("<script>alert(1)</script>")...)
	svg := []byte(`<?xml version="1.0"?>` + "\n" + `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="10" height="10"/><use href="#g"/></svg>`)
	tests := []struct {
		name     string
		data     []byte
		declared string
		wantType string
		wantMsg  string
	}{
		{"png", png, "image/png", LogoPNG, ""},
		{"jpeg declared jpg", jpeg, "image/jpg", LogoJPEG, ""},
		{"webp undeclared", webp, "", LogoPNG, ""},
		{"png with a payload after it", polyglot, "image/png", LogoPNG, ""},
		{"png that does not decode", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...), "image/png", "", MsgLogoUndecodable},
		{"jpeg that does not decode", append([]byte("\xff\xd8\xff\xe0"), make([]byte, 100)...), "", "", MsgLogoUndecodable},
		{"too many pixels", testImage(t, "png", MaxLogoSide+1, 1), "image/png", "", MsgLogoTooManyPixels},
		{"svg", svg, "image/svg+xml; charset=utf-8", LogoSVG, ""},
		{"svg with BOM and comment", append([]byte("\xef\xbb\xbf<!-- logo -->"), svg[21:]...), "", LogoSVG, ""},
		{"octet-stream declared", png, "application/octet-stream", LogoPNG, ""},
		{"empty", nil, "", "", MsgLogoEmpty},
		{"too large", append(png, make([]byte, MaxLogoSize)...), "image/png", "", MsgLogoTooLarge},
		{"gif", []byte("GIF89a......"), "image/gif", "", MsgLogoTypeInvalid},
		{"html", []byte("<html><script>alert(1)</script></html>"), "image/svg+xml", "", MsgLogoTypeInvalid},
		{"declared type lies", png, "image/jpeg", "", MsgLogoTypeInvalid},
		{"svg script", []byte(`<svg><script>alert(1)</script></svg>`), "", "", MsgLogoUnsafe},
		{"svg handler", []byte(`<svg onload="alert(1)"></svg>`), "", "", MsgLogoUnsafe},
		{"svg javascript href", []byte(`<svg><a href="javascript:alert(1)"><rect/></a></svg>`), "", "", MsgLogoUnsafe},
		{"svg external image", []byte(`<svg><image xlink:href="https://evil.example/x.png"/></svg>`), "", "", MsgLogoUnsafe},
		{"svg foreignObject", []byte(`<svg><foreignObject><div/></foreignObject></svg>`), "", "", MsgLogoUnsafe},
		{"svg entity", []byte(`<?xml version="1.0"?><svg><!ENTITY a "b"></svg>`), "", "", MsgLogoUnsafe},
		{"svg css import", []byte(`<svg><style>@import "https://evil.example/x.css";</style></svg>`), "", "", MsgLogoUnsafe},
		{"svg prefixed script", []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></svg>`), "", "", MsgLogoUnsafe},
		{"svg undeclared prefix script", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></svg>`), "", "", MsgLogoUnsafe},
		{"svg g onload", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><g onload="alert(1)"/></svg>`), "", "", MsgLogoUnsafe},
		{"svg g slash onload", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><g/onload=alert(1)></g></svg>`), "", "", MsgLogoUnsafe},
		{"svg xhtml namespace", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><g xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></g></svg>`), "", "", MsgLogoUnsafe},
		{"svg entity reference", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>`), "", "", MsgLogoUnsafe},
		{"svg doctype", []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>`), "", "", MsgLogoUnsafe},
		{"svg data href", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><use href="data:image/svg+xml,x"/></svg>`), "", "", MsgLogoUnsafe},
		{"svg animate href", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><a><animate attributeName="href" to="javascript:alert(1)"/></a></svg>`), "", "", MsgLogoUnsafe},
		{"svg style url", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/x)"/></svg>`), "", "", MsgLogoUnsafe},
		{"svg escaped style", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:u\72l(https://evil.example/x)}</style></svg>`), "", "", MsgLogoUnsafe},
		{"svg two roots", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/><svg xmlns="http://www.w3.org/2000/svg"/>`), "", "", MsgLogoUnsafe},
		{"svg xlink fragment", []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><path id="p" d="M0 0h1"/></defs><use xlink:href="#p" xml:space="preserve"/><style>.a{fill:url(#p)}</style></svg>`), "", LogoSVG, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetLogo(ctx, a.ID, tt.data, tt.declared)
			if tt.wantMsg != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.MessageID != tt.wantMsg {
					t.Fatalf("got %v, want ValidationError %s", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			f, err := s.BrandFile(ctx, a.ID, FileLogo)
			data, ct := f.Data, f.ContentType
			if err != nil || ct != tt.wantType {
				t.Fatalf("got %d bytes of %q, %v; want %q", len(data), ct, err, tt.wantType)
			}
			if ct == LogoSVG && !bytes.Equal(data, tt.data) {
				t.Errorf("an SVG was changed")
			}
			if ct != LogoSVG {
				// Re-encoded: the same pixels, nothing else.
				img, _, err := image.Decode(bytes.NewReader(data))
				orig, _, oerr := image.Decode(bytes.NewReader(tt.data))
				if err != nil || oerr != nil || img.Bounds() != orig.Bounds() || bytes.Contains(data, []byte("<script")) {
					t.Errorf("the stored logo is not the upload's image alone (%v, %v)", err, oerr)
				}
			}
		})
	}
	if p, _ := s.Partner(ctx, a.ID); !p.Brand.HasLogo {
		t.Errorf("got HasLogo false, want true")
	}
	if err := s.DeleteLogo(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BrandFile(ctx, a.ID, FileLogo); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: got %v, want ErrNotFound", err)
	}
	if p, _ := s.Partner(ctx, a.ID); p.Brand.HasLogo {
		t.Errorf("got HasLogo true, want false")
	}
	if err := s.SetLogo(ctx, "ptn_nope", png, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown partner: got %v, want ErrNotFound", err)
	}
}

// testImage encodes a w×h image in format ("png" or "jpeg").
func testImage(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		m.Set(x, 0, color.RGBA{uint8(x), 80, 200, 255})
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = stdpng.Encode(&b, m)
	} else {
		err = stdjpeg.Encode(&b, m, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSessionCache checks that a cached session follows every change made
// through another instance's store on the same database: a new language,
// a sign-out, a new password.
func TestSessionCache(t *testing.T) {
	ctx := context.Background()
	a := newTestStore(t)
	b := NewStore(a.db, a.sealer) // another instance, on the same database
	bus := broadcast.Local()
	a.UseBroadcaster(bus)
	b.UseBroadcaster(bus)
	p := mustPartner(t, a, "acme")
	u := mustUser(t, a, UserCreate{PartnerID: p.ID, Email: "ann@acme.example", Role: RolePartnerAdmin})
	token, _, err := a.CreateSession(ctx, p.ID, u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func() (User, error) {
		t.Helper()
		_, got, err := b.SessionUser(ctx, p.ID, token)
		return got, err
	}
	if _, err := lookup(); err != nil {
		t.Fatal(err)
	}
	hits := b.sessions.hits.Load()
	if _, err := lookup(); err != nil || b.sessions.hits.Load() != hits+1 {
		t.Fatalf("the second lookup: %v, %d cache hits, want one more than %d", err, b.sessions.hits.Load(), hits)
	}
	if err := a.SetUserLanguage(ctx, p.ID, u.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup(); err != nil || got.Language != "fr" {
		t.Errorf("after a language change elsewhere: %q, %v; want fr", got.Language, err)
	}
	if err := a.DeleteSession(ctx, p.ID, token); err != nil {
		t.Fatal(err)
	}
	if _, err := lookup(); !errors.Is(err, ErrNotFound) {
		t.Errorf("after a sign-out elsewhere: %v, want ErrNotFound", err)
	}
	token, _, _ = a.CreateSession(ctx, p.ID, u.ID, time.Hour)
	if _, err := lookup(); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPassword(ctx, p.ID, u.ID, "another password!"); err != nil {
		t.Fatal(err)
	}
	if _, err := lookup(); !errors.Is(err, ErrNotFound) {
		t.Errorf("after a new password elsewhere: %v, want ErrNotFound", err)
	}
}
