package themes

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	valid := Default("Acme Cloud")
	tests := []struct {
		name   string
		change func(b *Brand)
		want   Errors
	}{
		{"default is valid", func(b *Brand) {}, nil},
		{"short colours accepted", func(b *Brand) { b.PrimaryColor = "#ABC"; b.TextColor = "#000" }, nil},
		{"uppercase colour accepted", func(b *Brand) { b.AccentColor = "#FF8800" }, nil},
		{"empty name", func(b *Brand) { b.Name = "   " }, Errors{{FieldName, MsgNameRequired}}},
		{"long name", func(b *Brand) { b.Name = strings.Repeat("é", 61) }, Errors{{FieldName, MsgNameTooLong}}},
		{"60 characters ok", func(b *Brand) { b.Name = strings.Repeat("é", 60) }, nil},
		{"control character", func(b *Brand) { b.Name = "Acme\u202eCloud" }, Errors{{FieldName, MsgNameInvalid}}},
		{"named colour", func(b *Brand) { b.PrimaryColor = "red" }, Errors{{FieldPrimaryColor, MsgColorInvalid}}},
		{"injection colour", func(b *Brand) { b.AccentColor = "red;}body{display:none" }, Errors{{FieldAccentColor, MsgColorInvalid}}},
		{"alpha colour", func(b *Brand) { b.BackgroundColor = "#ffffffff" }, Errors{{FieldBackgroundColor, MsgColorInvalid}}},
		{"bad hex", func(b *Brand) { b.TextColor = "#12345g" }, Errors{{FieldTextColor, MsgColorInvalid}}},
		{"unknown font", func(b *Brand) { b.Font = "Comic Sans" }, Errors{{FieldFont, MsgFontInvalid}}},
		{"unknown language", func(b *Brand) { b.Language = "de" }, Errors{{FieldLanguage, MsgLanguageInvalid}}},
		{"low contrast", func(b *Brand) { b.TextColor = "#999999" }, Errors{{FieldTextColor, MsgContrastLow}}},
		{"every field", func(b *Brand) { *b = Brand{} }, Errors{
			{FieldName, MsgNameRequired},
			{FieldPrimaryColor, MsgColorInvalid},
			{FieldAccentColor, MsgColorInvalid},
			{FieldBackgroundColor, MsgColorInvalid},
			{FieldTextColor, MsgColorInvalid},
			{FieldFont, MsgFontInvalid},
			{FieldLanguage, MsgLanguageInvalid},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := valid
			tt.change(&b)
			err := b.Validate()
			var got Errors
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("got error %T %v, want themes.Errors", err, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("error %d: got %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	b := Default("  Acme  ")
	b.PrimaryColor = "#ABC"
	got, err := b.Normalize()
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got.Name != "Acme" {
		t.Errorf("got name %q, want %q", got.Name, "Acme")
	}
	if got.PrimaryColor != "#aabbcc" {
		t.Errorf("got primary %q, want %q", got.PrimaryColor, "#aabbcc")
	}
}

func TestContrastRatio(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#000", 21},
		{"#777777", "#777777", 1},
		{"#767676", "#ffffff", 4.54},
		{"#777777", "#ffffff", 4.48},
		{"#0000ff", "#ffffff", 8.59},
		{"nope", "#ffffff", 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			got := ContrastRatio(tt.a, tt.b)
			if math.Abs(got-tt.want) > 0.01 {
				t.Errorf("got %.3f, want %.2f", got, tt.want)
			}
		})
	}
}

func TestOnColor(t *testing.T) {
	tests := []struct{ bg, want string }{
		{"#000000", "#ffffff"},
		{"#ffffff", "#000000"},
		{"#2f4f7f", "#ffffff"},
		{"#ffd700", "#000000"},
		{"#ff0000", "#000000"},
	}
	for _, tt := range tests {
		t.Run(tt.bg, func(t *testing.T) {
			if got := OnColor(tt.bg); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCSS(t *testing.T) {
	b := Default("Acme")
	b.PrimaryColor = "#FFD700"
	b.Font = "mono"
	css := b.CSS()
	for _, want := range []string{
		":root{",
		"--brand-primary:#ffd700;",
		"--brand-on-primary:#000000;",
		"--brand-accent:#c2410c;",
		"--brand-on-accent:#ffffff;",
		"--brand-bg:#ffffff;",
		"--brand-text:#1f2328;",
		"--brand-font:ui-monospace,",
		"--brand-primary-soft:#fffae0;",
	} {
		if !strings.Contains(css, want) {
			t.Errorf("got %s, want it to contain %q", css, want)
		}
	}
}

func TestCSSHostileInput(t *testing.T) {
	hostile := []string{
		"red;}body{display:none",
		"#fff;}body{display:none}",
		"</style><script>alert(1)</script>",
		"#abc\n}",
		"expression(alert(1))",
		"url(javascript:alert(1))",
	}
	def := Default("")
	for _, h := range hostile {
		t.Run(h, func(t *testing.T) {
			b := Brand{Name: h, PrimaryColor: h, AccentColor: h, BackgroundColor: h, TextColor: h, Font: h, Language: h}
			css := b.CSS()
			for _, bad := range []string{"display", "<", "script", "expression", "url(", "\n"} {
				if strings.Contains(css, bad) {
					t.Errorf("got %s, want no %q", css, bad)
				}
			}
			if strings.Count(css, "{") != 1 || strings.Count(css, "}") != 1 {
				t.Errorf("got %s, want exactly one rule", css)
			}
			if want := "--brand-primary:" + def.PrimaryColor + ";"; !strings.Contains(css, want) {
				t.Errorf("got %s, want fallback %q", css, want)
			}
			if want := "--brand-font:" + FontStack("system") + ";"; !strings.Contains(css, want) {
				t.Errorf("got %s, want fallback %q", css, want)
			}
		})
	}
}

func TestListsAreCopies(t *testing.T) {
	f := Fonts()
	f[0] = "changed"
	if got := Fonts()[0]; got != "system" {
		t.Errorf("got %q, want %q", got, "system")
	}
	l := Languages()
	l[0] = "changed"
	if got := Languages()[0]; got != "en" {
		t.Errorf("got %q, want %q", got, "en")
	}
}
