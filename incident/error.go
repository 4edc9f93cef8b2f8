package incident

import (
	"errors"
	"fmt"
)

// Error codes say which kind of failure an error is, so that callers can
// decide what to tell a user without matching strings.
const (
	EINVALID  = "invalid"   // the user's input is wrong; the message says how to fix it
	ENOTFOUND = "not_found" // the thing asked for does not exist
	ECONFLICT = "conflict"  // the request clashes with the current state
	EINTERNAL = "internal"  // anything else: logged in full, shown as "internal error"
	// EUNAVAILABLE: the bot cannot save anything at the moment (its store
	// failed to write). The request was not saved, and the bot is about to
	// restart, so the user should try again shortly.
	EUNAVAILABLE = "unavailable"
)

// ErrNotSaved is the error of every request that needed a commit after the
// store failed to write. Nothing of the request was kept: a failed commit
// stops the process before any later commit can run.
var ErrNotSaved = &Error{Code: EUNAVAILABLE, Message: "Not saved: the bot's store cannot write (disk full or failing). Please try again in a minute."}

// Error is an application error: a machine-readable code and a message fit to
// show to the user who caused it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the *Error's own
// message, or a generic one for internal errors, whose details are for logs.
// An internal error may strike after part of a request was saved, so the
// generic message never promises that nothing was lost.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side (internal error), so your request may not have been saved. Please check, then try again."
}
