package web

import "testing"

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/console", "/console"},
		{"/console/apps/app_1?x=1", "/console/apps/app_1"},
		{"", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"console", "/"},
	}
	for _, tt := range tests {
		if got := localPath(tt.in); got != tt.want {
			t.Errorf("localPath(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
