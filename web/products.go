package web

import (
	"context"

	"github.com/grisaille/grisaille/web/i18n"
	"github.com/grisaille/grisaille/whitelabel"
)

// The portal names and describes the platform's products in its own words,
// which a partner may reword like any other text (the studio's wording):
// add-on providers as "addon.provider.<id>.name" and ".desc", runtimes as
// "runtime.<variant slug>.name" and ".desc" (whitelabel.Face).

// providerName is an add-on provider's name as the request's reader sees it.
func providerName(ctx context.Context, id, platformName string) string {
	return face(ctx).ProviderName(id, platformName)
}

// providerDesc is the portal's description of an add-on provider, or "".
func providerDesc(ctx context.Context, id string) string {
	return face(ctx).ProviderDesc(id)
}

// runtimeName is a runtime's name as the request's reader sees it.
func runtimeName(ctx context.Context, slug, platformName string) string {
	return face(ctx).RuntimeName(slug, platformName)
}

// runtimeDesc is the portal's description of a runtime, or "".
func runtimeDesc(ctx context.Context, slug string) string {
	return face(ctx).RuntimeDesc(slug)
}

// face is the request's whitelabel.Face, translating through the context's
// localizer: a context the server did not set up (a widget rendered in
// another language) still gets the portal's words.
func face(ctx context.Context) whitelabel.Face {
	f := whitelabel.From(ctx)
	f.T = words(ctx)
	return f
}

// words translates message ids in the request's language.
func words(ctx context.Context) func(id string) string {
	return func(id string) string { return i18n.T(ctx, id) }
}
