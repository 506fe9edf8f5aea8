package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// DefaultRequestTimeout bounds a page or an API call when Config says nothing.
const DefaultRequestTimeout = 5 * time.Second

// streamingRoutes answer as long as the client listens: no deadline and no
// write timeout applies to them.
var streamingRoutes = map[string]bool{
	"/v4/logs/organisations/:org/applications/:app/logs": true,
}

// gitRoutes carry git's transfers through the partner's host: a push may
// take minutes and weigh far more than a form, so they have their own
// deadline (gitTransferTimeout) and body limit (api.MaxPush), and are not
// compressed again (git compresses its packs).
var gitRoutes = map[string]bool{
	gitAdvertiseRoute: true,
	gitServiceRoute:   true,
}

// gitTransferTimeout bounds one git request through the portal.
const gitTransferTimeout = 15 * time.Minute

// errDeadline is a request that ran out of time: the platform (or the
// database) did not answer within the request's budget.
var errDeadline = errors.New("server: request deadline exceeded")

// deadline gives every request but the streaming ones an overall time
// budget; one that runs out answers 504 with a message that says the
// platform is slow, not the user at fault.
func (s *server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if streamingRoutes[c.Path()] {
			// The write timeout of the server would cut the stream.
			_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Time{})
			return next(c)
		}
		budget := s.cfg.RequestTimeout
		if gitRoutes[c.Path()] {
			budget = gitTransferTimeout
			_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(budget))
			_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(budget))
		}
		req := c.Request()
		ctx, cancel := context.WithTimeout(req.Context(), budget)
		defer cancel()
		c.SetRequest(req.WithContext(ctx))
		err := next(c)
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w after %v: %w", errDeadline, budget, err)
		}
		return err
	}
}

// forwardedHeaders are the request headers through which a proxy tells the
// client's address and scheme.
var forwardedHeaders = []string{
	"Forwarded", "X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Proto", "X-Forwarded-Protocol",
	"X-Forwarded-Ssl", "X-Url-Scheme", "X-Forwarded-Host",
}

// ParseTrustedProxies parses a comma-separated list of CIDRs (or single
// addresses) whose forwarding headers are believed.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trustedPeer reports whether the request came straight from a trusted
// proxy.
func trustedPeer(r *http.Request, trusted []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// dropUntrustedForwarding removes the forwarding headers of a request that
// did not come from a trusted proxy, so that nobody else can claim HTTPS
// (HSTS, Secure cookies) or another client address.
func (s *server) dropUntrustedForwarding(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !trustedPeer(r, s.cfg.TrustedProxies) {
			for _, h := range forwardedHeaders {
				r.Header.Del(h)
			}
		}
		return next(c)
	}
}

// ipExtractor reads the client's address from X-Forwarded-For through the
// trusted proxies only, else from the connection.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		_, n, err := net.ParseCIDR(p.String())
		if err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// compress gzips pages, JSON and stylesheets of a kilobyte or more for the
// clients that take it; streams, images and the widgets' files and
// catalogues (compressed ahead, by their handlers) pass as they are.
func compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		// The fastest level: pages are made per request, and most of what
		// gzip saves on HTML it saves at level 1.
		Level:     1,
		MinLength: 1024,
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return streamingRoutes[c.Path()] || gitRoutes[c.Path()] || strings.HasPrefix(p, "/widgets/") || strings.HasPrefix(p, "/console/widgets/") ||
				p == "/brand/logo" || p == "/healthz"
		},
	})
}
