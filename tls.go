package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/grisaille/grisaille/certs"
	"github.com/grisaille/grisaille/tenants"
)

// tlsOptions are serve's flags for automatic TLS.
type tlsOptions struct {
	enabled                        *bool
	ca, caRoot, email              *string
	httpsAddr, httpAddr, decisions *string
}

func tlsFlags(f flags) tlsOptions {
	return tlsOptions{
		enabled:   f.Bool("tls", false, "serve HTTPS with certificates obtained on demand from an ACME CA for the partners' hosts and verified domains"),
		ca:        f.String("acme-ca", certmagic.LetsEncryptProductionCA, "directory URL of the ACME CA (with --tls)"),
		caRoot:    f.String("acme-ca-root", "", "PEM file of the root the ACME CA's own HTTPS is checked against, for a private CA such as pebble; the system's roots when empty"),
		email:     f.String("acme-email", "", "contact e-mail of the ACME account (with --tls)"),
		httpsAddr: f.String("https-addr", ":443", "address HTTPS is served on (with --tls)"),
		httpAddr:  f.String("http-addr", ":80", "address of the HTTP-01 challenges and of the redirects to HTTPS (with --tls); empty serves none"),
		decisions: f.String("acme-rates", "10/5,100/20", "certificates obtained per hour/at once: per partner, then for the whole portal"),
	}
}

// parseRates reads --acme-rates.
func parseRates(s string) (certs.Limits, error) {
	var l certs.Limits
	if _, err := fmt.Sscanf(strings.ReplaceAll(s, " ", ""), "%d/%d,%d/%d", &l.PerOwner, &l.OwnerBurst, &l.Global, &l.GlobalBurst); err != nil ||
		l.PerOwner <= 0 || l.OwnerBurst <= 0 || l.Global <= 0 || l.GlobalBurst <= 0 {
		return certs.Limits{}, fmt.Errorf("--acme-rates: %q is not per-partner/burst,global/burst such as 10/5,100/20", s)
	}
	return l, nil
}

// tlsServer is the HTTPS side of serve: certmagic with the portal's SQL
// storage and on-demand decision.
type tlsServer struct {
	https, http *http.Server
	httpsLn     net.Listener
	httpLn      net.Listener
}

// newTLSServer prepares HTTPS for handler on the options' addresses.
func newTLSServer(ctx context.Context, o tlsOptions, db *sqlx.DB, store *tenants.Store,
	handler http.Handler, budget time.Duration, stderr io.Writer, log *slog.Logger) (*tlsServer, error) {
	limits, err := parseRates(*o.decisions)
	if err != nil {
		return nil, err
	}
	var roots *x509.CertPool
	if *o.caRoot != "" {
		pem, err := os.ReadFile(*o.caRoot)
		if err != nil {
			return nil, fmt.Errorf("--acme-ca-root: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--acme-ca-root: no PEM certificate in %s", *o.caRoot)
		}
	}
	zl := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(stderr), zap.WarnLevel))
	decider := certs.NewDecider(func(ctx context.Context, host string) (string, error) {
		p, err := store.PartnerByHost(ctx, host)
		return p.ID, err
	}, limits)
	var cfg *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
		Logger:           zl,
	})
	go func() { <-ctx.Done(); cache.Stop() }()
	cfg = certmagic.New(cache, certmagic.Config{
		Storage:  certs.NewStorage(db, store.Sealer()),
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: decider.Decide},
		Logger:   zl,
		OnEvent: func(_ context.Context, event string, data map[string]any) error {
			switch event {
			case "cert_obtained", "cert_failed":
				log.Info("certificate "+strings.TrimPrefix(event, "cert_"), slog.Any("identifier", data["identifier"]))
			}
			return nil
		},
	})
	issuer := certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{CA: *o.ca, Email: *o.email, Agreed: true, TrustedRoots: roots, Logger: zl})
	cfg.Issuers = []certmagic.Issuer{issuer}
	tc := cfg.TLSConfig()
	tc.NextProtos = append([]string{"h2", "http/1.1"}, tc.NextProtos...)
	tc.MinVersion = tls.VersionTLS12

	s := &tlsServer{https: &http.Server{Handler: handler, TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: budget + 30*time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}}
	if s.httpsLn, err = net.Listen("tcp", *o.httpsAddr); err != nil {
		return nil, fmt.Errorf("--https-addr: %w", err)
	}
	if *o.httpAddr != "" {
		if s.httpLn, err = net.Listen("tcp", *o.httpAddr); err != nil {
			s.httpsLn.Close()
			return nil, fmt.Errorf("--http-addr: %w", err)
		}
		_, httpsPort, _ := net.SplitHostPort(s.httpsLn.Addr().String())
		s.http = &http.Server{Handler: issuer.HTTPChallengeHandler(toHTTPS(httpsPort)), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	}
	log.Info("portal listening", slog.String("addr", "https://"+s.httpsLn.Addr().String()), slog.String("acme_ca", *o.ca))
	return s, nil
}

// toHTTPS redirects every request to the same URL on HTTPS (the port
// httpsPort unless it is 443), but for /healthz.
func toHTTPS(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		host := tenants.NormalizeHost(r.Host)
		if host == "" {
			http.Error(w, "no host", http.StatusBadRequest)
			return
		}
		if httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// serve serves until ctx ends, then shuts down gracefully.
func (s *tlsServer) serve(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- s.https.ServeTLS(s.httpsLn, "", "") }()
	if s.http != nil {
		go func() { errc <- s.http.Serve(s.httpLn) }()
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.http != nil {
		_ = s.http.Shutdown(shutCtx)
	}
	if serr := s.https.Shutdown(shutCtx); err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
