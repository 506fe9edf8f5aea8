package tenants

import (
	"bytes"
	"errors"
	"testing"

	"github.com/grisaille/grisaille/tenants/fonttest"
)

func TestCheckFont(t *testing.T) {
	payload := bytes.Repeat([]byte("glyph data "), 300)
	good := fonttest.WOFF2(fonttest.TrueType, payload, 1000, 2300)
	if err := CheckFont(good); err != nil {
		t.Fatalf("a well-formed WOFF2: %v", err)
	}
	if err := CheckFont(fonttest.WOFF2(fonttest.CFF, payload, 3300)); err != nil {
		t.Fatalf("a CFF-flavoured WOFF2: %v", err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, tt := range map[string]struct {
		data []byte
		want string
	}{
		"empty":                 {nil, MsgFontEmpty},
		"too large":             {append(append([]byte(nil), good...), make([]byte, MaxFontSize)...), MsgFontTooLarge},
		"a WOFF1 file":          {mutate(func(b []byte) []byte { copy(b, "wOFF"); return b }), MsgFontInvalid},
		"a TrueType file":       {append([]byte{0, 1, 0, 0}, make([]byte, 200)...), MsgFontInvalid},
		"a font collection":     {fonttest.WOFF2(fonttest.Collection, payload, 3300), MsgFontInvalid},
		"length disagrees":      {mutate(func(b []byte) []byte { return b[:len(b)-1] }), MsgFontInvalid},
		"data disagrees":        {fonttest.WOFF2(fonttest.TrueType, payload, 1000, 2301), MsgFontInvalid},
		"corrupt data":          {mutate(func(b []byte) []byte { b[len(b)-5] ^= 0xff; b[len(b)-9] ^= 0xff; return b }), MsgFontInvalid},
		"no tables":             {fonttest.WOFF2(fonttest.TrueType, payload), MsgFontInvalid},
		"a decompression bomb":  {fonttest.WOFF2(fonttest.TrueType, make([]byte, maxFontData+1), maxFontData+1), MsgFontInvalid},
		"an HTML page":          {[]byte("<html><script>alert(1)</script></html>"), MsgFontInvalid},
		"base128 leading zeros": {mutate(func(b []byte) []byte { b[fonttest.HeaderSize+1] = 0x80; return b }), MsgFontInvalid},
	} {
		var ve *ValidationError
		if err := CheckFont(tt.data); !errors.As(err, &ve) || ve.MessageID != tt.want {
			t.Errorf("%s: %v, want %s", name, err, tt.want)
		}
	}
}
