package web

import (
	"testing"

	"github.com/grisaille/grisaille/pricing"
)

func TestFileSlug(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Standard 2026", "standard-2026"},
		{"punctuation", "  Tarifs « Globex » — 2026 !", "tarifs-globex-2026"},
		{"nothing left", "€€€", "grid"},
		{"quotes cannot break the header", `a"b\r\nc`, "a-b-r-nc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fileSlug(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsJSONGrid(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             bool
	}{
		{"json extension", "grid.JSON", "family,product", true},
		{"csv extension", "rules.csv", "{", false},
		{"json content", "upload", "\ufeff\n  {\"name\": \"x\"}", true},
		{"csv content", "upload", "family,product,zone", false},
		{"empty", "upload", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isJSONGrid(tt.file, []byte(tt.data)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKeepRuleIDs(t *testing.T) {
	saved := []pricing.Rule{{ID: "rule_a", Family: "apps"}, {ID: "rule_b", Product: "apps.2XL", Zone: "par"}}
	edited := []pricing.Rule{{Product: "APPS.2xl", Zone: "par"}, {Family: "redis"}, {Family: " apps "}}
	got := keepRuleIDs(edited, saved)
	for i, want := range []string{"rule_b", "", "rule_a"} {
		if got[i].ID != want {
			t.Errorf("rule %d: got id %q, want %q", i, got[i].ID, want)
		}
	}
}
