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
		{"short colours accepted", func(b *Brand) { b.PrimaryColor = "#357"; b.TextColor = "#000" }, nil},
		{"uppercase colour accepted", func(b *Brand) { b.AccentColor = "#CC5500" }, nil},
		{"empty name", func(b *Brand) { b.Name = "   " }, Errors{{Field: FieldName, MessageID: MsgNameRequired}}},
		{"long name", func(b *Brand) { b.Name = strings.Repeat("é", 61) }, Errors{{Field: FieldName, MessageID: MsgNameTooLong}}},
		{"60 characters ok", func(b *Brand) { b.Name = strings.Repeat("é", 60) }, nil},
		{"control character", func(b *Brand) { b.Name = "Acme\u202eCloud" }, Errors{{Field: FieldName, MessageID: MsgNameInvalid}}},
		{"named colour", func(b *Brand) { b.PrimaryColor = "red" }, Errors{{Field: FieldPrimaryColor, MessageID: MsgColorInvalid}}},
		{"injection colour", func(b *Brand) { b.AccentColor = "red;}body{display:none" }, Errors{{Field: FieldAccentColor, MessageID: MsgColorInvalid}}},
		{"alpha colour", func(b *Brand) { b.BackgroundColor = "#ffffffff" }, Errors{{Field: FieldBackgroundColor, MessageID: MsgColorInvalid}}},
		{"bad hex", func(b *Brand) { b.TextColor = "#12345g" }, Errors{{Field: FieldTextColor, MessageID: MsgColorInvalid}}},
		{"unknown font", func(b *Brand) { b.Font = "Comic Sans" }, Errors{{Field: FieldFont, MessageID: MsgFontInvalid}}},
		{"unknown language", func(b *Brand) { b.Language = "de" }, Errors{{Field: FieldLanguage, MessageID: MsgLanguageInvalid}}},
		{"low contrast", func(b *Brand) { b.TextColor = "#999999" }, Errors{{Field: FieldTextColor, MessageID: MsgContrastLow, Ratio: 2.8, Min: 4.5}}},
		{"primary too light for links", func(b *Brand) { b.PrimaryColor = "#00aa77" }, Errors{{Field: FieldPrimaryColor, MessageID: MsgContrastPrimary, Ratio: 2.9, Min: 4.5}}},
		{"accent too light for a control", func(b *Brand) { b.AccentColor = "#ff8800" }, Errors{{Field: FieldAccentColor, MessageID: MsgContrastAccent, Ratio: 2.3, Min: 3}}},
		{"accent at 3:1 is enough", func(b *Brand) { b.AccentColor = "#cc5500" }, nil},
		{"dark background, light text", func(b *Brand) {
			b.BackgroundColor, b.TextColor, b.PrimaryColor, b.AccentColor = "#111111", "#eeeeee", "#93c5fd", "#f59e0b"
		}, nil},
		{"every field", func(b *Brand) { *b = Brand{} }, Errors{
			{Field: FieldName, MessageID: MsgNameRequired},
			{Field: FieldPrimaryColor, MessageID: MsgColorInvalid},
			{Field: FieldAccentColor, MessageID: MsgColorInvalid},
			{Field: FieldBackgroundColor, MessageID: MsgColorInvalid},
			{Field: FieldTextColor, MessageID: MsgColorInvalid},
			{Field: FieldFont, MessageID: MsgFontInvalid},
			{Field: FieldLanguage, MessageID: MsgLanguageInvalid},
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
	b.PrimaryColor = "#357"
	got, err := b.Normalize()
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got.Name != "Acme" {
		t.Errorf("got name %q, want %q", got.Name, "Acme")
	}
	if got.PrimaryColor != "#335577" {
		t.Errorf("got primary %q, want %q", got.PrimaryColor, "#335577")
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
