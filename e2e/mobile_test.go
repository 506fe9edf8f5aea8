package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// overflow lists, in the page, the elements that stick out of the viewport
// to the right; empty when the page does not scroll sideways.
const overflow = `(() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0) {
      out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + Math.round(r.right) + 'px');
    }
    if (out.length >= 8) break;
  }
  return out.length ? out : ['the page, ' + document.documentElement.scrollWidth + 'px'];
})()`

// TestNoSidewaysScrollOnPhones opens every console page of a customer and
// every admin page of a partner at 390 px wide (a phone) and fails on any
// that scrolls sideways (WCAG 1.4.10), or whose menu cannot be opened; on
// a wide screen the menu shows without opening.
func TestNoSidewaysScrollOnPhones(t *testing.T) {
	p := startPortal(t)
	for _, who := range []struct {
		email string
		pages []string
	}{
		{"dev@acme.example", []string{"/console", "/console/apps/new", "/console/addons/new", "/console/pricing",
			"/console/invoices", "/console/usage", "/console/tokens", "/console/tokens/inspect", "/account", "app"}},
		{"admin@acme.example", []string{"/admin", "/admin/customers/new", "/admin/tokens", "/admin/tokens/inspect",
			"/admin/grids", "/admin/invoices", "/admin/usage", "/admin/widgets", "/admin/audit", "/admin/domains", "/admin/brand/words?lang=en&q=app", "/admin/security", "/account", "/account/two-factor"}},
	} {
		t.Run(who.email, func(t *testing.T) {
			ctx := NewBrowser(t)
			run(t, ctx, "a phone's viewport", chromedp.EmulateViewport(390, 844))
			signIn(t, ctx, p, "acme.localhost", who.email)
			for _, path := range who.pages {
				if path == "app" { // the first application's page
					run(t, ctx, "open the dashboard", chromedp.Navigate(p.URL("acme.localhost", "/console")))
					path = eval[string](t, ctx, "find an application", `document.querySelector('[data-testid=app-name]').getAttribute('href')`)
				}
				run(t, ctx, "open "+path, chromedp.Navigate(p.URL("acme.localhost", path)),
					chromedp.WaitReady(chromedp.CSS(`body`)))
				wide := eval[[]string](t, ctx, "measure "+path, overflow)
				menu := eval[int](t, ctx, "count the menu's links", `document.querySelectorAll('nav.main a, nav.main summary').length`)
				if len(wide) > 0 {
					t.Errorf("%s scrolls sideways at 390 px: %s", path, strings.Join(wide, ", "))
				}
				if menu == 0 {
					t.Errorf("%s has no menu at 390 px", path)
				}
			}
			// The menu opens without JavaScript's help, and its links show.
			run(t, ctx, "open the menu", chromedp.Click(chromedp.CSS(`details.menu > summary`)))
			if shown := eval[int](t, ctx, "the menu's links", `[...document.querySelectorAll('nav.main a')].filter(a => a.getBoundingClientRect().height > 0).length`); shown == 0 {
				t.Errorf("the opened menu shows no link at 390 px")
			}
			if wide := eval[[]string](t, ctx, "measure the opened menu", overflow); len(wide) > 0 {
				t.Errorf("the opened menu scrolls sideways: %s", strings.Join(wide, ", "))
			}
			// On a wide screen the menu's links show without opening it.
			run(t, ctx, "a wide viewport", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(p.URL("acme.localhost", who.pages[0])),
				chromedp.WaitReady(chromedp.CSS(`body`)))
			if shown := eval[int](t, ctx, "the menu's links", `[...document.querySelectorAll('nav.main a')].filter(a => a.getBoundingClientRect().height > 0).length`); shown < 4 {
				t.Errorf("at 1280 px the menu shows %d links, want them all", shown)
			}
		})
	}
}
