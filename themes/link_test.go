package themes

import (
	"strings"
	"testing"
)

func TestNormalizeLink(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		mailto   bool
		ok       bool
	}{
		{"", "", false, true},
		{" https://Help.Example.com/a?b=c#d ", "https://Help.Example.com/a?b=c#d", false, true},
		{"HTTPS://example.com", "https://example.com", false, true},
		{"mailto:help@example.com", "mailto:help@example.com", true, true},
		{"mailto:help@example.com", "", false, false},
		{"mailto:Help <help@example.com>", "", true, false},
		{"http://example.com", "", false, false},
		{"javascript:alert(1)", "", true, false},
		{"https://u:p@example.com", "", false, false},
		{"https:///path", "", false, false},
		{"//example.com", "", false, false},
		{`https://example.com/"onmouseover=x`, "", false, false},
		{"https://example.com/" + strings.Repeat("a", MaxLinkLength), "", false, false},
	} {
		got, ok := NormalizeLink(tt.in, tt.mailto)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeLink(%q, %v) = %q, %v; want %q, %v", tt.in, tt.mailto, got, ok, tt.want, tt.ok)
		}
	}
}
