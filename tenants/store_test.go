package tenants

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/themes"
)

// newTestStore returns a Store on a fresh, migrated SQLite database.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	db := dbtest.Open(t)
	sealer, err := NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(db, sealer)
}

// mustPartner creates a partner with one hostname and zones par, rbx, mtl.
func mustPartner(t *testing.T, s *Store, slug string) Partner {
	t.Helper()
	p, err := s.CreatePartner(context.Background(), PartnerCreate{
		Slug:          slug,
		Brand:         themes.Default(strings.ToUpper(slug)),
		Hostnames:     []string{"console." + slug + ".example"},
		AllowedZones:  []string{"par", "rbx", "mtl"},
		PlatformToken: "token-of-" + slug,
	})
	if err != nil {
		t.Fatalf("create partner %s: %v", slug, err)
	}
	return p
}

func mustCustomer(t *testing.T, s *Store, partnerID, org string, zones ...string) Customer {
	t.Helper()
	c, err := s.CreateCustomer(context.Background(), partnerID, CustomerCreate{Name: "Customer " + org, OrganisationID: org, AllowedZones: zones})
	if err != nil {
		t.Fatalf("create customer %s: %v", org, err)
	}
	return c
}

func mustUser(t *testing.T, s *Store, uc UserCreate) User {
	t.Helper()
	if uc.Password == "" {
		uc.Password = "long enough password"
	}
	u, err := s.CreateUser(context.Background(), uc)
	if err != nil {
		t.Fatalf("create user %s: %v", uc.Email, err)
	}
	return u
}

func TestCreatePartnerAndLookups(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	b := themes.Default("Acme Cloud")
	b.PrimaryColor = "#357"
	p, err := s.CreatePartner(ctx, PartnerCreate{
		Slug: "acme", Brand: b,
		Hostnames:    []string{"Console.Acme.Example.", "acme.localhost"},
		AllowedZones: []string{"RBX", "par", "par"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"acme.localhost", "console.acme.example"}; !slices.Equal(p.Hostnames, want) {
		t.Errorf("hostnames: got %v, want %v", p.Hostnames, want)
	}
	if want := []string{"par", "rbx"}; !slices.Equal(p.AllowedZones, want) {
		t.Errorf("zones: got %v, want %v", p.AllowedZones, want)
	}
	if p.Brand.PrimaryColor != "#335577" {
		t.Errorf("primary: got %q, want %q", p.Brand.PrimaryColor, "#335577")
	}
	lookups := []struct {
		name string
		get  func() (Partner, error)
	}{
		{"by id", func() (Partner, error) { return s.Partner(ctx, p.ID) }},
		{"by slug", func() (Partner, error) { return s.PartnerBySlug(ctx, "acme") }},
		{"by host", func() (Partner, error) { return s.PartnerByHost(ctx, "console.acme.example") }},
		{"by raw host", func() (Partner, error) { return s.PartnerByHost(ctx, "ACME.localhost:8080") }},
	}
	for _, l := range lookups {
		t.Run(l.name, func(t *testing.T) {
			got, err := l.get()
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != p.ID || !slices.Equal(got.Hostnames, p.Hostnames) || !slices.Equal(got.AllowedZones, p.AllowedZones) ||
				!reflect.DeepEqual(got.Brand, p.Brand) || !got.CreatedAt.Equal(p.CreatedAt) {
				t.Errorf("got %+v, want %+v", got, p)
			}
		})
	}
	for _, host := range []string{"unknown.example", "", "console.acme.example.evil"} {
		if _, err := s.PartnerByHost(ctx, host); !errors.Is(err, ErrNotFound) {
			t.Errorf("host %q: got %v, want ErrNotFound", host, err)
		}
	}
	all, err := s.Partners(ctx)
	if err != nil || len(all) != 1 || !slices.Equal(all[0].Hostnames, p.Hostnames) {
		t.Errorf("partners: got %+v, %v; want the one partner", all, err)
	}
}

func TestCreatePartnerValidation(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	mustPartner(t, s, "acme")
	bad := themes.Default("X")
	bad.PrimaryColor = "red;}"
	tests := []struct {
		name string
		pc   PartnerCreate
		is   error
		msg  string
	}{
		{"slug too short", PartnerCreate{Slug: "a", Brand: themes.Default("X")}, ErrInvalid, MsgSlugInvalid},
		{"slug uppercase", PartnerCreate{Slug: "Acme2", Brand: themes.Default("X")}, ErrInvalid, MsgSlugInvalid},
		{"slug leading hyphen", PartnerCreate{Slug: "-acme", Brand: themes.Default("X")}, ErrInvalid, MsgSlugInvalid},
		{"slug taken", PartnerCreate{Slug: "acme", Brand: themes.Default("X")}, ErrDuplicate, MsgSlugTaken},
		{"hostname with port", PartnerCreate{Slug: "b1", Brand: themes.Default("X"), Hostnames: []string{"b.example:80"}}, ErrInvalid, MsgHostnameInvalid},
		{"hostname taken", PartnerCreate{Slug: "b2", Brand: themes.Default("X"), Hostnames: []string{"CONSOLE.acme.example"}}, ErrDuplicate, MsgHostnameTaken},
		{"bad brand", PartnerCreate{Slug: "b3", Brand: bad}, ErrInvalid, themes.MsgColorInvalid},
		{"bad zone", PartnerCreate{Slug: "b4", Brand: themes.Default("X"), AllowedZones: []string{"par;drop"}}, ErrInvalid, MsgZoneInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreatePartner(ctx, tt.pc)
			if !errors.Is(err, tt.is) {
				t.Fatalf("got %v, want %v", err, tt.is)
			}
			if got, _ := MessageID(err); got != tt.msg {
				t.Errorf("got message %q, want %q", got, tt.msg)
			}
		})
	}
	if all, _ := s.Partners(ctx); len(all) != 1 {
		t.Errorf("got %d partners, want 1 (failed creations leave nothing)", len(all))
	}
}

func TestBrandTokenAndHostnames(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a, b := mustPartner(t, s, "acme"), mustPartner(t, s, "bolt")
	if tok, err := s.PlatformToken(ctx, a.ID); err != nil || tok != "token-of-acme" {
		t.Errorf("got %q, %v; want token-of-acme", tok, err)
	}
	if err := s.SetPlatformToken(ctx, a.ID, "rotated"); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.PlatformToken(ctx, a.ID); err != nil || tok != "rotated" {
		t.Errorf("got %q, %v; want rotated", tok, err)
	}
	var sealed string
	if err := s.db.Get(&sealed, s.db.Rebind(`SELECT platform_token_sealed FROM partners WHERE id = ?`), a.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "rotated") {
		t.Errorf("got the token in clear in the database, want it sealed")
	}
	if _, err := s.db.Exec(s.db.Rebind(`UPDATE partners SET platform_token_sealed = ? WHERE id = ?`), sealed, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlatformToken(ctx, b.ID); !errors.Is(err, ErrUnsealable) {
		t.Errorf("token copied to another partner: got %v, want ErrUnsealable", err)
	}
	if _, err := s.PlatformToken(ctx, "ptn_nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown partner: got %v, want ErrNotFound", err)
	}

	nb := themes.Default("Acme Renamed")
	nb.Language = "fr"
	nb.PoweredBy = false
	if err := s.UpdateBrand(ctx, a.ID, nb); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Partner(ctx, a.ID)
	if !reflect.DeepEqual(got.Brand, nb) {
		t.Errorf("got brand %+v, want %+v", got.Brand, nb)
	}
	if err := s.UpdateBrand(ctx, a.ID, themes.Brand{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty brand: got %v, want ErrInvalid", err)
	}

	if err := s.SetHostnames(ctx, a.ID, []string{"new.acme.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PartnerByHost(ctx, "console.acme.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old hostname: got %v, want ErrNotFound", err)
	}
	if err := s.SetHostnames(ctx, a.ID, []string{"console.bolt.example"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("other partner's hostname: got %v, want ErrDuplicate", err)
	}
	if p, err := s.PartnerByHost(ctx, "new.acme.example"); err != nil || p.ID != a.ID {
		t.Errorf("got %v, %v; want acme", p.ID, err)
	}
}

func TestCustomerZones(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a := mustPartner(t, s, "acme")
	tests := []struct {
		name  string
		zones []string
		want  error
	}{
		{"subset", []string{"par", "rbx"}, nil},
		{"none", nil, nil},
		{"all", []string{"mtl", "par", "rbx"}, nil},
		{"outside partner's", []string{"par", "sgp"}, ErrZoneNotAllowed},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateCustomer(ctx, a.ID, CustomerCreate{Name: "C", OrganisationID: "orga_" + tt.name, AllowedZones: tt.zones})
			if !errors.Is(err, tt.want) {
				t.Errorf("create %d: got %v, want %v", i, err, tt.want)
			}
		})
	}
	c := mustCustomer(t, s, a.ID, "orga_x", "par")
	if err := s.SetCustomerZones(ctx, a.ID, c.ID, []string{"rbx", "mtl"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCustomerZones(ctx, a.ID, c.ID, []string{"sgp"}); !errors.Is(err, ErrZoneNotAllowed) {
		t.Errorf("got %v, want ErrZoneNotAllowed", err)
	}
	got, _ := s.Customer(ctx, a.ID, c.ID)
	if want := []string{"mtl", "rbx"}; !slices.Equal(got.AllowedZones, want) {
		t.Errorf("got %v, want %v", got.AllowedZones, want)
	}
	if _, err := s.CreateCustomer(ctx, a.ID, CustomerCreate{Name: "Again", OrganisationID: "orga_x"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("same organisation: got %v, want ErrDuplicate", err)
	}
	if _, err := s.CreateCustomer(ctx, a.ID, CustomerCreate{Name: " ", OrganisationID: "orga_y"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("blank name: got %v, want ErrInvalid", err)
	}
}

func TestSetPartnerZonesNarrowsCustomers(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a, b := mustPartner(t, s, "acme"), mustPartner(t, s, "bolt")
	c1 := mustCustomer(t, s, a.ID, "orga_1", "par", "rbx", "mtl")
	c2 := mustCustomer(t, s, a.ID, "orga_2", "mtl")
	other := mustCustomer(t, s, b.ID, "orga_1", "par", "rbx")
	if err := s.SetPartnerZones(ctx, a.ID, []string{"rbx", "sgp"}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Partner(ctx, a.ID)
	if want := []string{"rbx", "sgp"}; !slices.Equal(p.AllowedZones, want) {
		t.Errorf("partner: got %v, want %v", p.AllowedZones, want)
	}
	customers, err := s.Customers(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{c1.ID: {"rbx"}, c2.ID: {}}
	for _, c := range customers {
		if !slices.Equal(c.AllowedZones, want[c.ID]) {
			t.Errorf("customer %s: got %v, want %v", c.OrganisationID, c.AllowedZones, want[c.ID])
		}
	}
	if got, _ := s.Customer(ctx, b.ID, other.ID); !slices.Equal(got.AllowedZones, []string{"par", "rbx"}) {
		t.Errorf("other partner's customer: got %v, want untouched [par rbx]", got.AllowedZones)
	}
	if err := s.SetPartnerZones(ctx, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Customer(ctx, a.ID, c1.ID); len(got.AllowedZones) != 0 {
		t.Errorf("after emptying: got %v, want none", got.AllowedZones)
	}
	if err := s.SetPartnerZones(ctx, "ptn_nope", []string{"par"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown partner: got %v, want ErrNotFound", err)
	}
}

func TestIsolation(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a, b := mustPartner(t, s, "acme"), mustPartner(t, s, "bolt")
	ca := mustCustomer(t, s, a.ID, "orga_a", "par")
	ua := mustUser(t, s, UserCreate{PartnerID: a.ID, CustomerID: ca.ID, Email: "ann@a.example", Role: RoleCustomer})
	token, _, err := s.CreateSession(ctx, a.ID, ua.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		err  error
	}{
		{"customer", second(s.Customer(ctx, b.ID, ca.ID))},
		{"customer by organisation", second(s.CustomerByOrganisation(ctx, b.ID, "orga_a"))},
		{"customer zones", s.SetCustomerZones(ctx, b.ID, ca.ID, nil)},
		{"user", second(s.User(ctx, b.ID, ua.ID))},
		{"user language", s.SetUserLanguage(ctx, b.ID, ua.ID, "fr")},
		{"password", s.SetPassword(ctx, b.ID, ua.ID, "another long password")},
		{"session", third(s.SessionUser(ctx, b.ID, token))},
		{"session for foreign user", third(s.CreateSession(ctx, b.ID, ua.ID, time.Hour))},
		{"user of foreign customer", second(s.CreateUser(ctx, UserCreate{PartnerID: b.ID, CustomerID: ca.ID, Email: "x@b.example", Password: "long enough password", Role: RoleCustomer}))},
		{"operation", third(s.BeginOperation(ctx, b.ID, ca.ID, "k", "application.create"))},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", c.err)
			}
		})
	}
	if _, err := s.Authenticate(ctx, b.ID, "ann@a.example", "long enough password"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("authenticate on other partner: got %v, want ErrInvalidCredentials", err)
	}
	if err := s.DeleteSession(ctx, b.ID, token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionUser(ctx, a.ID, token); err != nil {
		t.Errorf("after other partner's delete: got %v, want the session alive", err)
	}
	if users, _ := s.Users(ctx, b.ID); len(users) != 0 {
		t.Errorf("got %d users of bolt, want 0", len(users))
	}
	if users, _ := s.UsersOfCustomer(ctx, b.ID, ca.ID); len(users) != 0 {
		t.Errorf("got %d users of acme's customer through bolt, want 0", len(users))
	}
	if cs, _ := s.Customers(ctx, b.ID); len(cs) != 0 {
		t.Errorf("got %d customers of bolt, want 0", len(cs))
	}
	// The same email may exist at two partners.
	mustUser(t, s, UserCreate{PartnerID: b.ID, Email: "ann@a.example", Role: RolePartnerAdmin})
}

func second[A any](_ A, err error) error        { return err }
func third[A, B any](_ A, _ B, err error) error { return err }
