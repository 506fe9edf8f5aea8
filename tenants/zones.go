package tenants

import (
	"slices"
	"strings"
)

// AllowedZones is the one zone policy: the zones a customer may use are the
// platform's zones that are also in the partner's and in the customer's
// allowed sets. The result keeps platformZones' order, holds no duplicates,
// and is empty (never nil) when any set is empty. Pass the partner's zones
// twice to ask what a partner admin may use.
func AllowedZones(platformZones, partnerZones, customerZones []string) []string {
	out := []string{}
	for _, z := range platformZones {
		if slices.Contains(partnerZones, z) && slices.Contains(customerZones, z) && !slices.Contains(out, z) {
			out = append(out, z)
		}
	}
	return out
}

// ZoneAllowed reports whether zone is allowed by the policy of AllowedZones.
func ZoneAllowed(zone string, platformZones, partnerZones, customerZones []string) bool {
	return zone != "" &&
		slices.Contains(platformZones, zone) &&
		slices.Contains(partnerZones, zone) &&
		slices.Contains(customerZones, zone)
}

// normalizeZones trims, lowercases, validates, deduplicates and sorts a set
// of zone names. A zone name is 1–40 of [a-z0-9-], starting with a letter
// or digit.
func normalizeZones(zones []string) ([]string, error) {
	out := make([]string, 0, len(zones))
	for _, z := range zones {
		z = strings.ToLower(strings.TrimSpace(z))
		if !ValidZone(z) {
			return nil, invalid("zones", MsgZoneInvalid)
		}
		if !slices.Contains(out, z) {
			out = append(out, z)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ValidZone reports whether z is a well-formed zone name: 1–40 of
// [a-z0-9-], not starting with a hyphen.
func ValidZone(z string) bool {
	if z == "" || len(z) > 40 || z[0] == '-' {
		return false
	}
	for i := 0; i < len(z); i++ {
		c := z[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
