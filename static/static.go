// Package static embeds the portal's stylesheets, scripts and images.
package static

import (
	"embed"
	"net/http"
)

//go:embed *.css *.svg
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
