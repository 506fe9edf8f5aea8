package i18n

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEveryKeyInBothLanguages fails when a message exists in one language only.
func TestEveryKeyInBothLanguages(t *testing.T) {
	b, err := NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		for _, other := range Languages {
			ids, others := b.MessageIDs(lang), b.MessageIDs(other)
			var missing []string
			for id := range ids {
				if !others[id] {
					missing = append(missing, id)
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("%d message(s) in %s missing from %s: %v", len(missing), lang, other, missing)
			}
		}
	}
}

// usedIDs finds the message ids the code asks for: literal ids in calls to
// the translation functions, and the ids this file knows are built from a
// prefix at run time.
var callPattern = regexp.MustCompile(`(?:\bT|NewError|NewUserError|i18nStatus|refuse|setFlash|MessageID:|msgID)\((?:[^"()]*?,\s*)?"([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+)"`)

// fieldPattern finds message ids given as struct fields (titleID: "app.delete.title").
var fieldPattern = regexp.MustCompile(`\b[a-z]+ID:\s*"([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+)"`)

// constPattern finds message ids declared as constants (MsgEmailTaken = "user.email.taken").
var constPattern = regexp.MustCompile(`\bMsg[A-Za-z]+\s*=\s*"([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+)"`)

// dynamicIDs are the ids built at run time from a prefix and a value.
func dynamicIDs() []string {
	ids := []string{}
	for _, s := range []string{"SHOULD_BE_UP", "SHOULD_BE_DOWN", "WANTS_TO_BE_UP"} {
		ids = append(ids, "state."+s)
	}
	for _, a := range []string{"DEPLOY", "UNDEPLOY"} {
		ids = append(ids, "deployments.action."+a)
	}
	for _, s := range []string{"WIP", "OK", "FAIL", "CANCELLED"} {
		ids = append(ids, "deployments.state."+s)
	}
	for _, l := range Languages {
		ids = append(ids, "lang.name."+l)
	}
	for _, f := range []string{"system", "serif", "mono", "humanist"} {
		ids = append(ids, "brand.font."+f)
	}
	for _, op := range []string{"org_read", "app_read", "app_write", "app_deploy", "addon_read", "addon_write", "token_read", "token_write", "admin_read", "admin_write"} {
		ids = append(ids, "op."+op)
	}
	for _, s := range []string{"active", "revoked", "expired", "unknown"} {
		ids = append(ids, "token.status."+s)
	}
	for _, o := range []string{"ok", "denied", "error"} {
		ids = append(ids, "audit.outcome."+o)
	}
	for _, st := range []string{"running", "done", "failed"} {
		ids = append(ids, "invoice.run."+st)
	}
	for _, st := range []string{"empty", "pending", "open", "paid", "void", "uncollectible"} {
		ids = append(ids, "invoice.status."+st)
	}
	for m := 1; m <= 12; m++ {
		ids = append(ids, "month.short."+strconv.Itoa(m))
	}
	return ids
}

// TestEveryUsedKeyExists scans the sources for the ids they translate and
// fails on any id missing from either language.
func TestEveryUsedKeyExists(t *testing.T) {
	b, err := NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	used := map[string]string{}
	for _, id := range dynamicIDs() {
		used[id] = "dynamic"
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "data") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") ||
			!(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".templ")) {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range []*regexp.Regexp{callPattern, constPattern, fieldPattern} {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				used[m[1]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 100 {
		t.Fatalf("found only %d message ids in the sources: the scan is broken", len(used))
	}
	for _, lang := range Languages {
		ids := b.MessageIDs(lang)
		for id, where := range used {
			if !ids[id] {
				t.Errorf("%s: message id %q is missing from %s.json", where, id, lang)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	b, err := NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	both, french, english := []string{"en", "fr"}, []string{"fr"}, []string{"en"}
	tests := []struct {
		name, choice, accept, partner string
		offered                       []string
		want                          string
	}{
		{"user choice wins", "fr", "en-US,en;q=0.9", "en", both, "fr"},
		{"accept-language next", "", "fr-CA,fr;q=0.9,en;q=0.5", "en", both, "fr"},
		{"accept-language english", "", "en-GB", "fr", both, "en"},
		{"partner default when no match", "", "de-DE,de;q=0.9", "fr", both, "fr"},
		{"partner default without header", "", "", "fr", both, "fr"},
		{"unsupported choice ignored", "de", "", "fr", both, "fr"},
		{"english at last", "", "", "", both, "en"},
		{"garbage header", "", ";;;q=", "fr", both, "fr"},
		{"nothing offered is everything", "", "fr", "en", nil, "fr"},
		{"french only, english browser", "", "en-US,en;q=0.9", "fr", french, "fr"},
		{"french only, english choice", "en", "en", "fr", french, "fr"},
		{"english only, french browser", "", "fr-FR", "en", english, "en"},
		{"french only, stale english default", "", "en", "en", french, "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Negotiate(tt.choice, tt.accept, tt.partner, tt.offered); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	b, err := NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	en := WithLocalizer(context.Background(), b.Localizer("en"))
	fr := WithLocalizer(context.Background(), b.Localizer("fr"))
	at := time.Date(2026, 2, 3, 14, 5, 0, 0, time.UTC)
	tests := []struct{ name, got, want string }{
		{"date en", Date(en, at), "Feb 3, 2026, 14:05 UTC"},
		{"date fr", Date(fr, at), "3 févr. 2026, 14:05 UTC"},
		{"number en", Number(en, "1234567.50"), "1,234,567.50"},
		{"number fr", Number(fr, "1234567.50"), "1\u202f234\u202f567,50"},
		{"small number", Number(fr, "-12.5"), "-12,5"},
		{"int en", Int(en, 1000), "1,000"},
		{"template data", T(fr, "error.zone_not_allowed", map[string]any{"Zone": "mtl"}), "La zone mtl n’est pas ouverte à votre organisation. Choisissez l’une des zones proposées."},
		{"missing id shows id", T(en, "no.such.id"), "no.such.id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// TestWords: a partner's wording replaces the portal's texts it names,
// keeps their placeholders, and is refused for an unknown id or a changed
// placeholder.
func TestWords(t *testing.T) {
	b, err := NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]map[string]string{"en": {"console.apps": "Services", "footer.powered_by": "Runs on {{.Platform}}"}}
	if err := b.CheckWords(good); err != nil {
		t.Fatal(err)
	}
	l := b.Localizer("en").WithWords(good["en"])
	if got := l.T("console.apps"); got != "Services" {
		t.Fatalf("console.apps = %q", got)
	}
	if got := l.T("footer.powered_by", map[string]any{"Platform": "X"}); got != "Runs on X" {
		t.Fatalf("footer.powered_by = %q", got)
	}
	if got := l.T("console.addons"); got != "Add-ons" {
		t.Fatalf("a text the partner did not reword: %q", got)
	}
	if got := b.Localizer("fr").WithWords(nil).T("words.find"); got != "Trouver" {
		t.Fatalf("French without wording: %q", got)
	}
	for name, words := range map[string]map[string]string{
		"unknown id":          {"no.such": "x"},
		"dropped placeholder": {"footer.powered_by": "Runs on us"},
		"added placeholder":   {"footer.powered_by": "{{.Platform}} {{.Other}}"},
		"template action":     {"console.apps": `{{printf "%s" "x"}}`},
		"unbalanced braces":   {"footer.powered_by": "{{.Platform}} {{"},
	} {
		var we *WordError
		if err := b.CheckWords(map[string]map[string]string{"en": words}); !errors.As(err, &we) {
			t.Errorf("%s: %v, want a WordError", name, err)
		}
	}
	if ids := b.Search("en", "applications", nil, 500); !slices.Contains(ids, "console.apps") {
		t.Fatalf("searching “applications” misses console.apps: %v", ids)
	}
	if ids := b.Search("en", "services", good["en"], 500); !slices.Contains(ids, "console.apps") {
		t.Fatal("searching the partner's own wording misses it")
	}
	if ids := b.Search("en", "", nil, 3); len(ids) != 3 {
		t.Fatalf("the limit: %d ids", len(ids))
	}
}
