// Command grisaille runs the Grisaille grey-label reseller portal.
//
//	grisaille serve     run the portal (with --demo for the demonstration data)
//	grisaille migrate   bring the database schema up to date
//	grisaille emulator  run the platform emulator alone
//
// Every flag can also be set through an environment variable: --platform-url
// reads GRISAILLE_PLATFORM_URL, and so on.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/broadcast"
	"github.com/grisaille/grisaille/demo"
	"github.com/grisaille/grisaille/email"
	"github.com/grisaille/grisaille/email/smtptest"
	"github.com/grisaille/grisaille/migrations"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/platform/emulator"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/pricing/invoicing"
	"github.com/grisaille/grisaille/pricing/invoicing/stripemock"
	"github.com/grisaille/grisaille/server"
	"github.com/grisaille/grisaille/sso"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web/i18n"
)

const usage = `Grisaille: a grey-label reseller portal for a PaaS.

Usage:
  grisaille serve [flags]      run the portal
  grisaille migrate [flags]    bring the database schema up to date
  grisaille emulator [flags]   run the platform emulator alone
  grisaille token SUBCOMMAND   mint, attenuate, inspect and revoke tokens
  grisaille invoice run        invoice every customer for a month through Stripe
  grisaille partner SUBCOMMAND list, suspend and resume partners

Run "grisaille COMMAND -h" for a command's flags. Every flag can also be set
through the environment variable named after it: --platform-url reads
GRISAILLE_PLATFORM_URL.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "grisaille:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "emulator":
		return runEmulator(ctx, args[1:], stderr)
	case "token":
		return tokenCommand(ctx, args[1:], os.Stdin, stdout, stderr)
	case "invoice":
		return invoiceCommand(ctx, args[1:], stdout, stderr)
	case "partner":
		return partnerCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// flags is a flag set whose flags default to GRISAILLE_* environment variables.
type flags struct {
	*flag.FlagSet
}

func newFlags(name string, stderr io.Writer) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flags{fs}
}

// envName is the environment variable a flag reads: --platform-url → GRISAILLE_PLATFORM_URL.
func envName(flagName string) string {
	return "GRISAILLE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f flags) String(name, def, help string) *string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	return f.FlagSet.String(name, def, help+" (env "+envName(name)+")")
}

func (f flags) Bool(name string, def bool, help string) *bool {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			def = b
		}
	}
	return f.FlagSet.Bool(name, def, help+" (env "+envName(name)+")")
}

// logFlags adds the logging flags and returns a function building the logger.
func (f flags) logger(stderr io.Writer) func() (*slog.Logger, error) {
	format := f.String("log-format", "text", "log format: text or json")
	level := f.String("log-level", "info", "log level: debug, info, warn or error")
	return func() (*slog.Logger, error) {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(*level)); err != nil {
			return nil, fmt.Errorf("--log-level: %w", err)
		}
		opts := &slog.HandlerOptions{Level: lv}
		switch *format {
		case "text":
			return slog.New(slog.NewTextHandler(stderr, opts)), nil
		case "json":
			return slog.New(slog.NewJSONHandler(stderr, opts)), nil
		}
		return nil, fmt.Errorf("--log-format: %q is neither text nor json", *format)
	}
}

// storage is where a command keeps its state: the data directory (keys,
// the emulator's file, and the SQLite database unless --database names
// another) and the database.
type storage struct {
	data, database *string
}

// storageFlags adds --data and --database to f.
func storageFlags(f flags) storage {
	return storage{
		data: f.String("data", "./data", "directory of the keys and of the SQLite files"),
		database: f.String("database", "", "the portal's database: a SQLite file, or a postgres:// URL for several instances; "+
			"empty is grisaille.db under --data"),
	}
}

// dir is the data directory.
func (s storage) dir() string { return *s.data }

// name is the database to open: --database, else the SQLite file under --data.
func (s storage) name() string {
	if *s.database != "" {
		return *s.database
	}
	return filepath.Join(*s.data, "grisaille.db")
}

// openDB opens the portal's database and migrates it.
func openDB(ctx context.Context, st storage) (*sqlx.DB, error) {
	if err := os.MkdirAll(st.dir(), 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := migrations.Open(ctx, st.name())
	if err != nil {
		return nil, err
	}
	if err := migrations.Up(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openStore opens the portal's database and the tenants' store on it,
// whose secrets are sealed with the key from GRISAILLE_SECRET_KEY or
// secret.key under the data directory.
func openStore(ctx context.Context, st storage) (*sqlx.DB, *tenants.Store, error) {
	db, err := openDB(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	sealer, err := tenants.OpenSealer(st.dir(), os.Getenv(tenants.SecretKeyEnv))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, tenants.NewStore(db, sealer), nil
}

// openBus returns the bus that keeps the instances' caches in step: on
// PostgreSQL it listens for the other instances' changes (and serving waits
// a moment for it), on SQLite there is one instance.
func openBus(db *sqlx.DB, st storage, log *slog.Logger) *broadcast.Bus {
	if !migrations.IsPostgres(db) {
		return broadcast.Local()
	}
	bus := broadcast.Listen(st.name(), db, log)
	select {
	case <-bus.Ready():
	case <-time.After(10 * time.Second):
		log.Warn("broadcast: not listening yet; other instances' changes show when caches expire")
	}
	return bus
}

// openTokens returns the token service on db, with the root key from
// GRISAILLE_BISCUIT_ROOT_KEY or dir/biscuit-root.key.
func openTokens(db *sqlx.DB, dir string) (*tokens.Service, *tokens.Keyring, error) {
	keys, err := tokens.LoadOrCreateKeyring(dir)
	if err != nil {
		return nil, nil, err
	}
	svc, err := tokens.NewService(db, keys)
	if err != nil {
		return nil, nil, err
	}
	return svc, keys, nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("migrate", stderr)
	st := storageFlags(f)
	if err := f.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, st)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "database schema is up to date:", migrations.Redact(st.name()))
	return nil
}

// hiddenDomains are the platform's DNS suffixes of --platform-domains,
// with the in-process emulator's when it runs.
func hiddenDomains(flag string, emulated bool) []string {
	var out []string
	for _, d := range strings.Split(flag, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	if emulated {
		out = append(out, emulator.Domain)
	}
	return out
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	f := newFlags("serve", stderr)
	addr := f.String("addr", "127.0.0.1:8080", "address the portal listens on")
	st := storageFlags(f)
	withDemo := f.Bool("demo", false, "seed the demo partners, users and applications when missing")
	platformURL := f.String("platform-url", "", "base URL of the real platform API; empty runs the in-process emulator")
	platformToken := f.String("platform-token", "", "platform API token for the demo partners when --platform-url is set")
	emulatorAddr := f.String("emulator-addr", "127.0.0.1:8081", "address the in-process platform emulator listens on")
	platformName := f.String("platform-name", "Clever Cloud", `platform name shown in the "powered by" line`)
	stripeURL := f.String("stripe-url", "", "send every Stripe call to this base URL (a local stripe-mock, say); api.stripe.com when empty")
	requestTimeout := f.String("request-timeout", server.DefaultRequestTimeout.String(), "time budget of every page and API call (the log stream excepted)")
	metricsAddr := f.String("metrics-addr", "", "address of the Prometheus metrics (/metrics), apart from the partners' hosts; empty serves none")
	trustedProxies := f.String("trusted-proxies", "", "comma-separated CIDRs of the proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; nobody's when empty")
	platformDomains := f.String("platform-domains", "cleverapps.io,clever-cloud.com,cleverapps.tech",
		"comma-separated DNS suffixes of the platform's own hosts, never shown to customers (the emulator's is added when it runs)")
	appEdgeHost := f.String("app-edge-host", "", "the hostname partners' applications' domains must have a wildcard CNAME to; none shown when empty")
	edgeHost := f.String("edge-host", "", "the hostname partners' own domains must be a CNAME of; each partner's first hostname when empty")
	ssoLoopback := f.Bool("sso-allow-loopback", false, "let single sign-on issuers be plain http on a loopback host (a provider on this machine, for a demo or tests); "+
		"off, issuers are https on public addresses only (on with --demo)")
	smtpURL := f.String("smtp-url", "", "the SMTP server e-mail is sent through: smtps://user:pass@host:465 or smtp://user:pass@host:587 (STARTTLS); "+
		"with --demo and none, a loopback server keeps the e-mail under --data/mail")
	demoSMTPAddr := f.String("demo-smtp-addr", "127.0.0.1:2525", "address of the demo's loopback SMTP server (--demo without --smtp-url)")
	demoStripeAddr := f.String("demo-stripe-addr", "127.0.0.1:12111", "address of the demo's stripe-mock, which the demo partners' test keys invoice through (--demo without --stripe-url)")
	dnsServer := f.String("dns-server", "", "host:port of the DNS server the domain checks ask; the system's resolver when empty")
	tlsOpts := tlsFlags(f)
	newLogger := f.logger(stderr)
	if err := f.Parse(args); err != nil {
		return err
	}
	log, err := newLogger()
	if err != nil {
		return err
	}
	budget, err := time.ParseDuration(*requestTimeout)
	if err != nil || budget <= 0 {
		return fmt.Errorf("--request-timeout: %q is not a positive duration such as 5s", *requestTimeout)
	}
	proxies, err := server.ParseTrustedProxies(*trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	started := time.Now()
	db, store, err := openStore(ctx, st)
	if err != nil {
		return err
	}
	defer db.Close()
	tokenService, keys, err := openTokens(db, st.dir())
	if err != nil {
		return err
	}
	bus := openBus(db, st, log)
	defer bus.Close()
	store.UseBroadcaster(bus)

	baseURL := *platformURL
	var emu *emulator.Emulator
	if baseURL == "" {
		emu, baseURL, err = startEmulator(ctx, filepath.Join(st.dir(), "emulator.db"), *emulatorAddr, log)
		if err != nil {
			return err
		}
		defer emu.Close()
		if err := syncEmulatorAccounts(ctx, store, emu); err != nil {
			return err
		}
	}
	metrics := server.NewMetrics()
	metrics.ObserveDB(db.DB, "grisaille")
	// Applications' git remotes are under the platform's own domains.
	api, err := platform.NewClient(platform.Config{BaseURL: baseURL, Logger: log, Observe: metrics.ObservePlatform,
		PushDomains: hiddenDomains(*platformDomains, false)})
	if err != nil {
		return err
	}
	priceList := pricing.NewCatalogue(db, api, log)
	grids := pricing.NewStore(db, priceList)
	grids.UseBroadcaster(bus)
	prices := pricing.NewEngine(priceList, grids)
	if err := priceList.Refresh(ctx); err != nil {
		// The last good copy, if any, keeps serving; the refresher retries.
		log.Warn("platform price list not refreshed", slog.String("error", err.Error()))
	}
	go priceList.RunRefresher(ctx, 6*time.Hour)
	if *withDemo {
		creds := func(ctx context.Context, p demo.Partner) (string, error) {
			if emu == nil {
				if *platformToken == "" {
					return "", errors.New("--demo with --platform-url needs --platform-token")
				}
				return *platformToken, nil
			}
			tok := randomToken()
			return tok, emu.EnsureAccount(ctx, p.Slug, p.AdminEmail, tok)
		}
		cfg := demo.Config{Store: store, Platform: api, Credentials: creds, Logger: log, AfterPartner: demo.SeedGrids(grids)}
		if emu != nil {
			cfg.RecordUsage = emu.RecordConsumption
		}
		if err := demo.Seed(ctx, cfg); err != nil {
			return err
		}
	}
	bundle, err := i18n.NewBundle()
	if err != nil {
		return err
	}
	outbox, err := openOutbox(db, *smtpURL, *withDemo, *demoSMTPAddr, filepath.Join(st.dir(), "mail"), log)
	if err != nil {
		return err
	}
	go outbox.Run(ctx, 15*time.Second)
	if *withDemo && *stripeURL == "" {
		*stripeURL = demoStripe(ctx, *demoStripeAddr, log)
	}
	domains := &tenants.DomainChecker{Store: store, Resolver: newResolver(*dnsServer), EdgeHost: *edgeHost}
	handler := server.New(server.Config{
		Tenants: store, Platform: api, Catalogue: platform.NewCatalogue(api, 10*time.Minute),
		Bundle: bundle, Logger: log, PlatformName: *platformName,
		Tokens: tokenService, Keys: keys, Audit: audit.NewLog(db),
		Prices: prices, Grids: grids, PriceList: priceList,
		Invoicing: invoicing.NewService(db, invoicing.EnginePricer(prices), store, invoicing.PlatformUsage(api, store), store,
			invoicing.WithStripeURL(*stripeURL), invoicing.WithLogger(log)),
		RequestTimeout: budget, TrustedProxies: proxies, Metrics: metrics,
		Domains: domains, PlatformDomains: hiddenDomains(*platformDomains, emu != nil), AppEdgeHost: *appEdgeHost,
		Outbox: outbox, SSO: sso.New(sso.Config{AllowLoopback: *ssoLoopback || *withDemo}),
	})
	go sweepSessions(ctx, store, tokenService, log)
	go domains.Run(ctx, 30*time.Second, func(err error) { log.Error("domain checks", slog.String("error", err.Error())) })
	// Start-up (the price list's import, the demo's password hashes: 64 MiB
	// each) leaves garbage the runtime would hand back to the system only
	// slowly: hand it back now, so that an idle portal stays small.
	debug.FreeOSMemory()
	// With --tls, HTTPS and the HTTP challenges are served on their own
	// addresses instead of --addr.
	var ln net.Listener
	if !*tlsOpts.enabled {
		if ln, err = net.Listen("tcp", *addr); err != nil {
			return err
		}
	}
	// A request has its budget to be answered; the server's timeouts leave
	// it that and a margin to read the body and write the answer. The log
	// stream lifts its own write deadline.
	idle := &idleMemory{db: db}
	go idle.release(ctx, 30*time.Second)
	srv := &http.Server{Handler: idle.watch(handler), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: budget + 30*time.Second, IdleTimeout: 2 * time.Minute}
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		log.Info("metrics listening", slog.String("addr", "http://"+mln.Addr().String()+"/metrics"))
	}
	if *tlsOpts.enabled {
		ts, err := newTLSServer(ctx, tlsOpts, db, store, srv.Handler, budget, stderr, log)
		if err != nil {
			return err
		}
		log.Info("portal started", slog.String("platform", baseURL), slog.String("database", migrations.Redact(st.name())),
			slog.Duration("startup", time.Since(started)))
		return ts.serve(ctx)
	}
	log.Info("portal listening", slog.String("addr", "http://"+ln.Addr().String()), slog.String("platform", baseURL), slog.String("database", migrations.Redact(st.name())),
		slog.Duration("startup", time.Since(started)))
	return serveUntilDone(ctx, srv, ln, log)
}

// openOutbox is the e-mail outbox, sending through --smtp-url; with
// --demo and no --smtp-url, through a loopback SMTP server that keeps every
// message in mailbox; else nowhere: messages wait in the outbox until a
// server is configured.
func openOutbox(db *sqlx.DB, smtpURL string, demo bool, demoAddr, mailbox string, log *slog.Logger) (*email.Outbox, error) {
	if smtpURL == "" && demo {
		srv, err := smtptest.Start(demoAddr)
		if err != nil {
			return nil, fmt.Errorf("the demo's SMTP server on %s (--demo-smtp-addr): %w", demoAddr, err)
		}
		if err := srv.KeepIn(mailbox); err != nil {
			return nil, err
		}
		smtpURL = srv.URL()
		log.Info("demo e-mail is kept as .eml files", slog.String("mailbox", mailbox), slog.String("smtp", srv.Addr()))
	}
	if smtpURL == "" {
		log.Warn("no --smtp-url: e-mail waits in the outbox until one is set")
		return email.NewOutbox(db, nil, log), nil
	}
	sender, err := email.ParseSMTPURL(smtpURL)
	if err != nil {
		return nil, err
	}
	return email.NewOutbox(db, sender, log), nil
}

// demoStripe starts the demo's stripe-mock on addr and returns its base
// URL: the demo partners' test keys invoice through it. Without stripe-mock
// (no binary, no Go toolchain) the demo runs on, and invoicing says that
// Stripe cannot be reached; "" then (Stripe itself, which refuses the demo's
// keys).
func demoStripe(ctx context.Context, addr string, log *slog.Logger) string {
	command, err := stripemock.Command()
	if err == nil {
		var p *stripemock.Process
		if p, err = stripemock.Run(ctx, command, addr, 2*time.Minute); err == nil {
			log.Info("the demo invoices through stripe-mock", slog.String("url", p.URL))
			return p.URL
		}
	}
	log.Warn("no stripe-mock for the demo: invoicing will say Stripe cannot be reached", slog.String("error", err.Error()))
	return ""
}

// idleMemory hands the memory a burst of requests left back to the system
// once the portal has been idle a while, so that an idle portal stays small
// (the runtime would return it only slowly).
type idleMemory struct {
	last     atomic.Int64 // when the last request came, Unix nanoseconds
	released atomic.Bool  // whether the memory was handed back since
	db       *sqlx.DB     // whose idle connections are closed
}

// watch notes each request.
func (m *idleMemory) watch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.last.Store(time.Now().UnixNano())
		m.released.Store(false)
		next.ServeHTTP(w, r)
	})
}

// release hands the memory back after idle without a request, once per
// idle spell, until ctx ends.
func (m *idleMemory) release(ctx context.Context, idle time.Duration) {
	t := time.NewTicker(idle / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !m.released.Load() && time.Since(time.Unix(0, m.last.Load())) >= idle {
			m.released.Store(true)
			platform.CloseIdleConnections()
			if m.db != nil {
				migrations.CloseIdle(m.db)
			}
			// Two collections: the first moves the pools' idle buffers
			// (gzip writers, connection readers) to their victim caches,
			// the second (FreeOSMemory's) frees them.
			runtime.GC()
			debug.FreeOSMemory()
			trimHeap()
		}
	}
}

// serveUntilDone serves until ctx ends, then shuts down gracefully.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.String("addr", ln.Addr().String()))
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startEmulator serves the platform emulator on addr in the background.
func startEmulator(ctx context.Context, path, addr string, log *slog.Logger) (*emulator.Emulator, string, error) {
	emu, err := emulator.Open(ctx, path)
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		emu.Close()
		return nil, "", fmt.Errorf("platform emulator: %w", err)
	}
	srv := &http.Server{Handler: emu.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("platform emulator stopped", slog.String("error", err.Error()))
		}
	}()
	go func() {
		<-ctx.Done()
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
	}()
	base := "http://" + ln.Addr().String()
	log.Info("platform emulator listening", slog.String("addr", base))
	return emu, base, nil
}

// syncEmulatorAccounts makes sure every partner's stored platform token is
// an emulator account, so that a fresh emulator file still accepts them.
func syncEmulatorAccounts(ctx context.Context, store *tenants.Store, emu *emulator.Emulator) error {
	partners, err := store.Partners(ctx)
	if err != nil {
		return err
	}
	for _, p := range partners {
		tok, err := store.PlatformToken(ctx, p.ID)
		if err != nil {
			return err
		}
		if tok == "" {
			continue
		}
		if err := emu.EnsureAccount(ctx, p.Slug, p.Slug+"@partners.invalid", tok); err != nil {
			return err
		}
	}
	return nil
}

// sweepSessions deletes expired sessions, and the records of their tokens,
// every hour until ctx ends.
func sweepSessions(ctx context.Context, store *tenants.Store, tokenService *tokens.Service, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n, err := store.DeleteExpiredSessions(ctx); err != nil {
				log.Error("sweep sessions", slog.String("error", err.Error()))
			} else if n > 0 {
				log.Info("expired sessions deleted", slog.Int64("count", n))
			}
			if n, err := tokenService.PruneSessions(ctx, time.Now()); err != nil {
				log.Error("prune session tokens", slog.String("error", err.Error()))
			} else if n > 0 {
				log.Info("expired session tokens deleted", slog.Int64("count", n))
			}
		}
	}
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func runEmulator(ctx context.Context, args []string, stderr io.Writer) error {
	f := newFlags("emulator", stderr)
	data := f.String("data", "./data", "directory of the emulator's SQLite file")
	addr := f.String("emulator-addr", "127.0.0.1:8081", "address the emulator listens on")
	accounts := f.String("accounts", "", "comma-separated NAME:TOKEN partner accounts to create, e.g. demo:secret")
	newLogger := f.logger(stderr)
	if err := f.Parse(args); err != nil {
		return err
	}
	log, err := newLogger()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	emu, err := emulator.Open(ctx, filepath.Join(*data, "emulator.db"))
	if err != nil {
		return err
	}
	defer emu.Close()
	for _, acc := range strings.FieldsFunc(*accounts, func(r rune) bool { return r == ',' }) {
		name, tok, ok := strings.Cut(strings.TrimSpace(acc), ":")
		if !ok || name == "" || tok == "" {
			return fmt.Errorf("--accounts: %q is not NAME:TOKEN", acc)
		}
		if err := emu.EnsureAccount(ctx, name, name+"@partners.invalid", tok); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emu.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Info("platform emulator listening", slog.String("addr", "http://"+ln.Addr().String()))
	return serveUntilDone(ctx, srv, ln, log)
}
