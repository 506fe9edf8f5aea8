package platform

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Git's smart-HTTP requests, the only ones a git remote is sent: the
// reference advertisement and the two services.
const (
	GitUploadPack  = "git-upload-pack"
	GitReceivePack = "git-receive-pack"
)

// GitRequest is one smart-HTTP request of a git client, for the remote of
// an application: Service is what it asks for (GitUploadPack for a fetch
// or ls-remote, GitReceivePack for a push) and Advertise whether it is the
// GET of info/refs that starts either.
type GitRequest struct {
	Remote    string // the application's deployment.httpUrl, as the platform gives it
	Service   string
	Advertise bool
	// Body, ContentType, ContentEncoding and Accept are the client's.
	Body                                 io.Reader
	ContentLength                        int64 // 0 or -1 when unknown
	ContentType, ContentEncoding, Accept string
}

// Git sends a git client's request to an application's remote with the
// partner's credentials (the token as the user name, as the platform's push
// hosts take it) and returns the platform's answer, whose body the caller
// streams back and closes. The remote must be on the platform's API host
// or under one of its push domains (Config.PushDomains): it comes from the
// platform, never from the caller. Only the wait for the answer's headers
// is bounded by the client's timeout; the transfer lasts as long as ctx.
func (c *Client) Git(ctx context.Context, g GitRequest) (*http.Response, error) {
	const op = "git"
	u, err := url.Parse(g.Remote)
	if err != nil || !c.pushHost(u) || !strings.HasSuffix(u.Path, ".git") || u.User != nil || u.RawQuery != "" {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: the application's git remote %q is not one of the platform's", ErrBadRequest, g.Remote)}
	}
	if g.Service != GitUploadPack && g.Service != GitReceivePack {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: git service %q", ErrBadRequest, g.Service)}
	}
	method, target := http.MethodPost, u.String()+"/"+g.Service
	if g.Advertise {
		method, target = http.MethodGet, u.String()+"/info/refs?service="+g.Service
	}
	req, err := http.NewRequestWithContext(ctx, method, target, g.Body)
	if err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrBadRequest, err)}
	}
	if g.Body != nil && g.ContentLength > 0 {
		req.ContentLength = g.ContentLength
	}
	for k, v := range map[string]string{"Content-Type": g.ContentType, "Content-Encoding": g.ContentEncoding, "Accept": g.Accept} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("Git-Protocol", "version=0")
	req.SetBasicAuth(c.token, "")
	hctx, cancel := context.WithCancel(ctx)
	headers := time.AfterFunc(c.timeout, cancel)
	resp, err := c.hc.Do(req.WithContext(hctx))
	if !headers.Stop() || err != nil {
		cancel()
		if err == nil {
			resp.Body.Close()
			err = context.DeadlineExceeded
		}
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrUnavailable, scrub(err))}
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// pushHost reports whether u is an https URL under one of the push domains
// or on the API's own scheme and host.
func (c *Client) pushHost(u *url.URL) bool {
	base, err := url.Parse(c.base)
	if err != nil {
		return false
	}
	if u.Scheme == base.Scheme && u.Host == base.Host {
		return true
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range c.pushDomains {
		d = strings.ToLower(strings.Trim(d, "."))
		if u.Scheme == "https" && d != "" && strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
