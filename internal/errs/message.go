package errs

import "strings"

// Message returns err's text for a person. Wrapping a category with "...: %w" appends
// its name (": invalid"), which serves errors.Is but tells a reader nothing the message
// before it does not; Message drops such trailing category names.
func Message(err error) string {
	msg := err.Error()
	for trimmed := true; trimmed; {
		trimmed = false
		for _, cat := range []error{ErrInvalid, ErrNotFound, ErrConflict, ErrUnauthorized, ErrForbidden, ErrTooLarge} {
			if s, ok := strings.CutSuffix(msg, ": "+cat.Error()); ok {
				msg, trimmed = s, true
			}
		}
	}
	return msg
}
