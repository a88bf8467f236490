package account

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gdqjp/qj/core"
)

var (
	reLogin  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{3,31}$`)
	reMobile = regexp.MustCompile(`^1[3-9]\d{9}$`)
	reLand   = regexp.MustCompile(`^0\d{2,3}-?\d{7,8}(-\d{1,6})?$`)
)

// CheckLogin validates an account name. Names start with a letter so they
// can never collide with a sub-user's phone number.
func CheckLogin(s string) string {
	switch {
	case s == "":
		return "请输入账号"
	case !reLogin.MatchString(s):
		return "账号须以字母开头，由 4–32 位字母、数字、下划线、点或短横线组成"
	}
	return ""
}

// CheckPassword enforces the password policy.
func CheckPassword(pw, login string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case pw == "":
		return "请输入密码"
	case n < 8 || n > 32:
		return "密码长度须为 8–32 位"
	case strings.EqualFold(pw, login):
		return "密码不能与账号相同"
	}
	var letter, digit bool
	for _, r := range pw {
		switch {
		case r > unicode.MaxASCII || unicode.IsSpace(r):
			return "密码只能包含字母、数字和英文符号，不能有空格"
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	if !letter || !digit {
		return "密码须同时包含字母和数字"
	}
	return ""
}

// NormalizePhone folds full-width digits and strips blanks.
func NormalizePhone(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(core.NormalizeWidth(s)), " ", "")
}

// CheckMobile validates a mainland mobile number.
func CheckMobile(s string) string {
	switch {
	case s == "":
		return "请输入手机号码"
	case !reMobile.MatchString(s):
		return "请输入正确的 11 位手机号码"
	}
	return ""
}

// CheckContactPhone accepts a mobile or a landline number with area code.
func CheckContactPhone(s string) string {
	switch {
	case s == "":
		return "请输入联系电话"
	case !reMobile.MatchString(s) && !reLand.MatchString(s):
		return "请输入正确的手机号码或带区号的固定电话（如 020-12345678）"
	}
	return ""
}

// checkText validates a required free-text field's length.
func checkText(f *core.Fields, field, label, v string, min, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0:
		f.Add(field, "请输入%s", label)
	case n < min:
		f.Add(field, "%s至少 %d 个字", label, min)
	case n > max:
		f.Add(field, "%s不能超过 %d 个字", label, max)
	}
}
