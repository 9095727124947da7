package index

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// TokenPrefix starts every generated token.
const TokenPrefix = "pyd_"

// NewTokenSecret returns a new random token: TokenPrefix and 32 random bytes in base64url.
func NewTokenSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(plaintext string) []byte {
	h := sha256.Sum256([]byte(plaintext))
	return h[:]
}

func tokenOut(t *metastore.Token) *Token {
	return &Token{ID: t.ID, Name: t.Name, Scope: Scope(t.Scope), Repository: t.Repository, CreatedAt: t.CreatedAt}
}

// Bootstrap implements API.
func (s *Service) Bootstrap(ctx context.Context, plaintext string) (string, error) {
	if plaintext == "" {
		plaintext = NewTokenSecret()
	} else if len(plaintext) < 16 {
		return "", fmt.Errorf("admin token must be at least 16 characters: %w", errs.ErrInvalid)
	}
	created := false
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		ts, err := tx.Tokens(ctx)
		if err != nil || len(ts) > 0 {
			return err
		}
		created = true
		return tx.CreateToken(ctx, &metastore.Token{Name: "admin", Scope: string(ScopeAdmin), Hash: hashToken(plaintext), CreatedAt: s.now()})
	})
	if err != nil || !created {
		return "", err
	}
	s.log.Info("admin token created")
	return plaintext, nil
}

// CreateToken implements API; it returns the plaintext, which is never stored.
func (s *Service) CreateToken(ctx context.Context, name string, scope Scope, repo string) (string, *Token, error) {
	switch scope {
	case ScopeRead, ScopeUpload, ScopeAdmin:
	default:
		return "", nil, fmt.Errorf("token scope %q: use read, upload or admin: %w", scope, errs.ErrInvalid)
	}
	if name == "" {
		return "", nil, fmt.Errorf("token name is empty: %w", errs.ErrInvalid)
	}
	plaintext := NewTokenSecret()
	row := &metastore.Token{Name: name, Scope: string(scope), Repository: repo, Hash: hashToken(plaintext), CreatedAt: s.now()}
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		if repo != "" {
			if _, err := tx.Repository(ctx, repo); err != nil {
				return err
			}
		}
		return tx.CreateToken(ctx, row)
	})
	if err != nil {
		return "", nil, err
	}
	s.log.Info("token created", "id", row.ID, "name", name, "scope", scope, "repository", repo)
	return plaintext, tokenOut(row), nil
}

// Authenticate implements API.
func (s *Service) Authenticate(ctx context.Context, plaintext string) (*Token, error) {
	if plaintext == "" {
		return nil, fmt.Errorf("no token: %w", errs.ErrUnauthorized)
	}
	h := hashToken(plaintext)
	t, err := s.store.TokenByHash(ctx, h)
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return nil, err
	}
	if err != nil || subtle.ConstantTimeCompare(t.Hash, h) != 1 {
		return nil, fmt.Errorf("invalid token: %w", errs.ErrUnauthorized)
	}
	return tokenOut(t), nil
}

// Tokens implements API.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) {
	ts, err := s.store.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Token, len(ts))
	for i := range ts {
		out[i] = *tokenOut(&ts[i])
	}
	return out, nil
}

// RevokeToken implements API.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	err := s.store.InTx(ctx, func(tx metastore.Tx) error { return tx.DeleteToken(ctx, id) })
	if err == nil {
		s.log.Info("token revoked", "id", id)
	}
	return err
}
