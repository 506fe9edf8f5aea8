package server

import (
	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/api"
	"github.com/grisaille/grisaille/tokens"
)

// registerAPI serves the platform-compatible API (/v2/…, /v4/…) and the token
// API (/api/v1/…) on partners' hosts. Every route names its operation; the
// organisation and application come from the path, the zone from the body.
func (s *server) registerAPI(e *echo.Echo, a *api.API) {
	g := e.Group("", s.resolveTenant, s.localize)
	can := s.apiCan
	org := "/v2/organisations/:org"
	app := org + "/applications/:app"

	g.GET("/v2/self", a.User, can(tokens.OpOrgRead, noZone))
	g.GET("/v2/self/addons", a.Self("addons"), can(tokens.OpAddonRead, noZone))
	g.GET("/v2/self/applications", a.Self("applications"), can(tokens.OpAppRead, noZone))
	g.GET("/v2/self/applications/:app", a.Self("applications", ":app"), can(tokens.OpAppRead, noZone))
	g.GET("/v2/self/tokens/current", a.CurrentToken, can(tokens.OpOrgRead, noZone))
	g.GET("/v2/summary", a.Summary, can(tokens.OpOrgRead, noZone))
	g.GET("/v2/organisations", a.Organisations, can(tokens.OpOrgRead, noZone))
	g.GET(org, a.Forward("", "v2", "organisations", ":org"), can(tokens.OpOrgRead, noZone))

	g.GET(org+"/applications", a.Forward("", "v2", "organisations", ":org", "applications"), can(tokens.OpAppRead, noZone))
	g.POST(org+"/applications", a.Create("app.create", "applications"), can(tokens.OpAppWrite, appJSONZone))
	g.GET(app, a.Forward("", "v2", "organisations", ":org", "applications", ":app"), can(tokens.OpAppRead, noZone))
	g.PUT(app, a.Forward("app.update", "v2", "organisations", ":org", "applications", ":app"), can(tokens.OpAppWrite, noZone))
	g.DELETE(app, a.Forward("app.delete", "v2", "organisations", ":org", "applications", ":app"), can(tokens.OpAppWrite, noZone))
	g.POST(app+"/instances", a.Forward("app.start", "v2", "organisations", ":org", "applications", ":app", "instances"), can(tokens.OpAppDeploy, noZone))
	g.DELETE(app+"/instances", a.Forward("app.stop", "v2", "organisations", ":org", "applications", ":app", "instances"), can(tokens.OpAppDeploy, noZone))
	g.GET(app+"/instances", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "instances"), can(tokens.OpAppRead, noZone))
	g.GET(app+"/addons", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "addons"), can(tokens.OpAddonRead, noZone))
	g.POST(app+"/addons", a.Forward("addon.link", "v2", "organisations", ":org", "applications", ":app", "addons"), can(tokens.OpAppWrite, noZone))
	g.GET(app+"/addons/env", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "addons", "env"), can(tokens.OpAddonRead, noZone))
	g.DELETE(app+"/addons/:addon", a.Forward("addon.unlink", "v2", "organisations", ":org", "applications", ":app", "addons", ":addon"), can(tokens.OpAppWrite, noZone))
	g.GET(app+"/dependencies", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "dependencies"), can(tokens.OpAppRead, noZone))
	g.GET(app+"/dependencies/env", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "dependencies", "env"), can(tokens.OpAppRead, noZone))
	g.PUT(app+"/dependencies/:dependency", a.Forward("app.link", "v2", "organisations", ":org", "applications", ":app", "dependencies", ":dependency"), can(tokens.OpAppWrite, noZone))
	g.DELETE(app+"/dependencies/:dependency", a.Forward("app.unlink", "v2", "organisations", ":org", "applications", ":app", "dependencies", ":dependency"), can(tokens.OpAppWrite, noZone))
	g.GET(app+"/exposed_env", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "exposed_env"), can(tokens.OpAppRead, noZone))
	g.PUT(app+"/exposed_env", a.Forward("env.expose", "v2", "organisations", ":org", "applications", ":app", "exposed_env"), can(tokens.OpAppWrite, noZone))
	g.GET(app+"/env", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "env"), can(tokens.OpAppRead, noZone))
	g.PUT(app+"/env", a.Forward("env.set", "v2", "organisations", ":org", "applications", ":app", "env"), can(tokens.OpAppWrite, noZone))
	g.PUT(app+"/env/:name", a.Forward("env.set", "v2", "organisations", ":org", "applications", ":app", "env", ":name"), can(tokens.OpAppWrite, noZone))
	g.DELETE(app+"/env/:name", a.Forward("env.delete", "v2", "organisations", ":org", "applications", ":app", "env", ":name"), can(tokens.OpAppWrite, noZone))
	g.GET(app+"/deployments", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "deployments"), can(tokens.OpAppRead, noZone))
	g.GET(app+"/deployments/:deployment", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "deployments", ":deployment"), can(tokens.OpAppRead, noZone))
	g.GET(app+"/vhosts", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "vhosts"), can(tokens.OpAppRead, noZone))
	g.GET(app+"/vhosts/favourite", a.Forward("", "v2", "organisations", ":org", "applications", ":app", "vhosts", "favourite"), can(tokens.OpAppRead, noZone))
	g.PUT(app+"/vhosts/favourite", a.Forward("domain.favourite", "v2", "organisations", ":org", "applications", ":app", "vhosts", "favourite"), can(tokens.OpAppWrite, noZone))
	g.DELETE(app+"/vhosts/favourite", a.Forward("domain.favourite", "v2", "organisations", ":org", "applications", ":app", "vhosts", "favourite"), can(tokens.OpAppWrite, noZone))
	g.PUT(app+"/vhosts/:fqdn", a.Forward("domain.add", "v2", "organisations", ":org", "applications", ":app", "vhosts", ":fqdn"), can(tokens.OpAppWrite, noZone))
	g.DELETE(app+"/vhosts/:fqdn", a.Forward("domain.remove", "v2", "organisations", ":org", "applications", ":app", "vhosts", ":fqdn"), can(tokens.OpAppWrite, noZone))
	g.GET("/v4/logs/organisations/:org/applications/:app/logs", a.Logs, can(tokens.OpAppRead, noZone))

	g.GET(org+"/addons", a.Forward("", "v2", "organisations", ":org", "addons"), can(tokens.OpAddonRead, noZone))
	g.POST(org+"/addons", a.Create("addon.create", "addons"), can(tokens.OpAddonWrite, addonJSONZone))
	g.GET(org+"/addons/:addon", a.Forward("", "v2", "organisations", ":org", "addons", ":addon"), can(tokens.OpAddonRead, noZone))
	g.GET(org+"/addons/:addon/env", a.Forward("", "v2", "organisations", ":org", "addons", ":addon", "env"), can(tokens.OpAddonRead, noZone))
	g.DELETE(org+"/addons/:addon", a.Forward("addon.delete", "v2", "organisations", ":org", "addons", ":addon"), can(tokens.OpAddonWrite, noZone))

	g.GET("/v4/products/zones", a.Zones, can(tokens.OpOrgRead, noZone))
	g.GET("/v4/products/zones/:zone", a.Zone, can(tokens.OpOrgRead, noZone))
	g.GET("/v2/products/instances", a.Catalogue("v2", "products", "instances"), can(tokens.OpOrgRead, noZone))
	g.GET("/v2/products/addonproviders", a.Catalogue("v2", "products", "addonproviders"), can(tokens.OpOrgRead, noZone))
	g.GET("/v4/billing/price-system", a.PriceSystem, can(tokens.OpOrgRead, noZone))

	g.GET("/api/v1/tokens", a.Tokens, can(tokens.OpTokenRead, noZone))
	g.POST("/api/v1/tokens/attenuate", a.Attenuate, can(tokens.OpTokenWrite, noZone))
	g.POST("/api/v1/tokens/revoke", a.Revoke, can(tokens.OpTokenWrite, noZone))
}
