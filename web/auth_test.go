package web

import "testing"

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/console", "/console"},
		{"/console/apps/app_1?x=1", "/console/apps/app_1?x=1"},
		{"/%2F%2Fevil", "/"},
		{"/%2f%2fevil.example/", "/"},
		{"/%5Cevil.example", "/"},
		{"/\r\nSet-Cookie:x=1", "/"},
		{"/console/a%20b", "/console/a%20b"},
		{"///evil.example", "/"},
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
