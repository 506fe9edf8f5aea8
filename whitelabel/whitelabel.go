// Package whitelabel presents the platform's answers as a partner's own
// product: applications answer on the partner's domain and are pushed to
// the partner's host, products carry the portal's names and descriptions
// (which the partner may reword), and nothing a customer reads names the
// platform or its hosts.
//
// A Face is built per request from the partner's settings and the
// request's translator; it knows nothing of tenants or HTTP. Pages use its
// typed methods (Application, ProviderName, RuntimeName and their Desc); the
// platform-compatible API passes raw answers through JSON, which finds the
// same objects by their shape wherever they are nested.
package whitelabel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/grisaille/grisaille/platform"
)

// Platform is what identifies the platform behind the portal, so that it
// can be kept out of what customers read.
type Platform struct {
	// Name is the platform's name ("Clever Cloud"). Its spellings with a
	// hyphen, with nothing or with an underscore between the words count
	// as mentions too.
	Name string
	// Domains are the DNS suffixes of the platform's own hosts
	// ("cleverapps.io", "clever-cloud.com"): application hosts under them
	// are not shown.
	Domains []string
}

// Mentions reports whether s names the platform or one of its domains,
// whatever the case.
func (p Platform) Mentions(s string) bool {
	s = strings.ToLower(s)
	for _, d := range p.Domains {
		if d != "" && strings.Contains(s, strings.ToLower(d)) {
			return true
		}
	}
	for _, n := range p.names() {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// names are the spellings of the platform's name, lower case.
func (p Platform) names() []string {
	words := strings.FieldsFunc(strings.ToLower(p.Name), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) == 0 {
		return nil
	}
	out := []string{strings.Join(words, " ")}
	if len(words) > 1 {
		out = append(out, strings.Join(words, "-"), strings.Join(words, ""), strings.Join(words, "_"))
	}
	return out
}

// Hides reports whether host is one of the platform's own (under one of
// its domains).
func (p Platform) Hides(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range p.Domains {
		d = strings.ToLower(strings.Trim(d, "."))
		if d != "" && (host == d || strings.HasSuffix(host, "."+d)) {
			return true
		}
	}
	return false
}

// Face is how one partner shows the platform's answers to one reader.
type Face struct {
	Platform Platform
	// GitBase is where the partner's git remotes live, with its scheme and
	// host and no trailing slash ("https://console.acme.example").
	GitBase string
	// T translates a message id in the reader's language, with the
	// partner's wording; a missing id translates as itself.
	T func(id string) string
}

// GitRemote is an application's git remote on the partner's host.
func (f Face) GitRemote(appID string) string {
	return f.GitBase + "/git/" + appID + ".git"
}

// Vhosts keeps the application hosts that are not the platform's.
func (f Face) Vhosts(in []platform.Vhost) []platform.Vhost {
	out := make([]platform.Vhost, 0, len(in))
	for _, v := range in {
		if !f.Platform.Hides(v.FQDN) {
			out = append(out, v)
		}
	}
	return out
}

// Application shows an application on the partner's hosts: its platform
// hosts hidden, its git remote on the partner's host, its runtime named in
// the portal's words.
func (f Face) Application(a platform.Application) platform.Application {
	a.Vhosts = f.Vhosts(a.Vhosts)
	if a.Deployment.URL != "" || a.Deployment.HTTPURL != "" {
		a.Deployment.URL = f.GitRemote(a.ID)
		a.Deployment.HTTPURL = f.GitRemote(a.ID)
	}
	a.Instance.Variant = f.variant(a.Instance.Variant)
	return a
}

func (f Face) variant(v platform.Variant) platform.Variant {
	v.Name = f.RuntimeName(v.Slug, v.Name)
	v.Logo = ""
	return v
}

// ProviderName is an add-on provider's name in the portal's words, or the
// platform's for a provider the portal does not know yet.
func (f Face) ProviderName(id, platformName string) string {
	return f.word("addon.provider."+id+".name", f.clean(platformName))
}

// ProviderDesc is the portal's description of an add-on provider; "" for
// one it does not know: the platform's own text is never shown.
func (f Face) ProviderDesc(id string) string {
	return f.word("addon.provider."+id+".desc", "")
}

// RuntimeName is a runtime's name in the portal's words, or the platform's.
func (f Face) RuntimeName(slug, platformName string) string {
	return f.word("runtime."+slug+".name", f.clean(platformName))
}

// RuntimeDesc is the portal's description of a runtime, or "".
func (f Face) RuntimeDesc(slug string) string {
	return f.word("runtime."+slug+".desc", "")
}

// word translates id, or answers otherwise when no message has it.
func (f Face) word(id, otherwise string) string {
	if f.T != nil {
		if s := f.T(id); s != id {
			return s
		}
	}
	return otherwise
}

// clean is a platform text kept as is unless it names the platform.
func (f Face) clean(s string) string {
	if f.Platform.Mentions(s) {
		return ""
	}
	return s
}

// AppHost is the host an application is given under a partner's
// application domain: its name as a DNS label, then a short digest of its
// id so that two applications of one name never share a host
// ("shop-3f9a2c.apps.acme.example").
func AppHost(appName, appID, domain string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(appName) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	label := strings.Trim(b.String(), "-")
	if label == "" {
		label = "app"
	}
	sum := sha256.Sum256([]byte(appID))
	return label + "-" + hex.EncodeToString(sum[:3]) + "." + strings.Trim(domain, ".")
}

// JSON presents a raw platform answer: every application, runtime, add-on,
// add-on provider, zone and list of hosts in it, however nested. Numbers
// are kept exactly as the platform wrote them. A body that is not JSON is
// returned as it is.
func (f Face) JSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(f.present(v)) != nil {
		return body
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// has reports whether obj has every one of keys: JSON recognises an
// object's shape by them.
func has(obj map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			return false
		}
	}
	return true
}

// providerFields are the add-on provider fields that carry the platform's
// marketing: its site, support address and social accounts.
var providerFields = []string{"website", "supportEmail", "googlePlusName", "twitterName", "analyticsId", "logoUrl", "longDesc"}

// present rewrites a decoded JSON value in place, by the shape of each
// object, and returns it (an array may shrink).
func (f Face) present(v any) any {
	switch x := v.(type) {
	case []any:
		out := x[:0]
		for _, e := range x {
			if obj, ok := e.(map[string]any); ok && len(obj) == 1 && has(obj, "fqdn") {
				if s, _ := obj["fqdn"].(string); f.Platform.Hides(s) {
					continue // one of the platform's hosts
				}
			}
			out = append(out, f.present(e))
		}
		return out
	case map[string]any:
		for k, e := range x {
			x[k] = f.present(e)
		}
		switch {
		case has(x, "id", "deployment", "vhosts"): // an application
			if d, ok := x["deployment"].(map[string]any); ok {
				id, _ := x["id"].(string)
				for _, k := range []string{"url", "httpUrl"} {
					if _, ok := d[k]; ok {
						d[k] = f.GitRemote(id)
					}
				}
			}
		case has(x, "id", "slug", "deployType"): // a runtime's variant
			slug, _ := x["slug"].(string)
			name, _ := x["name"].(string)
			x["name"] = f.RuntimeName(slug, name)
			if _, ok := x["logo"]; ok {
				x["logo"] = ""
			}
		case has(x, "type", "variant", "flavors"): // a runtime
			v, _ := x["variant"].(map[string]any)
			slug, _ := v["slug"].(string)
			name, _ := x["name"].(string)
			x["name"] = f.RuntimeName(slug, name)
			x["description"] = f.RuntimeDesc(slug)
		case has(x, "id", "shortDesc", "plans"): // an add-on provider
			id, _ := x["id"].(string)
			name, _ := x["name"].(string)
			x["name"] = f.ProviderName(id, name)
			x["shortDesc"] = f.ProviderDesc(id)
			for _, k := range providerFields {
				if _, ok := x[k]; ok {
					x[k] = ""
				}
			}
		case has(x, "provider", "plan"): // an add-on
			if p, ok := x["provider"].(map[string]any); ok {
				id, _ := p["id"].(string)
				name, _ := p["name"].(string)
				p["name"] = f.ProviderName(id, name)
				p["shortDesc"] = f.ProviderDesc(id)
				if _, ok := p["logoUrl"]; ok {
					p["logoUrl"] = ""
				}
			}
		case has(x, "countryCode", "tags"): // a zone
			if tags, ok := x["tags"].([]any); ok {
				out := make([]any, 0, len(tags))
				for _, t := range tags {
					if s, _ := t.(string); !f.Platform.Mentions(s) {
						out = append(out, t)
					}
				}
				x["tags"] = out
			}
		}
		return x
	}
	return v
}

type ctxKey struct{}

// WithFace returns a context carrying f.
func WithFace(ctx context.Context, f Face) context.Context {
	return context.WithValue(ctx, ctxKey{}, f)
}

// From returns the context's Face; a context without one gets a Face that
// translates nothing and hides no host.
func From(ctx context.Context) Face {
	f, _ := ctx.Value(ctxKey{}).(Face)
	return f
}
