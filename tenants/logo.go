package tenants

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	_ "golang.org/x/image/webp" // decodes WebP logos
)

// MaxLogoSize is the largest logo accepted, in bytes (256 KiB).
const MaxLogoSize = 256 << 10

// Logo content types, as sniffed by SetLogo and returned by Logo.
const (
	LogoPNG  = "image/png"
	LogoJPEG = "image/jpeg"
	LogoWebP = "image/webp"
	LogoSVG  = "image/svg+xml"
)

// svgStart matches the start of an SVG document: an optional XML
// declaration, DOCTYPE (checkSVG refuses it) and comments, then the svg
// element.
var svgStart = regexp.MustCompile(`(?is)^(<\?xml[^>]*\?>\s*)?(<!doctype[^\[>]*(\[.*?\])?\s*>\s*)?(<!--.*?-->\s*)*<svg[\s/>]`)

// sniffLogo returns the content type of a logo, or a ValidationError when it
// is empty, too large, of another type or an SVG outside the allow-lists
// (checkSVG).
func sniffLogo(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", invalid("logo", MsgLogoEmpty)
	case len(data) > MaxLogoSize:
		return "", invalid("logo", MsgLogoTooLarge)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return LogoPNG, checkRaster(data)
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return LogoJPEG, checkRaster(data)
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return LogoWebP, checkRaster(data)
	}
	text := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	text = bytes.TrimSpace(text)
	if !utf8.Valid(text) || !svgStart.Match(text) {
		return "", invalid("logo", MsgLogoTypeInvalid)
	}
	if _, err := checkSVG(text); err != nil {
		return "", invalid("logo", MsgLogoUnsafe)
	}
	return LogoSVG, nil
}

// MaxLogoSide caps a raster logo's width and height, in pixels: its size
// is read from its header before it is decoded, so that a small file
// cannot claim gigabytes of pixels.
const MaxLogoSide = 2048

// checkRaster decodes a PNG, JPEG or WebP logo whole: a file that does not
// decode, or whose sides exceed MaxLogoSide, is refused.
func checkRaster(data []byte) error {
	_, err := decodeRaster(data)
	return err
}

func decodeRaster(data []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, invalid("logo", MsgLogoUndecodable)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return nil, invalid("logo", MsgLogoTooManyPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, invalid("logo", MsgLogoUndecodable)
	}
	return img, nil
}

// CleanLogo checks an uploaded logo as SetLogo does and returns what to
// store: a raster image decoded and encoded again (PNG and WebP as PNG,
// JPEG as JPEG), which keeps its pixels and drops everything else the file
// carried (metadata, trailing bytes, another format hidden inside); an SVG
// as it is, once its elements and attributes passed the allow-lists. Call
// it once, on the upload: stored logos are checked, never re-encoded, so
// that a version restored is the very logo published.
func CleanLogo(data []byte, contentType string) ([]byte, string, error) {
	sniffed, err := checkLogo(data, contentType)
	if err != nil || sniffed == LogoSVG {
		return data, sniffed, err
	}
	img, err := decodeRaster(data)
	if err != nil {
		return nil, "", err
	}
	var out bytes.Buffer
	if sniffed == LogoJPEG {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 92})
	} else {
		sniffed = LogoPNG
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img)
	}
	if err != nil {
		return nil, "", fmt.Errorf("tenants: re-encode logo: %w", err)
	}
	if out.Len() > MaxLogoSize {
		return nil, "", invalid("logo", MsgLogoTooLarge)
	}
	return out.Bytes(), sniffed, nil
}

// SetLogo validates, cleans (CleanLogo) and stores a partner's logo. The content type is
// sniffed from the bytes (PNG, JPEG, WebP or SVG without active content, at
// most MaxLogoSize); a declared contentType other than "" or
// "application/octet-stream" must agree with it. Serve the logo with
// "X-Content-Type-Options: nosniff" and a "default-src 'none'; style-src
// 'unsafe-inline'; sandbox" Content-Security-Policy.
func (s *Store) SetLogo(ctx context.Context, partnerID string, data []byte, contentType string) error {
	clean, ctype, err := CleanLogo(data, contentType)
	if err != nil {
		return err
	}
	return s.afterTenantChange(ctx, s.inTx(ctx, "set logo", func(tx *sqlx.Tx) error { return s.setLogo(ctx, tx, partnerID, clean, ctype) }))
}

// setLogo is SetLogo inside the caller's transaction.
func (s *Store) setLogo(ctx context.Context, tx *sqlx.Tx, partnerID string, data []byte, contentType string) error {
	sniffed, err := checkLogo(data, contentType)
	if err != nil {
		return err
	}
	if err := partnerExists(ctx, tx, partnerID); err != nil {
		return err
	}
	return s.setFile(ctx, tx, partnerID, FileLogo, &File{Data: data, ContentType: sniffed})
}

// checkLogo validates a logo, returning its sniffed content type: the
// declared contentType, unless "" or "application/octet-stream", must
// agree with it.
func checkLogo(data []byte, contentType string) (string, error) {
	sniffed, err := sniffLogo(data)
	if err != nil {
		return "", err
	}
	if declared := declaredType(contentType); declared != "" && declared != "application/octet-stream" && declared != sniffed {
		return "", invalid("logo", MsgLogoTypeInvalid)
	}
	return sniffed, nil
}

// declaredType returns the lowercase media type of a Content-Type value,
// with "image/jpg" read as "image/jpeg".
func declaredType(contentType string) string {
	if strings.TrimSpace(contentType) == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "invalid"
	}
	if mt == "image/jpg" || mt == "image/pjpeg" {
		return LogoJPEG
	}
	return mt
}

// DeleteLogo removes a partner's logo; it returns ErrNotFound when there is
// none.
func (s *Store) DeleteLogo(ctx context.Context, partnerID string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM partner_files WHERE partner_id = ? AND kind = ?`), partnerID, string(FileLogo))
	return s.afterTenantChange(ctx, affectedOne(res, err, "delete logo"))
}
