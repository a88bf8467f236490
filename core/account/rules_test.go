package account

import "testing"

func TestCheckLogin(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"demo-applicant", ""},
		{"abc.d_e", ""},
		{"", "请输入账号"},
		{"abc", "账号须以字母开头，由 4–32 位字母、数字、下划线、点或短横线组成"},
		{"13800138000", "账号须以字母开头，由 4–32 位字母、数字、下划线、点或短横线组成"},
		{"张三公司", "账号须以字母开头，由 4–32 位字母、数字、下划线、点或短横线组成"},
		{"a234567890123456789012345678901234", "账号须以字母开头，由 4–32 位字母、数字、下划线、点或短横线组成"},
	}
	for _, tt := range tests {
		if got := CheckLogin(tt.in); got != tt.want {
			t.Errorf("CheckLogin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, login, want string
	}{
		{"Demo@12345", "demo", ""},
		{"abcd1234", "x", ""},
		{"", "x", "请输入密码"},
		{"ab12", "x", "密码长度须为 8–32 位"},
		{"abcdefgh", "x", "密码须同时包含字母和数字"},
		{"12345678", "x", "密码须同时包含字母和数字"},
		{"abcd 1234", "x", "密码只能包含字母、数字和英文符号，不能有空格"},
		{"密码abcd1234", "x", "密码只能包含字母、数字和英文符号，不能有空格"},
		{"Company1", "company1", "密码不能与账号相同"},
	}
	for _, tt := range tests {
		if got := CheckPassword(tt.pw, tt.login); got != tt.want {
			t.Errorf("CheckPassword(%q) = %q, want %q", tt.pw, got, tt.want)
		}
	}
}

func TestPhones(t *testing.T) {
	tests := []struct {
		in              string
		mobile, contact bool
	}{
		{"13800138000", true, true},
		{"１３８００１３８０００", true, true},
		{"020-83888888", false, true},
		{"0757-2288888", false, true},
		{"02083888888", false, true},
		{"12800138000", false, false},
		{"1380013800", false, false},
		{"abc", false, false},
	}
	for _, tt := range tests {
		p := NormalizePhone(tt.in)
		if got := CheckMobile(p) == ""; got != tt.mobile {
			t.Errorf("CheckMobile(%q) ok = %v", tt.in, got)
		}
		if got := CheckContactPhone(p) == ""; got != tt.contact {
			t.Errorf("CheckContactPhone(%q) ok = %v", tt.in, got)
		}
	}
}
