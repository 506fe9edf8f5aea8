package tenants

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretKeyEnv is the environment variable that may hold the portal's
// secret key (hex or base64 of 32 bytes) instead of the key file; see
// OpenSealer.
const SecretKeyEnv = "GRISAILLE_SECRET_KEY"

// SecretKeyFile is the name of the key file LoadOrCreateSealer keeps in its
// directory.
const SecretKeyFile = "secret.key"

// sealedPrefix versions the sealed format so that keys or algorithms can
// change later without ambiguity.
const sealedPrefix = "v1:"

// ErrUnsealable reports a sealed value that cannot be opened: malformed,
// tampered with, sealed under another key or bound to another record.
var ErrUnsealable = errors.New("tenants: cannot open sealed value")

// Sealer encrypts secrets at rest (partners' platform credentials) with
// AES-256-GCM under the portal's secret key. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer using key, which must be 32 bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("tenants: secret key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("tenants: new sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("tenants: new sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// ParseKey decodes a secret key given as text: 64 hex digits, or the
// standard or URL-safe base64 (padded or not) of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if k, err := hex.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("tenants: secret key must be 32 bytes in hex or base64")
}

// OpenSealer returns the portal's Sealer: from envKey (the value of
// SecretKeyEnv, hex or base64) when it is not empty, otherwise from the key
// file in dir, created on first start (see LoadOrCreateSealer).
func OpenSealer(dir, envKey string) (*Sealer, error) {
	if strings.TrimSpace(envKey) != "" {
		key, err := ParseKey(envKey)
		if err != nil {
			return nil, fmt.Errorf("tenants: %s: %w", SecretKeyEnv, err)
		}
		return NewSealer(key)
	}
	return LoadOrCreateSealer(dir)
}

// LoadOrCreateSealer returns a Sealer keyed by the file secret.key in dir,
// creating dir (mode 0700) and the file (mode 0600, 32 random bytes) on
// first start. It refuses a key file that group or others may access.
func LoadOrCreateSealer(dir string) (*Sealer, error) {
	path := filepath.Join(dir, SecretKeyFile)
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(dir, path)
	}
	if err != nil {
		return nil, err
	}
	return NewSealer(key)
}

// readKeyFile reads an existing key file, checking its mode. The file holds
// 32 raw bytes, or their hex or base64 text.
func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("tenants: key file %s has mode %v, want 0600", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenants: read key file: %w", err)
	}
	if len(data) == 32 {
		return data, nil
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("tenants: key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new random key, failing rather than overwriting if
// another process created the file meanwhile (it is then read instead).
func createKeyFile(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tenants: create key directory: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("tenants: generate key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("tenants: create key file: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("tenants: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("tenants: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("tenants: write key file: %w", err)
	}
	return key, nil
}

// Seal encrypts plaintext and returns "v1:" followed by the unpadded
// URL-safe base64 of nonce|ciphertext|tag.
func (s *Sealer) Seal(plaintext []byte) (string, error) {
	return s.seal(plaintext, nil)
}

// Open decrypts a value made by Seal. It returns ErrUnsealable if the value
// is malformed, was tampered with or was sealed under another key.
func (s *Sealer) Open(sealed string) ([]byte, error) {
	return s.open(sealed, nil)
}

// seal encrypts plaintext bound to additional data (such as the id of the
// record holding it, so that a sealed value copied to another record does
// not open).
func (s *Sealer) seal(plaintext, additional []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("tenants: seal: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, plaintext, additional)
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// open decrypts a value made by seal with the same additional data.
func (s *Sealer) open(sealed string, additional []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return nil, ErrUnsealable
	}
	data, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(data) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrUnsealable
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, data[:n], data[n:], additional)
	if err != nil {
		return nil, ErrUnsealable
	}
	return plain, nil
}

// SealBound encrypts plaintext bound to binding (a purpose and the record
// it belongs to): OpenBound opens it only with the same binding.
func (s *Sealer) SealBound(plaintext []byte, binding string) (string, error) {
	return s.seal(plaintext, []byte(binding))
}

// OpenBound decrypts a value made by SealBound with the same binding.
func (s *Sealer) OpenBound(sealed, binding string) ([]byte, error) {
	return s.open(sealed, []byte(binding))
}
