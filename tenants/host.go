package tenants

import (
	"net"
	"strings"
)

// NormalizeHost turns a Host header into the form hostnames are stored in:
// surrounding spaces trimmed, lowercase, without port ("example.com:8080",
// "[::1]:8080"), IPv6 brackets or trailing dot. It returns "" for an empty
// header.
func NormalizeHost(hostHeader string) string {
	h := strings.ToLower(strings.TrimSpace(hostHeader))
	if h == "" {
		return ""
	}
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	return strings.TrimSuffix(h, ".")
}

// normalizeHostname normalises a hostname given by an operator and reports
// whether it is a valid DNS name: labels of letters, digits and hyphens,
// 1–63 characters, not starting or ending with a hyphen, 253 characters in
// all, and no port.
func normalizeHostname(s string) (string, bool) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if h == "" || len(h) > 253 {
		return "", false
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", false
			}
		}
	}
	return h, true
}
