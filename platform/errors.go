package platform

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors classify every failure of a Client call. Test them with
// errors.Is, e.g. errors.Is(err, platform.ErrNotFound).
var (
	// ErrBadRequest means the platform refused the input (HTTP 400 and other
	// 4xx without a dedicated sentinel), or the client refused it before any
	// request was sent (an empty or dot-only path segment).
	ErrBadRequest = errors.New("platform: bad request")
	// ErrUnauthorized means missing or wrong credentials (HTTP 401).
	ErrUnauthorized = errors.New("platform: unauthorized")
	// ErrForbidden means the credentials do not allow the action (HTTP 403).
	ErrForbidden = errors.New("platform: forbidden")
	// ErrNotFound means the resource does not exist or is not visible to the
	// caller (HTTP 404).
	ErrNotFound = errors.New("platform: not found")
	// ErrConflict means the action conflicts with the resource's state
	// (HTTP 409).
	ErrConflict = errors.New("platform: conflict")
	// ErrUnavailable means the platform could not be reached or failed: network
	// errors, timeouts, HTTP 429 and 5xx, and unreadable answers.
	ErrUnavailable = errors.New("platform: unavailable")
)

// Error is the error every Client method returns. Err is one of the sentinel
// errors above, possibly joined with the underlying cause (a network error,
// context.DeadlineExceeded, …); Unwrap exposes it to errors.Is and errors.As.
type Error struct {
	// Op names the client operation, e.g. "create application".
	Op string
	// Status is the HTTP status the platform answered, 0 when there was none.
	Status int
	// ID is the platform's error id from the body, 0 when absent.
	ID int
	// Message is the platform's error message from the body (truncated), or
	// empty. It never holds the raw body nor the credential.
	Message string
	// Err is the classification sentinel, possibly wrapping a cause.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	s := "platform: " + e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the classification sentinel (and its cause, if any).
func (e *Error) Unwrap() error { return e.Err }

// sentinelFor maps an HTTP status of an error answer to its sentinel.
func sentinelFor(status int) error {
	switch {
	case status == http.StatusBadRequest:
		return ErrBadRequest
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound || status == http.StatusGone:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusTooManyRequests || status >= 500:
		return ErrUnavailable
	case status >= 400:
		return ErrBadRequest
	default:
		// 1xx and 3xx reaching us are not answers we understand.
		return ErrUnavailable
	}
}
