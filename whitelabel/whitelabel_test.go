package whitelabel

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/platform"
)

var cc = Platform{Name: "Clever Cloud", Domains: []string{"cleverapps.io", "clever-cloud.com"}}

func TestMentionsAndHides(t *testing.T) {
	for s, want := range map[string]bool{
		"Redis by Clever Cloud": true, "clever-cloud": true, "CLEVERCLOUD": true, "clever_cloud": true,
		"support@clever-cloud.com": true, "app.cleverapps.io": true, "A clever idea": false, "Redis": false,
	} {
		if got := cc.Mentions(s); got != want {
			t.Errorf("Mentions(%q) = %v, want %v", s, got, want)
		}
	}
	for host, want := range map[string]bool{
		"app-1.cleverapps.io": true, "cleverapps.io.": true, "shop.apps.acme.example": false, "notcleverapps.io": false,
	} {
		if got := cc.Hides(host); got != want {
			t.Errorf("Hides(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestAppHost(t *testing.T) {
	a := AppHost("My Shop!", "app_1", "apps.acme.example.")
	b := AppHost("My Shop!", "app_2", "apps.acme.example")
	if !strings.HasPrefix(a, "my-shop-") || !strings.HasSuffix(a, ".apps.acme.example") || a == b {
		t.Fatalf("AppHost: %q and %q", a, b)
	}
	if a != AppHost("My Shop!", "app_1", "apps.acme.example") {
		t.Fatal("AppHost is not stable")
	}
	if h := AppHost("日本", "app_1", "x.example"); !strings.HasPrefix(h, "app-") {
		t.Fatalf("a name with no DNS letter: %q", h)
	}
	if h := AppHost(strings.Repeat("a", 100), "app_1", "x.example"); len(strings.SplitN(h, ".", 2)[0]) > 63 {
		t.Fatalf("a label longer than DNS allows: %q", h)
	}
}

func face() Face {
	words := map[string]string{
		"runtime.node.name": "JavaScript", "runtime.node.desc": "Our Node.js.",
		"addon.provider.redis-addon.name": "Acme Cache", "addon.provider.redis-addon.desc": "Fast.",
	}
	return Face{Platform: cc, GitBase: "https://console.acme.example", T: func(id string) string {
		if s, ok := words[id]; ok {
			return s
		}
		return id
	}}
}

func TestJSON(t *testing.T) {
	in := `{"apps":[{"id":"app_1","name":"shop","vhosts":[{"fqdn":"app-1.cleverapps.io"},{"fqdn":"shop.apps.acme.example"}],
		"deployment":{"type":"GIT","url":"git+ssh://git@push-par-clevercloud-customers.services.clever-cloud.com/app_1.git","httpUrl":"https://push.clever-cloud.com/app_1.git"},
		"instance":{"variant":{"id":"v","slug":"node","name":"Node","deployType":"node","logo":"https://assets.clever-cloud.com/node.svg"}},
		"price":1.1234567890123456789}],
	"providers":[{"id":"redis-addon","name":"Redis by Clever Cloud","shortDesc":"Redis by Clever Cloud","plans":[],
		"website":"https://clever-cloud.com","supportEmail":"support@clever-cloud.com","longDesc":"…"},
		{"id":"new-addon","name":"New by Clever Cloud","shortDesc":"x","plans":[]}],
	"addon":{"id":"addon_1","plan":{"slug":"s"},"provider":{"id":"redis-addon","name":"Redis","shortDesc":"Redis by Clever Cloud","logoUrl":"https://clever-cloud.com/r.png"}},
	"zone":{"name":"par","countryCode":"FR","tags":["region:eu","infra:clever-cloud"]},
	"vhosts":[{"fqdn":"x.cleverapps.io"}]}`
	out := string(face().JSON([]byte(in)))
	if cc.Mentions(out) {
		t.Fatalf("the answer still names the platform:\n%s", out)
	}
	for _, want := range []string{`"fqdn":"shop.apps.acme.example"`, `"url":"https://console.acme.example/git/app_1.git"`,
		`"name":"JavaScript"`, `"name":"Acme Cache"`, `"shortDesc":"Fast."`, `"tags":["region:eu"]`,
		`"price":1.1234567890123456789`, `"vhosts":[]`} {
		if !strings.Contains(out, want) {
			t.Errorf("the answer lacks %s:\n%s", want, out)
		}
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if got := string(face().JSON([]byte("not json"))); got != "not json" {
		t.Fatalf("a body that is not JSON came back as %q", got)
	}
}

func TestTyped(t *testing.T) {
	f := face()
	app := f.Application(platform.Application{ID: "app_1",
		Vhosts:     []platform.Vhost{{FQDN: "app-1.cleverapps.io"}, {FQDN: "shop.apps.acme.example"}},
		Deployment: platform.AppDeployment{URL: "git+ssh://push.clever-cloud.com/app_1.git"}})
	if len(app.Vhosts) != 1 || app.Deployment.URL != "https://console.acme.example/git/app_1.git" {
		t.Fatalf("Application: %+v", app)
	}
	if n := f.ProviderName("new-addon", "New by Clever Cloud"); n != "" {
		t.Fatalf("an unknown provider's platform name is shown: %q", n)
	}
	if n := f.ProviderName("new-addon", "Newish"); n != "Newish" {
		t.Fatalf("an unknown provider's own name: %q", n)
	}
	if d := f.RuntimeDesc("go"); d != "" {
		t.Fatalf("a runtime without the portal's text: %q", d)
	}
}
