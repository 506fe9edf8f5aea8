package tokens

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Environment variables and files LoadOrCreateKeyring reads.
const (
	// RootKeyEnv may hold the hex of the root key's 32-byte ed25519 seed.
	RootKeyEnv = "GRISAILLE_BISCUIT_ROOT_KEY"
	// TrustedKeysEnv may hold comma-separated hex public keys also trusted
	// for verification (keys rotated out).
	TrustedKeysEnv = "GRISAILLE_BISCUIT_TRUSTED_KEYS"
	// RootKeyFile is the root key file's name in the key directory.
	RootKeyFile = "biscuit-root.key"
	// TrustedKeysFile is the name of the optional file of trusted public
	// keys, one hex key a line, in the key directory.
	TrustedKeysFile = "biscuit-trusted.keys"
)

// Keyring holds the portal's ed25519 root key, which signs every authority
// block, and the public keys verification trusts: the root's own first, then
// the rotated ones. It is immutable and safe for concurrent use.
type Keyring struct {
	private ed25519.PrivateKey
	trusted []ed25519.PublicKey
}

// NewKeyring returns a Keyring signing with the key of seed (32 bytes) and
// trusting, besides its own public key, the keys in trusted.
func NewKeyring(seed []byte, trusted ...ed25519.PublicKey) (*Keyring, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("tokens: root key seed is %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	k := &Keyring{private: priv, trusted: []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}}
	for _, pub := range trusted {
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("tokens: trusted key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
		}
		if !k.trusts(pub) {
			k.trusted = append(k.trusted, pub)
		}
	}
	return k, nil
}

// trusts reports whether pub is already among the trusted keys.
func (k *Keyring) trusts(pub ed25519.PublicKey) bool {
	for _, t := range k.trusted {
		if t.Equal(pub) {
			return true
		}
	}
	return false
}

// LoadOrCreateKeyring returns the portal's Keyring. The root key's seed is
// read from RootKeyEnv when set, otherwise from the file RootKeyFile in dir,
// created on first start (mode 0600, dir 0700); a key file group or others
// may read is refused. Rotated public keys are read from TrustedKeysEnv and
// from the file TrustedKeysFile in dir, when present.
func LoadOrCreateKeyring(dir string) (*Keyring, error) {
	var seed []byte
	var err error
	if env := strings.TrimSpace(os.Getenv(RootKeyEnv)); env != "" {
		seed, err = parseSeed(env)
		if err != nil {
			return nil, fmt.Errorf("tokens: %s: %w", RootKeyEnv, err)
		}
	} else {
		seed, err = loadOrCreateSeed(dir)
		if err != nil {
			return nil, err
		}
	}
	var trusted []ed25519.PublicKey
	for _, s := range strings.Split(os.Getenv(TrustedKeysEnv), ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		pub, err := parsePublicKey(s)
		if err != nil {
			return nil, fmt.Errorf("tokens: %s: %w", TrustedKeysEnv, err)
		}
		trusted = append(trusted, pub)
	}
	data, err := os.ReadFile(filepath.Join(dir, TrustedKeysFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokens: read trusted keys: %w", err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pub, err := parsePublicKey(line)
		if err != nil {
			return nil, fmt.Errorf("tokens: %s line %d: %w", TrustedKeysFile, i+1, err)
		}
		trusted = append(trusted, pub)
	}
	return NewKeyring(seed, trusted...)
}

// parseSeed decodes the hex of a 32-byte seed.
func parseSeed(s string) ([]byte, error) {
	seed, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("root key must be the hex of a 32-byte ed25519 seed")
	}
	return seed, nil
}

// parsePublicKey decodes the hex of a 32-byte ed25519 public key, with or
// without the "ed25519/" prefix other Biscuit tools print.
func parsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "ed25519/")
	pub, err := hex.DecodeString(s)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("public key must be the hex of 32 bytes")
	}
	return ed25519.PublicKey(pub), nil
}

// loadOrCreateSeed reads dir/RootKeyFile, creating it when missing.
func loadOrCreateSeed(dir string) ([]byte, error) {
	path := filepath.Join(dir, RootKeyFile)
	seed, err := readSeedFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return seed, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tokens: create key directory: %w", err)
	}
	seed = make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("tokens: generate root key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readSeedFile(path) // another process created it meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: create root key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(seed) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("tokens: write root key file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("tokens: write root key file: %w", err)
	}
	return seed, nil
}

// readSeedFile reads an existing root key file, refusing one that group or
// others may access. A missing file returns an error matching fs.ErrNotExist.
func readSeedFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("tokens: root key file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("tokens: root key file %s has mode %v, want 0600", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokens: read root key file: %w", err)
	}
	seed, err := parseSeed(string(data))
	if err != nil {
		return nil, fmt.Errorf("tokens: root key file %s: %w", path, err)
	}
	return seed, nil
}

// PublicKeyHex returns the hex of the root key's public key, which partners
// give to other Biscuit tools to verify the portal's tokens.
func (k *Keyring) PublicKeyHex() string {
	return hex.EncodeToString(k.trusted[0])
}

// TrustedPublicKeysHex returns the hex of every public key verification
// trusts, the root's own first.
func (k *Keyring) TrustedPublicKeysHex() []string {
	out := make([]string, len(k.trusted))
	for i, pub := range k.trusted {
		out[i] = hex.EncodeToString(pub)
	}
	return out
}
