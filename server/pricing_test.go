package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// per30Days reads the 30-day price of a product on a pricing page.
func per30Days(t *testing.T, page, slug string) string {
	t.Helper()
	m := regexp.MustCompile(`data-slug="` + regexp.QuoteMeta(slug) + `"(?s:.*?)data-testid="per-30-days">([^<]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no price for %s on the page", slug)
	}
	return strings.TrimSpace(m[1])
}

func TestCustomerPricing(t *testing.T) {
	a := newApp(t)
	tests := []struct {
		name, host, email, path, slug, want string
		zones                               []string
	}{
		// Acme: the platform's 480.00 € + 20 %.
		{"acme 2XL", "acme.localhost", "dev@acme.example", "/console/pricing", "apps.2XL", "576.00 €", []string{"par", "rbx", "sgp"}},
		// Globex's customer: a contract at −5 % on runtimes (456.00 €), in French.
		{"globex contract", "globex.localhost", "dev@globex.example", "/console/pricing", "apps.2XL", "456,00 €", []string{"par", "mtl"}},
		// Add-ons at Globex's default +10 %: the contract covers runtimes only.
		{"globex add-on", "globex.localhost", "dev@globex.example", "/console/pricing", "redis.S", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := a.client(t, tt.host)
			c.signIn(tt.email)
			res, page := c.do(http.MethodGet, tt.path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("pricing page: %d", res.StatusCode)
			}
			if tt.want != "" {
				if got := per30Days(t, page, tt.slug); got != tt.want {
					t.Errorf("%s per 30 days: got %q, want %q", tt.slug, got, tt.want)
				}
			}
			for _, z := range tt.zones {
				if !strings.Contains(page, `<option value="`+z+`"`) {
					t.Errorf("zone %s not offered", z)
				}
			}
			if strings.Contains(page, `value="mtl"`) && tt.host == "acme.localhost" {
				t.Errorf("acme's pricing offers mtl")
			}
		})
	}

	t.Run("estimates on the create form", func(t *testing.T) {
		c := a.client(t, "acme.localhost")
		c.signIn("dev@acme.example")
		_, page := c.do(http.MethodGet, "/console/apps/new", nil)
		if !strings.Contains(page, "2XL · 12 vCPU") || !strings.Contains(page, "≈ 576.00 € / 30 days") {
			t.Fatalf("the create form does not estimate 2XL at 576.00 €: %s", regexp.MustCompile(`2XL[^<]*`).FindString(page))
		}
	})
}
