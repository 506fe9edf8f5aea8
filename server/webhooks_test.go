package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// TestStripeWebhook: a partner stores its endpoint's signing secret
// (sealed; a malformed one refused); Stripe's invoice.paid marks the
// invoice paid once, even delivered twice; a bad signature is refused with
// 400 and changes nothing; another partner's host does not take the event.
func TestStripeWebhook(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme, _ := a.store.PartnerBySlug(ctx, "acme")
	dev, _ := a.store.UserByEmail(ctx, acme.ID, "dev@acme.example")
	now := time.Now().UTC()
	if _, err := a.db.Exec(a.db.Rebind(`INSERT INTO invoices (id, partner_id, customer_id, period, currency, state, stripe_status, total,
		list_total, stripe_invoice_id, created_at, updated_at) VALUES (?, ?, ?, ?, 'eur', 'finalized', 'open', '12.00', '10.00', ?, ?, ?)`),
		"inv_webhook", acme.ID, dev.CustomerID, "2026-11", "in_1Webhook", now, now); err != nil {
		t.Fatal(err)
	}
	admin := a.client(t, "acme.localhost")
	admin.signIn("admin@acme.example")
	if res, _ := admin.do(http.MethodPost, "/admin/stripe/webhook", url.Values{"_csrf": {admin.csrf("/admin")}, "webhook_secret": {"nope"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a malformed secret: %d", res.StatusCode)
	}
	const secret = "whsec_test0123456789abcdefghij"
	if res, _ := admin.do(http.MethodPost, "/admin/stripe/webhook", url.Values{"_csrf": {admin.csrf("/admin")}, "webhook_secret": {secret}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the secret: %d", res.StatusCode)
	}
	if _, page := admin.do(http.MethodGet, "/admin", nil); !strings.Contains(page, "/webhooks/stripe/acme") || strings.Contains(page, secret) {
		t.Fatal("the admin page does not show the endpoint, or shows the secret")
	}
	var sealed string
	if err := a.db.Get(&sealed, a.db.Rebind(`SELECT stripe_webhook_secret_sealed FROM partners WHERE id = ?`), acme.ID); err != nil || strings.Contains(sealed, "0123456789") {
		t.Fatalf("the signing secret is stored in clear: %v", err)
	}

	event := func(id, typ, status string) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2023-10-16", "created": now.Unix(),
			"data": map[string]any{"object": map[string]any{"id": "in_1Webhook", "object": "invoice", "status": status,
				"hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_x", "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/test_x/pdf"}}})
		return b
	}
	deliver := func(host, slug string, payload []byte, key string) (int, map[string]any) {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: key, Timestamp: time.Now()})
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/webhooks/stripe/"+slug, strings.NewReader(string(payload)))
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", signed.Header)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		obj := map[string]any{}
		_ = json.Unmarshal(b, &obj)
		return res.StatusCode, obj
	}
	status := func() (s, hosted string) {
		if err := a.db.QueryRow(`SELECT stripe_status, hosted_url FROM invoices WHERE id = 'inv_webhook'`).Scan(&s, &hosted); err != nil {
			t.Fatal(err)
		}
		return s, hosted
	}
	paid := event("evt_paid_1", "invoice.paid", "paid")
	for i := range 2 {
		code, obj := deliver("acme.localhost", "acme", paid, secret)
		if code != http.StatusOK || obj["duplicate"] != (i == 1) {
			t.Fatalf("delivery %d of invoice.paid: %d %v", i+1, code, obj)
		}
	}
	if s, hosted := status(); s != "paid" || hosted != "https://invoice.stripe.com/i/acct_1/test_x" {
		t.Fatalf("after invoice.paid: %q %q", s, hosted)
	}
	if n := a.auditCount(t, "invoice.stripe_status"); n != 1 {
		t.Fatalf("%d audit events for one event delivered twice, want 1", n)
	}
	// A bad signature, or none, is refused and changes nothing.
	voided := event("evt_void_1", "invoice.voided", "void")
	if code, obj := deliver("acme.localhost", "acme", voided, "whsec_someone_elses_secret_xx"); code != http.StatusBadRequest || obj["id"] != "webhook.bad_signature" {
		t.Fatalf("a bad signature: %d %v", code, obj)
	}
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/webhooks/stripe/acme", strings.NewReader(string(voided)))
	req.Host = "acme.localhost"
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("no signature: %v %v", res, err)
	}
	// Another partner's host, or another slug on Acme's, takes nothing.
	if code, _ := deliver("globex.localhost", "acme", voided, secret); code != http.StatusNotFound {
		t.Fatalf("Acme's event on Globex's host: %d", code)
	}
	if code, _ := deliver("globex.localhost", "globex", voided, secret); code != http.StatusBadRequest {
		t.Fatalf("Acme's event to Globex's endpoint (no secret there): %d", code)
	}
	if s, _ := status(); s != "paid" {
		t.Fatalf("refused events changed the invoice to %q", s)
	}
	// The console shows it paid, with Stripe's page and PDF.
	owner := a.client(t, "acme.localhost")
	owner.signIn("dev@acme.example")
	if _, page := owner.do(http.MethodGet, "/console/invoices/inv_webhook", nil); !strings.Contains(page, `href="https://pay.stripe.com/invoice/acct_1/test_x/pdf"`) ||
		!strings.Contains(page, `href="https://invoice.stripe.com/i/acct_1/test_x"`) {
		t.Fatalf("the invoice's page lacks Stripe's page or PDF:\n%s", page)
	}
	if _, page := owner.do(http.MethodGet, "/console/invoices", nil); !strings.Contains(page, ">Paid<") ||
		!strings.Contains(page, "https://invoice.stripe.com/i/acct_1/test_x") {
		t.Fatalf("the console's invoices:\n%s", page)
	}
}
