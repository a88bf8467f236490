package refdata

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The file names inside the reference data directory.
const (
	CatalogFile      = "catalog.csv"
	RegionsFile      = "regions.csv"
	InstitutionsFile = "institutions.yaml"
)

// LoadError names the file and line of broken reference data, so an operator
// who edited it can fix it without reading code.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("参考数据有误 %s 第 %d 行: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("参考数据有误 %s: %s", e.File, e.Msg)
}

// Load reads and validates the three reference files from fsys. name is how
// the directory is shown in errors (e.g. "configs").
func Load(fsys fs.FS, name string) (*Data, error) {
	d := &Data{
		categories:   map[string]Category{},
		regions:      map[string]Region{},
		institutions: map[string]Institution{},
	}
	path := func(f string) string { return strings.TrimSuffix(name, "/") + "/" + f }
	if err := d.loadCatalog(fsys, path(CatalogFile)); err != nil {
		return nil, err
	}
	if err := d.loadRegions(fsys, path(RegionsFile)); err != nil {
		return nil, err
	}
	if err := d.loadInstitutions(fsys, path(InstitutionsFile)); err != nil {
		return nil, err
	}
	return d, nil
}

var (
	reItem     = regexp.MustCompile(`^\d{3}$`)
	reCategory = regexp.MustCompile(`^\d{6}$`)
	reRegion   = regexp.MustCompile(`^44\d{4}$`)
	reHHMM     = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
)

// readCSV returns the records of a CSV file with their line numbers, skipping
// comment lines, and checks the header.
func readCSV(fsys fs.FS, file, display string, header []string) ([][]string, []int, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, nil, &LoadError{File: display, Msg: "无法读取文件: " + err.Error()}
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	var rows [][]string
	var lines []int
	first := true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, &LoadError{File: display, Line: pe.Line, Msg: pe.Err.Error()}
			}
			return nil, nil, &LoadError{File: display, Msg: err.Error()}
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if first {
			first = false
			if strings.Join(rec, ",") != strings.Join(header, ",") {
				return nil, nil, &LoadError{File: display, Line: line, Msg: "表头应为 " + strings.Join(header, ",")}
			}
			continue
		}
		if len(rec) != len(header) {
			return nil, nil, &LoadError{File: display, Line: line, Msg: fmt.Sprintf("应有 %d 列，实际 %d 列", len(header), len(rec))}
		}
		rows = append(rows, rec)
		lines = append(lines, line)
	}
	return rows, lines, nil
}

func (d *Data) loadCatalog(fsys fs.FS, display string) error {
	rows, lines, err := readCSV(fsys, CatalogFile, display, []string{"item_code", "item_name", "category_code", "category_name", "mode", "status"})
	if err != nil {
		return err
	}
	itemNames := map[string]string{}
	itemIdx := map[string]int{}
	for i, rec := range rows {
		bad := func(format string, args ...any) error {
			return &LoadError{File: display, Line: lines[i], Msg: fmt.Sprintf(format, args...)}
		}
		c := Category{ItemCode: rec[0], ItemName: rec[1], Code: rec[2], Name: rec[3], Mode: Mode(rec[4])}
		switch {
		case !reItem.MatchString(c.ItemCode):
			return bad("项别号 %q 应为 3 位数字", c.ItemCode)
		case c.ItemName == "":
			return bad("项别不能为空")
		case !reCategory.MatchString(c.Code):
			return bad("种别号 %q 应为 6 位数字", c.Code)
		case !strings.HasPrefix(c.Code, c.ItemCode):
			return bad("种别号 %s 应以项别号 %s 开头", c.Code, c.ItemCode)
		case c.Name == "":
			return bad("种别不能为空")
		case c.Mode != ModeV && c.Mode != ModePV:
			return bad("监管方式 %q 只能为 V 或 P+V", rec[4])
		}
		switch rec[5] {
		case "active":
		case "retired":
			c.Retired = true
		default:
			return bad("状态 %q 只能为 active 或 retired", rec[5])
		}
		if _, dup := d.categories[c.Code]; dup {
			return bad("种别号 %s 重复", c.Code)
		}
		if n, ok := itemNames[c.ItemCode]; ok && n != c.ItemName && !c.Retired {
			return bad("项别号 %s 的名称不一致：%q 与 %q", c.ItemCode, n, c.ItemName)
		}
		d.categories[c.Code] = c
		if c.Retired {
			continue
		}
		itemNames[c.ItemCode] = c.ItemName
		d.catalog = append(d.catalog, c)
		if idx, ok := itemIdx[c.ItemCode]; ok {
			d.items[idx].Categories = append(d.items[idx].Categories, c)
		} else {
			itemIdx[c.ItemCode] = len(d.items)
			d.items = append(d.items, Item{Code: c.ItemCode, Name: c.ItemName, Categories: []Category{c}})
		}
	}
	if len(d.catalog) == 0 {
		return &LoadError{File: display, Msg: "没有任何现行种别"}
	}
	return nil
}

func (d *Data) loadRegions(fsys fs.FS, display string) error {
	rows, lines, err := readCSV(fsys, RegionsFile, display, []string{"code", "name", "parent"})
	if err != nil {
		return err
	}
	lineOf := map[string]int{}
	roots := 0
	for i, rec := range rows {
		r := Region{Code: rec[0], Name: rec[1], Parent: rec[2]}
		bad := func(format string, args ...any) error {
			return &LoadError{File: display, Line: lines[i], Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case !reRegion.MatchString(r.Code):
			return bad("区域代码 %q 应为 44 开头的 6 位数字", r.Code)
		case r.Name == "":
			return bad("区域名称不能为空")
		case r.Parent == "" && r.Code != "440000":
			return bad("只有 440000 广东省可以没有上级区域代码")
		case r.Parent != "" && !reRegion.MatchString(r.Parent):
			return bad("上级区域代码 %q 应为 6 位数字", r.Parent)
		}
		if _, dup := d.regions[r.Code]; dup {
			return bad("区域代码 %s 重复", r.Code)
		}
		if r.Parent == "" {
			roots++
		}
		d.regions[r.Code] = r
		d.regionList = append(d.regionList, r)
		lineOf[r.Code] = lines[i]
	}
	if roots != 1 {
		return &LoadError{File: display, Msg: "缺少 440000 广东省"}
	}
	for _, r := range d.regionList {
		if r.Parent == "" {
			continue
		}
		bad := func(format string, args ...any) error {
			return &LoadError{File: display, Line: lineOf[r.Code], Msg: fmt.Sprintf(format, args...)}
		}
		p, ok := d.regions[r.Parent]
		if !ok {
			return bad("上级区域代码 %s 不存在", r.Parent)
		}
		switch {
		case r.IsCity() && !p.IsProvince():
			return bad("市级代码 %s 的上级应为 440000", r.Code)
		case r.IsDistrict() && !p.IsCity():
			return bad("区县级代码 %s 的上级应为市级代码", r.Code)
		case r.IsDistrict() && r.CityCode() != p.Code:
			return bad("区县级代码 %s 与上级 %s 不属于同一城市", r.Code, p.Code)
		}
	}
	return nil
}

type instYAML struct {
	ID         string    `yaml:"id"`
	Name       string    `yaml:"name"`
	Level      string    `yaml:"level"`
	Region     string    `yaml:"region"`
	Parent     string    `yaml:"parent"`
	Categories yaml.Node `yaml:"categories"`
	Calendar   struct {
		Weekdays []int `yaml:"weekdays"`
		Slots    []struct {
			Start    string `yaml:"start"`
			End      string `yaml:"end"`
			Capacity int    `yaml:"capacity"`
		} `yaml:"slots"`
		Closed []string `yaml:"closed"`
	} `yaml:"calendar"`
}

func (d *Data) loadInstitutions(fsys fs.FS, display string) error {
	raw, err := fs.ReadFile(fsys, InstitutionsFile)
	if err != nil {
		return &LoadError{File: display, Msg: "无法读取文件: " + err.Error()}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		line := 0
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: line "), "%d", &line)
		}
		return &LoadError{File: display, Line: line, Msg: "YAML 格式错误: " + err.Error()}
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return &LoadError{File: display, Line: 1, Msg: "应为包含 institutions 列表的 YAML 文档"}
	}
	var list *yaml.Node
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "institutions" {
			list = doc.Content[i+1]
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return &LoadError{File: display, Line: 1, Msg: "缺少 institutions 列表"}
	}
	lineOf := map[string]int{}
	for _, n := range list.Content {
		bad := func(format string, args ...any) error {
			return &LoadError{File: display, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
		}
		var y instYAML
		if err := n.Decode(&y); err != nil {
			return bad("格式错误: %v", err)
		}
		inst := Institution{ID: y.ID, Name: y.Name, Level: Level(y.Level), RegionCode: y.Region, ParentID: y.Parent}
		if inst.ID == "" {
			return bad("id 不能为空")
		}
		if _, dup := d.institutions[inst.ID]; dup {
			return bad("机构 id %s 重复", inst.ID)
		}
		if inst.Name == "" {
			return bad("机构 %s 的 name 不能为空", inst.ID)
		}
		r, ok := d.regions[inst.RegionCode]
		if !ok {
			return bad("机构 %s 的区域代码 %q 不存在", inst.ID, inst.RegionCode)
		}
		switch inst.Level {
		case LevelProvince:
			if !r.IsProvince() {
				return bad("省级机构 %s 的区域应为 440000", inst.ID)
			}
		case LevelCity:
			if !r.IsCity() {
				return bad("市级机构 %s 的区域 %s 不是市级代码", inst.ID, inst.RegionCode)
			}
		case LevelDistrict:
			if !r.IsDistrict() {
				return bad("区县级机构 %s 的区域 %s 不是区县级代码", inst.ID, inst.RegionCode)
			}
		default:
			return bad("机构 %s 的 level %q 只能为 province、city 或 district", inst.ID, y.Level)
		}
		if inst.Level != LevelProvince && inst.ParentID == "" {
			return bad("机构 %s 缺少上级机构 parent", inst.ID)
		}
		switch y.Categories.Kind {
		case yaml.ScalarNode:
			if y.Categories.Value != "all" {
				return bad("机构 %s 的 categories 应为 all 或种别代码列表", inst.ID)
			}
			inst.AllCategories = true
		case yaml.SequenceNode:
			for _, c := range y.Categories.Content {
				cat, ok := d.categories[c.Value]
				if !ok || cat.Retired {
					return &LoadError{File: display, Line: c.Line, Msg: fmt.Sprintf("机构 %s 的种别代码 %q 不在现行强检目录中", inst.ID, c.Value)}
				}
				inst.Categories = append(inst.Categories, c.Value)
			}
		default:
			return bad("机构 %s 缺少 categories", inst.ID)
		}
		cal := y.Calendar
		if len(cal.Weekdays) == 0 || len(cal.Slots) == 0 {
			return bad("机构 %s 的 calendar 须有 weekdays 与 slots", inst.ID)
		}
		for _, wd := range cal.Weekdays {
			if wd < 1 || wd > 7 {
				return bad("机构 %s 的 weekdays 只能为 1-7", inst.ID)
			}
		}
		inst.Calendar.Weekdays = cal.Weekdays
		for _, s := range cal.Slots {
			if !reHHMM.MatchString(s.Start) || !reHHMM.MatchString(s.End) || s.Start >= s.End {
				return bad("机构 %s 的时间段 %s-%s 无效", inst.ID, s.Start, s.End)
			}
			if s.Capacity <= 0 {
				return bad("机构 %s 的时间段 %s-%s 容量应大于 0", inst.ID, s.Start, s.End)
			}
			inst.Calendar.Slots = append(inst.Calendar.Slots, Slot{Start: s.Start, End: s.End, Capacity: s.Capacity})
		}
		for _, c := range cal.Closed {
			if _, err := time.Parse("2006-01-02", c); err != nil {
				return bad("机构 %s 的休息日 %q 不是 YYYY-MM-DD 日期", inst.ID, c)
			}
		}
		inst.Calendar.Closed = cal.Closed
		d.institutions[inst.ID] = inst
		d.instList = append(d.instList, inst)
		lineOf[inst.ID] = n.Line
	}
	for _, inst := range d.instList {
		if inst.ParentID == "" {
			continue
		}
		if _, ok := d.institutions[inst.ParentID]; !ok {
			return &LoadError{File: display, Line: lineOf[inst.ID], Msg: fmt.Sprintf("机构 %s 的上级机构 %s 不存在", inst.ID, inst.ParentID)}
		}
	}
	for _, c := range d.Cities() {
		if _, ok := d.CityInstitutionOf(c.Code); !ok {
			return &LoadError{File: display, Msg: fmt.Sprintf("%s（%s）没有市级技术机构", c.Name, c.Code)}
		}
	}
	return nil
}
