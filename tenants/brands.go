package tenants

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/migrations"
	"github.com/grisaille/grisaille/themes"
)

// BrandSnapshot is a whole brand as drafted or published: its settings and
// its files by kind (a kind absent has none): the logos, the icons (the
// logo serves as the favicon when there is none) and the partner's own
// font (shown before the safe-list font, which stays its fallback).
type BrandSnapshot struct {
	Brand themes.Brand
	Files map[FileKind]File
}

// File returns the snapshot's file of kind k, if it has one.
func (s BrandSnapshot) File(k FileKind) (File, bool) {
	f, ok := s.Files[k]
	return f, ok
}

// WithFile returns the snapshot with its file of kind k replaced, or
// removed when f is nil; the snapshot it was made from is left alone.
func (s BrandSnapshot) WithFile(k FileKind, f *File) BrandSnapshot {
	files := make(map[FileKind]File, len(s.Files)+1)
	for kind, file := range s.Files {
		files[kind] = file
	}
	delete(files, k)
	if f != nil {
		files[k] = *f
	}
	s.Files = files
	return s
}

// withFiles sets the snapshot's files and the brand's Has flags.
func (s BrandSnapshot) withFiles(files map[FileKind]File) BrandSnapshot {
	s.Files = files
	markFiles(&s.Brand, func(k FileKind) bool { _, ok := files[k]; return ok })
	return s
}

// BrandDraft is a partner's unpublished brand.
type BrandDraft struct {
	BrandSnapshot
	UpdatedAt time.Time
	UpdatedBy string
}

// BrandVersion is one publication of a partner's brand.
type BrandVersion struct {
	BrandSnapshot
	Version     int
	PublishedAt time.Time
	PublishedBy string
	// RestoredFrom is the version a rollback republished; 0 otherwise.
	RestoredFrom int
	// Changed names what differs from the version before (the brand
	// fields: "name", "colors", "font", "languages", "powered_by", "words",
	// "links", and the file kinds: "logo", "logo_dark", "icon", …).
	Changed []string
}

// brandJSON is the stored form of a brand's settings.
type brandJSON struct {
	Name, Primary, Accent, Background, Text, Font, Language string
	Offered                                                 []string
	PoweredBy                                               bool
	Words                                                   map[string]map[string]string `json:",omitempty"`
	Support, Terms, Privacy                                 string                       `json:",omitempty"`
}

func encodeBrand(b themes.Brand) string {
	j, _ := json.Marshal(brandJSON{Name: b.Name, Primary: b.PrimaryColor, Accent: b.AccentColor, Background: b.BackgroundColor,
		Text: b.TextColor, Font: b.Font, Language: b.Language, Offered: b.Offered, PoweredBy: b.PoweredBy, Words: b.Words,
		Support: b.SupportURL, Terms: b.TermsURL, Privacy: b.PrivacyURL})
	return string(j)
}

func decodeBrand(s string) (themes.Brand, error) {
	var j brandJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return themes.Brand{}, fmt.Errorf("tenants: stored brand: %w", err)
	}
	return themes.Brand{Name: j.Name, PrimaryColor: j.Primary, AccentColor: j.Accent, BackgroundColor: j.Background,
		TextColor: j.Text, Font: j.Font, Language: j.Language, Offered: j.Offered, PoweredBy: j.PoweredBy, Words: j.Words,
		SupportURL: j.Support, TermsURL: j.Terms, PrivacyURL: j.Privacy}, nil
}

// checkSnapshot validates a snapshot's brand and files, returning the
// normalised brand and each file with its sniffed type.
func checkSnapshot(snap BrandSnapshot) (BrandSnapshot, error) {
	b, err := snap.Brand.Normalize()
	if err != nil {
		return BrandSnapshot{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	files := make(map[FileKind]File, len(snap.Files))
	for _, k := range FileKinds() {
		f, ok := snap.Files[k]
		if !ok {
			continue
		}
		ctype, err := k.check(f)
		if err != nil {
			return BrandSnapshot{}, err
		}
		files[k] = File{Data: f.Data, ContentType: ctype}
	}
	return BrandSnapshot{Brand: b}.withFiles(files), nil
}

// liveSnapshot reads the brand customers see now.
func (s *Store) liveSnapshot(ctx context.Context, q sqlx.QueryerContext, partnerID string) (BrandSnapshot, error) {
	var row partnerRow
	if err := sqlx.GetContext(ctx, q, &row, s.db.Rebind(`SELECT `+partnerColumns+` FROM partners p WHERE p.id = ?`), partnerID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return BrandSnapshot{}, ErrNotFound
		}
		return BrandSnapshot{}, fmt.Errorf("tenants: brand: %w", err)
	}
	files, err := s.readFiles(ctx, q, "partner_files", `partner_id = ?`, partnerID)
	if err != nil {
		return BrandSnapshot{}, err
	}
	return BrandSnapshot{Brand: row.partner().Brand}.withFiles(files), nil
}

// EditedBrand is the brand the studio edits: the partner's draft, else
// the brand customers see now, with its files; draft says which.
func (s *Store) EditedBrand(ctx context.Context, partnerID string) (snap BrandSnapshot, draft bool, err error) {
	d, err := s.BrandDraft(ctx, partnerID)
	switch {
	case err == nil:
		return d.BrandSnapshot, true, nil
	case !errors.Is(err, ErrNotFound):
		return BrandSnapshot{}, false, err
	}
	snap, err = s.liveSnapshot(ctx, s.db, partnerID)
	return snap, false, err
}

// SaveBrandDraft validates and stores a partner's draft: customers keep
// seeing the published brand until PublishBrandDraft.
func (s *Store) SaveBrandDraft(ctx context.Context, partnerID string, snap BrandSnapshot, by string) error {
	snap, err := checkSnapshot(snap)
	if err != nil {
		return err
	}
	return s.inTx(ctx, "save brand draft", func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO brand_drafts (partner_id, brand, updated_at, updated_by)
			VALUES (?, ?, ?, ?) ON CONFLICT (partner_id) DO UPDATE SET brand = excluded.brand,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
			partnerID, encodeBrand(snap.Brand), s.timestamp(), by); err != nil {
			return err
		}
		return s.writeFiles(ctx, tx, "brand_draft_files", snap.Files, partnerID)
	})
}

// BrandDraft returns a partner's draft, or ErrNotFound when it has none.
func (s *Store) BrandDraft(ctx context.Context, partnerID string) (BrandDraft, error) {
	var row struct {
		Brand     string    `db:"brand"`
		UpdatedAt time.Time `db:"updated_at"`
		UpdatedBy string    `db:"updated_by"`
	}
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT brand, updated_at, updated_by FROM brand_drafts WHERE partner_id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return BrandDraft{}, ErrNotFound
	}
	if err != nil {
		return BrandDraft{}, fmt.Errorf("tenants: brand draft: %w", err)
	}
	b, err := decodeBrand(row.Brand)
	if err != nil {
		return BrandDraft{}, err
	}
	files, err := s.readFiles(ctx, s.db, "brand_draft_files", `partner_id = ?`, partnerID)
	if err != nil {
		return BrandDraft{}, err
	}
	return BrandDraft{BrandSnapshot: BrandSnapshot{Brand: b}.withFiles(files), UpdatedAt: utc(row.UpdatedAt), UpdatedBy: row.UpdatedBy}, nil
}

// DiscardBrandDraft deletes a partner's draft.
func (s *Store) DiscardBrandDraft(ctx context.Context, partnerID string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM brand_drafts WHERE partner_id = ?`), partnerID)
	if err != nil {
		return fmt.Errorf("tenants: discard brand draft: %w", err)
	}
	return nil
}

// PublishBrandDraft makes the draft what customers see, as a new version,
// and deletes it. It returns ErrNotFound when there is no draft.
func (s *Store) PublishBrandDraft(ctx context.Context, partnerID, by string) (int, error) {
	d, err := s.BrandDraft(ctx, partnerID)
	if err != nil {
		return 0, err
	}
	return s.publish(ctx, partnerID, d.BrandSnapshot, by, 0)
}

// PublishBrand validates and publishes a brand at once (no draft), as a
// new version; any draft is left as it is.
func (s *Store) PublishBrand(ctx context.Context, partnerID string, snap BrandSnapshot, by string) (int, error) {
	snap, err := checkSnapshot(snap)
	if err != nil {
		return 0, err
	}
	return s.publish(ctx, partnerID, snap, by, 0)
}

// RollbackBrand republishes version exactly, as a new version.
func (s *Store) RollbackBrand(ctx context.Context, partnerID string, version int, by string) (int, error) {
	vs, err := s.brandVersions(ctx, s.db, partnerID, version)
	if err != nil {
		return 0, err
	}
	if len(vs) == 0 {
		return 0, ErrNotFound
	}
	return s.publish(ctx, partnerID, vs[0].BrandSnapshot, by, version)
}

// publish writes snap as the live brand and records it as the next
// version, in one transaction. The brand live before the partner's first
// publication is recorded first, as version 1, so that it can be restored.
func (s *Store) publish(ctx context.Context, partnerID string, snap BrandSnapshot, by string, restoredFrom int) (int, error) {
	var version int
	err := s.inTx(ctx, "publish brand", func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &version, tx.Rebind(`SELECT COALESCE(MAX(version), 0) FROM brand_versions WHERE partner_id = ?`), partnerID); err != nil {
			return err
		}
		now := s.timestamp()
		insert := func(v int, snap BrandSnapshot, by string, from int) error {
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO brand_versions (partner_id, version, brand,
				published_at, published_by, restored_from) VALUES (?, ?, ?, ?, ?, ?)`),
				partnerID, v, encodeBrand(snap.Brand), now, by, from)
			if migrations.IsUniqueViolation(err) {
				return fmt.Errorf("%w: brand published at the same time", ErrDuplicate)
			}
			if err != nil {
				return err
			}
			return s.writeFiles(ctx, tx, "brand_version_files", snap.Files, partnerID, v)
		}
		if version == 0 {
			live, err := s.liveSnapshot(ctx, tx, partnerID)
			if err != nil {
				return err
			}
			if err := insert(1, live, "", 0); err != nil {
				return err
			}
			version = 1
		}
		version++
		if err := insert(version, snap, by, restoredFrom); err != nil {
			return err
		}
		if _, err := writeBrand(ctx, tx, partnerID, snap.Brand); err != nil {
			return err
		}
		if err := s.writeFiles(ctx, tx, "partner_files", snap.Files, partnerID); err != nil {
			return err
		}
		if restoredFrom == 0 {
			_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM brand_drafts WHERE partner_id = ? AND brand = ?`), partnerID, encodeBrand(snap.Brand))
			return err
		}
		return nil
	})
	if err != nil {
		return 0, s.afterTenantChange(ctx, err)
	}
	return version, s.afterTenantChange(ctx, nil)
}

// BrandVersions returns a partner's published versions, newest first, each
// with what changed from the one before.
func (s *Store) BrandVersions(ctx context.Context, partnerID string) ([]BrandVersion, error) {
	vs, err := s.brandVersions(ctx, s.db, partnerID, 0)
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if i+1 < len(vs) {
			vs[i].Changed = brandChanges(vs[i+1].BrandSnapshot, vs[i].BrandSnapshot)
		}
	}
	return vs, nil
}

// brandVersions reads every version of a partner, newest first, or only
// version when it is not 0.
func (s *Store) brandVersions(ctx context.Context, q sqlx.QueryerContext, partnerID string, version int) ([]BrandVersion, error) {
	var rows []struct {
		Version      int       `db:"version"`
		Brand        string    `db:"brand"`
		PublishedAt  time.Time `db:"published_at"`
		PublishedBy  string    `db:"published_by"`
		RestoredFrom int       `db:"restored_from"`
	}
	cond, args := `partner_id = ?`, []any{partnerID}
	if version != 0 {
		cond, args = cond+` AND version = ?`, append(args, version)
	}
	if err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(`SELECT version, brand,
		published_at, published_by, restored_from FROM brand_versions WHERE `+cond+` ORDER BY version DESC`), args...); err != nil {
		return nil, fmt.Errorf("tenants: brand versions: %w", err)
	}
	out := make([]BrandVersion, 0, len(rows))
	for _, r := range rows {
		b, err := decodeBrand(r.Brand)
		if err != nil {
			return nil, err
		}
		files, err := s.readFiles(ctx, q, "brand_version_files", `partner_id = ? AND version = ?`, partnerID, r.Version)
		if err != nil {
			return nil, err
		}
		out = append(out, BrandVersion{BrandSnapshot: BrandSnapshot{Brand: b}.withFiles(files),
			Version: r.Version, PublishedAt: utc(r.PublishedAt), PublishedBy: r.PublishedBy, RestoredFrom: r.RestoredFrom})
	}
	return out, nil
}

// brandChanges names what differs between two snapshots.
func brandChanges(a, b BrandSnapshot) []string {
	var out []string
	x, y := a.Brand, b.Brand
	if x.Name != y.Name {
		out = append(out, "name")
	}
	if x.PrimaryColor != y.PrimaryColor || x.AccentColor != y.AccentColor || x.BackgroundColor != y.BackgroundColor || x.TextColor != y.TextColor {
		out = append(out, "colors")
	}
	if x.Font != y.Font || !sameFile(a, b, FileFont) {
		out = append(out, "font")
	}
	if x.Language != y.Language || !slices.Equal(x.Offered, y.Offered) {
		out = append(out, "languages")
	}
	if x.PoweredBy != y.PoweredBy {
		out = append(out, "powered_by")
	}
	if encodeWords(x.Words) != encodeWords(y.Words) {
		out = append(out, "words")
	}
	if x.SupportURL != y.SupportURL || x.TermsURL != y.TermsURL || x.PrivacyURL != y.PrivacyURL {
		out = append(out, "links")
	}
	for _, k := range FileKinds() {
		if k != FileFont && !sameFile(a, b, k) {
			out = append(out, string(k))
		}
	}
	return out
}

// sameFile reports whether two snapshots hold the same file of kind k, or
// both none.
func sameFile(a, b BrandSnapshot, k FileKind) bool {
	fa, oka := a.File(k)
	fb, okb := b.File(k)
	return oka == okb && bytes.Equal(fa.Data, fb.Data)
}
