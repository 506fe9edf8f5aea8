package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signIn fills the sign-in form of host and waits for the page after it.
func signIn(t *testing.T, ctx context.Context, p *portal, host, email string) {
	t.Helper()
	signInUntil(t, ctx, p, host, email, `[data-testid=user-email]`)
}

// signInUntil fills the sign-in form of host and waits for until, a CSS
// selector of the page after it.
func signInUntil(t *testing.T, ctx context.Context, p *portal, host, email, until string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL(host, "/login")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=login-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "grisaille-demo"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=login-form]`)),
		chromedp.WaitVisible(chromedp.CSS(until)),
	)
	if err != nil {
		t.Fatalf("sign in as %s on %s: %v", email, host, err)
	}
}

// body returns what the page shows.
func body(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := BodyText(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// run runs chromedp actions or fails the test, naming the step.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// TestConsoleEndToEnd walks a customer of Acme through the console in a real
// browser: sign in, create an application in zone par, see it listed, be
// refused a zone Acme does not sell, start and stop the application; then
// checks that Globex's console shows Globex's brand and none of Acme's
// applications.
func TestConsoleEndToEnd(t *testing.T) {
	p := startPortal(t)
	ctx := NewBrowser(t)
	const acme, globex = "acme.localhost", "globex.localhost"

	// The sign-in page is Acme's, and Acme's alone.
	run(t, ctx, "open Acme's sign-in page", chromedp.Navigate(p.URL(acme, "/login")))
	text := body(t, ctx)
	mustContain(t, "Acme's sign-in page", text, "Acme Cloud", "Sign in")
	mustNotContain(t, "Acme's sign-in page", text, "Globex")

	signIn(t, ctx, p, acme, "dev@acme.example")
	text = body(t, ctx)
	mustContain(t, "Acme's dashboard", text, "Roadrunner Labs", "storefront", "invoice-worker", "storefront-db")

	// Create an application in zone par.
	run(t, ctx, "create an application",
		chromedp.Navigate(p.URL(acme, "/console/apps/new")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=new-app-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "e2e-shop"),
		chromedp.SetValue(chromedp.CSS(`select[name=runtime]`), "node"),
		chromedp.SetValue(chromedp.CSS(`select[name=zone]`), "par"),
		chromedp.SetValue(chromedp.CSS(`select[name=flavor]`), "XS"),
		chromedp.Submit(chromedp.CSS(`form[data-testid=new-app-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=app-title]`)),
	)
	mustContain(t, "the new application's page", body(t, ctx), "e2e-shop", "The application was created.", "Stopped")

	// The forms offer only Acme's zones.
	run(t, ctx, "open the new application form", chromedp.Navigate(p.URL(acme, "/console/apps/new")))
	zones, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('select[name=zone] option')].map(o => o.value)`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(zones, ","), "par,rbx,sgp"; got != want {
		t.Fatalf("zone choices: got %s, want %s", got, want)
	}

	// The dashboard lists it, in zone par.
	run(t, ctx, "open the dashboard", chromedp.Navigate(p.URL(acme, "/console")),
		chromedp.WaitVisible(chromedp.CSS(`table[data-testid=apps]`)))
	zone, err := chromedp.Run(ctx, chromedp.Text(chromedp.Search(
		`//tr[@data-testid="app-row"][.//a[text()="e2e-shop"]]//*[@data-testid="app-zone"]`)))
	if err != nil {
		t.Fatalf("read the new application's zone: %v", err)
	}
	if zone != "par" {
		t.Fatalf("e2e-shop listed in zone %q, want par", zone)
	}

	// A zone Acme does not sell is refused server-side, even when a crafted
	// form sends it.
	run(t, ctx, "submit a crafted zone",
		chromedp.Navigate(p.URL(acme, "/console/apps/new")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=new-app-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "e2e-forbidden"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const s = document.querySelector('select[name=zone]');
				const o = document.createElement('option'); o.value = 'mtl'; o.textContent = 'mtl'; s.appendChild(o); s.value = 'mtl'; return true; })()`)(ctx, tg)
			return err
		}),
		chromedp.Submit(chromedp.CSS(`form[data-testid=new-app-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-message]`)),
	)
	mustContain(t, "the refusal", body(t, ctx), "Zone mtl is not available to your organisation")
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType('navigation')[0].responseStatus`))
	if err != nil {
		t.Fatalf("read the refusal's status: %v", err)
	}
	if status != 403 {
		t.Fatalf("refused zone answered %d, want 403", status)
	}
	run(t, ctx, "open the dashboard", chromedp.Navigate(p.URL(acme, "/console")))
	mustNotContain(t, "the dashboard after the refusal", body(t, ctx), "e2e-forbidden")

	// Start, then stop the application.
	run(t, ctx, "open the application",
		chromedp.Click(chromedp.Search(`//a[text()="e2e-shop"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=app-title]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=app-start]`)),
		chromedp.WaitVisible(chromedp.CSS(`.facts [data-testid=app-state]:not([data-state=SHOULD_BE_DOWN])`)),
	)
	text = body(t, ctx)
	mustContain(t, "the started application", text, "The application is starting.")
	if !strings.Contains(text, "Starting") && !strings.Contains(text, "Running") {
		t.Fatalf("started application shows neither Starting nor Running:\n%s", text)
	}
	mustContain(t, "the deployments", text, "Deployment")
	run(t, ctx, "stop the application",
		chromedp.Click(chromedp.CSS(`[data-testid=app-stop]`)),
		chromedp.WaitVisible(chromedp.CSS(`.facts [data-testid=app-state][data-state=SHOULD_BE_DOWN]`)),
	)
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`.facts [data-testid=app-state]`), "data-state"))
	if err != nil {
		t.Fatalf("read the state: %v", err)
	}
	if state := attr.Value; state != "SHOULD_BE_DOWN" {
		t.Fatalf("stopped application is in state %s, want SHOULD_BE_DOWN", state)
	}
	mustContain(t, "the stopped application", body(t, ctx), "The application was stopped.", "Stopped")

	// Globex's console: Globex's brand, none of Acme's applications.
	run(t, ctx, "open Globex's sign-in page", chromedp.Navigate(p.URL(globex, "/login")))
	text = body(t, ctx)
	mustContain(t, "Globex's sign-in page", text, "Globex Hosting")
	mustNotContain(t, "Globex's sign-in page", text, "Acme")
	// The browser asks for English; the visitor switches to French.
	run(t, ctx, "choose French",
		chromedp.SetValue(chromedp.CSS(`#lang-select`), "fr"),
		chromedp.Submit(chromedp.CSS(`form.langform`)),
		chromedp.WaitReady(chromedp.CSS(`html[lang=fr] form[data-testid=login-form]`)),
	)
	mustContain(t, "Globex's sign-in page in French", body(t, ctx), "Connexion", "Mot de passe")
	signIn(t, ctx, p, globex, "dev@globex.example")
	text = body(t, ctx)
	mustContain(t, "Globex's dashboard", text, "Globex Hosting", "Initech", "tps-reports", "stapler-api", "Tableau de bord")
	mustNotContain(t, "Globex's dashboard", text, "Acme", "storefront", "invoice-worker", "e2e-shop", "Roadrunner")
}
