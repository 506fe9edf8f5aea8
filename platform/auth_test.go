package platform

import "testing"

func TestCredentialFrom(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer  abc ", "abc"},
		{`OAuth oauth_consumer_key="k", oauth_token="t0k%2Fen", oauth_signature="s%26x"`, "t0k/en"},
		{`OAuth oauth_consumer_key="k", oauth_signature="s"`, ""},
		{`OAuth oauth_token="%zz"`, ""},
		{"Basic dXNlcjpwYXNz", ""},
		{"", ""},
		{"Bearer", ""},
	}
	for _, tt := range tests {
		if got := CredentialFrom(tt.header); got != tt.want {
			t.Errorf("CredentialFrom(%q): got %q, want %q", tt.header, got, tt.want)
		}
	}
}
