package tenants

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/migrations"
	"github.com/grisaille/grisaille/themes"
)

// PartnerCreate holds what the operator gives to create a partner.
type PartnerCreate struct {
	// Slug is the partner's short name, 2–40 of [a-z0-9-], not starting or
	// ending with a hyphen.
	Slug string
	// Brand is the partner's look; it must pass themes.Brand.Validate.
	Brand themes.Brand
	// Hostnames are the hosts of the partner's console: DNS names, no port.
	Hostnames []string
	// AllowedZones are the platform zones the partner may sell.
	AllowedZones []string
	// PlatformToken is the partner's platform credential, stored sealed;
	// it may be empty and set later with SetPlatformToken.
	PlatformToken string
	// StripeKey is the secret key of the partner's Stripe account, which
	// invoices its customers, stored sealed; it may be empty and set later
	// with SetStripeKey.
	StripeKey string
}

// slugPattern is the shape of a partner slug.
var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$`)

// partnerRow is a partners row as selected by partnerColumns.
type partnerRow struct {
	ID              string       `db:"id"`
	Slug            string       `db:"slug"`
	Name            string       `db:"brand_name"`
	PrimaryColor    string       `db:"brand_primary_color"`
	AccentColor     string       `db:"brand_accent_color"`
	BackgroundColor string       `db:"brand_background_color"`
	TextColor       string       `db:"brand_text_color"`
	Font            string       `db:"brand_font"`
	Language        string       `db:"brand_language"`
	Offered         string       `db:"brand_languages"`
	PoweredBy       bool         `db:"brand_powered_by"`
	Words           string       `db:"brand_words"`
	SupportURL      string       `db:"brand_support_url"`
	TermsURL        string       `db:"brand_terms_url"`
	PrivacyURL      string       `db:"brand_privacy_url"`
	AppDomain       string       `db:"app_domain"`
	HasLogo         bool         `db:"has_logo"`
	HasLogoDark     bool         `db:"has_logo_dark"`
	HasIcon         bool         `db:"has_icon"`
	HasIconDark     bool         `db:"has_icon_dark"`
	HasFont         bool         `db:"has_font"`
	PrimaryHost     string       `db:"primary_host"`
	CreatedAt       time.Time    `db:"created_at"`
	SuspendedAt     sql.NullTime `db:"suspended_at"`
	SuspendedWhy    string       `db:"suspended_why"`
}

// partnerColumns selects a partnerRow from partners aliased p.
const partnerColumns = `p.id, p.slug, p.brand_name, p.brand_primary_color, p.brand_accent_color,
	p.brand_background_color, p.brand_text_color, p.brand_font, p.brand_language, p.brand_languages, p.brand_powered_by,
	p.brand_words, p.brand_support_url, p.brand_terms_url, p.brand_privacy_url, p.app_domain, p.primary_host,
	p.created_at, p.suspended_at, p.suspended_why,
	EXISTS (SELECT 1 FROM partner_files f WHERE f.partner_id = p.id AND f.kind = 'logo') AS has_logo,
	EXISTS (SELECT 1 FROM partner_files f WHERE f.partner_id = p.id AND f.kind = 'logo_dark') AS has_logo_dark,
	EXISTS (SELECT 1 FROM partner_files f WHERE f.partner_id = p.id AND f.kind = 'icon') AS has_icon,
	EXISTS (SELECT 1 FROM partner_files f WHERE f.partner_id = p.id AND f.kind = 'icon_dark') AS has_icon_dark,
	EXISTS (SELECT 1 FROM partner_files f WHERE f.partner_id = p.id AND f.kind = 'font') AS has_font`

// offeredLanguages reads a partner's stored languages: every language when
// none is stored.
func offeredLanguages(stored string) []string {
	if stored == "" {
		return themes.Languages()
	}
	return strings.Split(stored, ",")
}

// partner converts the row, without hostnames and zones.
func (r partnerRow) partner() Partner {
	return Partner{
		ID:          r.ID,
		Slug:        r.Slug,
		PrimaryHost: r.PrimaryHost,
		AppDomain:   r.AppDomain,
		Brand: themes.Brand{
			Name:            r.Name,
			PrimaryColor:    r.PrimaryColor,
			AccentColor:     r.AccentColor,
			BackgroundColor: r.BackgroundColor,
			TextColor:       r.TextColor,
			Font:            r.Font,
			Language:        r.Language,
			Offered:         offeredLanguages(r.Offered),
			PoweredBy:       r.PoweredBy,
			Words:           decodeWords(r.Words),
			SupportURL:      r.SupportURL,
			TermsURL:        r.TermsURL,
			PrivacyURL:      r.PrivacyURL,
			HasLogo:         r.HasLogo,
			HasLogoDark:     r.HasLogoDark,
			HasIcon:         r.HasIcon,
			HasIconDark:     r.HasIconDark,
			HasFont:         r.HasFont,
		},
		Hostnames:    []string{},
		AllowedZones: []string{},
		CreatedAt:    utc(r.CreatedAt),
		SuspendedWhy: r.SuspendedWhy,
		SuspendedAt:  nullTime(r.SuspendedAt),
	}
}

// normalizeHostnames normalises, validates, deduplicates and sorts hostnames.
func normalizeHostnames(hosts []string) ([]string, error) {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		n, ok := normalizeHostname(h)
		if !ok {
			return nil, invalid("hostnames", MsgHostnameInvalid)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// CreatePartner validates and stores a new partner with its hostnames,
// zones and sealed platform credential. A taken slug or hostname returns a
// DuplicateError.
func (s *Store) CreatePartner(ctx context.Context, pc PartnerCreate) (Partner, error) {
	var out Partner
	err := s.inTx(ctx, "create partner", func(tx *sqlx.Tx) error {
		var err error
		out, err = s.createPartner(ctx, tx, pc)
		return err
	})
	return out, s.afterTenantChange(ctx, err)
}

// createPartner is CreatePartner inside the caller's transaction.
func (s *Store) createPartner(ctx context.Context, tx *sqlx.Tx, pc PartnerCreate) (Partner, error) {
	if !slugPattern.MatchString(pc.Slug) {
		return Partner{}, invalid("slug", MsgSlugInvalid)
	}
	brand, err := pc.Brand.Normalize()
	if err != nil {
		return Partner{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	hosts, err := normalizeHostnames(pc.Hostnames)
	if err != nil {
		return Partner{}, err
	}
	zones, err := normalizeZones(pc.AllowedZones)
	if err != nil {
		return Partner{}, err
	}
	id := newID("ptn")
	sealed := ""
	if pc.PlatformToken != "" {
		if sealed, err = s.sealer.seal([]byte(pc.PlatformToken), tokenAAD(id)); err != nil {
			return Partner{}, err
		}
	}
	stripeSealed := ""
	if pc.StripeKey != "" {
		if !stripeKeyPattern.MatchString(pc.StripeKey) {
			return Partner{}, invalid("stripe_key", MsgStripeKeyInvalid)
		}
		if stripeSealed, err = s.sealer.seal([]byte(pc.StripeKey), stripeAAD(id)); err != nil {
			return Partner{}, err
		}
	}
	now := s.timestamp()

	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM partners WHERE slug = ?`), pc.Slug); err != nil {
		return Partner{}, fmt.Errorf("tenants: create partner: %w", err)
	}
	if n > 0 {
		return Partner{}, duplicate("slug", MsgSlugTaken)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO partners (id, slug, brand_name, brand_primary_color,
		brand_accent_color, brand_background_color, brand_text_color, brand_font, brand_language,
		brand_languages, brand_powered_by, brand_words, brand_support_url, brand_terms_url, brand_privacy_url,
		platform_token_sealed, stripe_key_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, pc.Slug, brand.Name, brand.PrimaryColor, brand.AccentColor, brand.BackgroundColor,
		brand.TextColor, brand.Font, brand.Language, strings.Join(brand.Offered, ","), brand.PoweredBy,
		encodeWords(brand.Words), brand.SupportURL, brand.TermsURL, brand.PrivacyURL, sealed, stripeSealed, now)
	if migrations.IsUniqueViolation(err) {
		return Partner{}, duplicate("slug", MsgSlugTaken)
	}
	if err != nil {
		return Partner{}, fmt.Errorf("tenants: create partner: %w", err)
	}
	if err := insertHostnames(ctx, tx, id, hosts); err != nil {
		return Partner{}, err
	}
	for _, z := range zones {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO partner_zones (partner_id, zone) VALUES (?, ?)`), id, z); err != nil {
			return Partner{}, fmt.Errorf("tenants: create partner: %w", err)
		}
	}
	brand.HasLogo = false
	return Partner{ID: id, Slug: pc.Slug, Brand: brand, Hostnames: hosts, AllowedZones: zones, CreatedAt: now}, nil
}

// insertHostnames adds hostnames to a partner, returning a DuplicateError
// when one belongs to any partner already, as an operator hostname or as
// another partner's verified domain.
func insertHostnames(ctx context.Context, tx *sqlx.Tx, partnerID string, hosts []string) error {
	for _, h := range hosts {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT (SELECT COUNT(*) FROM partner_hostnames WHERE hostname = ?)
			+ (SELECT COUNT(*) FROM partner_domains WHERE domain = ? AND partner_id <> ? AND verified_at IS NOT NULL AND removed_at IS NULL)`),
			h, h, partnerID); err != nil {
			return fmt.Errorf("tenants: add hostname: %w", err)
		}
		if n > 0 {
			return duplicate("hostnames", MsgHostnameTaken)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO partner_hostnames (hostname, partner_id) VALUES (?, ?)`), h, partnerID)
		if migrations.IsUniqueViolation(err) {
			return duplicate("hostnames", MsgHostnameTaken)
		}
		if err != nil {
			return fmt.Errorf("tenants: add hostname: %w", err)
		}
	}
	return nil
}

// Partner returns the partner with the given id.
func (s *Store) Partner(ctx context.Context, id string) (Partner, error) {
	return s.cachedPartnerWhere(ctx, "id:"+id, `p.id = ?`, id)
}

// SuspendPartner stops every host and domain of a partner from serving it
// (pages, API, widgets, new certificates), keeping all its data, with the
// operator's reason. Suspending a suspended partner changes nothing.
func (s *Store) SuspendPartner(ctx context.Context, partnerID, why string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET suspended_at = COALESCE(suspended_at, ?), suspended_why = ? WHERE id = ?`),
		s.timestamp(), strings.TrimSpace(why), partnerID)
	if err != nil {
		err = fmt.Errorf("tenants: suspend partner: %w", err)
	}
	return s.afterTenantChange(ctx, err)
}

// ResumePartner makes a suspended partner serve again.
func (s *Store) ResumePartner(ctx context.Context, partnerID string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET suspended_at = NULL, suspended_why = '' WHERE id = ?`), partnerID)
	if err != nil {
		err = fmt.Errorf("tenants: resume partner: %w", err)
	}
	return s.afterTenantChange(ctx, err)
}

// PartnerBySlug returns the partner with the given slug.
func (s *Store) PartnerBySlug(ctx context.Context, slug string) (Partner, error) {
	return s.partnerWhere(ctx, `p.slug = ?`, slug)
}

// PartnerByHost returns the partner whose console answers on host, which
// should already be normalised with NormalizeHost (it is normalised again).
// It returns ErrNotFound for an unknown host.
func (s *Store) PartnerByHost(ctx context.Context, host string) (Partner, error) {
	host = NormalizeHost(host)
	if host == "" {
		return Partner{}, ErrNotFound
	}
	return s.cachedPartnerWhere(ctx, "host:"+host, partnerByHostCond, host, host)
}

// partnerWhere loads the one partner matching a condition on partners p,
// with its hostnames and zones.
func (s *Store) partnerWhere(ctx context.Context, cond string, args ...any) (Partner, error) {
	var row partnerRow
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT `+partnerColumns+` FROM partners p WHERE `+cond), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Partner{}, ErrNotFound
	}
	if err != nil {
		return Partner{}, fmt.Errorf("tenants: partner: %w", err)
	}
	p := row.partner()
	if err := s.db.SelectContext(ctx, &p.Hostnames, s.db.Rebind(
		`SELECT hostname FROM partner_hostnames WHERE partner_id = ? ORDER BY hostname`), p.ID); err != nil {
		return Partner{}, fmt.Errorf("tenants: partner hostnames: %w", err)
	}
	if err := s.db.SelectContext(ctx, &p.AllowedZones, s.db.Rebind(
		`SELECT zone FROM partner_zones WHERE partner_id = ? ORDER BY zone`), p.ID); err != nil {
		return Partner{}, fmt.Errorf("tenants: partner zones: %w", err)
	}
	return p, nil
}

// Partners returns every partner, ordered by slug, with hostnames and zones.
// It is for the operator: it is the one query not scoped by partner.
func (s *Store) Partners(ctx context.Context) ([]Partner, error) {
	var rows []partnerRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+partnerColumns+` FROM partners p ORDER BY p.slug`); err != nil {
		return nil, fmt.Errorf("tenants: partners: %w", err)
	}
	var pairs []struct {
		PartnerID string `db:"partner_id"`
		Value     string `db:"value"`
	}
	hosts := map[string][]string{}
	if err := s.db.SelectContext(ctx, &pairs, `SELECT partner_id, hostname AS value FROM partner_hostnames ORDER BY hostname`); err != nil {
		return nil, fmt.Errorf("tenants: partners hostnames: %w", err)
	}
	for _, p := range pairs {
		hosts[p.PartnerID] = append(hosts[p.PartnerID], p.Value)
	}
	pairs = nil
	zones := map[string][]string{}
	if err := s.db.SelectContext(ctx, &pairs, `SELECT partner_id, zone AS value FROM partner_zones ORDER BY zone`); err != nil {
		return nil, fmt.Errorf("tenants: partners zones: %w", err)
	}
	for _, p := range pairs {
		zones[p.PartnerID] = append(zones[p.PartnerID], p.Value)
	}
	out := make([]Partner, 0, len(rows))
	for _, r := range rows {
		p := r.partner()
		p.Hostnames = append(p.Hostnames, hosts[p.ID]...)
		p.AllowedZones = append(p.AllowedZones, zones[p.ID]...)
		out = append(out, p)
	}
	return out, nil
}

// UpdateBrand validates and stores a partner's brand. b.HasLogo is ignored:
// it follows SetLogo and DeleteLogo.
func (s *Store) UpdateBrand(ctx context.Context, partnerID string, b themes.Brand) error {
	brand, err := b.Normalize()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	res, err := writeBrand(ctx, s.db, partnerID, brand)
	return s.afterTenantChange(ctx, affectedOne(res, err, "update brand"))
}

// writeBrand stores a normalised brand's settings on ex: the database or a
// transaction.
func writeBrand(ctx context.Context, ex sqlx.ExtContext, partnerID string, b themes.Brand) (sql.Result, error) {
	return ex.ExecContext(ctx, ex.Rebind(`UPDATE partners SET brand_name = ?, brand_primary_color = ?,
		brand_accent_color = ?, brand_background_color = ?, brand_text_color = ?, brand_font = ?,
		brand_language = ?, brand_languages = ?, brand_powered_by = ?, brand_words = ?,
		brand_support_url = ?, brand_terms_url = ?, brand_privacy_url = ? WHERE id = ?`),
		b.Name, b.PrimaryColor, b.AccentColor, b.BackgroundColor, b.TextColor,
		b.Font, b.Language, strings.Join(b.Offered, ","), b.PoweredBy, encodeWords(b.Words),
		b.SupportURL, b.TermsURL, b.PrivacyURL, partnerID)
}

// encodeWords is the stored form of a brand's wording: JSON, "" for none.
func encodeWords(w map[string]map[string]string) string {
	if len(w) == 0 {
		return ""
	}
	j, _ := json.Marshal(w)
	return string(j)
}

// decodeWords reads a stored wording; a row that does not parse (never
// written by this package) reads as none rather than failing every page.
func decodeWords(s string) map[string]map[string]string {
	if s == "" {
		return nil
	}
	var w map[string]map[string]string
	if json.Unmarshal([]byte(s), &w) != nil {
		return nil
	}
	return w
}

// SetHostnames replaces the hostnames a partner's console answers on. A
// hostname of another partner returns a DuplicateError.
func (s *Store) SetHostnames(ctx context.Context, partnerID string, hostnames []string) error {
	hosts, err := normalizeHostnames(hostnames)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tenants: set hostnames: %w", err)
	}
	defer tx.Rollback()
	if err := partnerExists(ctx, tx, partnerID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM partner_hostnames WHERE partner_id = ?`), partnerID); err != nil {
		return fmt.Errorf("tenants: set hostnames: %w", err)
	}
	if err := insertHostnames(ctx, tx, partnerID, hosts); err != nil {
		return err
	}
	return s.afterTenantChange(ctx, tx.Commit())
}

// SetPartnerZones replaces the zones a partner may sell and, in the same
// transaction, removes every zone outside the new set from the partner's
// customers.
func (s *Store) SetPartnerZones(ctx context.Context, partnerID string, zones []string) error {
	zones, err := normalizeZones(zones)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tenants: set partner zones: %w", err)
	}
	defer tx.Rollback()
	if err := partnerExists(ctx, tx, partnerID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM partner_zones WHERE partner_id = ?`), partnerID); err != nil {
		return fmt.Errorf("tenants: set partner zones: %w", err)
	}
	for _, z := range zones {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO partner_zones (partner_id, zone) VALUES (?, ?)`), partnerID, z); err != nil {
			return fmt.Errorf("tenants: set partner zones: %w", err)
		}
	}
	query, args := `DELETE FROM customer_zones WHERE partner_id = ?`, []any{partnerID}
	if len(zones) > 0 {
		if query, args, err = sqlx.In(query+` AND zone NOT IN (?)`, partnerID, zones); err != nil {
			return fmt.Errorf("tenants: set partner zones: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(query), args...); err != nil {
		return fmt.Errorf("tenants: narrow customer zones: %w", err)
	}
	return s.afterTenantChange(ctx, tx.Commit())
}

// PlatformToken returns a partner's platform credential, decrypted. It
// returns ErrNotFound when the partner is unknown or has no credential.
func (s *Store) PlatformToken(ctx context.Context, partnerID string) (string, error) {
	// Every proxied call needs it: kept, opened, beside the partners (and
	// forgotten with them on any change).
	return s.credentials.through(partnerID, s.now(), func() (string, error) { return s.platformToken(ctx, partnerID) },
		func(tok string) string { return tok })
}

// platformToken reads and opens a partner's platform credential.
func (s *Store) platformToken(ctx context.Context, partnerID string) (string, error) {
	var sealed string
	err := s.db.GetContext(ctx, &sealed, s.db.Rebind(`SELECT platform_token_sealed FROM partners WHERE id = ?`), partnerID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && sealed == "" {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("tenants: platform token: %w", err)
	}
	plain, err := s.sealer.open(sealed, tokenAAD(partnerID))
	if err != nil {
		return "", fmt.Errorf("tenants: platform token of %s: %w", partnerID, err)
	}
	return string(plain), nil
}

// SetPlatformToken stores a partner's platform credential, sealed with the
// Sealer and bound to the partner so that it opens for no other.
func (s *Store) SetPlatformToken(ctx context.Context, partnerID, token string) error {
	if token == "" {
		return invalid("platform_token", MsgPlatformTokenRequired)
	}
	sealed, err := s.sealer.seal([]byte(token), tokenAAD(partnerID))
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partners SET platform_token_sealed = ? WHERE id = ?`), sealed, partnerID)
	return s.afterTenantChange(ctx, affectedOne(res, err, "set platform token"))
}

// tokenAAD binds a sealed platform credential to its partner.
func tokenAAD(partnerID string) []byte {
	return []byte("partner-platform-token:" + partnerID)
}

// partnerExists returns ErrNotFound unless the partner exists.
func partnerExists(ctx context.Context, q queryer, partnerID string) error {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM partners WHERE id = ?`), partnerID); err != nil {
		return fmt.Errorf("tenants: partner: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// queryer is what *sqlx.DB and *sqlx.Tx share for reads.
type queryer interface {
	sqlx.QueryerContext
	Rebind(query string) string
}

// affectedOne turns an UPDATE or DELETE result into ErrNotFound when it
// touched no row.
func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("tenants: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("tenants: %s: %w", what, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
