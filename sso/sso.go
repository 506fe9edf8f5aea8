// Package sso signs users in through OpenID Connect providers: the
// authorization code flow with PKCE, state and nonce, through
// github.com/zitadel/oidc's relying party, one per provider and callback
// URL, kept once discovered. Every call to a provider goes through an
// HTTP client with deadlines that reaches only public addresses (and
// loopback where the operator allows it): a partner's issuer URL never
// reaches the portal's own network.
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// Config is how the client reaches providers.
type Config struct {
	// AllowLoopback lets issuers be plain http on a loopback host (the
	// demo's and the tests' providers); off, issuers are https on public
	// addresses only.
	AllowLoopback bool
	// Timeout bounds each call to a provider (10 s when 0).
	Timeout time.Duration
	// PartyTTL is how long a discovered relying party is kept (an hour
	// when 0); a provider's signing keys are refreshed as it rotates them.
	PartyTTL time.Duration
}

// Errors of the client.
var (
	// ErrIssuerRefused reports an issuer URL the client does not call: not
	// https, or on an address it may not reach.
	ErrIssuerRefused = errors.New("sso: issuer refused")
	// ErrFlow reports a sign-in the provider sent back that does not match
	// the one started (state), or whose tokens do not verify.
	ErrFlow = errors.New("sso: sign-in refused")
)

// Client is the portal's side of single sign-on.
type Client struct {
	cfg  Config
	http *http.Client
	mu   sync.Mutex
	// parties are the relying parties discovered, by provider and
	// callback URL.
	parties map[string]party
}

type party struct {
	rp rp.RelyingParty
	at time.Time
}

// New returns a client.
func New(cfg Config) *Client {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.PartyTTL == 0 {
		cfg.PartyTTL = time.Hour
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || !reachable(ip.Unmap(), cfg.AllowLoopback) {
			return fmt.Errorf("%w: %s is not a public address", ErrIssuerRefused, host)
		}
		return nil
	}}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	return &Client{cfg: cfg, parties: map[string]party{}, http: &http.Client{Transport: transport, Timeout: cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("sso: too many redirects")
			}
			return nil
		}}}
}

// reachable reports whether the client may connect to ip.
func reachable(ip netip.Addr, loopback bool) bool {
	if ip.IsLoopback() {
		return loopback
	}
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(ip) && !netip.MustParsePrefix("fc00::/7").Contains(ip)
}

// CheckIssuer refuses an issuer URL the client would not call: https, or
// plain http on a loopback host where allowed.
func (c *Client) CheckIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return ErrIssuerRefused
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	ip, err := netip.ParseAddr(host)
	if u.Scheme == "http" && c.cfg.AllowLoopback && (host == "localhost" || err == nil && ip.IsLoopback()) {
		return nil
	}
	return ErrIssuerRefused
}

// Provider is a provider as a relying party sees it.
type Provider struct {
	// Key names the provider in the cache (its id); a provider whose
	// settings change gets a new key.
	Key                            string
	Issuer, ClientID, ClientSecret string
	// RedirectURI is the portal's callback URL the provider sends the
	// user back to.
	RedirectURI string
}

type nonceKey struct{}

// party returns the provider's relying party, discovering it when new.
func (c *Client) party(ctx context.Context, p Provider) (rp.RelyingParty, error) {
	if err := c.CheckIssuer(p.Issuer); err != nil {
		return nil, err
	}
	key := p.Key + "\x00" + p.RedirectURI
	c.mu.Lock()
	cached, ok := c.parties[key]
	c.mu.Unlock()
	if ok && time.Since(cached.at) < c.cfg.PartyTTL {
		return cached.rp, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	found, err := rp.NewRelyingPartyOIDC(ctx, p.Issuer, p.ClientID, p.ClientSecret, p.RedirectURI,
		[]string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile}, rp.WithHTTPClient(c.http),
		rp.WithVerifierOpts(rp.WithNonce(func(ctx context.Context) string {
			n, _ := ctx.Value(nonceKey{}).(string)
			return n
		}), rp.WithIssuedAtOffset(time.Minute)))
	if err != nil {
		return nil, fmt.Errorf("sso: discover %s: %w", p.Issuer, err)
	}
	c.mu.Lock()
	c.parties[key] = party{rp: found, at: time.Now()}
	c.mu.Unlock()
	return found, nil
}

// Discover checks that the issuer answers its discovery document, as
// a provider is added.
func (c *Client) Discover(ctx context.Context, p Provider) error {
	_, err := c.party(ctx, p)
	return err
}

// Forget drops a provider's relying parties (the provider was removed).
func (c *Client) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.parties {
		if strings.HasPrefix(k, key+"\x00") {
			delete(c.parties, k)
		}
	}
}

// Flow is one sign-in's secrets, kept by the browser (sealed) between the
// redirect to the provider and the way back.
type Flow struct {
	State, Nonce, Verifier string
}

// NewFlow returns new random secrets.
func NewFlow() (Flow, error) {
	var f Flow
	for _, s := range []*string{&f.State, &f.Nonce} {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return f, err
		}
		*s = base64.RawURLEncoding.EncodeToString(b)
	}
	f.Verifier = oauth2.GenerateVerifier()
	return f, nil
}

// AuthURL is where the user signs in at the provider: the code flow with
// the flow's state, nonce and PKCE challenge (S256).
func (c *Client) AuthURL(ctx context.Context, p Provider, f Flow) (string, error) {
	party, err := c.party(ctx, p)
	if err != nil {
		return "", err
	}
	return rp.AuthURL(f.State, party, rp.WithCodeChallenge(oidc.NewSHACodeChallenge(f.Verifier)),
		rp.AuthURLOpt(rp.WithURLParam("nonce", f.Nonce))), nil
}

// Identity is who signed in, from a verified ID token (and the userinfo
// endpoint for what the token leaves out).
type Identity struct {
	Issuer, Subject, Email, Name string
	EmailVerified                bool
}

// Exchange completes a sign-in: it checks the state the provider sent back,
// exchanges the code with the PKCE verifier and verifies the ID token
// (signature, issuer, audience: this provider's client id, expiry, nonce).
func (c *Client) Exchange(ctx context.Context, p Provider, f Flow, state, code string) (Identity, error) {
	if state == "" || state != f.State || code == "" {
		return Identity{}, fmt.Errorf("%w: state does not match", ErrFlow)
	}
	party, err := c.party(ctx, p)
	if err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, nonceKey{}, f.Nonce), c.cfg.Timeout)
	defer cancel()
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, code, party, rp.WithCodeVerifier(f.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrFlow, err)
	}
	claims := tokens.IDTokenClaims
	id := Identity{Issuer: claims.Issuer, Subject: claims.Subject, Email: claims.Email, EmailVerified: bool(claims.EmailVerified),
		Name: claims.Name}
	if id.Email == "" && party.UserinfoEndpoint() != "" {
		info, err := rp.Userinfo[*oidc.UserInfo](ctx, tokens.AccessToken, tokens.TokenType, claims.Subject, party)
		if err != nil {
			return Identity{}, fmt.Errorf("%w: userinfo: %w", ErrFlow, err)
		}
		id.Email, id.EmailVerified = info.Email, bool(info.EmailVerified)
		if id.Name == "" {
			id.Name = info.Name
		}
	}
	return id, nil
}
