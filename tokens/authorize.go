package tokens

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/biscuit-auth/biscuit-go/v2"
)

// load returns the verified token of text, from the cache when present.
// Its errors wrap ErrInvalidToken.
func (s *Service) load(token string) (*verified, error) {
	key := s.cacheKey(token)
	if v := s.cache.get(key, s.now()); v != nil {
		return v, nil
	}
	v, err := s.parse(token)
	if err != nil {
		return nil, err
	}
	v.key = key
	return v, nil
}

// cacheKey returns the cache key of a token's text.
func (s *Service) cacheKey(token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(normalize(token)))
}

// remember caches v until the earliest recorded expiry, at most CacheTTL.
func (s *Service) remember(v *verified, eff Restriction) {
	if !v.expires.IsZero() {
		return // already cached
	}
	exp := s.now().Add(CacheTTL)
	if !eff.ExpiresAt.IsZero() && eff.ExpiresAt.Before(exp) {
		exp = eff.ExpiresAt
	}
	s.cache.put(v.key, &verified{token: v.token, ids: v.ids, key: v.key, expires: exp})
}

// known returns the records of v's blocks the store knows, in block order.
// It refuses (ErrInvalidToken) a token whose authority block is not
// recorded or whose records disagree with the token, and (ErrRevoked) one
// with a revoked block.
func (s *Service) known(ctx context.Context, v *verified) ([]Record, error) {
	byID, err := s.recordsByID(ctx, v.ids)
	if err != nil {
		return nil, err
	}
	authority, ok := byID[v.ids[0]]
	if !ok || authority.BlockIndex != 0 {
		return nil, fmt.Errorf("%w: unknown to the portal", ErrInvalidToken)
	}
	recs := make([]Record, 0, len(byID))
	for i, id := range v.ids {
		rec, ok := byID[id]
		if !ok {
			continue // appended offline: it only narrows
		}
		if rec.BlockIndex != i || rec.PartnerID != authority.PartnerID {
			return nil, fmt.Errorf("%w: records disagree with the token", ErrInvalidToken)
		}
		if rec.RevokedAt != nil {
			return nil, fmt.Errorf("%w: block %d", ErrRevoked, rec.BlockIndex)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// identify verifies token and reads who it speaks for from the store.
func (s *Service) identify(ctx context.Context, token string) (*verified, Identity, error) {
	v, err := s.load(token)
	if err != nil {
		return nil, Identity{}, err
	}
	recs, err := s.known(ctx, v)
	if err != nil {
		return nil, Identity{}, err
	}
	eff := effective(recs)
	s.remember(v, eff)
	newest := recs[len(recs)-1]
	return v, Identity{
		PartnerID:     newest.PartnerID,
		CustomerID:    newest.CustomerID,
		UserID:        newest.UserID,
		Record:        newest,
		Restriction:   eff,
		RevocationIDs: append([]string(nil), v.ids...),
	}, nil
}

// Identify returns who token speaks for (the newest block the store knows)
// without authorizing any request, so that a caller can name the ambient
// facts of a request that does not say them itself: the organisation of a
// customer's "list my organisations", say. Its errors wrap ErrInvalidToken
// or ErrRevoked. It never grants anything: only Authorize does.
func (s *Service) Identify(ctx context.Context, token string) (Identity, error) {
	_, id, err := s.identify(ctx, token)
	return id, err
}

// Authorize checks that token allows req and returns who it speaks for.
// Its errors wrap exactly one of ErrInvalidToken (malformed, unverifiable
// or unknown token), ErrRevoked (a block is revoked, checked on every call)
// and ErrDenied (the datalog checks or policies refuse the request).
func (s *Service) Authorize(ctx context.Context, token string, req Request) (Identity, error) {
	v, id, err := s.identify(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	if !validOperation(req.Operation) {
		return Identity{}, fmt.Errorf("%w: unknown operation %q", ErrDenied, req.Operation)
	}
	if req.Time.IsZero() {
		req.Time = s.now()
	}
	if err := s.runAuthorizer(v.token, req); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// ambientFacts returns the authorizer's facts for req.
func ambientFacts(req Request) []biscuit.Fact {
	fact := func(name string, term biscuit.Term) biscuit.Fact {
		return biscuit.Fact{Predicate: pred(name, term)}
	}
	facts := []biscuit.Fact{
		fact(predTenant, biscuit.String(req.Tenant)),
		fact(predOperation, biscuit.String(req.Operation)),
		fact(predTime, biscuit.Date(req.Time.UTC().Truncate(time.Second))),
	}
	if req.Organisation != "" {
		facts = append(facts, fact(predOrganisation, biscuit.String(req.Organisation)))
	}
	if req.Application != "" {
		facts = append(facts, fact(predApplication, biscuit.String(req.Application)))
	}
	if req.Session != "" {
		facts = append(facts, fact(predSession, biscuit.String(req.Session)))
	}
	if req.Zone != "" {
		facts = append(facts, fact(predZone, biscuit.String(req.Zone)))
	} else {
		facts = append(facts, fact(predZoneFree, biscuit.Bool(true)))
	}
	return facts
}

// runAuthorizer runs the datalog authorization of b for req, turning a
// panic of biscuit-go into ErrInvalidToken and a refusal into ErrDenied.
func (s *Service) runAuthorizer(b *biscuit.Biscuit, req Request) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: authorization failed (panic)", ErrInvalidToken)
		}
	}()
	a, err := biscuit.NewVerifier(b, s.worldOptions())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	for _, f := range ambientFacts(req) {
		a.AddFact(f)
	}
	for _, p := range s.policies {
		a.AddPolicy(p)
	}
	if err := a.Authorize(); err != nil {
		return fmt.Errorf("%w: %v", ErrDenied, err)
	}
	return nil
}
