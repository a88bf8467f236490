// Package core holds the domain: types, rules, state machines and use cases.
// It imports no web or database package; front doors and stores depend on it.
package core

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error so that every front door maps it the same way.
type Code string

const (
	Invalid         Code = "INVALID"
	NotFound        Code = "NOT_FOUND"
	Conflict        Code = "CONFLICT"
	Forbidden       Code = "FORBIDDEN"
	Unauthenticated Code = "UNAUTHENTICATED"
	Locked          Code = "LOCKED"
	RateLimited     Code = "RATE_LIMITED"
	Unavailable     Code = "UNAVAILABLE"
	Internal        Code = "INTERNAL"
)

// FieldError is one problem with one input field, worded for the user.
type FieldError struct {
	Field   string
	Message string
}

// Error is the domain error: a code, a Chinese message for the user, the
// per-field problems of a form, and the wrapped cause for the logs.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Detail is an optional machine-readable sub-code (e.g. NOT_BOUND) that
	// an API may expose instead of the generic code.
	Detail string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with a user-facing message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a cause (kept for logs, never shown) to a domain error.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of err, Internal for foreign errors, "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the user-facing message of err; foreign errors get a
// generic message so internals never leak to users.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	switch ErrorCode(err) {
	case NotFound:
		return "记录不存在"
	case Unavailable:
		return "服务暂时不可用，请稍后再试"
	}
	return "系统内部错误，请稍后再试"
}

// FieldErrors returns the per-field problems carried by err, if any.
func FieldErrors(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return ErrorCode(err) == code }

// ErrNotFound is the error every scoped lookup returns for records that do not
// exist or that the principal may not see: both look the same from outside.
func ErrNotFound(what string) *Error {
	return Errorf(NotFound, "%s不存在", what)
}

// Fields collects field errors while a form or an Excel row is validated, so
// the user sees every problem at once.
type Fields struct {
	list []FieldError
}

// Add records a problem with field; the first problem per field wins.
func (f *Fields) Add(field, format string, args ...any) {
	for _, e := range f.list {
		if e.Field == field {
			return
		}
	}
	f.list = append(f.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether field already has a problem.
func (f *Fields) Has(field string) bool {
	for _, e := range f.list {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Empty reports whether nothing was wrong.
func (f *Fields) Empty() bool { return len(f.list) == 0 }

// List returns the problems in the order they were found.
func (f *Fields) List() []FieldError { return f.list }

// Err returns an Invalid error carrying every field problem, or nil.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	msg := "提交的信息有误，请按提示修改"
	if len(f.list) == 1 {
		msg = f.list[0].Message
	}
	return &Error{Code: Invalid, Message: msg, Fields: append([]FieldError(nil), f.list...)}
}
