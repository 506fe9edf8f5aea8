package tokens

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/biscuit-auth/biscuit-go/v2"
	"github.com/biscuit-auth/biscuit-go/v2/pb"
	"google.golang.org/protobuf/proto"
)

// tokenPrefix is an optional prefix of a token's text.
const tokenPrefix = "biscuit:"

// encodeToken returns the text of a serialized token: padded base64url.
func encodeToken(b *biscuit.Biscuit) (string, error) {
	data, err := b.Serialize()
	if err != nil {
		return "", fmt.Errorf("tokens: serialize: %w", err)
	}
	return base64.URLEncoding.EncodeToString(data), nil
}

// normalize strips surrounding whitespace and the optional prefix.
func normalize(token string) string {
	token = strings.TrimSpace(token)
	token = strings.TrimPrefix(token, tokenPrefix)
	return strings.TrimSpace(token)
}

// decodeBytes decodes a token's text (base64url, padded or not) into its
// serialized form, refusing anything larger than maxSize bytes before
// decoding it.
func decodeBytes(token string, maxSize int) ([]byte, error) {
	token = normalize(token)
	if token == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	if len(token) > base64.URLEncoding.EncodedLen(maxSize) {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidToken, maxSize)
	}
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(token, "="))
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrInvalidToken)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidToken, maxSize)
	}
	return data, nil
}

// precheck decodes the token's protobuf container (which does not panic)
// and refuses, before biscuit-go parses anything, what it would choke on or
// what this package does not support: missing keys or signatures, more than
// MaxBlocks blocks, datalog rules (only facts and checks are allowed, so no
// block can make the datalog engine loop), and fields biscuit-go v2.2.0
// does not know (third-party blocks, scopes), which it would ignore.
func precheck(data []byte) (*pb.Biscuit, error) {
	var container pb.Biscuit
	if err := proto.Unmarshal(data, &container); err != nil {
		return nil, fmt.Errorf("%w: malformed container", ErrInvalidToken)
	}
	if len(container.Blocks)+1 > MaxBlocks {
		return nil, fmt.Errorf("%w: more than %d blocks", ErrInvalidToken, MaxBlocks)
	}
	if container.Proof == nil || hasUnknown(&container) || hasUnknown(container.Proof) {
		return nil, fmt.Errorf("%w: malformed container", ErrInvalidToken)
	}
	signed := append([]*pb.SignedBlock{container.Authority}, container.Blocks...)
	for i, sb := range signed {
		if sb == nil || sb.NextKey == nil || sb.NextKey.Algorithm == nil ||
			*sb.NextKey.Algorithm != pb.PublicKey_Ed25519 || len(sb.NextKey.Key) != ed25519.PublicKeySize ||
			len(sb.Signature) != ed25519.SignatureSize || hasUnknown(sb) || hasUnknown(sb.NextKey) {
			return nil, fmt.Errorf("%w: block %d: malformed signature", ErrInvalidToken, i)
		}
		var block pb.Block
		if err := proto.Unmarshal(sb.Block, &block); err != nil || hasUnknown(&block) {
			return nil, fmt.Errorf("%w: block %d: malformed", ErrInvalidToken, i)
		}
		if len(block.RulesV2) > 0 {
			return nil, fmt.Errorf("%w: block %d: rules are not allowed", ErrInvalidToken, i)
		}
	}
	return &container, nil
}

// hasUnknown reports whether m carries fields this version does not know.
func hasUnknown(m proto.Message) bool {
	return len(m.ProtoReflect().GetUnknown()) > 0
}

// revocationIDs returns the hex revocation ids of the container's blocks.
func revocationIDs(c *pb.Biscuit) []string {
	ids := make([]string, 0, len(c.Blocks)+1)
	ids = append(ids, hex.EncodeToString(c.Authority.Signature))
	for _, b := range c.Blocks {
		ids = append(ids, hex.EncodeToString(b.Signature))
	}
	return ids
}

// unmarshal parses a prechecked token, turning a panic of biscuit-go into
// ErrInvalidToken.
func unmarshal(data []byte) (b *biscuit.Biscuit, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%w: unparsable (panic)", ErrInvalidToken)
		}
	}()
	b, err = biscuit.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return b, nil
}

// errUntrusted reports a token no trusted key verifies.
var errUntrusted = errors.New("no trusted key verifies the token")

// verify checks the token's signature chain against each trusted key.
func (s *Service) verify(b *biscuit.Biscuit) error {
	for _, root := range s.keys.trusted {
		if ok := verifyWith(b, root, s.worldOptions()); ok {
			return nil
		}
	}
	return fmt.Errorf("%w: %v", ErrInvalidToken, errUntrusted)
}

// verifyWith reports whether the token verifies with root, recovering a
// panic of biscuit-go as a failure.
func verifyWith(b *biscuit.Biscuit, root ed25519.PublicKey, opt biscuit.AuthorizerOption) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	_, err := b.Authorizer(root, opt)
	return err == nil
}

// parse decodes, prechecks, parses and verifies a token.
func (s *Service) parse(token string) (*verified, error) {
	data, err := decodeBytes(token, s.maxSize)
	if err != nil {
		return nil, err
	}
	container, err := precheck(data)
	if err != nil {
		return nil, err
	}
	b, err := unmarshal(data)
	if err != nil {
		return nil, err
	}
	if err := s.verify(b); err != nil {
		return nil, err
	}
	return &verified{token: b, ids: revocationIDs(container)}, nil
}
