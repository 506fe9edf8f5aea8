package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/themes"
)

// FileKind names one of a brand's files.
type FileKind string

// The kinds of a brand's files. A logo is drawn on the pages' surfaces:
// the light variant on light ones, the dark variant on dark ones (a top
// bar in a dark brand colour), each standing in for the other when it is
// missing. The icon is the browser tab's favicon, its dark variant the one
// a browser in a dark colour scheme shows. The font is the partner's own
// WOFF2 file.
const (
	FileLogo     FileKind = "logo"
	FileLogoDark FileKind = "logo_dark"
	FileIcon     FileKind = "icon"
	FileIconDark FileKind = "icon_dark"
	FileFont     FileKind = "font"
)

// FileKinds lists every kind, in the studio's order.
func FileKinds() []FileKind {
	return []FileKind{FileLogo, FileLogoDark, FileIcon, FileIconDark, FileFont}
}

// ValidFileKind reports whether k is one of FileKinds.
func ValidFileKind(k FileKind) bool {
	switch k {
	case FileLogo, FileLogoDark, FileIcon, FileIconDark, FileFont:
		return true
	}
	return false
}

// IsImage reports whether files of kind k are images (checked by
// CleanLogo), not the font.
func (k FileKind) IsImage() bool { return ValidFileKind(k) && k != FileFont }

// File is one of a brand's files: its bytes and their content type.
type File struct {
	Data        []byte
	ContentType string
}

// check validates a file of kind k and returns its content type: an image
// as checkLogo sniffs it, the font as CheckFont reads it. The error names
// the kind as its field.
func (k FileKind) check(f File) (string, error) {
	var ctype string
	var err error
	if k == FileFont {
		ctype, err = FontWOFF2, CheckFont(f.Data)
	} else {
		ctype, err = checkLogo(f.Data, f.ContentType)
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		ve.Field = string(k)
	}
	return ctype, err
}

// markFiles sets the brand's Has flags from the kinds present.
func markFiles(b *themes.Brand, has func(FileKind) bool) {
	b.HasLogo, b.HasLogoDark = has(FileLogo), has(FileLogoDark)
	b.HasIcon, b.HasIconDark = has(FileIcon), has(FileIconDark)
	b.HasFont = has(FileFont)
}

// HasFile reports whether a loaded brand has a stored file of kind k.
func HasFile(b themes.Brand, k FileKind) bool {
	switch k {
	case FileLogo:
		return b.HasLogo
	case FileLogoDark:
		return b.HasLogoDark
	case FileIcon:
		return b.HasIcon
	case FileIconDark:
		return b.HasIconDark
	case FileFont:
		return b.HasFont
	}
	return false
}

// fileRow is a stored file of any of the three tables.
type fileRow struct {
	Kind        FileKind `db:"kind"`
	Data        []byte   `db:"data"`
	ContentType string   `db:"content_type"`
}

// readFiles reads the files of table (partner_files, brand_draft_files or
// brand_version_files) that cond and args select.
func (s *Store) readFiles(ctx context.Context, q sqlx.QueryerContext, table, cond string, args ...any) (map[FileKind]File, error) {
	var rows []fileRow
	if err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(`SELECT kind, data, content_type FROM `+table+` WHERE `+cond), args...); err != nil {
		return nil, fmt.Errorf("tenants: %s: %w", table, err)
	}
	files := make(map[FileKind]File, len(rows))
	for _, r := range rows {
		if ValidFileKind(r.Kind) {
			files[r.Kind] = File{Data: r.Data, ContentType: r.ContentType}
		}
	}
	return files, nil
}

// writeFiles replaces, inside tx, the files of table that belong to key
// (the partner id, and the version for brand_version_files) with files.
func (s *Store) writeFiles(ctx context.Context, tx *sqlx.Tx, table string, files map[FileKind]File, key ...any) error {
	cond, args := `partner_id = ?`, []any{key[0]}
	cols, marks := `partner_id, `, `?, `
	if len(key) == 2 {
		cond, args = cond+` AND version = ?`, append(args, key[1])
		cols, marks = cols+`version, `, marks+`?, `
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM `+table+` WHERE `+cond), args...); err != nil {
		return fmt.Errorf("tenants: %s: %w", table, err)
	}
	extra, extraMark := "", ""
	if table == "partner_files" {
		extra, extraMark = ", updated_at", ", ?"
	}
	for _, k := range FileKinds() {
		f, ok := files[k]
		if !ok {
			continue
		}
		vals := append(append([]any{}, args...), string(k), f.Data, f.ContentType)
		if extra != "" {
			vals = append(vals, s.timestamp())
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO `+table+` (`+cols+`kind, data, content_type`+extra+`)
			VALUES (`+marks+`?, ?, ?`+extraMark+`)`), vals...); err != nil {
			return fmt.Errorf("tenants: %s: %w", table, err)
		}
	}
	return nil
}

// BrandFile returns one of a partner's live files, or ErrNotFound when it
// has none of that kind.
func (s *Store) BrandFile(ctx context.Context, partnerID string, kind FileKind) (File, error) {
	var row fileRow
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT kind, data, content_type FROM partner_files WHERE partner_id = ? AND kind = ?`),
		partnerID, string(kind))
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, ErrNotFound
	}
	if err != nil {
		return File{}, fmt.Errorf("tenants: brand file: %w", err)
	}
	return File{Data: row.Data, ContentType: row.ContentType}, nil
}

// setFile stores one live file of a partner (nil data removes it) inside
// the caller's transaction, leaving its other files alone.
func (s *Store) setFile(ctx context.Context, tx *sqlx.Tx, partnerID string, kind FileKind, f *File) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM partner_files WHERE partner_id = ? AND kind = ?`), partnerID, string(kind)); err != nil {
		return fmt.Errorf("tenants: set %s: %w", kind, err)
	}
	if f == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO partner_files (partner_id, kind, data, content_type, updated_at)
		VALUES (?, ?, ?, ?, ?)`), partnerID, string(kind), f.Data, f.ContentType, s.timestamp()); err != nil {
		return fmt.Errorf("tenants: set %s: %w", kind, err)
	}
	return nil
}
