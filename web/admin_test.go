package web

import "testing"

func TestKeyHint(t *testing.T) {
	for key, want := range map[string]string{
		"sk_test_acme_demo_key_000000": "sk_test_…0000",
		"sk_live_51Habcdefgh1234":      "sk_live_…1234",
		"rk_live_abcdefgh9876":         "rk_live_…9876",
		"":                             "",
		"short":                        "",
	} {
		if got := keyHint(key); got != want {
			t.Errorf("keyHint(%q): got %q, want %q", key, got, want)
		}
	}
}
