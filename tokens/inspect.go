package tokens

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/biscuit-auth/biscuit-go/v2"
	"github.com/biscuit-auth/biscuit-go/v2/pb"
	"google.golang.org/protobuf/proto"
)

// Inspect describes token's blocks: their datalog, revocation ids, and,
// when the signatures verify with a trusted key, the store's record and
// status of each. A token that does not decode answers ErrInvalidToken; one
// that decodes but does not verify is described with Valid false and no
// records (so that a forged token cannot read another partner's records).
func (s *Service) Inspect(ctx context.Context, token string) (Inspection, error) {
	data, err := decodeBytes(token, s.maxSize)
	if err != nil {
		return Inspection{}, err
	}
	container, err := precheck(data)
	if err != nil {
		return Inspection{}, err
	}
	b, err := unmarshal(data)
	if err != nil {
		return Inspection{}, err
	}
	sources, err := blockSources(container)
	if err != nil {
		return Inspection{}, err
	}
	ids := revocationIDs(container)
	ins := Inspection{Valid: s.verify(b) == nil, Blocks: make([]BlockInfo, len(ids))}
	var byID map[string]Record
	if ins.Valid {
		if byID, err = s.recordsByID(ctx, ids); err != nil {
			return Inspection{}, err
		}
	}
	now := s.now()
	for i, id := range ids {
		info := BlockInfo{Index: i, Datalog: sources[i], RevocationID: id, Status: StatusUnknown}
		if rec, ok := byID[id]; ok {
			info.Record = &rec
			info.ExpiresAt = rec.Restriction.ExpiresAt
			switch {
			case rec.RevokedAt != nil:
				info.Status = StatusRevoked
			case !rec.Restriction.ExpiresAt.IsZero() && now.After(rec.Restriction.ExpiresAt):
				info.Status = StatusExpired
			default:
				info.Status = StatusActive
			}
		}
		ins.Blocks[i] = info
	}
	return ins, nil
}

// blockSources returns the datalog source of every block, authority first,
// as biscuit-go prints it. biscuit-go only prints the blocks after the
// authority, so the token is re-read behind an empty authority block, which
// keeps every symbol's index.
func blockSources(c *pb.Biscuit) (sources []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			sources, err = nil, fmt.Errorf("%w: unprintable (panic)", ErrInvalidToken)
		}
	}()
	empty, err := proto.Marshal(&pb.Block{Version: proto.Uint32(biscuit.MaxSchemaVersion)})
	if err != nil {
		return nil, fmt.Errorf("tokens: inspect: %w", err)
	}
	alg := pb.PublicKey_Ed25519
	shifted := &pb.Biscuit{
		Authority: &pb.SignedBlock{
			Block:     empty,
			NextKey:   &pb.PublicKey{Algorithm: &alg, Key: make([]byte, ed25519.PublicKeySize)},
			Signature: make([]byte, ed25519.SignatureSize),
		},
		Blocks: append([]*pb.SignedBlock{c.Authority}, c.Blocks...),
		Proof:  c.Proof,
	}
	data, err := proto.Marshal(shifted)
	if err != nil {
		return nil, fmt.Errorf("tokens: inspect: %w", err)
	}
	b, err := biscuit.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return b.Code(), nil
}
