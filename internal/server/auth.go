package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// credentials returns the API token a request carries: the password of HTTP Basic (the
// username is "__token__" by convention and not checked, as pip may send another one from
// netrc) or an "Authorization: Bearer" token. ok is false without credentials.
func credentials(r *http.Request) (token string, ok bool) {
	if _, pw, ok := r.BasicAuth(); ok {
		return pw, pw != ""
	}
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		t := strings.TrimSpace(h[7:])
		return t, t != ""
	}
	return "", false
}

// token authenticates the request; nil (and no error) when it carries no credentials.
func (s *server) token(r *http.Request) (*index.Token, error) {
	plain, ok := credentials(r)
	if !ok {
		return nil, nil
	}
	t, err := s.api.Authenticate(r.Context(), plain)
	if errors.Is(err, errs.ErrUnauthorized) {
		// The domain's "invalid token" would only repeat "not valid".
		return nil, fmt.Errorf("the API token is not valid (mistyped, revoked, or of another server): %w", errs.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("checking the API token: %w", err)
	}
	return t, nil
}

// authorize demands a token that may do action on repo ("" for a global action), as
// index.Authorize decides: 401 without one, 403 when it does not grant the action.
func (s *server) authorize(r *http.Request, action index.Action, repo string) error {
	t, err := s.token(r)
	if err != nil {
		return err
	}
	return index.Authorize(t, action, repo)
}
