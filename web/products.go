package web

import (
	"context"

	"github.com/grisaille/grisaille/web/i18n"
)

// addonProviders are the add-on providers the portal names and describes
// in its own words (i18n "addon.provider.<id>.name" and ".desc"), so that
// no page shows the platform's marketing text, its brand or its English.
var addonProviders = map[string]bool{
	"cellar-addon": true, "config-provider": true, "es-addon": true, "fs-bucket": true,
	"mongodb-addon": true, "mysql-addon": true, "postgresql-addon": true, "redis-addon": true,
}

// providerName is an add-on provider's name as the portal shows it, through
// t (a translator): its own for the providers it knows, else the platform's.
func providerName(t func(id string) string, id, platformName string) string {
	if addonProviders[id] {
		return t("addon.provider." + id + ".name")
	}
	return platformName
}

// providerDesc is the portal's description of an add-on provider, or ""
// for one it does not know: the platform's own text is never shown.
func providerDesc(t func(id string) string, id string) string {
	if addonProviders[id] {
		return t("addon.provider." + id + ".desc")
	}
	return ""
}

// words translates message ids in the request's language.
func words(ctx context.Context) func(id string) string {
	return func(id string) string { return i18n.T(ctx, id) }
}
