package api

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/platform"
)

// MaxPush caps what one git request through the portal may send.
const MaxPush = 1 << 30

// gitResponseHeaders are the platform's answer headers a git client reads.
var gitResponseHeaders = []string{"Content-Type", "Cache-Control", "Expires", "Pragma", "Content-Encoding"}

// Git proxies a git client's smart-HTTP request (the server's middleware
// has authorized it) to the application's remote on the platform, as the
// platform gives it, with the partner's credentials: the customer never
// sees the platform's push host nor its credentials. A push is audited.
func (a *API) Git(c echo.Context) error {
	ctx := c.Request().Context()
	cl, err := a.callerOf(ctx)
	if err != nil {
		return err
	}
	if cl.customer == nil {
		return refuse(http.StatusNotFound, "api.not_found")
	}
	appID := strings.TrimSuffix(c.Param("repo"), ".git")
	app, err := cl.api.Application(ctx, cl.customer.OrganisationID, appID)
	if err != nil {
		return err
	}
	g := platform.GitRequest{
		Remote: app.Deployment.HTTPURL, Service: c.Param("service"),
		ContentType: c.Request().Header.Get("Content-Type"), ContentEncoding: c.Request().Header.Get("Content-Encoding"),
		Accept: c.Request().Header.Get("Accept"),
	}
	if c.Request().Method == http.MethodGet {
		g.Service, g.Advertise = c.QueryParam("service"), true
	} else {
		g.Body = http.MaxBytesReader(c.Response(), c.Request().Body, MaxPush)
		g.ContentLength = c.Request().ContentLength
	}
	res, err := cl.api.Git(ctx, g)
	push := g.Service == platform.GitReceivePack && !g.Advertise
	if err != nil {
		if push {
			a.audit(c, cl, "app.deploy", appID, err)
		}
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		// The platform refused its own partner's credentials or the
		// repository: nothing of its answer is shown.
		err := &platform.Error{Op: "git", Status: res.StatusCode, Err: errors.New("git remote refused")}
		if push {
			a.audit(c, cl, "app.deploy", appID, err)
		}
		return err
	}
	h := c.Response().Header()
	for _, k := range gitResponseHeaders {
		if v := res.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(flushWriter{c.Response()}, res.Body)
	if push {
		a.audit(c, cl, "app.deploy", appID, err)
	}
	return nil // the answer has started: an error can only cut it
}

// flushWriter flushes after each write, so that git's progress reaches
// the client as the platform sends it.
type flushWriter struct{ r *echo.Response }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.r.Write(p)
	f.r.Flush()
	return n, err
}
