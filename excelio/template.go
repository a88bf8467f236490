package excelio

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
)

// Template writes the import template: sheet 仪器信息 with the header (the
// labels of instrument.Columns in order, required ones in red), one example
// row and dropdowns for every coded column, 所属地 and 种别; sheet 填写说明
// explaining every column and the common errors of manual 三.4; and a
// hidden sheet holding the long dropdown lists.
func Template(w io.Writer, ref *refdata.Data) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sheetInstruments); err != nil {
		return err
	}
	sh := sheetInstruments
	// Text format: codes keep their leading zeros and "-40~85℃" is not
	// taken for a formula when typed.
	if err := f.SetColStyle(sh, "A:"+colName(len(instrument.Columns)), st.text); err != nil {
		return err
	}
	for i, c := range instrument.Columns {
		cell := colName(i+1) + "1"
		style := st.header
		if c.Required {
			style = st.required
		}
		if err := f.SetCellStr(sh, cell, c.Label); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell, cell, style); err != nil {
			return err
		}
		if err := f.SetColWidth(sh, colName(i+1), colName(i+1), columnWidth(c.Key)); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sh, 1, 30); err != nil {
		return err
	}
	regions, categories := regionOptions(ref), categoryOptions(ref)
	example := exampleValues(regions, categories)
	for i, c := range instrument.Columns {
		if v := example[c.Key]; v != "" {
			if err := f.SetCellStr(sh, colName(i+1)+"2", v); err != nil {
				return err
			}
		}
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := guide(f, st, instrumentGuide(), instrumentNotes, commonErrors); err != nil {
		return err
	}
	if err := dropdowns(f, regions, categories); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

func colName(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}

func columnWidth(key string) float64 {
	switch key {
	case "installLocation", "remarks":
		return 30
	case "region", "category":
		return 26
	case "name", "model", "range", "factoryNo", "manufacturer", "tags", "typeApprovalNo", "certificateNo":
		return 18
	}
	return 14
}

// codedOption is how a dropdown shows an option, and how an export writes
// a coded value: "3.贸易结算".
func codedOption(o instrument.Option) string { return fmt.Sprintf("%d.%s", o.Code, o.Name) }

// regionOptions: district-level regions as "440106 广州市天河区"; the city
// name tells apart the many districts called 市辖区.
func regionOptions(ref *refdata.Data) []string {
	var out []string
	for _, r := range ref.Regions() {
		if r.IsProvince() || !r.IsDistrict() {
			continue
		}
		city := ""
		if c, ok := ref.Region(r.CityCode()); ok && c.Code != r.Code {
			city = c.Name
		}
		out = append(out, r.Code+" "+city+r.Name)
	}
	return out
}

// categoryOptions: active categories as "061001 非自动衡器".
func categoryOptions(ref *refdata.Data) []string {
	var out []string
	for _, c := range ref.Catalog() {
		out = append(out, c.Code+" "+c.Name)
	}
	return out
}

// pick returns the option of list starting with code, else the first.
func pick(list []string, code string) string {
	for _, s := range list {
		if strings.HasPrefix(s, code+" ") {
			return s
		}
	}
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

// exampleValues is the example row of the template by field key.
func exampleValues(regions, categories []string) map[string]string {
	return map[string]string{
		"name": exampleName, "model": exampleModel, "range": "(0~30)kg", "accuracy": "Ⅲ",
		"factoryNo": exampleFactoryNo, "ownNo": "JL-001", "manufacturer": "广州市某某衡器有限公司",
		"origin": "1.国产", "installLocation": "天河区某某市场 A 区 12 号档", "purchaseDate": "2021-03-05",
		"state": "2.在用", "usage": "3.贸易结算", "type": "1.工作计量器具", "method": "1.送检",
		"region": pick(regions, "440106"), "category": pick(categories, "061001"),
		"tags": "市场 一楼", "remarks": exampleRemarks,
	}
}

// dataRows is the range the template's dropdowns cover: every row an
// import accepts.
func dataRows(col int) string {
	c := colName(col)
	return fmt.Sprintf("%s2:%s%d", c, c, DefaultLimits.MaxRows+1)
}

// Defined names of the long lists, kept on the hidden sheet because an
// inline list is limited to 255 characters.
const (
	nameRegions    = "QJ_Regions"
	nameCategories = "QJ_Categories"
)

func dropdowns(f *excelize.File, regions, categories []string) error {
	if _, err := f.NewSheet(sheetOptions); err != nil {
		return err
	}
	for i, list := range [][]string{regions, categories} {
		col := colName(i + 1)
		for r, v := range list {
			if err := f.SetCellStr(sheetOptions, fmt.Sprintf("%s%d", col, r+1), v); err != nil {
				return err
			}
		}
		name := []string{nameRegions, nameCategories}[i]
		refersTo := fmt.Sprintf("'%s'!$%s$1:$%s$%d", sheetOptions, col, col, max(len(list), 1))
		if err := f.SetDefinedName(&excelize.DefinedName{Name: name, RefersTo: refersTo}); err != nil {
			return err
		}
	}
	if err := f.SetSheetVisible(sheetOptions, false); err != nil {
		return err
	}
	for i, c := range instrument.Columns {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = dataRows(i + 1)
		switch {
		case c.Coded != nil:
			var opts []string
			for _, o := range c.Coded.Options {
				opts = append(opts, codedOption(o))
			}
			if err := dv.SetDropList(opts); err != nil {
				return err
			}
			dv.SetInput(c.Label, "从下拉列表选择，或填写选项前的数字，如 1")
		case c.Key == "region":
			dv.SetSqrefDropList(nameRegions)
			dv.SetInput(c.Label, "从下拉列表选择，或填写区县级代码，如 440106")
		case c.Key == "category":
			dv.SetSqrefDropList(nameCategories)
			dv.SetInput(c.Label, "从下拉列表选择，或填写 6 位种别代码，如 061001")
		default:
			continue
		}
		// A warning, not a stop: typing just the number or the code is
		// fine for the import, only not one of the listed texts.
		dv.SetError(excelize.DataValidationErrorStyleWarning, c.Label, "请从下拉列表选择，或填写选项前的数字 / 代码")
		if err := f.AddDataValidation(sheetInstruments, dv); err != nil {
			return err
		}
	}
	return nil
}

// guideRow is one column explained in 填写说明.
type guideRow struct {
	Label, Required, Format, Values, Empty string
}

func instrumentGuide() []guideRow {
	var rows []guideRow
	for _, c := range instrument.Columns {
		g := guideRow{Label: c.Label, Required: "否", Format: "文本", Empty: "可不填"}
		if c.Required {
			g.Required, g.Empty = "是", "不能为空"
		}
		switch {
		case c.Coded != nil:
			var opts []string
			for _, o := range c.Coded.Options {
				opts = append(opts, codedOption(o))
			}
			g.Format = "填写选项前的数字（如 1），或从下拉列表选择（如 " + codedOption(c.Coded.Options[0]) + "）；不能只填文字"
			g.Values = strings.Join(opts, "  ")
			if !c.Required && c.Hint != "" {
				g.Empty = c.Hint
			}
		case c.Key == "purchaseDate" || c.Key == "validUntil":
			g.Format = "日期，如 2021-03-05（也可写 2021/3/5、2021年3月5日、20210305）"
			if c.Key == "purchaseDate" {
				g.Format += "；不能晚于今天"
			}
		case c.Key == "region":
			g.Format = c.Hint + "；须填至区县级（最后两位不是 00），市级代码会被拒绝"
			g.Values = "见手册附件三，或单元格的下拉列表"
		case c.Key == "category":
			g.Format = c.Hint + "；类别（项别）由种别自动确定"
			g.Values = "见手册附件二（2019 新版），或单元格的下拉列表；已作废的旧代码会被拒绝"
		case c.Key == "tags":
			g.Format = "多个标签用空格隔开，如“市场 一楼”；最多 10 个，每个不超过 20 字"
		case c.Key == "factoryNo":
			g.Format = "文本；器具名称、型号规格、出厂编号、自编号四者都相同视为同一台仪器，不能重复"
		}
		rows = append(rows, g)
	}
	return rows
}

// commonErrors are the four common errors of manual 三.4 with what to do.
var commonErrors = [][2]string{
	{"仪器的种别代码不能为空", "种别为必填项，请填写强检目录（手册附件二）中的 6 位种别代码，或从下拉列表选择。"},
	{"仪器的种别代码：xxxxxx 可能有误或已作废，无法找到相对应的名称", "该代码不在现行强检目录中（可能是旧目录代码或输入有误），请对照附件二填写现行的种别代码。"},
	{"【44xx00】是属于市级代码，使用区域须填最后两位不是“00”的区县级代码！", "所属地须填至区县级，具体代码请查看手册附件三或下拉列表。"},
	{"xxxx代码只能为数字：1.xx，2.xx，3.xx，请检查确认！", "生产地、器具状态、器具用途、器具类型、检定方式只能填写相应选项前的数字（或从下拉列表选择），不能只填写文字。"},
}

var instrumentNotes = []string{
	"1. 请勿修改表头文字；列的顺序可以调整，不认识的列导入时会被忽略。红色表头为必填列。",
	"2. 第 2 行为示例，保持原样时导入会自动跳过；也可直接修改示例行填写。",
	fmt.Sprintf("3. 只支持 .xlsx 文件（Excel 2007 及以上）：不支持 .xls，文件不能设置密码；一个文件最多 %d 行、不超过 %dM，数据多时请分批导入。", DefaultLimits.MaxRows, DefaultLimits.MaxBytes>>20),
	"4. 日期请写成 2021-03-05 的形式；自定义标签之间用空格隔开。",
	"5. 导入后，出错的行会生成错误报告（最后一列为“错误信息”）。按提示修改后，可直接上传该错误报告再次导入。",
	"6. 也可先录入或导出已有仪器，按导出文件的格式添加仪器后导入；导出文件中种别名称、备案状态等列仅供查看，导入时忽略。",
}

// grid writes a small sheet row by row, keeping the first error.
type grid struct {
	f   *excelize.File
	sh  string
	row int
	err error
}

func (g *grid) put(style int, values ...string) {
	g.row++
	for i, v := range values {
		if g.err != nil || v == "" {
			continue
		}
		cell := fmt.Sprintf("%s%d", colName(i+1), g.row)
		if g.err = g.f.SetCellStr(g.sh, cell, v); g.err == nil {
			g.err = g.f.SetCellStyle(g.sh, cell, cell, style)
		}
	}
}

// guide writes the 填写说明 sheet: every column, the notes, and the common
// errors when there are any.
func guide(f *excelize.File, st *styles, rows []guideRow, notes []string, errs [][2]string) error {
	if _, err := f.NewSheet(sheetGuide); err != nil {
		return err
	}
	for col, width := range map[string]float64{"A": 16, "B": 10, "C": 60, "D": 44, "E": 26} {
		if err := f.SetColWidth(sheetGuide, col, col, width); err != nil {
			return err
		}
	}
	g := &grid{f: f, sh: sheetGuide}
	g.put(st.title, "填写说明")
	g.put(st.header, "列名", "是否必填", "填写要求", "可选值", "不填时")
	for _, r := range rows {
		g.put(st.wrap, r.Label, r.Required, r.Format, r.Values, r.Empty)
	}
	g.row++
	g.put(st.title, "注意事项")
	for _, n := range notes {
		g.put(st.text, n)
	}
	if len(errs) > 0 {
		g.row++
		g.put(st.title, "导入常见错误（手册三.4）")
		g.put(st.header, "", "", "错误提示", "原因及处理")
		for i, e := range errs {
			g.put(st.wrap, fmt.Sprintf("常见错误 %d", i+1), "", e[0], e[1])
		}
	}
	return g.err
}
