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

// bootstrapName names the admin token Bootstrap makes; a rotation replaces the global
// admin tokens of that name.
const bootstrapName = "admin"

// Bootstrap implements API. Without plaintext it creates a random admin token when there
// are no tokens at all (the first start). With plaintext (PYDEPOT_ADMIN_TOKEN) it makes
// sure that this is the admin token: created on the first start, left alone when it
// already is a token, and otherwise rotated in: the global admin tokens named "admin"
// (the earlier bootstrap token) are revoked and plaintext replaces them, with a warning
// in the log. It returns plaintext when it stored it, "" when nothing changed.
func (s *Service) Bootstrap(ctx context.Context, plaintext string) (string, error) {
	given := plaintext != ""
	if !given {
		plaintext = NewTokenSecret()
	} else if len(plaintext) < 16 {
		return "", fmt.Errorf("admin token must be at least 16 characters: %w", errs.ErrInvalid)
	}
	hash := hashToken(plaintext)
	var created, later bool
	var revoked []int64
	err := s.store.InTx(ctx, func(tx metastore.Tx) error {
		created, later, revoked = false, false, nil
		ts, err := tx.Tokens(ctx)
		if err != nil {
			return err
		}
		if len(ts) > 0 {
			if !given {
				return nil
			}
			if t, err := tx.TokenByHash(ctx, hash); err == nil {
				if t.Scope != string(ScopeAdmin) || t.Repository != "" {
					s.log.Warn("PYDEPOT_ADMIN_TOKEN is a stored token without admin rights on every repository; ignored",
						"id", t.ID, "name", t.Name, "scope", t.Scope, "repository", t.Repository)
				}
				return nil // already a token
			} else if !errors.Is(err, errs.ErrNotFound) {
				return err
			}
			later = true
			for _, t := range ts {
				if t.Name == bootstrapName && t.Scope == string(ScopeAdmin) && t.Repository == "" {
					if err := tx.DeleteToken(ctx, t.ID); err != nil {
						return err
					}
					revoked = append(revoked, t.ID)
				}
			}
		}
		created = true
		return tx.CreateToken(ctx, &metastore.Token{Name: bootstrapName, Scope: string(ScopeAdmin), Hash: hash, CreatedAt: s.now()})
	})
	if err != nil || !created {
		return "", err
	}
	switch {
	case later:
		s.log.Warn("admin token rotated: PYDEPOT_ADMIN_TOKEN is not a stored token, so it becomes the admin token and the earlier admin token no longer works",
			"revoked", revoked)
	case given:
		s.log.Info("admin token created from PYDEPOT_ADMIN_TOKEN")
	default:
		s.log.Info("admin token created")
	}
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
