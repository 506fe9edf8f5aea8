package tenants

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/andybalholm/brotli"
)

// MaxFontSize is the largest brand font accepted, in bytes (512 KiB);
// MaxFontTables and maxFontData bound what its header may claim.
const (
	MaxFontSize   = 512 << 10
	MaxFontTables = 64
	maxFontData   = 8 << 20
)

// FontWOFF2 is the content type of a brand font.
const FontWOFF2 = "font/woff2"

// Font message ids.
const (
	MsgFontEmpty    = "font.empty"
	MsgFontTooLarge = "font.too_large"
	MsgFontInvalid  = "font.invalid"
)

var errFont = errors.New("not a WOFF2 font")

// CheckFont validates an uploaded brand font: a single-font WOFF2 file of
// at most MaxFontSize whose header, table directory and Brotli-compressed
// font data agree (the data decompresses to exactly the size the
// directory announces, within maxFontData). Anything else is refused with
// a ValidationError.
func CheckFont(data []byte) error {
	switch {
	case len(data) == 0:
		return invalid("font", MsgFontEmpty)
	case len(data) > MaxFontSize:
		return invalid("font", MsgFontTooLarge)
	}
	if parseWOFF2(data) != nil {
		return invalid("font", MsgFontInvalid)
	}
	return nil
}

// woff2Header is the fixed header of a WOFF2 file (W3C WOFF2 §5.1).
type woff2Header struct {
	Signature, Flavor, Length uint32
	NumTables, Reserved       uint16
	TotalSfntSize             uint32
	TotalCompressedSize       uint32
	Major, Minor              uint16
	MetaOffset, MetaLength    uint32
	MetaOrigLength            uint32
	PrivOffset, PrivLength    uint32
}

// The known table tags whose index 10 and 11 (glyf, loca) carry a
// transform by default (WOFF2 §5.2).
const (
	tagGlyf = 10
	tagLoca = 11
)

func parseWOFF2(data []byte) error {
	r := bytes.NewReader(data)
	var h woff2Header
	if err := binary.Read(r, binary.BigEndian, &h); err != nil {
		return errFont
	}
	switch {
	case h.Signature != 0x774F4632: // "wOF2"
		return errFont
	case h.Flavor != 0x00010000 && h.Flavor != 0x4F54544F: // TrueType or "OTTO"; no collections
		return errFont
	case int(h.Length) != len(data), h.Reserved != 0, h.NumTables == 0, h.NumTables > MaxFontTables:
		return errFont
	case h.TotalSfntSize == 0 || h.TotalSfntSize > maxFontData:
		return errFont
	}
	var want uint64
	for range h.NumTables {
		flags, err := r.ReadByte()
		if err != nil {
			return errFont
		}
		tag, version := flags&0x3f, flags>>6
		if tag == 63 { // an arbitrary tag follows
			if _, err := r.Seek(4, io.SeekCurrent); err != nil {
				return errFont
			}
		}
		orig, err := base128(r)
		if err != nil {
			return errFont
		}
		length := orig
		transformed := version != 0
		if tag == tagGlyf || tag == tagLoca {
			transformed = version != 3
		}
		if transformed {
			if length, err = base128(r); err != nil {
				return errFont
			}
		}
		want += uint64(length)
	}
	if want == 0 || want > maxFontData {
		return errFont
	}
	start, _ := r.Seek(0, io.SeekCurrent)
	if uint64(start)+uint64(h.TotalCompressedSize) > uint64(len(data)) {
		return errFont
	}
	br := brotli.NewReader(bytes.NewReader(data[start : start+int64(h.TotalCompressedSize)]))
	n, err := io.Copy(io.Discard, io.LimitReader(br, int64(want)+1))
	if err != nil || uint64(n) != want {
		return errFont
	}
	return nil
}

// base128 reads a WOFF2 UIntBase128: at most five bytes, no leading zero
// byte, no overflow of 32 bits.
func base128(r io.ByteReader) (uint32, error) {
	var v uint32
	for i := range 5 {
		b, err := r.ReadByte()
		if err != nil || i == 0 && b == 0x80 || v&0xFE000000 != 0 {
			return 0, errFont
		}
		v = v<<7 | uint32(b&0x7f)
		if b&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errFont
}
