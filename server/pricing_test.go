package server_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// per30Days reads the 30-day price of a plan in a price table on a page:
// in the runtime sizes' table, or after the table of product (its id).
func per30Days(t *testing.T, page, product, plan string) string {
	t.Helper()
	if product != "" {
		_, page, _ = strings.Cut(page, `product="`+product+`"`)
	}
	m := regexp.MustCompile(`data-plan="` + regexp.QuoteMeta(plan) + `"(?s:.*?)data-period="30-days">([^<]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no price for %s on the page", plan)
	}
	return strings.TrimSpace(m[1])
}

func TestCustomerPricing(t *testing.T) {
	a := newApp(t)
	tests := []struct {
		name, host, email, path, product, plan, want string
		zones                                        []string
	}{
		// Acme: the platform's 480.00 € + 20 %.
		{"acme 2XL", "acme.localhost", "dev@acme.example", "/console/pricing", "", "2XL", "€576.00", []string{"par", "rbx", "sgp"}},
		// Globex's customer: a contract at −5 % on runtimes (456.00 €), in French.
		{"globex contract", "globex.localhost", "dev@globex.example", "/console/pricing", "", "2XL", "456,00\u00a0€", []string{"par", "mtl"}},
		// Add-ons at Globex's default +10 %: the contract covers runtimes only.
		{"globex add-on", "globex.localhost", "dev@globex.example", "/console/pricing", "redis-addon", "s", "", nil},
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
				if got := per30Days(t, page, tt.product, tt.plan); got != tt.want {
					t.Errorf("%s per 30 days: got %q, want %q", tt.plan, got, tt.want)
				}
			}
			for _, z := range tt.zones {
				if !strings.Contains(page, `name="zone" value="`+z+`"`) {
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
		if !strings.Contains(page, "2XL · 12 vCPU") || !strings.Contains(page, "≈ €576.00 / 30 days") {
			t.Fatalf("the create form does not estimate 2XL at 576.00 €: %s", regexp.MustCompile(`2XL[^<]*`).FindString(page))
		}
	})
}

// TestPriceSystemAPI checks that the platform-compatible price system
// answers the customer's prices, not the platform's, and only in its zones.
func TestPriceSystemAPI(t *testing.T) {
	a := newApp(t)
	tok := a.customerToken(t, "acme", "dev@acme.example")
	got := a.hourlyPrice(t, tok, "acme.localhost", "par", "apps.2XL")
	if per30 := got.Mul(decimal.NewFromInt(720)).Round(2).StringFixed(2); per30 != "576.00" {
		t.Fatalf("apps.2XL through the API: %s per hour, %s per 30 days; want 576.00 (Acme's +20 %%)", got, per30)
	}
	if st, _, _ := a.api(t, "acme.localhost", http.MethodGet, "/v4/billing/price-system?zone_id=mtl&currency=EUR", tok, nil); st != http.StatusForbidden {
		t.Fatalf("price system in a zone acme does not sell: got %d, want 403", st)
	}
}

// hourlyPrice reads a runtime's hourly price in the platform-compatible
// price system, as the holder of tok sees it in a zone.
func (a *app) hourlyPrice(t *testing.T, tok, host, zone, slug string) decimal.Decimal {
	t.Helper()
	st, _, body := a.api(t, host, http.MethodGet, "/v4/billing/price-system?zone_id="+zone+"&currency=EUR", tok, nil)
	if st != http.StatusOK {
		t.Fatalf("price system: %d %s", st, body)
	}
	var ps struct {
		ZoneID  string `json:"zone_id"`
		Runtime []struct {
			SlugID string          `json:"slug_id"`
			Price  json.RawMessage `json:"price"`
		} `json:"runtime"`
	}
	if err := json.Unmarshal(body, &ps); err != nil {
		t.Fatal(err)
	}
	for _, r := range ps.Runtime {
		if r.SlugID == slug {
			p, err := decimal.NewFromString(string(r.Price))
			if err != nil {
				t.Fatalf("%s price %q: %v", slug, r.Price, err)
			}
			return p
		}
	}
	t.Fatalf("no %s in the price system", slug)
	return decimal.Zero
}
