// Command bundle builds the widgets' custom elements (components/elements)
// into the one committed asset the portal serves: static/widgets/v1.js,
// minified ES module with the components' words embedded, and
// static/widgets/v1.css, the stylesheet every widget's shadow root links.
//
// Run it from the module root after editing the elements (make generate
// does): go run ./components/bundle. Its test fails when the committed files
// are stale or the bundle is over its size budget.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// Outputs of the build, relative to the module root.
const (
	ScriptPath     = "static/widgets/v1.js"
	StylesheetPath = "static/widgets/v1.css"
)

// build bundles the elements found under root (the module root) and returns
// each output's path and content.
func build(root string) (map[string][]byte, error) {
	src := filepath.Join(root, "components", "elements")
	js := api.Build(api.BuildOptions{
		EntryPoints:       []string{filepath.Join(src, "widgets.js")},
		Bundle:            true,
		Format:            api.FormatESModule,
		Target:            api.ES2022,
		Engines:           []api.Engine{{Name: api.EngineChrome, Version: "111"}, {Name: api.EngineFirefox, Version: "123"}, {Name: api.EngineSafari, Version: "16.4"}},
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		Loader:            map[string]api.Loader{".json": api.LoaderJSON},
		AbsWorkingDir:     root,
		Write:             false,
		Outfile:           filepath.Join(root, ScriptPath),
	})
	if err := buildErrors(js.Errors); err != nil {
		return nil, err
	}
	css, err := os.ReadFile(filepath.Join(src, "widgets.css"))
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	style := api.Transform(string(css), api.TransformOptions{
		Loader: api.LoaderCSS, MinifyWhitespace: true, MinifySyntax: true, LegalComments: api.LegalCommentsNone,
		Charset: api.CharsetUTF8,
	})
	if err := buildErrors(style.Errors); err != nil {
		return nil, err
	}
	out := map[string][]byte{StylesheetPath: style.Code}
	for _, f := range js.OutputFiles {
		rel, err := filepath.Rel(root, f.Path)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		out[filepath.ToSlash(rel)] = f.Contents
	}
	if _, ok := out[ScriptPath]; !ok || len(out) != 2 {
		return nil, fmt.Errorf("bundle: unexpected outputs %d", len(out))
	}
	return out, nil
}

func buildErrors(msgs []api.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	var b strings.Builder
	for _, m := range msgs {
		if m.Location != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
		}
		b.WriteString(m.Text)
		b.WriteByte('\n')
	}
	return fmt.Errorf("bundle: %s", b.String())
}

func main() {
	root, err := os.Getwd()
	if err == nil {
		var out map[string][]byte
		if out, err = build(root); err == nil {
			for path, data := range out {
				if err = os.WriteFile(filepath.Join(root, path), data, 0o644); err != nil {
					break
				}
				fmt.Printf("%s: %d bytes\n", path, len(data))
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
