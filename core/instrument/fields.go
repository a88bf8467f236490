package instrument

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/refdata"
)

// Input is an instrument as typed by a user: in the console form, a JSON
// body or an Excel row. Parse is the one place it is validated.
type Input struct {
	Name            string
	Model           string
	Range           string
	Accuracy        string
	FactoryNo       string
	OwnNo           string
	Manufacturer    string
	Origin          string
	InstallLocation string
	PurchaseDate    string
	State           string
	Usage           string
	Type            string
	Method          string
	Region          string
	Category        string
	TypeApprovalNo  string
	CertificateNo   string
	ValidUntil      string
	Tags            string
	Remarks         string
	Nozzles         []Nozzle
}

// Column describes one input field: its key (form field and error key), its
// Chinese label (the manual's field name, also the Excel header), whether it
// is required, its coded options, and how to reach it in an Input.
type Column struct {
	Key      string
	Label    string
	Required bool
	Coded    *Coded
	Hint     string
	Get      func(*Input) *string
	// AfterApproval: still editable once the filing is approved.
	AfterApproval bool
}

// Columns in the order of manual 图 23 (also the Excel column order).
var Columns = []Column{
	{Key: "name", Label: "器具名称", Required: true, Get: func(i *Input) *string { return &i.Name }},
	{Key: "model", Label: "型号规格", Required: true, Get: func(i *Input) *string { return &i.Model }},
	{Key: "range", Label: "测量范围", Get: func(i *Input) *string { return &i.Range }},
	{Key: "accuracy", Label: "准确度等级", Get: func(i *Input) *string { return &i.Accuracy }},
	{Key: "factoryNo", Label: "出厂编号", Required: true, Get: func(i *Input) *string { return &i.FactoryNo }},
	{Key: "ownNo", Label: "自编号", Get: func(i *Input) *string { return &i.OwnNo }, AfterApproval: true},
	{Key: "manufacturer", Label: "生产厂家", Get: func(i *Input) *string { return &i.Manufacturer }},
	{Key: "origin", Label: "生产地", Coded: &Origins, Hint: "不填默认为 1.国产", Get: func(i *Input) *string { return &i.Origin }},
	{Key: "installLocation", Label: "安装使用地点", Get: func(i *Input) *string { return &i.InstallLocation }, AfterApproval: true},
	{Key: "purchaseDate", Label: "购买日期", Hint: "如 2021-03-05", Get: func(i *Input) *string { return &i.PurchaseDate }, AfterApproval: true},
	{Key: "state", Label: "器具状态", Coded: &States, Hint: "不填默认为 1.新增", Get: func(i *Input) *string { return &i.State }},
	{Key: "usage", Label: "器具用途", Required: true, Coded: &Usages, Get: func(i *Input) *string { return &i.Usage }},
	{Key: "type", Label: "器具类型", Coded: &Types, Hint: "不填默认为 1.工作计量器具", Get: func(i *Input) *string { return &i.Type }},
	{Key: "method", Label: "检定方式", Required: true, Coded: &Methods, Get: func(i *Input) *string { return &i.Method }},
	{Key: "region", Label: "所属地", Required: true, Hint: "区县级行政区域代码（附件三），如 440106", Get: func(i *Input) *string { return &i.Region }},
	{Key: "category", Label: "种别", Required: true, Hint: "强检目录种别代码（附件二），如 061001", Get: func(i *Input) *string { return &i.Category }},
	{Key: "typeApprovalNo", Label: "型式证书号", Get: func(i *Input) *string { return &i.TypeApprovalNo }},
	{Key: "certificateNo", Label: "检定证书号", Get: func(i *Input) *string { return &i.CertificateNo }},
	{Key: "validUntil", Label: "有效期至", Hint: "如 2022-03-05", Get: func(i *Input) *string { return &i.ValidUntil }},
	{Key: "tags", Label: "自定义标签", Hint: "多个标签用空格隔开", Get: func(i *Input) *string { return &i.Tags }, AfterApproval: true},
	{Key: "remarks", Label: "备注", Get: func(i *Input) *string { return &i.Remarks }, AfterApproval: true},
}

// ColumnByKey returns the column with key.
func ColumnByKey(key string) (Column, bool) {
	for _, c := range Columns {
		if c.Key == key {
			return c, true
		}
	}
	return Column{}, false
}

// FuelDispenser is the category whose instruments carry nozzles.
const FuelDispenser = "015001"

// ThreeMeters are the 三表 categories whose install location can be updated
// in bulk: water, electricity and gas meters.
var ThreeMeters = []string{"023003", "031005", "072001"}

// IsThreeMeter reports whether category is a water, electricity or gas meter.
func IsThreeMeter(category string) bool {
	for _, c := range ThreeMeters {
		if c == category {
			return true
		}
	}
	return false
}

var maxLen = map[string]int{
	"name": 100, "model": 100, "range": 100, "accuracy": 50, "factoryNo": 64, "ownNo": 64,
	"manufacturer": 100, "installLocation": 200, "typeApprovalNo": 64, "certificateNo": 64, "remarks": 500,
}

// codeLike fields are identifiers: full-width characters become half-width.
var codeLike = map[string]bool{"model": true, "factoryNo": true, "ownNo": true, "accuracy": true, "typeApprovalNo": true, "certificateNo": true}

// cleanText trims blanks, including the full-width space.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " "))
}

var reNumber = regexp.MustCompile(`^\d+(\.0+)?$`)

// NormalizeNumber turns what Excel or a user makes of a numeric code into
// its digits: "061001", "61001", "61001.0", "６１００１", " 440106 ".
func NormalizeNumber(s string) string {
	s = strings.TrimSpace(core.NormalizeWidth(s))
	if reNumber.MatchString(s) {
		s, _, _ = strings.Cut(s, ".")
		return s
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && f >= 0 && f < 1e12 && !strings.ContainsAny(s, "+-") {
		return strconv.FormatInt(int64(f), 10)
	}
	return s
}

// codedError is the manual's message for a coded column (manual 三.4 (4)).
func codedError(c *Coded) string {
	var opts []string
	for _, o := range c.Options {
		opts = append(opts, fmt.Sprintf("%d.%s", o.Code, o.Name))
	}
	return fmt.Sprintf("%s代码只能为数字：%s，请检查确认！", c.Label, strings.Join(opts, "，"))
}

var reCodedPrefix = regexp.MustCompile(`^(\d+)\s*[.．、,，:：\s]?\s*(.*)$`)

// parseCoded accepts "3", "3.0", "３", "3.贸易结算", "3、贸易结算".
func parseCoded(c *Coded, raw string) (int, bool) {
	s := strings.TrimSpace(core.NormalizeWidth(raw))
	if n := NormalizeNumber(s); reNumber.MatchString(n) {
		v, err := strconv.Atoi(n)
		return v, err == nil && c.Name(v) != ""
	}
	m := reCodedPrefix.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, err := strconv.Atoi(m[1])
	if err != nil || c.Name(v) == "" {
		return 0, false
	}
	if name := strings.TrimSpace(m[2]); name != "" && name != c.Name(v) {
		return 0, false
	}
	return v, true
}

// Messages of manual 三.4, word for word.
func msgCategoryEmpty() string { return "仪器的种别代码不能为空" }
func msgCategoryUnknown(code string) string {
	return fmt.Sprintf("仪器的种别代码：%s 可能有误或已作废，无法找到相对应的名称", code)
}
func msgCityCode(code string) string {
	return fmt.Sprintf("【%s】是属于市级代码，使用区域须填最后两位不是“00”的区县级代码！", code)
}

// ParseTags splits space-separated tags (full-width spaces and commas too).
func ParseTags(s string) []string {
	s = strings.NewReplacer("\u3000", " ", "，", " ", ",", " ", "；", " ", ";", " ").Replace(s)
	var out []string
	seen := map[string]bool{}
	for _, t := range strings.Fields(s) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Parse validates in and returns the fields, or every problem keyed by
// column. today is the current date (purchase dates cannot be later).
func Parse(ref *refdata.Data, today core.Date, in Input) (Fields, []core.FieldError) {
	errs := &core.Fields{}
	var f Fields
	text := func(key string) string {
		c, _ := ColumnByKey(key)
		v := cleanText(*c.Get(&in))
		if codeLike[key] {
			v = strings.TrimSpace(core.NormalizeWidth(v))
		}
		if v == "" && c.Required {
			errs.Add(key, "%s不能为空", c.Label)
		} else if n, max := utf8.RuneCountInString(v), maxLen[key]; max > 0 && n > max {
			errs.Add(key, "%s不能超过 %d 个字", c.Label, max)
		}
		return v
	}
	f.Name, f.Model, f.Range, f.Accuracy = text("name"), text("model"), text("range"), text("accuracy")
	f.FactoryNo, f.OwnNo, f.Manufacturer = text("factoryNo"), text("ownNo"), text("manufacturer")
	f.InstallLocation, f.TypeApprovalNo, f.CertificateNo = text("installLocation"), text("typeApprovalNo"), text("certificateNo")
	f.Remarks = text("remarks")

	coded := func(key string, def int) int {
		c, _ := ColumnByKey(key)
		raw := *c.Get(&in)
		if strings.TrimSpace(raw) == "" {
			if c.Required {
				errs.Add(key, "%s不能为空，%s", c.Label, codedError(c.Coded))
			}
			return def
		}
		v, ok := parseCoded(c.Coded, raw)
		if !ok {
			errs.Add(key, "%s", codedError(c.Coded))
		}
		return v
	}
	f.Origin, f.State, f.Usage = coded("origin", 1), coded("state", 1), coded("usage", 0)
	f.Type, f.Method = coded("type", 1), coded("method", 0)

	date := func(key string) core.Date {
		c, _ := ColumnByKey(key)
		d, err := core.ParseDate(*c.Get(&in))
		if err != nil {
			errs.Add(key, "%s格式不正确（%s），请填写如 2021-03-05 的日期", c.Label, strings.TrimSpace(*c.Get(&in)))
		}
		return d
	}
	f.PurchaseDate, f.ValidUntil = date("purchaseDate"), date("validUntil")
	if f.PurchaseDate != "" && f.PurchaseDate > today {
		errs.Add("purchaseDate", "购买日期不能晚于今天")
	}

	region := NormalizeNumber(in.Region)
	switch r, ok := ref.Region(region); {
	case region == "":
		errs.Add("region", "仪器的使用区域代码不能为空")
	case !ok:
		errs.Add("region", "使用区域代码：%s 不存在，具体可用代码请查看附件三", region)
	case !r.IsDistrict():
		errs.Add("region", "%s", msgCityCode(region))
	}
	f.RegionCode = region

	cat := NormalizeNumber(in.Category)
	if len(cat) == 5 && reNumber.MatchString(cat) {
		cat = "0" + cat // Excel drops the leading zero of 061001
	}
	switch _, ok := ref.ActiveCategory(cat); {
	case cat == "":
		errs.Add("category", "%s", msgCategoryEmpty())
	case !ok:
		errs.Add("category", "%s", msgCategoryUnknown(cat))
	}
	f.CategoryCode = cat

	f.Tags = ParseTags(in.Tags)
	if len(f.Tags) > 10 {
		errs.Add("tags", "自定义标签最多 10 个")
	}
	for _, t := range f.Tags {
		if utf8.RuneCountInString(t) > 20 {
			errs.Add("tags", "每个标签不能超过 20 个字")
		}
	}

	if len(in.Nozzles) > 0 && cat != FuelDispenser && !errs.Has("category") {
		errs.Add("nozzles", "只有燃油加油机（%s）可以登记加油枪", FuelDispenser)
	}
	if len(in.Nozzles) > 16 {
		errs.Add("nozzles", "一台加油机最多登记 16 把加油枪")
	}
	seen := map[string]bool{}
	for i, n := range in.Nozzles {
		n.No = strings.TrimSpace(core.NormalizeWidth(n.No))
		n.Fuel, n.FlowRange = cleanText(n.Fuel), strings.TrimSpace(core.NormalizeWidth(n.FlowRange))
		switch {
		case n.No == "":
			errs.Add("nozzles", "第 %d 把加油枪的枪号不能为空", i+1)
		case seen[n.No]:
			errs.Add("nozzles", "加油枪枪号 %s 重复", n.No)
		case utf8.RuneCountInString(n.No) > 20 || utf8.RuneCountInString(n.Fuel) > 20 || utf8.RuneCountInString(n.FlowRange) > 50:
			errs.Add("nozzles", "第 %d 把加油枪的信息过长", i+1)
		}
		seen[n.No] = true
		f.Nozzles = append(f.Nozzles, n)
	}
	return f, errs.List()
}

// IdentityKey is the key of (名称, 型号规格, 出厂编号, 自编号): four equal
// values, ignoring case, width and blanks, are the same instrument.
func IdentityKey(f Fields) string {
	norm := func(s string) string {
		return strings.ToUpper(strings.Join(strings.Fields(core.NormalizeWidth(s)), " "))
	}
	sum := sha256.Sum256([]byte(norm(f.Name) + "\x1f" + norm(f.Model) + "\x1f" + norm(f.FactoryNo) + "\x1f" + norm(f.OwnNo)))
	return hex.EncodeToString(sum[:16])
}

// Display returns the value of a column of f as a user sees it, for
// history entries, exports and forms.
func Display(f Fields, key string) string {
	switch key {
	case "name":
		return f.Name
	case "model":
		return f.Model
	case "range":
		return f.Range
	case "accuracy":
		return f.Accuracy
	case "factoryNo":
		return f.FactoryNo
	case "ownNo":
		return f.OwnNo
	case "manufacturer":
		return f.Manufacturer
	case "origin":
		return Origins.Name(f.Origin)
	case "installLocation":
		return f.InstallLocation
	case "purchaseDate":
		return string(f.PurchaseDate)
	case "state":
		return States.Name(f.State)
	case "usage":
		return Usages.Name(f.Usage)
	case "type":
		return Types.Name(f.Type)
	case "method":
		return Methods.Name(f.Method)
	case "region":
		return f.RegionCode
	case "category":
		return f.CategoryCode
	case "typeApprovalNo":
		return f.TypeApprovalNo
	case "certificateNo":
		return f.CertificateNo
	case "validUntil":
		return string(f.ValidUntil)
	case "tags":
		return strings.Join(f.Tags, " ")
	case "remarks":
		return f.Remarks
	case "nozzles":
		var parts []string
		for _, n := range f.Nozzles {
			parts = append(parts, strings.TrimSpace(n.No+" "+n.Fuel+" "+n.FlowRange))
		}
		return strings.Join(parts, "；")
	}
	return ""
}

// InputOf turns stored fields back into an input (edit forms, copies).
func InputOf(f Fields) Input {
	in := Input{Nozzles: append([]Nozzle(nil), f.Nozzles...)}
	for _, c := range Columns {
		v := Display(f, c.Key)
		if c.Coded != nil {
			if code := c.Coded.CodeOf(v); code != 0 {
				v = strconv.Itoa(code)
			}
		}
		*c.Get(&in) = v
	}
	return in
}

// Diff lists the columns whose displayed value differs between a and b.
func Diff(a, b Fields) []Change {
	var out []Change
	for _, c := range Columns {
		if x, y := Display(a, c.Key), Display(b, c.Key); x != y {
			out = append(out, Change{Field: c.Key, Label: c.Label, From: x, To: y})
		}
	}
	if x, y := Display(a, "nozzles"), Display(b, "nozzles"); x != y {
		out = append(out, Change{Field: "nozzles", Label: "加油枪", From: x, To: y})
	}
	return out
}
