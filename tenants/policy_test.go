package tenants

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grisaille/grisaille/themes"
)

func TestNormalizeHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"example.com", "example.com"},
		{"Console.Acme.EXAMPLE", "console.acme.example"},
		{"example.com:8080", "example.com"},
		{"example.com.", "example.com"},
		{"Example.com.:443", "example.com"},
		{"[::1]:8080", "::1"},
		{"[::1]", "::1"},
		{"[2001:DB8::1]:443", "2001:db8::1"},
		{"127.0.0.1:3000", "127.0.0.1"},
		{"localhost", "localhost"},
		{" acme.test ", "acme.test"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeHost(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalizeHostname(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"console.acme.example", "console.acme.example", true},
		{"Console.Acme.Example.", "console.acme.example", true},
		{"localhost", "localhost", true},
		{"acme.example:8080", "", false},
		{"-acme.example", "", false},
		{"acme-.example", "", false},
		{"acme..example", "", false},
		{"acme_1.example", "", false},
		{"", "", false},
		{strings.Repeat("a", 64) + ".example", "", false},
		{"exa mple.com", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := normalizeHostname(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAllowedZones(t *testing.T) {
	platform := []string{"par", "rbx", "mtl", "sgp"}
	tests := []struct {
		name                      string
		platform, partner, client []string
		want                      []string
	}{
		{"all allowed", platform, platform, platform, []string{"par", "rbx", "mtl", "sgp"}},
		{"platform order kept", platform, []string{"sgp", "mtl", "par"}, []string{"mtl", "par", "sgp"}, []string{"par", "mtl", "sgp"}},
		{"intersection", platform, []string{"par", "rbx"}, []string{"rbx", "mtl"}, []string{"rbx"}},
		{"customer empty", platform, platform, nil, []string{}},
		{"partner empty", platform, nil, platform, []string{}},
		{"platform empty", nil, platform, platform, []string{}},
		{"zone gone from platform", []string{"par"}, []string{"par", "rbx"}, []string{"rbx"}, []string{}},
		{"duplicates dropped", []string{"par", "par", "rbx"}, platform, platform, []string{"par", "rbx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AllowedZones(tt.platform, tt.partner, tt.client)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			for _, z := range platform {
				if want := slices.Contains(tt.want, z); ZoneAllowed(z, tt.platform, tt.partner, tt.client) != want {
					t.Errorf("ZoneAllowed(%q): got %v, want %v", z, !want, want)
				}
			}
		})
	}
	if ZoneAllowed("", []string{""}, []string{""}, []string{""}) {
		t.Errorf("ZoneAllowed(\"\"): got true, want false")
	}
}

func TestPassword(t *testing.T) {
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("got hash %q, want the argon2id PHC prefix with OWASP parameters", hash)
	}
	again, _ := HashPassword("correct horse battery")
	if again == hash {
		t.Errorf("got the same hash twice, want a random salt")
	}
	tests := []struct {
		name string
		hash string
		pw   string
		ok   bool
		err  bool
	}{
		{"right password", hash, "correct horse battery", true, false},
		{"wrong password", hash, "correct horse battery!", false, false},
		{"empty password", hash, "", false, false},
		{"not a PHC string", "plain", "x", false, true},
		{"bcrypt hash", "$2a$10$abcdefghijklmnopqrstuv", "x", false, true},
		{"absurd memory", strings.Replace(hash, "m=19456", "m=99999999", 1), "correct horse battery", false, true},
		{"tampered hash", hash[:len(hash)-2] + "AA", "correct horse battery", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := CheckPassword(tt.hash, tt.pw)
			if ok != tt.ok || (err != nil) != tt.err {
				t.Errorf("got %v, %v; want %v, error %v", ok, err, tt.ok, tt.err)
			}
		})
	}
}

func TestSealer(t *testing.T) {
	key := make([]byte, 32)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("platform-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, "platform-secret") {
		t.Errorf("got %q, want an opaque v1: value", sealed)
	}
	plain, err := s.Open(sealed)
	if err != nil || string(plain) != "platform-secret" {
		t.Fatalf("got %q, %v; want %q", plain, err, "platform-secret")
	}
	other, _ := NewSealer(append(make([]byte, 31), 1))
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 'A' ^ 'B'
	if flipped[len(flipped)-3] == sealed[len(sealed)-3] {
		flipped[len(flipped)-3] = 'C'
	}
	bound, _ := s.seal([]byte("x"), []byte("partner-a"))
	tests := []struct {
		name   string
		sealer *Sealer
		value  string
	}{
		{"tampered", s, string(flipped)},
		{"other key", other, sealed},
		{"no version", s, strings.TrimPrefix(sealed, "v1:")},
		{"unknown version", s, "v2:" + strings.TrimPrefix(sealed, "v1:")},
		{"truncated", s, sealed[:10]},
		{"not base64", s, "v1:***"},
		{"empty", s, ""},
		{"other record", s, bound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.sealer.Open(tt.value); !errors.Is(err, ErrUnsealable) {
				t.Errorf("got %v, want ErrUnsealable", err)
			}
		})
	}
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Errorf("16-byte key: got nil error, want one")
	}
}

func TestLoadOrCreateSealer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s1, err := LoadOrCreateSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, SecretKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("got key file mode %v, want 0600", got)
	}
	if info.Size() != 32 {
		t.Errorf("got key file size %d, want 32", info.Size())
	}
	sealed, _ := s1.Seal([]byte("kept"))
	s2, err := LoadOrCreateSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := s2.Open(sealed); err != nil || string(plain) != "kept" {
		t.Errorf("reopened: got %q, %v; want %q", plain, err, "kept")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSealer(dir); err == nil {
		t.Errorf("mode 0644: got nil error, want a refusal")
	}
}

func TestParseKeyAndOpenSealer(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	b64Key := "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
	for _, in := range []string{hexKey, b64Key, strings.TrimSuffix(b64Key, "="), " " + hexKey + "\n"} {
		t.Run(in, func(t *testing.T) {
			k, err := ParseKey(in)
			if err != nil || len(k) != 32 || k[0] != 0xab {
				t.Errorf("got %x, %v; want 32 bytes of ab", k, err)
			}
		})
	}
	if _, err := ParseKey("abcd"); err == nil {
		t.Errorf("short key: got nil error, want one")
	}
	fromEnv, err := OpenSealer(t.TempDir(), hexKey)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := NewSealer(mustParseKey(t, b64Key))
	sealed, _ := fromEnv.Seal([]byte("same key"))
	if _, err := direct.Open(sealed); err != nil {
		t.Errorf("got %v, want the env key and its base64 form to agree", err)
	}
}

func mustParseKey(t *testing.T, s string) []byte {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := PartnerFrom(ctx); ok {
		t.Errorf("empty context: got a partner, want none")
	}
	if _, ok := UserFrom(ctx); ok {
		t.Errorf("empty context: got a user, want none")
	}
	ctx = WithPartner(ctx, Partner{ID: "ptn_1", Brand: themes.Default("A")})
	ctx = WithUser(ctx, User{ID: "usr_1", CreatedAt: time.Unix(0, 0)})
	if p, ok := PartnerFrom(ctx); !ok || p.ID != "ptn_1" {
		t.Errorf("got %v %v, want ptn_1", p.ID, ok)
	}
	if u, ok := UserFrom(ctx); !ok || u.ID != "usr_1" {
		t.Errorf("got %v %v, want usr_1", u.ID, ok)
	}
}

func TestMessageID(t *testing.T) {
	tests := []struct {
		err  error
		want string
		ok   bool
	}{
		{invalid("email", MsgEmailInvalid), MsgEmailInvalid, true},
		{duplicate("email", MsgEmailTaken), MsgEmailTaken, true},
		{ErrNotFound, MsgNotFound, true},
		{errors.Join(errors.New("x"), ErrZoneNotAllowed), MsgZoneNotAllowed, true},
		{errors.Join(ErrInvalid, themes.Default("").Validate()), themes.MsgNameRequired, true},
		{errors.New("disk on fire"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			got, ok := MessageID(tt.err)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if !errors.Is(invalid("x", "y"), ErrInvalid) || !errors.Is(duplicate("x", "y"), ErrDuplicate) {
		t.Errorf("got typed errors not matching their sentinels, want them to")
	}
}
