package tokens

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// mangled returns malformed variants of a valid token: garbage, truncations
// and bit flips, deterministic for seed.
func mangled(tok string, n int, seed uint64) []string {
	data, _ := base64.URLEncoding.DecodeString(tok)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		var b []byte
		switch i % 3 {
		case 0: // garbage
			b = make([]byte, rng.IntN(len(data)+1))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
		case 1: // truncation
			b = bytes.Clone(data[:rng.IntN(len(data))])
		default: // one to three bit flips
			b = bytes.Clone(data)
			for range 1 + rng.IntN(3) {
				b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
			}
		}
		out = append(out, base64.URLEncoding.EncodeToString(b))
	}
	return out
}

func TestMalformedTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root, _ := f.mintPartner(t, f.partnerA)
	child, _ := f.attenuate(t, root, Restriction{Zones: []string{"par"}, Operations: []string{OpAppRead}})
	data, _ := base64.URLEncoding.DecodeString(child)
	tooMany := root
	for range MaxBlocks {
		tooMany = appendOffline(t, tooMany)
	}
	req := Request{Tenant: f.partnerA, Operation: OpAppRead}
	tests := []struct {
		name string
		tok  string
	}{
		{"empty", ""},
		{"spaces", "   "},
		{"not base64", "!!!not a token!!!"},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(child) + "+/"},
		{"garbage", base64.URLEncoding.EncodeToString([]byte("definitely not a biscuit"))},
		{"truncated", base64.URLEncoding.EncodeToString(data[:len(data)/2])},
		{"last byte cut", base64.URLEncoding.EncodeToString(data[:len(data)-1])},
		{"oversized", base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0x0a}, DefaultMaxTokenSize+1))},
		{"too many blocks", tooMany},
	}
	for i, m := range mangled(child, 60, 1) {
		tests = append(tests, struct{ name, tok string }{"mangled " + string(rune('a'+i%26)), m})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Authorize(ctx, tt.tok, req)
			if tt.tok == child || err == nil {
				return // a bit flip may hit an unused bit; only panics and wrong kinds fail
			}
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrDenied) {
				t.Fatalf("got %s, want ErrInvalidToken", errName(err))
			}
			if strings.HasPrefix(tt.name, "mangled") {
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("got %s, want ErrInvalidToken", errName(err))
			}
		})
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	f := newFixture(t)
	root, _ := f.mintPartner(t, f.partnerA)
	child, _ := f.attenuate(t, root, Restriction{Operations: []string{OpAppRead}})
	inputs := mangled(child, 10000, 2)
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	work := make(chan string)
	for range 32 {
		wg.Go(func() {
			for tok := range work {
				_, err := f.svc.Authorize(context.Background(), tok, Request{Tenant: f.partnerA, Operation: OpAppRead})
				if err != nil && !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrDenied) && !errors.Is(err, ErrRevoked) {
					t.Errorf("got %v, want one of the sentinels", err)
				}
			}
		})
	}
	for _, tok := range inputs {
		work <- tok
	}
	close(work)
	wg.Wait()
	var after int
	for range 20 { // settle
		time.Sleep(25 * time.Millisecond)
		if after = runtime.NumGoroutine(); after <= before+2 {
			break
		}
	}
	if after > before+2 {
		t.Fatalf("got %d goroutines after 10,000 malformed tokens, want at most %d", after, before+2)
	}
}

func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t) // signs with seed 1
	tok, _ := f.mintPartner(t, f.partnerA)
	req := Request{Tenant: f.partnerA, Operation: OpAppRead}
	newSeed := bytes.Repeat([]byte{2}, 32)
	tests := []struct {
		name    string
		trusted []ed25519.PublicKey
		want    string
	}{
		{"old key trusted", []ed25519.PublicKey{f.keys.trusted[0]}, "allowed"},
		{"old key not trusted", nil, "ErrInvalidToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := NewKeyring(newSeed, tt.trusted...)
			if err != nil {
				t.Fatal(err)
			}
			svc, err := NewService(f.db, keys, WithClock(f.clock.now))
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.Authorize(ctx, tok, req)
			if got := errName(err); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			fresh, _, err := svc.MintPartner(ctx, f.partnerA, "new")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Authorize(ctx, fresh, req); err != nil {
				t.Fatalf("token of the new key: got %s, want allowed", errName(err))
			}
		})
	}
}

func TestLoadOrCreateKeyring(t *testing.T) {
	t.Setenv(RootKeyEnv, "")
	t.Setenv(TrustedKeysEnv, "")
	dir := filepath.Join(t.TempDir(), "keys")
	k1, err := LoadOrCreateKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, RootKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Fatalf("got key file mode %v, want 0600", got)
	}
	k2, err := LoadOrCreateKeyring(dir)
	if err != nil || k2.PublicKeyHex() != k1.PublicKeyHex() {
		t.Fatalf("reload: got %v, %v; want the same key", k2, err)
	}
	old := strings.Repeat("ab", 32)
	if err := os.WriteFile(filepath.Join(dir, TrustedKeysFile), []byte("# rotated\n"+old+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := strings.Repeat("cd", 32)
	t.Setenv(TrustedKeysEnv, env)
	k3, err := LoadOrCreateKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(k3.TrustedPublicKeysHex(), ","), k1.PublicKeyHex()+","+env+","+old; got != want {
		t.Fatalf("got trusted %s, want %s", got, want)
	}
	t.Setenv(RootKeyEnv, strings.Repeat("01", 32))
	k4, err := LoadOrCreateKeyring(dir)
	if err != nil || k4.PublicKeyHex() == k1.PublicKeyHex() {
		t.Fatalf("env key: got %v, %v; want a key other than the file's", k4, err)
	}
	t.Setenv(RootKeyEnv, "")
	if err := os.Chmod(filepath.Join(dir, RootKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyring(dir); err == nil {
		t.Fatal("got a keyring from a world-readable key file, want an error")
	}
}

func TestCacheBounded(t *testing.T) {
	f := newFixture(t, WithCacheSize(2))
	req := Request{Tenant: f.partnerA, Operation: OpAppRead}
	for range 5 {
		tok, _ := f.mintPartner(t, f.partnerA)
		if _, err := f.svc.Authorize(context.Background(), tok, req); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.svc.cache.len(); got != 2 {
		t.Fatalf("got %d cache entries, want 2", got)
	}
	// An entry lives no longer than the token's expiry.
	root, _ := f.mintPartner(t, f.partnerA)
	tok, _ := f.attenuate(t, root, Restriction{ExpiresAt: testNow.Add(time.Minute)})
	if _, err := f.svc.Authorize(context.Background(), tok, req); err != nil {
		t.Fatal(err)
	}
	v := f.svc.cache.get(f.svc.cacheKey(tok), testNow)
	if v == nil || !v.expires.Equal(testNow.Add(time.Minute)) {
		t.Fatalf("got cache entry %+v, want one expiring with the token", v)
	}
}
