package excelio

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

// Sheet names of the files this package writes.
const (
	sheetInstruments = "仪器信息"
	sheetLocations   = "更新地址"
	sheetNozzles     = "更换加油枪"
	sheetGuide       = "填写说明"
	sheetOptions     = "下拉选项"
	sheetReport      = "导入错误"
)

// Field keys beyond the instrument columns (instrument.Columns[i].Key).
const (
	keyCode      = "code"      // 器具编码
	keyNozzleNo  = "nozzleNo"  // 枪号
	keyFuel      = "fuel"      // 油品
	keyFlowRange = "flowRange" // 流量范围
	keyError     = "error"     // 错误信息 of an error report
	keyReadOnly  = "readOnly"  // export columns an import ignores
)

// Labels of the columns beyond the instrument columns.
const (
	labelCode      = "器具编码"
	labelNozzleNo  = "枪号"
	labelFuel      = "油品"
	labelFlowRange = "流量范围"
	labelError     = "错误信息"
)

// readOnlyLabels are the export columns after the import columns, in order.
var readOnlyLabels = []string{"种别名称", "类别", "所属地名称", "检定机构", labelCode, "备案状态", "溯源状态", "状态", "加油枪"}

// headerFields maps a normalised header text to its field key. Besides the
// labels, it knows the names people and older templates use for the codes.
var headerFields = func() map[string]string {
	m := map[string]string{}
	for _, c := range instrument.Columns {
		m[headerKey(c.Label)] = c.Key
	}
	for _, l := range readOnlyLabels {
		m[headerKey(l)] = keyReadOnly
	}
	for key, names := range map[string][]string{
		"category":   {"种别代码", "种别号", "种别编码"},
		"region":     {"所属地代码", "使用区域", "使用区域代码", "区域代码", "所属区域"},
		keyCode:      {labelCode, "仪器编码"},
		keyNozzleNo:  {labelNozzleNo, "加油枪号", "枪编号"},
		keyFuel:      {labelFuel, "油品名称"},
		keyFlowRange: {labelFlowRange},
		keyError:     {labelError},
	} {
		for _, n := range names {
			m[headerKey(n)] = key
		}
	}
	return m
}()

var requiredMarks = strings.NewReplacer("(必填)", "", "(选填)", "", "【必填】", "", "*", "")

// headerKey normalises a header cell: full-width characters, blanks inside
// and around, line breaks, a "*" or "（必填）" marker.
func headerKey(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, core.NormalizeWidth(s))
	return strings.TrimRight(requiredMarks.Replace(s), ":")
}

func fieldOfHeader(s string) string { return headerFields[headerKey(s)] }

// codeLike fields hold identifiers that users type as numbers.
var codeLike = map[string]bool{"region": true, "category": true, "factoryNo": true, "ownNo": true, keyCode: true, keyNozzleNo: true}

var (
	reFloatNoise   = regexp.MustCompile(`^-?\d+\.\d*(0{6,}|9{6,})\d$`)
	reExponent     = regexp.MustCompile(`^\d+(\.\d+)?[eE]\+?\d+$`)
	reZeroFraction = regexp.MustCompile(`^\d+\.0+$`)
	reSmallNumber  = regexp.MustCompile(`^-?\d(\.\d+)?[eE]-\d+$`)
	reSerial       = regexp.MustCompile(`^\d{1,6}(\.\d+)?$`)
	reCodeName     = regexp.MustCompile(`^(\d{5,6})\s*[.:,、\-—]?\s*([^\d\s.].*)$`)
)

// readable turns a raw cell value into the text the user saw when typing
// it. Raw values are read so that no number format reshapes them; this
// undoes what storing a number did instead.
func readable(key, raw string, date1904 bool) string {
	t := strings.TrimSpace(raw)
	// Every rewrite below concerns numbers; most cells are not.
	if t == "" || !(t[0] >= '0' && t[0] <= '9' || t[0] == '-' || t[0] >= 0x80) {
		return raw
	}
	s := raw
	if reFloatNoise.MatchString(t) {
		// Binary floats stored with 17 digits: 1.1 is saved as
		// 1.1000000000000001. Excel shows 15 significant digits.
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
			s = strconv.FormatFloat(f, 'f', -1, 64)
			t = s
		}
	}
	switch {
	case key == "purchaseDate" || key == "validUntil":
		return excelDate(s, date1904)
	case codeLike[key]:
		return plainInteger(s)
	case reSmallNumber.MatchString(t):
		// 0.0005 is stored as 5E-4; a text cell never looks like that in
		// practice, while model and accuracy cells hold such numbers.
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return s
}

// plainInteger writes a whole number stored as "4.40106E5", "4.40106E+5" or
// "440106.0" with its digits. Numbers beyond 15 digits lost precision when
// they were stored; they stay as they are so the user sees what happened.
func plainInteger(s string) string {
	if !strings.ContainsAny(s, ".eE．") {
		return s
	}
	t := strings.TrimSpace(core.NormalizeWidth(s))
	if !reExponent.MatchString(t) && !reZeroFraction.MatchString(t) {
		return s
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != math.Trunc(f) || f >= 1e15 {
		return s
	}
	return strconv.FormatFloat(f, 'f', 0, 64)
}

// excelDate turns a date serial number into 2021-03-05. Eight digits are
// 20210305 typed as a number, not a serial; serials outside 1900–2200 stay
// as typed so the date error shows the user's own value.
func excelDate(s string, date1904 bool) string {
	t := strings.TrimSpace(s)
	if !reSerial.MatchString(t) {
		return s
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 1 {
		return s
	}
	tm, err := excelize.ExcelDateToTime(f, date1904)
	if err != nil || tm.Year() < 1900 || tm.Year() > 2200 {
		return s
	}
	return tm.Format("2006-01-02")
}

// codeOf takes the code out of "061001 非自动衡器" or "440106 广州市天河区",
// the form the template's dropdowns offer; the name only helps the user pick.
func codeOf(s string) string {
	t := strings.TrimSpace(core.NormalizeWidth(s))
	if m := reCodeName.FindStringSubmatch(t); m != nil {
		return m[1]
	}
	return s
}

// The example row of the import template. A row still equal to it is
// skipped, so a user who leaves it in place does not import a fake scale.
const (
	exampleName      = "电子计价秤"
	exampleModel     = "ACS-30"
	exampleFactoryNo = "SL2021030501"
	exampleRemarks   = "示例行：导入时自动跳过，请从下一行起填写（或直接修改本行）"
)

func (wb *Workbook) isExample(cells []string) bool {
	is := func(key, want string) bool { return strings.TrimSpace(wb.cell(cells, key)) == want }
	return is("remarks", exampleRemarks) && is("name", exampleName) && is("model", exampleModel) && is("factoryNo", exampleFactoryNo)
}

// formulaLike reports whether a spreadsheet would read s as a formula (or as
// the start of one) when a user edits the cell.
func formulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}
