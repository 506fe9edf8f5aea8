package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// shopPage is a partner's own website: a plain page on another origin whose
// Content-Security-Policy allows only the partner portal's origin for
// scripts, styles and connections, and which embeds the three widgets.
var shopPage = template.Must(template.New("shop").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>Shop</title>
<script type="module" src="{{.Portal}}/widgets/v1.js"></script>
</head>
<body>
<main>
<h1>Our cloud</h1>
{{if .Bad}}
<gl-price-table id="bad-zone" zone="nowhere"></gl-price-table>
<gl-price-table id="bad-currency" currency="GBP"></gl-price-table>
<gl-price-table id="bad-period" period="week"></gl-price-table>
<gl-price-table id="bad-product" product="no-such-runtime"></gl-price-table>
<gl-estimator id="bad-quantity" product="node" quantity="lots"></gl-estimator>
<gl-zone-picker id="bad-lang" lang="xx"></gl-zone-picker>
{{else}}
<gl-zone-picker id="picker"></gl-zone-picker>
<gl-price-table id="table" product="node" selectable></gl-price-table>
<gl-estimator id="estimator" product="node" plan="2XL"></gl-estimator>
{{end}}
</main>
</body>
</html>`))

// startShop serves the shop page on its own loopback port, reached as
// http://shop.localhost:PORT/?portal=ORIGIN[&bad=1].
func startShop(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		portal := r.URL.Query().Get("portal")
		if !strings.HasPrefix(portal, "http://") || !strings.HasSuffix(strings.Split(portal, ":")[1], ".localhost") {
			http.Error(w, "portal", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Security-Policy", fmt.Sprintf(
			"default-src 'none'; script-src %[1]s; style-src %[1]s; connect-src %[1]s; img-src 'none'; base-uri 'none'", portal))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = shopPage.Execute(w, map[string]any{"Portal": portal, "Bad": r.URL.Query().Get("bad") != "", "Lang": "en"})
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://shop.localhost:" + port + "/"
}

// networkLog records the requests the page sends, with the headers that
// really went on the wire, and the exceptions its scripts throw.
type networkLog struct {
	mu         sync.Mutex
	urls       map[network.RequestID]string
	headers    map[network.RequestID]network.Headers
	exceptions []string
}

func (l *networkLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.urls[e.RequestID] = e.Request.URL
	case *network.EventRequestWillBeSentExtraInfo:
		l.headers[e.RequestID] = e.Headers
	case *runtime.EventExceptionThrown:
		l.exceptions = append(l.exceptions, e.ExceptionDetails.Text+" "+fmt.Sprint(e.ExceptionDetails.Exception))
	}
}

// reset forgets the requests recorded so far.
func (l *networkLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.urls)
	clear(l.headers)
}

// to returns the URLs of the requests sent to host, and whether any carried
// a cookie.
func (l *networkLog) to(host string) (urls []string, withCookie []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, u := range l.urls {
		if !strings.Contains(u, "//"+host+":") {
			continue
		}
		urls = append(urls, u)
		for k := range l.headers[id] {
			if strings.EqualFold(k, "cookie") {
				withCookie = append(withCookie, u)
			}
		}
	}
	slices.Sort(urls)
	return urls, withCookie
}

func newNetworkLog(t *testing.T, ctx context.Context) *networkLog {
	t.Helper()
	l := &networkLog{urls: map[network.RequestID]string{}, headers: map[network.RequestID]network.Headers{}}
	if err := chromedp.Listen(ctx, l.listen); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return l
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAsValue))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitState waits until the widget #id has painted the state.
func waitState(t *testing.T, ctx context.Context, id, state string) {
	t.Helper()
	expr := fmt.Sprintf(`(() => { const r = document.getElementById(%q)?.shadowRoot; return r?.querySelector(".gl")?.dataset.state === %q })()`, id, state)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		got := eval[string](t, ctx, "the widget's markup", fmt.Sprintf(`document.getElementById(%q)?.shadowRoot?.innerHTML ?? "no shadow root"`, id))
		t.Fatalf("widget #%s never reached state %s: %v\n%s", id, state, err, got)
	}
}

// shadow evaluates an expression on the shadow root r of widget #id.
func shadow[T any](t *testing.T, ctx context.Context, id, what, body string) T {
	t.Helper()
	return eval[T](t, ctx, what, fmt.Sprintf(`((r) => %s)(document.getElementById(%q).shadowRoot)`, body, id))
}

// TestEmbeddedWidgets embeds the three widgets of Acme, then of Globex, on a
// shop's own website with a strict CSP, and checks what its visitors see:
// the partner's colours, zones and prices in its language's number format,
// a zone change that every widget follows, events, no cookie sent, no
// serious accessibility violation; then that bad attributes give a clear
// error state and nothing throws.
func TestEmbeddedWidgets(t *testing.T) {
	p := startPortal(t)
	shop := startShop(t)
	ctx := NewBrowser(t)
	log := newNetworkLog(t, ctx)
	const acme, globex = "acme.localhost", "globex.localhost"

	// The visitor is signed in to Acme's and Globex's portals: the browser
	// holds their session cookies.
	signIn(t, ctx, p, acme, "dev@acme.example")
	signIn(t, ctx, p, globex, "dev@globex.example")
	cookies, err := chromedp.Call(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, c := range cookies.Cookies {
		held[c.Domain] = true
	}
	if !held[acme] || !held[globex] {
		t.Fatalf("the browser holds cookies for %v, want %s and %s: the cookie check below would prove nothing", held, acme, globex)
	}

	tests := []struct {
		host, lang, primary string
		zones               []string
		price               string
	}{
		// #c2410c; the platform's 480.00 € + 20 %, in English.
		{acme, "en", "rgb(194, 65, 12)", []string{"par", "rbx", "sgp"}, "€576.00"},
		// #1e40af; + 10 % (the default grid; the contract is not public), in French.
		{globex, "fr", "rgb(30, 64, 175)", []string{"par", "mtl"}, "528,00\u00a0€"},
	}
	for _, tt := range tests {
		log.reset()
		run(t, ctx, "open the shop embedding "+tt.host, chromedp.Navigate(shop+"?portal="+p.URL(tt.host, "")))
		for _, id := range []string{"picker", "table", "estimator"} {
			waitState(t, ctx, id, "loaded")
		}
		// Events the widgets fire, recorded from here on.
		eval[bool](t, ctx, "listen to the widgets' events", `(() => { window.glEvents = [];
			for (const n of ["gl-zone-change", "gl-estimate-change", "gl-plan-select"])
				document.addEventListener(n, (e) => glEvents.push({type: e.type, detail: e.detail}));
			return true })()`)

		// The partner's colours, read inside the shadow roots.
		if got := shadow[string](t, ctx, "estimator", "the estimate's colour", `getComputedStyle(r.querySelector(".amount")).color`); got != tt.primary {
			t.Errorf("%s: the estimate is drawn in %s, want the brand's primary %s", tt.host, got, tt.primary)
		}
		if got := shadow[string](t, ctx, "picker", "the chosen zone's colour", `getComputedStyle(r.querySelector("label:has(:checked)")).backgroundColor`); got != tt.primary {
			t.Errorf("%s: the chosen zone is drawn on %s, want the brand's primary %s", tt.host, got, tt.primary)
		}
		// The partner's zones, and only them.
		zones := shadow[[]string](t, ctx, "picker", "the zones", `[...r.querySelectorAll("input[name=zone]")].map(i => i.value)`)
		if !slices.Equal(zones, tt.zones) {
			t.Errorf("%s: the zone picker offers %v, want %v", tt.host, zones, tt.zones)
		}
		// node 2XL per 30 days in par, in the partner's language.
		if got := shadow[string](t, ctx, "table", "2XL's price", `r.querySelector('tr[data-plan="2XL"] td[data-period="30-days"]').textContent`); got != tt.price {
			t.Errorf("%s: node 2XL per 30 days is %q in the table, want %q", tt.host, got, tt.price)
		}
		if got := shadow[string](t, ctx, "estimator", "the estimate", `r.querySelector(".amount").textContent`); got != tt.price {
			t.Errorf("%s: the estimator shows %q for one 2XL, want %q", tt.host, got, tt.price)
		}
		if got := eval[string](t, ctx, "the lang", `document.getElementById("table").shadowRoot.querySelector("th").textContent`); tt.lang == "fr" && got != "Taille" {
			t.Errorf("%s: the table's first heading is %q, want French", tt.host, got)
		}

		// Choose the last zone with the keyboard: focus the picker's
		// checked radio, then arrow keys, as a person would.
		last := tt.zones[len(tt.zones)-1]
		eval[bool](t, ctx, "focus the picker", `(document.getElementById("picker").shadowRoot.querySelector("input:checked").focus(), true)`)
		for range len(tt.zones) - 1 {
			run(t, ctx, "press the right arrow", chromedp.KeyEvent(kb.ArrowRight))
		}
		for _, id := range []string{"picker", "table", "estimator"} {
			expr := fmt.Sprintf(`document.getElementById(%q).shadowRoot.querySelector(".gl[data-state=loaded]")?.dataset.zone === %q`, id, last)
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatalf("%s: #%s did not follow the zone change to %s: %v", tt.host, id, last, err)
			}
		}
		if got := eval[string](t, ctx, "the focus", `document.getElementById("picker").shadowRoot.activeElement?.value ?? ""`); got != last {
			t.Errorf("%s: after the zone change the keyboard focus is on %q, want the radio of %s", tt.host, got, last)
		}
		var events []struct {
			Type   string         `json:"type"`
			Detail map[string]any `json:"detail"`
		}
		raw := eval[string](t, ctx, "the events", `JSON.stringify(glEvents)`)
		if err := json.Unmarshal([]byte(raw), &events); err != nil {
			t.Fatal(err)
		}
		var zoneChange, estimate bool
		for _, e := range events {
			zoneChange = zoneChange || e.Type == "gl-zone-change" && e.Detail["zone"] == last
			estimate = estimate || e.Type == "gl-estimate-change" && e.Detail["zone"] == last
		}
		if !zoneChange || !estimate {
			t.Errorf("%s: after choosing %s the page got %s; want gl-zone-change and gl-estimate-change for %s", tt.host, last, raw, last)
		}
		urls, _ := log.to(tt.host)
		if !slices.ContainsFunc(urls, func(u string) bool { return strings.Contains(u, "/widgets/v1/catalogue?zone="+last) }) {
			t.Errorf("%s: the widgets fetched no catalogue for %s: %v", tt.host, last, urls)
		}

		// Choosing a plan in the table sets the estimator's plan.
		run(t, ctx, "choose plan M", chromedp.Click(chromedp.JSPath(`document.getElementById("table").shadowRoot.querySelector('button[data-plan="M"]')`)))
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("estimator").getAttribute("plan") === "M"`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Errorf("%s: choosing M in the table did not reach the estimator: %v", tt.host, err)
		}

		checkAccessibility(t, ctx, tt.host)

		// Nothing was sent to the portal with a cookie: not the script, the
		// stylesheets nor the catalogue.
		urls, withCookie := log.to(tt.host)
		if len(urls) < 4 {
			t.Errorf("%s: only %d requests reached the portal: %v", tt.host, len(urls), urls)
		}
		if len(withCookie) > 0 {
			t.Errorf("%s: widget requests carried cookies: %v", tt.host, withCookie)
		}
	}

	// Bad attributes: each widget says what is wrong, translated, and no
	// script throws.
	run(t, ctx, "open the shop with bad attributes", chromedp.Navigate(shop+"?bad=1&portal="+p.URL(acme, "")))
	bad := map[string]string{
		"bad-zone":     "The zone “nowhere” is not offered here.",
		"bad-currency": "Prices are not offered in “GBP”.",
		"bad-period":   "The period “week” is not one of hour, day, 30-days.",
		"bad-product":  "The product “no-such-runtime” is not offered here.",
		"bad-quantity": "The quantity “lots” is not a whole number from 1 to 999.",
		"bad-lang":     "The language “xx” is not one of en, fr.",
	}
	for id, want := range bad {
		waitState(t, ctx, id, "error")
		if got := shadow[string](t, ctx, id, "the error", `r.querySelector("[role=alert]").textContent`); got != want {
			t.Errorf("#%s says %q, want %q", id, got, want)
		}
	}
	log.mu.Lock()
	thrown := slices.Clone(log.exceptions)
	log.mu.Unlock()
	if len(thrown) > 0 {
		t.Errorf("the page's scripts threw: %v", thrown)
	}
}

// checkAccessibility runs axe-core on the page and fails on any serious or
// critical violation. axe-core is an npm package of e2e/axe; the page's CSP
// does not apply to DevTools evaluation, so it is injected as it is.
func checkAccessibility(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if inCI() {
			t.Fatalf("axe-core is not installed (npm ci --prefix e2e/axe): %v", err)
		}
		t.Logf("skipping the accessibility check: %v (npm ci --prefix e2e/axe)", err)
		return
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";true", chromedp.EvalAsValue)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 3)}))))`,
		chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var violations []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe-core: %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
}

// TestConsoleWidgets checks the console's pricing page and create form
// built from the same components: with JavaScript disabled they show the
// customer's prices from the server-rendered shadow roots; with JavaScript
// the estimator follows the form live and agrees with the form's own
// estimates.
func TestConsoleWidgets(t *testing.T) {
	p := startPortal(t)
	ctx := NewBrowser(t)
	const acme = "acme.localhost"
	signIn(t, ctx, p, acme, "dev@acme.example")

	// No JavaScript: declarative shadow roots still paint.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "open the pricing page without JavaScript", chromedp.Navigate(p.URL(acme, "/console/pricing")))
	price := eval[string](t, ctx, "2XL's price", `document.querySelector('[data-testid=runtime-prices]').shadowRoot.querySelector('tr[data-plan="2XL"] td[data-period="30-days"]').textContent`)
	if price != "€576.00" {
		t.Errorf("without JavaScript the pricing page shows 2XL at %q per 30 days, want €576.00", price)
	}
	upgraded := eval[bool](t, ctx, "custom elements", `!!customElements.get("gl-price-table")`)
	if upgraded {
		t.Errorf("the widgets were upgraded although JavaScript is disabled")
	}
	run(t, ctx, "open the create form without JavaScript", chromedp.Navigate(p.URL(acme, "/console/apps/new?runtime=node")))
	if got := eval[string](t, ctx, "the estimate", `document.querySelector('[data-testid=estimate]').shadowRoot.querySelector('.amount').textContent`); got != "€19.20" {
		t.Errorf("without JavaScript the create form estimates one XS at %q, want €19.20", got)
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}

	// JavaScript: the pricing page's widgets upgrade in place; a zone
	// chosen in the picker applies at once, with no reload.
	run(t, ctx, "open the pricing page", chromedp.Navigate(p.URL(acme, "/console/pricing")))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!customElements.get("gl-zone-picker") && document.querySelector("[data-testid=zone-picker]").shadowRoot.querySelector("button.show")?.hidden === true`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the zone picker did not upgrade in place (its submit button is still shown): %v", err)
	}
	eval[bool](t, ctx, "mark the page", `(window.notReloaded = true)`)
	run(t, ctx, "choose Singapore", chromedp.Click(chromedp.JSPath(`document.querySelector("[data-testid=zone-picker]").shadowRoot.querySelector('input[value="sgp"]')`)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-testid=runtime-prices]").shadowRoot.querySelector(".gl[data-state=loaded]")?.dataset.zone === "sgp"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the price table did not follow the zone picker to sgp: %v", err)
	}
	if !eval[bool](t, ctx, "the page", `window.notReloaded === true`) {
		t.Errorf("choosing a zone reloaded the page")
	}
	if got := eval[string](t, ctx, "2XL in sgp", `document.querySelector("[data-testid=runtime-prices]").shadowRoot.querySelector('tr[data-plan="2XL"] td[data-period="30-days"]').textContent`); got != "€576.00" {
		t.Errorf("2XL in sgp per 30 days: %q, want the customer's €576.00", got)
	}
	checkAccessibility(t, ctx, "the pricing page")

	// JavaScript: the estimator follows the flavor and instances live.
	run(t, ctx, "open the create form", chromedp.Navigate(p.URL(acme, "/console/apps/new?runtime=node")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=new-app-form]`)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!customElements.get("gl-estimator")`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the widgets' bundle did not load in the console: %v", err)
	}
	run(t, ctx, "choose 2XL and 3 instances",
		chromedp.SetValue(chromedp.CSS(`select[name=flavor]`), "2XL"),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector("select[name=flavor]"); f.dispatchEvent(new Event("change", {bubbles: true}));
				const i = document.querySelector("input[name=instances]"); i.value = "3"; i.dispatchEvent(new Event("input", {bubbles: true})); return true })()`))
			return err
		}))
	amount := `document.querySelector('[data-testid=estimate]').shadowRoot.querySelector('.amount')?.textContent`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](amount+` === "€1,728.00"`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the estimator shows %s for three 2XL, want €1,728.00 (3 × €576.00): %v", eval[string](t, ctx, "the estimate",
			`document.querySelector('[data-testid=estimate]').shadowRoot.innerHTML`), err)
	}
	label := eval[string](t, ctx, "the 2XL option", `document.querySelector('select[name=flavor] option[value="2XL"]').textContent`)
	if !strings.Contains(label, "≈ €576.00 / 30 days") {
		t.Errorf("the 2XL option says %q; the form and the estimator must agree on €576.00", label)
	}
	checkAccessibility(t, ctx, "the create form")
}
