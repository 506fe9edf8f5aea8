package invoicing

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Stripe's rate limits: a request refused with 429 is sent again after a
// growing pause (or the Retry-After the answer gives), a few times. Every
// write carries its idempotency key, so sending one again is safe.
const (
	rateLimitTries = 6
	rateLimitPause = 250 * time.Millisecond
	maxPause       = 8 * time.Second
)

// rateLimited is a transport that backs off and retries on 429.
type rateLimited struct {
	base  http.RoundTripper
	pause time.Duration // the first pause; the next ones double, with jitter
}

// RoundTrip sends req, again after a pause while Stripe answers 429.
func (t rateLimited) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	for try := 1; ; try++ {
		r := req.Clone(req.Context())
		if body != nil {
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		resp, err := t.base.RoundTrip(r)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || try >= rateLimitTries {
			return resp, err
		}
		wait := retryAfter(resp, t.pause<<(try-1))
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		timer := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
	}
}

// retryAfter is the pause before the next try: the answer's Retry-After
// seconds when given, else the backoff with up to a quarter of jitter.
func retryAfter(resp *http.Response, backoff time.Duration) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, maxPause)
	}
	backoff = min(backoff, maxPause)
	return backoff - time.Duration(rand.Int64N(int64(backoff/4)+1))
}
