package platform

import (
	"net/url"
	"strings"
)

// CredentialFrom reads the credential of an Authorization header in one of
// the two forms the platform API accepts: "Bearer <token>", or the OAuth
// 1.0a PLAINTEXT header the official CLI sends, whose oauth_token is the
// credential (its signature is not checked). It returns "" when there is
// none.
func CredentialFrom(header string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		return strings.TrimSpace(rest)
	case "oauth":
		for _, part := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.TrimSpace(k) == "oauth_token" {
				// OAuth parameter values are percent-encoded (RFC 5849 §3.5.1).
				t, err := url.PathUnescape(strings.Trim(strings.TrimSpace(v), `"`))
				if err != nil {
					return ""
				}
				return t
			}
		}
	}
	return ""
}
