package tenants

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
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
		return LogoPNG, nil
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return LogoJPEG, nil
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return LogoWebP, nil
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

// SetLogo validates and stores a partner's logo. The content type is
// sniffed from the bytes (PNG, JPEG, WebP or SVG without active content, at
// most MaxLogoSize); a declared contentType other than "" or
// "application/octet-stream" must agree with it. Serve the logo with
// "X-Content-Type-Options: nosniff" and a "default-src 'none'; style-src
// 'unsafe-inline'; sandbox" Content-Security-Policy.
func (s *Store) SetLogo(ctx context.Context, partnerID string, data []byte, contentType string) error {
	return s.afterTenantChange(ctx, s.inTx(ctx, "set logo", func(tx *sqlx.Tx) error { return s.setLogo(ctx, tx, partnerID, data, contentType) }))
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
	return s.replaceLogo(ctx, tx, partnerID, data, sniffed)
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

// replaceLogo stores a checked logo as the partner's, or removes its logo
// when data is nil, inside the caller's transaction.
func (s *Store) replaceLogo(ctx context.Context, tx *sqlx.Tx, partnerID string, data []byte, sniffed string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM partner_logos WHERE partner_id = ?`), partnerID); err != nil {
		return fmt.Errorf("tenants: set logo: %w", err)
	}
	if data == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO partner_logos (partner_id, data, content_type, updated_at)
		VALUES (?, ?, ?, ?)`), partnerID, data, sniffed, s.timestamp()); err != nil {
		return fmt.Errorf("tenants: set logo: %w", err)
	}
	return nil
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

// Logo returns a partner's logo and its content type, or ErrNotFound when
// the partner has none.
func (s *Store) Logo(ctx context.Context, partnerID string) ([]byte, string, error) {
	return s.logoOf(ctx, s.db, partnerID)
}

// logoOf is Logo on q: the database or a transaction.
func (s *Store) logoOf(ctx context.Context, q sqlx.QueryerContext, partnerID string) ([]byte, string, error) {
	var row struct {
		Data        []byte `db:"data"`
		ContentType string `db:"content_type"`
	}
	err := sqlx.GetContext(ctx, q, &row, s.db.Rebind(`SELECT data, content_type FROM partner_logos WHERE partner_id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("tenants: logo: %w", err)
	}
	return row.Data, row.ContentType, nil
}

// DeleteLogo removes a partner's logo; it returns ErrNotFound when there is
// none.
func (s *Store) DeleteLogo(ctx context.Context, partnerID string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM partner_logos WHERE partner_id = ?`), partnerID)
	return s.afterTenantChange(ctx, affectedOne(res, err, "delete logo"))
}
