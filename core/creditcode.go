package core

import "strings"

// The GB 32100-2015 alphabet: digits and capitals without I, O, Z, S, V.
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// NormalizeCreditCode trims, converts full-width characters and upper-cases,
// the way users paste codes from scanned licences.
func NormalizeCreditCode(s string) string {
	return strings.ToUpper(strings.ReplaceAll(NormalizeWidth(strings.TrimSpace(s)), " ", ""))
}

// CheckCreditCode validates a normalized unified social credit code
// (统一社会信用代码) and returns a Chinese message for the first problem, or "".
func CheckCreditCode(code string) string {
	if code == "" {
		return "请输入统一社会信用代码"
	}
	if len([]rune(code)) != 18 {
		return "统一社会信用代码应为 18 位"
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(creditCodeAlphabet, code[i])
		if v < 0 {
			return "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）"
		}
		if i >= 2 && i < 8 && v > 9 {
			return "统一社会信用代码第 3–8 位应为行政区划数字代码"
		}
		if i < 17 {
			sum += v * creditCodeWeights[i]
		} else {
			want := (31 - sum%31) % 31
			if v != want {
				return "统一社会信用代码校验位不正确，请核对营业执照上的代码"
			}
		}
	}
	return ""
}

// NormalizeWidth converts full-width ASCII (Ｕ, １, 　) to half-width.
func NormalizeWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= '\uff01' && r <= '\uff5e':
			return r - 0xfee0
		}
		return r
	}, s)
}

// CompleteCreditCode appends the check character to the first 17 characters
// of a code (for demo data and tests).
func CompleteCreditCode(first17 string) string {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(creditCodeAlphabet, first17[i]) * creditCodeWeights[i]
	}
	return first17 + string(creditCodeAlphabet[(31-sum%31)%31])
}
