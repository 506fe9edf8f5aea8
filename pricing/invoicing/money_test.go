package invoicing

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/grisaille/grisaille/platform"
)

func TestPeriodBounds(t *testing.T) {
	tests := []struct {
		period   string
		from, to time.Time
		err      error
	}{
		{"2025-03", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), nil},
		{"2024-12", time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{"2025-3", time.Time{}, time.Time{}, ErrInvalidPeriod},
		{"2025-13", time.Time{}, time.Time{}, ErrInvalidPeriod},
		{"2025-03-01", time.Time{}, time.Time{}, ErrInvalidPeriod},
		{"", time.Time{}, time.Time{}, ErrInvalidPeriod},
	}
	for _, tt := range tests {
		t.Run(tt.period, func(t *testing.T) {
			from, to, err := periodBounds(tt.period)
			if !errors.Is(err, tt.err) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
			if !from.Equal(tt.from) || !to.Equal(tt.to) {
				t.Errorf("got %s–%s, want %s–%s", from, to, tt.from, tt.to)
			}
		})
	}
}

func TestMinorUnits(t *testing.T) {
	tests := []struct {
		amount, currency string
		want             int64
		ok               bool
	}{
		{"9.65", "EUR", 965, true},
		{"0.1", "usd", 10, true},
		{"-2.5", "EUR", -250, true},
		{"1200", "JPY", 1200, true},
		{"9.648", "EUR", 0, false},
		{"1.5", "JPY", 0, false},
		{"100000000000000000000", "EUR", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.amount+tt.currency, func(t *testing.T) {
			got, err := minorUnits(decimal.RequireFromString(tt.amount), tt.currency)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %d, %v; want %d, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestRoundAmount(t *testing.T) {
	tests := []struct{ amount, currency, want string }{
		{"9.648", "EUR", "9.65"},
		{"2.76375", "EUR", "2.76"},
		{"0.005", "EUR", "0.01"},
		{"-0.005", "EUR", "-0.01"},
		{"1234.5", "JPY", "1235"},
	}
	for _, tt := range tests {
		got := roundAmount(decimal.RequireFromString(tt.amount), tt.currency)
		if !got.Equal(decimal.RequireFromString(tt.want)) {
			t.Errorf("round %s %s: got %s, want %s", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestLineKeys(t *testing.T) {
	c := platform.Consumption{ResourceID: "app_1", SlugID: "apps.XS", From: "2025-03-01T00:00:00Z", To: "2025-04-01T00:00:00Z"}
	other := c
	other.To = "2025-03-15T00:00:00Z"
	if lineKey(c, 0) != lineKey(c, 0) {
		t.Errorf("got two keys for one line, want one")
	}
	if lineKey(c, 0) == lineKey(other, 0) || lineKey(c, 0) == lineKey(c, 1) {
		t.Errorf("got one key for two lines, want two")
	}
	// A line repeated in one consumption gets a key of its own.
	price := Line{Amount: decimal.NewFromInt(1), Currency: "EUR"}
	lines, cur, err := buildLines([]platform.Consumption{c, c, other}, []Line{price, price, price})
	if err != nil || cur != "EUR" {
		t.Fatalf("got %q, %v", cur, err)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l.Key] {
			t.Errorf("got key %s twice, want distinct keys", l.Key)
		}
		seen[l.Key] = true
	}
	mixed := []Line{price, {Amount: decimal.NewFromInt(1), Currency: "USD"}}
	if _, _, err := buildLines([]platform.Consumption{c, other}, mixed); !errors.Is(err, ErrMixedCurrencies) {
		t.Errorf("got %v for two currencies, want ErrMixedCurrencies", err)
	}
}
