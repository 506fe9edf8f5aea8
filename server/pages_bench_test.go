package server_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkConsolePages measures the console's dashboard and pricing page,
// and an API call, over the fully wired portal (httptest, one client).
func BenchmarkConsolePages(b *testing.B) {
	a := newApp(b)
	c := a.client(&testing.T{}, "acme.localhost")
	c.t = nil
	tok := ""
	for _, bc := range []struct{ name, path string }{{"dashboard", "/console"}, {"pricing", "/console/pricing"}, {"api", "/v2/organisations"}} {
		b.Run(bc.name, func(b *testing.B) {
			if c.t == nil {
				t := &testing.T{}
				c.t = t
				c.signIn("dev@acme.example")
			}
			if bc.name == "api" && tok == "" {
				tok = a.customerToken(&testing.T{}, "acme", "dev@acme.example")
			}
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, a.srv.URL+bc.path, nil)
				req.Host = "acme.localhost"
				req.Header.Set("Accept-Encoding", "gzip")
				if tok != "" && bc.name == "api" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				res, err := c.http.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", bc.path, res.StatusCode)
				}
			}
		})
	}
}
