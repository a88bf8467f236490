package core

import "testing"

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2021-03-05", "2021-03-05", true},
		{"2021/3/5", "2021-03-05", true},
		{"2021.3.5", "2021-03-05", true},
		{"2021年3月5日", "2021-03-05", true},
		{"2021 年 3 月 5 日", "2021-03-05", true},
		{"20210305", "2021-03-05", true},
		{"２０２１－０３－０５", "2021-03-05", true},
		{" 2021-03-05 ", "2021-03-05", true},
		{"2021-03-05 00:00:00", "2021-03-05", true},
		{"", "", true},
		{"2021-02-30", "", false},
		{"2021-13-01", "", false},
		{"05/03/2021", "", false},
		{"明天", "", false},
		{"0210-03-05", "", false},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	d := Date("2026-11-25")
	if d.AddDays(30) != "2026-12-25" || d.AddDays(-31) != "2026-10-25" || d.AddDays(7) != "2026-12-02" {
		t.Error("AddDays")
	}
	if Date("2026-12-25").DaysSince(d) != 30 || d.DaysSince("2026-11-15") != 10 {
		t.Error("DaysSince")
	}
}
