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
// its logo (nil for none).
type BrandSnapshot struct {
	Brand           themes.Brand
	Logo            []byte
	LogoContentType string
	// Icon is the browser tab's icon (favicon); the logo serves as one
	// when there is none.
	Icon            []byte
	IconContentType string
	// FontFile is the partner's own font (WOFF2, checked by CheckFont),
	// shown before the safe-list font, which stays its fallback.
	FontFile []byte
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
	// "links", "logo", "icon").
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

func decodeBrand(s string, hasLogo bool) (themes.Brand, error) {
	var j brandJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return themes.Brand{}, fmt.Errorf("tenants: stored brand: %w", err)
	}
	return themes.Brand{Name: j.Name, PrimaryColor: j.Primary, AccentColor: j.Accent, BackgroundColor: j.Background,
		TextColor: j.Text, Font: j.Font, Language: j.Language, Offered: j.Offered, PoweredBy: j.PoweredBy, Words: j.Words,
		SupportURL: j.Support, TermsURL: j.Terms, PrivacyURL: j.Privacy, HasLogo: hasLogo}, nil
}

// checkSnapshot validates a snapshot's brand and logo, returning the
// normalised brand and the logo's sniffed type.
func checkSnapshot(snap BrandSnapshot) (BrandSnapshot, error) {
	b, err := snap.Brand.Normalize()
	if err != nil {
		return BrandSnapshot{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := BrandSnapshot{Brand: b}
	if snap.Logo != nil {
		sniffed, err := checkLogo(snap.Logo, snap.LogoContentType)
		if err != nil {
			return BrandSnapshot{}, err
		}
		out.Logo, out.LogoContentType = snap.Logo, sniffed
	}
	if snap.Icon != nil {
		sniffed, err := checkLogo(snap.Icon, snap.IconContentType)
		if err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				ve.Field = "icon"
			}
			return BrandSnapshot{}, err
		}
		out.Icon, out.IconContentType = snap.Icon, sniffed
	}
	if snap.FontFile != nil {
		if err := CheckFont(snap.FontFile); err != nil {
			return BrandSnapshot{}, err
		}
		out.FontFile = snap.FontFile
	}
	out.Brand.HasLogo, out.Brand.HasIcon, out.Brand.HasFont = out.Logo != nil, out.Icon != nil, out.FontFile != nil
	return out, nil
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
	snap := BrandSnapshot{Brand: row.partner().Brand}
	var fontType string
	for _, f := range []struct {
		table string
		data  *[]byte
		ctype *string
	}{
		{logoTable, &snap.Logo, &snap.LogoContentType},
		{iconTable, &snap.Icon, &snap.IconContentType},
		{fontTable, &snap.FontFile, &fontType},
	} {
		data, ctype, err := s.imageOf(ctx, q, f.table, partnerID)
		switch {
		case err == nil:
			*f.data, *f.ctype = data, ctype
		case !errors.Is(err, ErrNotFound):
			return BrandSnapshot{}, err
		}
	}
	return snap, nil
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
	q := s.db.Rebind(`INSERT INTO brand_drafts (partner_id, brand, logo, logo_content_type, icon, icon_content_type, font_file,
		updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partner_id) DO UPDATE SET brand = excluded.brand,
		logo = excluded.logo, logo_content_type = excluded.logo_content_type, icon = excluded.icon,
		icon_content_type = excluded.icon_content_type, font_file = excluded.font_file,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`)
	if _, err := s.db.ExecContext(ctx, q, partnerID, encodeBrand(snap.Brand), snap.Logo, snap.LogoContentType,
		snap.Icon, snap.IconContentType, snap.FontFile, s.timestamp(), by); err != nil {
		return fmt.Errorf("tenants: save brand draft: %w", err)
	}
	return nil
}

// BrandDraft returns a partner's draft, or ErrNotFound when it has none.
func (s *Store) BrandDraft(ctx context.Context, partnerID string) (BrandDraft, error) {
	var row struct {
		Brand       string    `db:"brand"`
		Logo        []byte    `db:"logo"`
		ContentType string    `db:"logo_content_type"`
		Icon        []byte    `db:"icon"`
		IconType    string    `db:"icon_content_type"`
		FontFile    []byte    `db:"font_file"`
		UpdatedAt   time.Time `db:"updated_at"`
		UpdatedBy   string    `db:"updated_by"`
	}
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT brand, logo, logo_content_type, icon, icon_content_type, font_file, updated_at, updated_by
		FROM brand_drafts WHERE partner_id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return BrandDraft{}, ErrNotFound
	}
	if err != nil {
		return BrandDraft{}, fmt.Errorf("tenants: brand draft: %w", err)
	}
	b, err := decodeBrand(row.Brand, row.Logo != nil)
	if err != nil {
		return BrandDraft{}, err
	}
	b.HasIcon, b.HasFont = row.Icon != nil, row.FontFile != nil
	return BrandDraft{BrandSnapshot: BrandSnapshot{Brand: b, Logo: row.Logo, LogoContentType: row.ContentType,
		Icon: row.Icon, IconContentType: row.IconType, FontFile: row.FontFile}, UpdatedAt: utc(row.UpdatedAt), UpdatedBy: row.UpdatedBy}, nil
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
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO brand_versions (partner_id, version, brand, logo, logo_content_type,
				icon, icon_content_type, font_file, published_at, published_by, restored_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				partnerID, v, encodeBrand(snap.Brand), snap.Logo, snap.LogoContentType, snap.Icon, snap.IconContentType, snap.FontFile,
				now, by, from)
			if migrations.IsUniqueViolation(err) {
				return fmt.Errorf("%w: brand published at the same time", ErrDuplicate)
			}
			return err
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
		if err := s.replaceLogo(ctx, tx, partnerID, snap.Logo, snap.LogoContentType); err != nil {
			return err
		}
		if err := s.replaceImage(ctx, tx, iconTable, partnerID, snap.Icon, snap.IconContentType); err != nil {
			return err
		}
		var fontType string
		if snap.FontFile != nil {
			fontType = FontWOFF2
		}
		if err := s.replaceImage(ctx, tx, fontTable, partnerID, snap.FontFile, fontType); err != nil {
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
		Logo         []byte    `db:"logo"`
		ContentType  string    `db:"logo_content_type"`
		Icon         []byte    `db:"icon"`
		IconType     string    `db:"icon_content_type"`
		FontFile     []byte    `db:"font_file"`
		PublishedAt  time.Time `db:"published_at"`
		PublishedBy  string    `db:"published_by"`
		RestoredFrom int       `db:"restored_from"`
	}
	cond, args := `partner_id = ?`, []any{partnerID}
	if version != 0 {
		cond, args = cond+` AND version = ?`, append(args, version)
	}
	if err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(`SELECT version, brand, logo, logo_content_type, icon, icon_content_type, font_file,
		published_at, published_by, restored_from FROM brand_versions WHERE `+cond+` ORDER BY version DESC`), args...); err != nil {
		return nil, fmt.Errorf("tenants: brand versions: %w", err)
	}
	out := make([]BrandVersion, 0, len(rows))
	for _, r := range rows {
		b, err := decodeBrand(r.Brand, r.Logo != nil)
		if err != nil {
			return nil, err
		}
		b.HasIcon, b.HasFont = r.Icon != nil, r.FontFile != nil
		out = append(out, BrandVersion{BrandSnapshot: BrandSnapshot{Brand: b, Logo: r.Logo, LogoContentType: r.ContentType,
			Icon: r.Icon, IconContentType: r.IconType, FontFile: r.FontFile},
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
	if x.Font != y.Font || !bytes.Equal(a.FontFile, b.FontFile) {
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
	if !bytes.Equal(a.Logo, b.Logo) {
		out = append(out, "logo")
	}
	if !bytes.Equal(a.Icon, b.Icon) {
		out = append(out, "icon")
	}
	return out
}
