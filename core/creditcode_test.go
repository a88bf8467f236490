package core

import "testing"

func TestCheckCreditCode(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		want     string
	}{
		{"Huawei", "914403001922038216", true, ""},
		{"Tencent", "91440300708461136T", true, ""},
		{"Alibaba China", "91330100799655058B", true, ""},
		{"GB 32100 sample", "91350100M000100Y43", true, ""},
		{"full-width and lower case pasted", "９１４４０３００１９２２０３８２１６", true, ""},
		{"lower case", "91440300708461136t", true, ""},
		{"empty", "", false, "请输入统一社会信用代码"},
		{"too short", "91440300708461136", false, "统一社会信用代码应为 18 位"},
		{"too long", "91440300708461136TT", false, "统一社会信用代码应为 18 位"},
		{"forbidden letter I", "91440300708461I36T", false, "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）"},
		{"forbidden letter O", "9144030070846113OT", false, "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）"},
		{"letter in region part", "9144A300708461136T", false, "统一社会信用代码第 3–8 位应为行政区划数字代码"},
		{"wrong check character", "914403001922038217", false, "统一社会信用代码校验位不正确，请核对营业执照上的代码"},
		{"transposed digits", "914403001922083216", false, "统一社会信用代码校验位不正确，请核对营业执照上的代码"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckCreditCode(NormalizeCreditCode(tt.in))
			if (got == "") != tt.ok || got != tt.want {
				t.Errorf("CheckCreditCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// ValidCreditCode builds codes for tests elsewhere: it completes 17 characters
// with their check character.
func TestCreditCodeCheckCharacterIsComputedNotLookedUp(t *testing.T) {
	base := "91440101MA5"
	for i := 0; i < 50; i++ {
		c := CompleteCreditCode(base + "C" + string(creditCodeAlphabet[i%31]) + "0000")
		if msg := CheckCreditCode(c); msg != "" {
			t.Fatalf("%s: %s", c, msg)
		}
	}
}
