// Package fonttest builds WOFF2 files for tests: a header, a table
// directory and Brotli-compressed data that agree, or that do not.
package fonttest

import (
	"bytes"
	"encoding/binary"

	"github.com/andybalholm/brotli"
)

// Flavours of the font inside a WOFF2 file.
const (
	TrueType   uint32 = 0x00010000
	CFF        uint32 = 0x4F54544F // "OTTO"
	Collection uint32 = 0x74746366 // "ttcf"
)

// HeaderSize is the size of a WOFF2 header, where its table directory
// starts.
const HeaderSize = 48

// WOFF2 builds a WOFF2 file whose directory announces tables (the known
// tags in order, each of the given length, untransformed) and whose data
// is payload, Brotli-compressed.
func WOFF2(flavor uint32, payload []byte, tables ...uint32) []byte {
	var dir bytes.Buffer
	for i, n := range tables {
		tag := byte(i)
		if tag == 10 || tag == 11 { // glyf and loca: the null transform is version 3
			tag |= 3 << 6
		}
		dir.WriteByte(tag)
		dir.Write(uintBase128(n))
	}
	var comp bytes.Buffer
	w := brotli.NewWriter(&comp)
	_, _ = w.Write(payload)
	_ = w.Close()
	// The header (W3C WOFF2 §5.1): signature, flavor, length, numTables,
	// reserved, totalSfntSize, totalCompressedSize, version 1.0, then no
	// metadata and no private data.
	be := binary.BigEndian
	out := bytes.NewBuffer(nil)
	b := be.AppendUint32(nil, 0x774F4632)
	b = be.AppendUint32(b, flavor)
	b = be.AppendUint32(b, uint32(HeaderSize+dir.Len()+comp.Len()))
	b = be.AppendUint16(b, uint16(len(tables)))
	b = be.AppendUint16(b, 0)
	b = be.AppendUint32(b, uint32(len(payload)+12+16*len(tables)))
	b = be.AppendUint32(b, uint32(comp.Len()))
	b = be.AppendUint16(b, 1)
	b = append(b, make([]byte, HeaderSize-len(b))...) // minor version 0, offsets and lengths 0
	out.Write(b)
	out.Write(dir.Bytes())
	out.Write(comp.Bytes())
	return out.Bytes()
}

// uintBase128 encodes v as a WOFF2 UIntBase128.
func uintBase128(v uint32) []byte {
	var out []byte
	for {
		out = append([]byte{byte(v & 0x7f)}, out...)
		v >>= 7
		if v == 0 {
			break
		}
	}
	for i := range len(out) - 1 {
		out[i] |= 0x80
	}
	return out
}
