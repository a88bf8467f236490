package core

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date in China ("2026-11-25"); "" means no date.
// As a string it sorts and compares correctly, which the stores rely on.
type Date string

// DateOf returns the date of t in China.
func DateOf(t time.Time) Date { return Date(t.In(China).Format("2006-01-02")) }

// String returns the date as YYYY-MM-DD.
func (d Date) String() string { return string(d) }

// Today returns the current date in China on clock c.
func Today(c Clock) Date { return DateOf(c.Now()) }

// Time returns midnight of d in China.
func (d Date) Time() time.Time {
	t, err := time.ParseInLocation("2006-01-02", string(d), China)
	if err != nil {
		return time.Time{}
	}
	return t
}

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date {
	if d == "" {
		return ""
	}
	return DateOf(d.Time().AddDate(0, 0, n))
}

// DaysSince returns the whole days from other to d (d - other).
func (d Date) DaysSince(other Date) int {
	return int(d.Time().Sub(other.Time()).Round(24*time.Hour) / (24 * time.Hour))
}

// Valid reports whether d is a real date (or empty).
func (d Date) Valid() bool {
	if d == "" {
		return true
	}
	t, err := time.Parse("2006-01-02", string(d))
	return err == nil && t.Format("2006-01-02") == string(d)
}

var (
	reDateSep = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)
	reDate8   = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
)

// ParseDate accepts the ways people type dates: 2021-03-05, 2021/3/5,
// 2021.3.5, 2021年3月5日, 20210305, with full-width digits and blanks.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(NormalizeWidth(s))
	if s == "" {
		return "", nil
	}
	m := reDateSep.FindStringSubmatch(s)
	if m == nil {
		m = reDate8.FindStringSubmatch(s)
	}
	if m == nil {
		// 2021-03-05 00:00:00 and similar date-times keep their date.
		if len(s) > 10 {
			if d, err := ParseDate(s[:10]); err == nil && strings.TrimSpace(s[10:]) != "" && strings.ContainsAny(s[10:], ":") {
				return d, nil
			}
		}
		return "", fmt.Errorf("无法识别的日期：%s", s)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	out := Date(fmt.Sprintf("%04d-%02d-%02d", y, mo, d))
	if !out.Valid() || y < 1900 || y > 2200 {
		return "", fmt.Errorf("日期不存在：%s", s)
	}
	return out, nil
}
