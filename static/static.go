// Package static embeds the portal's stylesheets, scripts and images.
package static

import (
	"embed"
	"net/http"
)

//go:embed *.css *.svg *.js
var files embed.FS

// Handler serves the embedded files. They carry no partner's brand: brand
// colours come from each partner's /theme.css.
func Handler() http.Handler {
	fs := http.FileServer(http.FS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}

//go:embed widgets/v1.js widgets/v1.css
var widgets embed.FS

// WidgetScript returns the widgets' bundle (built by components/bundle).
func WidgetScript() []byte { return mustRead("widgets/v1.js") }

// WidgetStylesheet returns the stylesheet every widget's shadow root links.
func WidgetStylesheet() []byte { return mustRead("widgets/v1.css") }

func mustRead(name string) []byte {
	b, err := widgets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}
