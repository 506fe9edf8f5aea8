package tokens

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/biscuit-auth/biscuit-go/v2"

	"github.com/grisaille/grisaille/tenants"
)

// Predicates of the vocabulary (docs/tokens.md).
const (
	predPartner      = "partner"
	predTenant       = "tenant"
	predOperation    = "operation"
	predOrganisation = "organisation"
	predApplication  = "application"
	predZone         = "zone"
	predZoneFree     = "zone_free"
	predTime         = "time"
	predSession      = "session"
)

// pred returns the predicate name(terms...).
func pred(name string, terms ...biscuit.Term) biscuit.Predicate {
	if terms == nil {
		terms = []biscuit.Term{}
	}
	return biscuit.Predicate{Name: name, IDs: terms}
}

// query returns a check query over body and expressions.
func query(body []biscuit.Predicate, exprs ...biscuit.Expression) biscuit.Rule {
	return biscuit.Rule{Head: pred("query"), Body: body, Expressions: exprs}
}

// checkOf returns a check whose queries are joined by "or".
func checkOf(queries ...biscuit.Rule) biscuit.Check {
	return biscuit.Check{Queries: queries}
}

// stringSet returns the datalog set of values.
func stringSet(values []string) biscuit.Set {
	set := make(biscuit.Set, len(values))
	for i, v := range values {
		set[i] = biscuit.String(v)
	}
	return set
}

// containsExpr returns the expression {set}.contains($variable).
func containsExpr(values []string, variable string) biscuit.Expression {
	return biscuit.Expression{
		biscuit.Value{Term: stringSet(values)},
		biscuit.Value{Term: biscuit.Variable(variable)},
		biscuit.BinaryContains,
	}
}

// restrictionChecks returns the checks of a block restricting r:
//
//	check if organisation({org});
//	check if application({app});
//	check if zone_free(true) or zone($z), {zones}.contains($z);
//	check if operation($op), {ops}.contains($op);
//	check if time($t), $t <= {exp};
//	check if session({sid});
//
// Datalog sets cannot be empty: an empty zone set becomes
// "check if zone_free(true)" and an empty operation set
// "check if operation($op), false".
func restrictionChecks(r Restriction) []biscuit.Check {
	var checks []biscuit.Check
	if r.Organisation != "" {
		checks = append(checks, checkOf(query([]biscuit.Predicate{pred(predOrganisation, biscuit.String(r.Organisation))})))
	}
	if r.Application != "" {
		checks = append(checks, checkOf(query([]biscuit.Predicate{pred(predApplication, biscuit.String(r.Application))})))
	}
	if r.Zones != nil {
		zoneFree := query([]biscuit.Predicate{pred(predZoneFree, biscuit.Bool(true))})
		if len(r.Zones) == 0 {
			checks = append(checks, checkOf(zoneFree))
		} else {
			checks = append(checks, checkOf(zoneFree,
				query([]biscuit.Predicate{pred(predZone, biscuit.Variable("z"))}, containsExpr(r.Zones, "z"))))
		}
	}
	if r.Operations != nil {
		allowed := containsExpr(r.Operations, "op")
		if len(r.Operations) == 0 {
			allowed = biscuit.Expression{biscuit.Value{Term: biscuit.Bool(false)}}
		}
		checks = append(checks, checkOf(query([]biscuit.Predicate{pred(predOperation, biscuit.Variable("op"))}, allowed)))
	}
	if !r.ExpiresAt.IsZero() {
		checks = append(checks, checkOf(query(
			[]biscuit.Predicate{pred(predTime, biscuit.Variable("t"))},
			biscuit.Expression{
				biscuit.Value{Term: biscuit.Variable("t")},
				biscuit.Value{Term: biscuit.Date(r.ExpiresAt)},
				biscuit.BinaryLessOrEqual,
			},
		)))
	}
	if r.Session != "" {
		checks = append(checks, checkOf(query([]biscuit.Predicate{pred(predSession, biscuit.String(r.Session))})))
	}
	return checks
}

// newAuthority returns a new token whose authority block is
//
//	partner({partnerID});
//	check if tenant({partnerID});
func (s *Service) newAuthority(partnerID string) (*biscuit.Biscuit, error) {
	bld := biscuit.NewBuilder(s.keys.private)
	if err := bld.AddAuthorityFact(biscuit.Fact{Predicate: pred(predPartner, biscuit.String(partnerID))}); err != nil {
		return nil, fmt.Errorf("tokens: mint: %w", err)
	}
	if err := bld.AddAuthorityCheck(checkOf(query([]biscuit.Predicate{pred(predTenant, biscuit.String(partnerID))}))); err != nil {
		return nil, fmt.Errorf("tokens: mint: %w", err)
	}
	b, err := bld.Build()
	if err != nil {
		return nil, fmt.Errorf("tokens: mint: %w", err)
	}
	return b, nil
}

// appendRestriction returns b with one more block restricting r.
func appendRestriction(b *biscuit.Biscuit, r Restriction) (next *biscuit.Biscuit, err error) {
	defer func() {
		if p := recover(); p != nil {
			next, err = nil, fmt.Errorf("%w: cannot append a block (panic)", ErrInvalidToken)
		}
	}()
	bb := b.CreateBlock()
	for _, c := range restrictionChecks(r) {
		if err := bb.AddCheck(c); err != nil {
			return nil, fmt.Errorf("tokens: attenuate: %w", err)
		}
	}
	next, err = b.Append(rand.Reader, bb.Build())
	if err != nil {
		return nil, fmt.Errorf("tokens: attenuate: %w", err)
	}
	return next, nil
}

// lastRevocationID returns the hex revocation id of b's last block.
func lastRevocationID(b *biscuit.Biscuit) string {
	ids := b.RevocationIds()
	return hex.EncodeToString(ids[len(ids)-1])
}

// MintPartner mints a partner token: an authority block naming partnerID,
// usable only on that partner's hosts. It records the block with label.
func (s *Service) MintPartner(ctx context.Context, partnerID, label string) (string, Record, error) {
	if partnerID == "" {
		return "", Record{}, errors.New("tokens: mint: empty partner id")
	}
	b, err := s.newAuthority(partnerID)
	if err != nil {
		return "", Record{}, err
	}
	rec := Record{
		RevocationID: lastRevocationID(b),
		PartnerID:    partnerID,
		Label:        label,
		CreatedAt:    s.timestamp(),
	}
	token, err := encodeToken(b)
	if err != nil {
		return "", Record{}, err
	}
	if err := s.insertRecords(ctx, []Record{rec}); err != nil {
		return "", Record{}, err
	}
	return token, rec, nil
}

// MintSession mints a console session's token: an authority block for
// p.PartnerID and one block restricting r (r.Session set by the caller)
// issued to p. It records both blocks, authority first.
func (s *Service) MintSession(ctx context.Context, p Principal, r Restriction, label string) (string, []Record, error) {
	if p.PartnerID == "" {
		return "", nil, errors.New("tokens: mint session: empty partner id")
	}
	r, err := narrow(Restriction{}, r, s.now())
	if err != nil {
		return "", nil, err
	}
	b, err := s.newAuthority(p.PartnerID)
	if err != nil {
		return "", nil, err
	}
	authority := Record{RevocationID: lastRevocationID(b), PartnerID: p.PartnerID, Label: label, CreatedAt: s.timestamp()}
	b, err = appendRestriction(b, r)
	if err != nil {
		return "", nil, err
	}
	block := Record{
		RevocationID: lastRevocationID(b),
		ParentID:     authority.RevocationID,
		PartnerID:    p.PartnerID,
		CustomerID:   p.CustomerID,
		UserID:       p.UserID,
		Label:        label,
		BlockIndex:   1,
		Restriction:  r,
		CreatedAt:    authority.CreatedAt,
	}
	token, err := encodeToken(b)
	if err != nil {
		return "", nil, err
	}
	recs := []Record{authority, block}
	if err := s.insertRecords(ctx, recs); err != nil {
		return "", nil, err
	}
	return token, recs, nil
}

// Attenuate appends to parent one block restricting r, issued to p, and
// records it. parent must verify, be unrevoked and belong to tenant. The
// block must not widen what parent's recorded blocks allow (blocks appended
// offline are not considered: they only narrow): a refusal is a
// *WidenError naming the field.
func (s *Service) Attenuate(ctx context.Context, parent, tenant string, p Principal, r Restriction, label string) (string, Record, error) {
	v, err := s.load(parent)
	if err != nil {
		return "", Record{}, err
	}
	known, err := s.known(ctx, v)
	if err != nil {
		return "", Record{}, err
	}
	newest := known[len(known)-1]
	if newest.PartnerID != tenant {
		return "", Record{}, fmt.Errorf("tokens: attenuate: %w", ErrUnknownToken)
	}
	if len(v.ids)+1 > MaxBlocks {
		return "", Record{}, fmt.Errorf("%w: already %d blocks", ErrInvalidToken, len(v.ids))
	}
	if p.PartnerID != tenant ||
		(newest.CustomerID != "" && p.CustomerID != newest.CustomerID) ||
		(newest.UserID != "" && p.UserID != newest.UserID) {
		return "", Record{}, widen("Principal", MsgWidenPrincipal)
	}
	now := s.now()
	r, err = narrow(effective(known), r, now)
	if err != nil {
		return "", Record{}, err
	}
	b, err := appendRestriction(v.token, r)
	if err != nil {
		return "", Record{}, err
	}
	rec := Record{
		RevocationID: lastRevocationID(b),
		ParentID:     v.ids[len(v.ids)-1],
		PartnerID:    p.PartnerID,
		CustomerID:   p.CustomerID,
		UserID:       p.UserID,
		Label:        label,
		BlockIndex:   len(v.ids),
		Restriction:  r,
		CreatedAt:    s.timestamp(),
	}
	token, err := encodeToken(b)
	if err != nil {
		return "", Record{}, err
	}
	if err := s.insertRecords(ctx, []Record{rec}); err != nil {
		return "", Record{}, err
	}
	return token, rec, nil
}

// effective folds the restrictions of recorded blocks, in block order, into
// what they allow together.
func effective(recs []Record) Restriction {
	var eff Restriction
	for _, rec := range recs {
		r := rec.Restriction
		if eff.Organisation == "" {
			eff.Organisation = r.Organisation
		}
		if eff.Application == "" {
			eff.Application = r.Application
		}
		if eff.Session == "" {
			eff.Session = r.Session
		}
		eff.Zones = intersect(eff.Zones, r.Zones)
		eff.Operations = intersect(eff.Operations, r.Operations)
		if !r.ExpiresAt.IsZero() && (eff.ExpiresAt.IsZero() || r.ExpiresAt.Before(eff.ExpiresAt)) {
			eff.ExpiresAt = r.ExpiresAt
		}
	}
	return eff
}

// intersect intersects two optional sets, nil meaning "any".
func intersect(a, b []string) []string {
	switch {
	case a == nil:
		return slices.Clone(b)
	case b == nil:
		return a
	}
	out := []string{}
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

// narrow validates r as a block appended under the effective restriction
// parent at now and returns it normalised (sets sorted and deduplicated,
// expiry in UTC truncated to the second). It refuses any widening.
func narrow(parent, r Restriction, now time.Time) (Restriction, error) {
	if r.Operations != nil {
		ops := normalizeSet(r.Operations)
		for _, op := range ops {
			if !validOperation(op) {
				return Restriction{}, widen("Operations", MsgInvalidOperation)
			}
			if parent.Operations != nil && !slices.Contains(parent.Operations, op) {
				return Restriction{}, widen("Operations", MsgWidenOperation)
			}
		}
		r.Operations = ops
	}
	if r.Zones != nil {
		zones := normalizeSet(r.Zones)
		for _, z := range zones {
			if !tenants.ValidZone(z) {
				return Restriction{}, widen("Zones", MsgInvalidZone)
			}
			if parent.Zones != nil && !slices.Contains(parent.Zones, z) {
				return Restriction{}, widen("Zones", MsgWidenZone)
			}
		}
		r.Zones = zones
	}
	if parent.Organisation != "" && r.Organisation != "" && r.Organisation != parent.Organisation {
		return Restriction{}, widen("Organisation", MsgWidenOrganisation)
	}
	if parent.Application != "" && r.Application != "" && r.Application != parent.Application {
		return Restriction{}, widen("Application", MsgWidenApplication)
	}
	if parent.Session != "" && r.Session != "" && r.Session != parent.Session {
		return Restriction{}, widen("Session", MsgWidenSession)
	}
	now = now.UTC().Truncate(time.Second)
	if !parent.ExpiresAt.IsZero() && parent.ExpiresAt.Before(now) {
		return Restriction{}, widen("ExpiresAt", MsgExpiryPast)
	}
	if r.EndWithParent && !parent.ExpiresAt.IsZero() && r.ExpiresAt.After(parent.ExpiresAt) {
		r.ExpiresAt = parent.ExpiresAt
	}
	r.EndWithParent = false
	if !r.ExpiresAt.IsZero() {
		r.ExpiresAt = r.ExpiresAt.UTC().Truncate(time.Second)
		if r.ExpiresAt.Before(now) {
			return Restriction{}, widen("ExpiresAt", MsgExpiryPast)
		}
		if !parent.ExpiresAt.IsZero() && r.ExpiresAt.After(parent.ExpiresAt) {
			return Restriction{}, widen("ExpiresAt", MsgWidenExpiry)
		}
	}
	return r, nil
}

// normalizeSet returns values sorted without duplicates, never nil.
func normalizeSet(values []string) []string {
	out := slices.Clone(values)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
