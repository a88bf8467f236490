package excelio

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/core/instrument"
)

func writeTemplate(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Template(&buf, testRef(t)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTemplate_SheetsHeaderAndStyles(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(writeTemplate(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{sheetInstruments, sheetGuide, sheetOptions}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %v, want %v", got, want)
	}
	if visible, _ := f.GetSheetVisible(sheetOptions); visible {
		t.Error("the dropdown list sheet should be hidden")
	}
	rows, err := f.GetRows(sheetInstruments)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], labels()) {
		t.Fatalf("header = %v,\nwant %v", rows[0], labels())
	}
	for i, c := range instrument.Columns {
		cell := colName(i+1) + "1"
		id, _ := f.GetCellStyle(sheetInstruments, cell)
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		red := st.Font != nil && strings.EqualFold(st.Font.Color, "FF0000")
		if red != c.Required {
			t.Errorf("%s header red = %v, want %v (required)", c.Label, red, c.Required)
		}
	}
}

func TestTemplate_Dropdowns(t *testing.T) {
	ref := testRef(t)
	f, err := excelize.OpenReader(bytes.NewReader(writeTemplate(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dvs, err := f.GetDataValidations(sheetInstruments)
	if err != nil {
		t.Fatal(err)
	}
	bySqref := map[string]*excelize.DataValidation{}
	for _, dv := range dvs {
		bySqref[dv.Sqref] = dv
	}
	names := map[string]string{}
	for _, d := range f.GetDefinedName() {
		names[d.Name] = d.RefersTo
	}
	for i, c := range instrument.Columns {
		dv := bySqref[fmt.Sprintf("%s2:%s%d", colName(i+1), colName(i+1), DefaultLimits.MaxRows+1)]
		switch {
		case c.Coded != nil:
			if dv == nil || dv.Type != "list" {
				t.Fatalf("%s: no list validation", c.Label)
			}
			want := []string{}
			for _, o := range c.Coded.Options {
				want = append(want, fmt.Sprintf("%d.%s", o.Code, o.Name))
			}
			if got := strings.Trim(dv.Formula1, `"`); got != strings.Join(want, ",") {
				t.Errorf("%s list = %s, want %s", c.Label, got, strings.Join(want, ","))
			}
		case c.Key == "region" || c.Key == "category":
			if dv == nil || dv.Type != "list" {
				t.Fatalf("%s: no list validation", c.Label)
			}
			// Longer than the 255 characters of an inline list: a range
			// on the hidden sheet, through a defined name.
			refersTo := names[dv.Formula1]
			if !strings.Contains(refersTo, sheetOptions) {
				t.Fatalf("%s list %q refers to %q, want the hidden sheet", c.Label, dv.Formula1, refersTo)
			}
		default:
			if dv != nil {
				t.Errorf("%s: unexpected validation", c.Label)
			}
		}
	}
	opts, err := f.GetRows(sheetOptions)
	if err != nil {
		t.Fatal(err)
	}
	var regions, categories []string
	for _, r := range opts {
		if len(r) > 0 && r[0] != "" {
			regions = append(regions, r[0])
		}
		if len(r) > 1 && r[1] != "" {
			categories = append(categories, r[1])
		}
	}
	if len(categories) != len(ref.Catalog()) || !slices.Contains(categories, "061001 非自动衡器") {
		t.Errorf("categories: %d options, want the %d active ones incl. \"061001 非自动衡器\"", len(categories), len(ref.Catalog()))
	}
	if !slices.Contains(regions, "440106 广州市天河区") {
		t.Errorf("regions lack 440106 广州市天河区: %v", regions[:5])
	}
	for _, r := range regions {
		if code := r[:6]; strings.HasSuffix(code, "00") || !ref.IsDistrictCode(code) {
			t.Errorf("region option %q is not district level", r)
		}
	}
	for _, want := range []string{refersRange(len(regions), "A"), refersRange(len(categories), "B")} {
		if !slices.Contains([]string{names[nameRegions], names[nameCategories]}, want) {
			t.Errorf("defined names %v lack %s", names, want)
		}
	}
}

func refersRange(n int, col string) string {
	return fmt.Sprintf("'%s'!$%s$1:$%s$%d", sheetOptions, col, col, n)
}

func TestTemplate_GuideExplainsEveryColumnAndTheCommonErrors(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(writeTemplate(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheetGuide)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	byLabel := map[string][]string{}
	for _, r := range rows {
		all = append(all, strings.Join(r, " | "))
		if len(r) > 0 {
			byLabel[r[0]] = r
		}
	}
	text := strings.Join(all, "\n")
	for _, c := range instrument.Columns {
		r := byLabel[c.Label]
		if len(r) < 5 {
			t.Fatalf("guide lacks a full row for %s: %v", c.Label, r)
		}
		if want := map[bool]string{true: "是", false: "否"}[c.Required]; r[1] != want {
			t.Errorf("%s required = %q, want %q", c.Label, r[1], want)
		}
		if c.Coded != nil && !c.Required && !strings.Contains(r[4], "默认") {
			t.Errorf("%s: the default of an empty cell is not explained: %v", c.Label, r)
		}
	}
	for _, want := range []string{"2021-03-05", "空格隔开", "仪器的种别代码不能为空", "可能有误或已作废", "市级代码", "代码只能为数字", "100000", "20M", ".xls"} {
		if !strings.Contains(text, want) {
			t.Errorf("guide does not mention %q", want)
		}
	}
}

// A template filled the way a user does, including dropdown picks, imports
// without errors; the untouched example row is skipped.
func TestTemplate_FilledImports(t *testing.T) {
	ref := testRef(t)
	f, err := excelize.OpenReader(bytes.NewReader(writeTemplate(t)))
	if err != nil {
		t.Fatal(err)
	}
	fill := func(row int, values map[string]any) {
		for i, c := range instrument.Columns {
			if v, ok := values[c.Key]; ok {
				if err := f.SetCellValue(sheetInstruments, fmt.Sprintf("%s%d", colName(i+1), row), v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	fill(3, map[string]any{"name": "燃油加油机", "model": "CS46", "factoryNo": "JY2020001", "usage": "3.贸易结算",
		"method": "2.现场检定", "region": "440106 广州市天河区", "category": "015001 燃油加油机", "origin": "2.进口"})
	fill(4, map[string]any{"name": "水表", "model": "LXS-15", "factoryNo": 20190001, "usage": 3, "method": "1",
		"region": 440106, "category": "023003", "purchaseDate": "2021/3/5"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	f.Close()

	wb := open(t, buf.Bytes())
	if n, err := wb.Count(); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2 (the example row is skipped)", n, err)
	}
	rows := readAll(t, wb)
	if len(rows) != 2 || rows[0].Number != 3 || rows[1].Number != 4 {
		t.Fatalf("rows = %+v", rows)
	}
	for _, r := range rows {
		fields, errs := instrument.Parse(ref, today(), r.Input)
		if len(errs) > 0 {
			t.Fatalf("row %d: %v", r.Number, errs)
		}
		if fields.RegionCode != "440106" {
			t.Errorf("row %d region = %q", r.Number, fields.RegionCode)
		}
	}
	if got := rows[0].Input.Category; got != "015001" {
		t.Errorf("category from the dropdown = %q, want 015001", got)
	}
	if got := rows[1].Input.FactoryNo; got != "20190001" {
		t.Errorf("numeric factory number = %q", got)
	}
}

func TestTemplate_ExampleRowParsesAndIsImportedOnceChanged(t *testing.T) {
	ref := testRef(t)
	f, err := excelize.OpenReader(bytes.NewReader(writeTemplate(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SetCellValue(sheetInstruments, "E2", "MY-0001"); err != nil { // 出厂编号
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, open(t, buf.Bytes()))
	if len(rows) != 1 || rows[0].Number != 2 {
		t.Fatalf("rows = %+v, want the edited example row", rows)
	}
	if _, errs := instrument.Parse(ref, today(), rows[0].Input); len(errs) > 0 {
		t.Fatalf("example row does not parse: %v", errs)
	}
}

func TestBulkTemplates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		write  func(*bytes.Buffer) error
		sheet  string
		header []string
	}{
		{"location", func(b *bytes.Buffer) error { return LocationTemplate(b) }, sheetLocations, []string{"器具编码", "出厂编号", "器具名称", "型号规格", "安装使用地点"}},
		{"nozzle", func(b *bytes.Buffer) error { return NozzleTemplate(b) }, sheetNozzles, []string{"器具编码", "出厂编号", "枪号", "油品", "流量范围"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			wb := open(t, buf.Bytes())
			if wb.sheet != tc.sheet || !slices.Equal(wb.Header(), tc.header) {
				t.Fatalf("sheet %q header %v", wb.sheet, wb.Header())
			}
			if n, err := wb.Count(); err != nil || n != 0 {
				t.Fatalf("Count = %d, %v", n, err)
			}
		})
	}
}
