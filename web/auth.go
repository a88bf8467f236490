package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gdqjp/qj/core"
)

const principalKey = "qj.principal"

// SetPrincipal stores the acting principal of the request.
func SetPrincipal(c *fiber.Ctx, p core.Principal) { c.Locals(principalKey, p) }

// PrincipalOf returns the acting principal (Anonymous when none).
func PrincipalOf(c *fiber.Ctx) core.Principal {
	if p, ok := c.Locals(principalKey).(core.Principal); ok {
		return p
	}
	return core.Anonymous
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// LimitBody refuses request bodies larger than n bytes before a handler
// reads them (the app-wide limit is the largest any route allows).
func LimitBody(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if cl := c.Request().Header.ContentLength(); cl > n || len(c.Request().Body()) > n {
			return core.Errorf(core.Invalid, "提交的内容过大（不能超过 %dM）", n>>20)
		}
		return c.Next()
	}
}
