// Package web holds what both HTTP front doors share: the one mapping from
// domain error codes to HTTP status, and how a request's principal is found.
package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
)

// Status maps a domain error code to its HTTP status. This is the only
// place that does.
func Status(code core.Code) int {
	switch code {
	case core.Invalid:
		return http.StatusUnprocessableEntity
	case core.NotFound:
		return http.StatusNotFound
	case core.Conflict:
		return http.StatusConflict
	case core.Forbidden:
		return http.StatusForbidden
	case core.Unauthenticated:
		return http.StatusUnauthorized
	case core.Locked:
		return http.StatusLocked
	case core.RateLimited:
		return http.StatusTooManyRequests
	case core.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Classify turns any error from a handler into a domain error: Fiber's own
// errors (404 route, 413 body too large, 400 malformed) get Chinese messages.
func Classify(err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case http.StatusNotFound:
			return core.Errorf(core.NotFound, "页面不存在")
		case http.StatusRequestEntityTooLarge:
			return core.Errorf(core.Invalid, "上传内容过大")
		case http.StatusMethodNotAllowed:
			return core.Errorf(core.NotFound, "页面不存在")
		case http.StatusForbidden:
			return core.Errorf(core.Forbidden, "页面已过期或请求无效，请刷新页面后重试")
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			return core.Errorf(core.Invalid, "请求格式有误")
		case http.StatusTooManyRequests:
			return core.Errorf(core.RateLimited, "操作过于频繁，请稍后再试")
		case http.StatusServiceUnavailable:
			return core.Errorf(core.Unavailable, "服务暂时不可用，请稍后再试")
		}
		return core.Wrap(core.Internal, err, "系统内部错误，请稍后再试")
	}
	return err
}

// LogIfInternal logs errors that are the system's fault, never the user's.
func LogIfInternal(log *slog.Logger, c *fiber.Ctx, err error) {
	switch core.ErrorCode(err) {
	case core.Internal, core.Unavailable:
		log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
}

// FieldJSON is a field error in API responses.
type FieldJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ErrorJSON is the body of every API error.
type ErrorJSON struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Fields  []FieldJSON `json:"fields,omitempty"`
}

// WriteJSONError answers an API request with {"code","message"} and the
// matching status.
func WriteJSONError(c *fiber.Ctx, err error) error {
	code := core.ErrorCode(err)
	body := ErrorJSON{Code: string(code), Message: core.ErrorMessage(err)}
	var de *core.Error
	if errors.As(err, &de) && de.Detail != "" {
		body.Code = de.Detail
	}
	for _, f := range core.FieldErrors(err) {
		body.Fields = append(body.Fields, FieldJSON{Field: f.Field, Message: f.Message})
	}
	return c.Status(Status(code)).JSON(body)
}
