package tenants

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, one
// lane), a 16-byte salt and a 32-byte key.
const (
	argonMemory  = 19456
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Password length limits, in bytes. The upper limit bounds hashing work.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 1024
)

// errMalformedHash reports a stored hash that is not an argon2id PHC string.
var errMalformedHash = errors.New("tenants: malformed password hash")

// HashPassword hashes pw with argon2id and a random salt, returning a PHC
// string "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (unpadded base64).
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("tenants: hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the argon2id PHC string hash,
// comparing in constant time. The parameters are read from the hash, so
// hashes made with older parameters still verify; absurd parameters are
// refused as malformed rather than computed.
func CheckPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errMalformedHash
	}
	var memory, iterations uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &iterations, &threads); err != nil {
		return false, errMalformedHash
	}
	if memory < 8 || memory > 1<<20 || iterations < 1 || iterations > 16 || threads < 1 || threads > 16 {
		return false, errMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, errMalformedHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return false, errMalformedHash
	}
	got := argon2.IDKey([]byte(pw), salt, iterations, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is a hash of a random password, verified against when a
// sign-in names an unknown email so that it takes as long as a wrong
// password.
var dummyHash = sync.OnceValue(func() string {
	pw := make([]byte, 16)
	_, _ = rand.Read(pw) // crypto/rand.Read never fails on supported platforms
	h, err := HashPassword(base64.RawStdEncoding.EncodeToString(pw))
	if err != nil {
		panic("tenants: dummy hash: " + err.Error())
	}
	return h
})

// validatePassword checks a new password's length.
func validatePassword(pw string) error {
	switch {
	case len([]rune(pw)) < MinPasswordLength:
		return invalid("password", MsgPasswordTooShort)
	case len(pw) > MaxPasswordLength:
		return invalid("password", MsgPasswordTooLong)
	}
	return nil
}

// hashSlots bounds the password hashes computed at once: each argon2id
// hash holds 19 MiB while it runs, so that a burst of sign-ins waits for a
// slot instead of growing the portal's memory with its size.
var hashSlots = make(chan struct{}, max(2, runtime.NumCPU()))

// ErrBusy is a password check that found no free hashing slot before its
// request's deadline.
var ErrBusy = errors.New("tenants: too many sign-ins at once")

// withHashSlot runs fn in a hashing slot, waiting for one as long as ctx
// allows.
func withHashSlot[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	defer func() { <-hashSlots }()
	return fn()
}
