// Package errs holds the few error categories that every pydepot package wraps.
//
// Domain errors wrap one of these with fmt.Errorf("...: %w", errs.ErrInvalid) and
// callers test them with errors.Is. The HTTP layer maps each category to a status in
// exactly one place (internal/server); nothing else chooses a status.
package errs

import (
	"errors"
	"syscall"
)

var (
	// ErrInvalid: the input is malformed or breaks a rule. HTTP 400.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: the thing asked for does not exist (or is invisible to the caller). HTTP 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request clashes with what is stored (a name taken, a file
	// already present with other content). HTTP 409, except where a protocol
	// dictates another status (the legacy upload API answers 400).
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized: no credentials, or credentials that are not valid. HTTP 401.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: valid credentials that do not grant this action. HTTP 403.
	ErrForbidden = errors.New("forbidden")
	// ErrTooLarge: a body, file or archive member over its limit. HTTP 413.
	ErrTooLarge = errors.New("too large")
	// ErrStorageFull: the server has no space left to store what it was given (a full disk
	// or quota). HTTP 507. The OS says so with ENOSPC or EDQUOT, which IsStorageFull
	// recognizes without any wrapping.
	ErrStorageFull = errors.New("storage full")
)

// IsStorageFull reports whether err wraps ErrStorageFull, or an ENOSPC or EDQUOT from the
// operating system (a write to a full file system or over a quota).
func IsStorageFull(err error) bool {
	return errors.Is(err, ErrStorageFull) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
