package excelio

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
)

// ReportRow is an uploaded row that failed, with why.
type ReportRow struct {
	Number  int      // its row number in the upload; rows are written in this order
	Cells   []string // as Row.Cells: aligned with the upload's header
	Message string   // every problem of the row, see RowMessage
}

// RowMessage joins the problems of a row for an error report:
// "列名：消息；列名：消息".
func RowMessage(errs []core.FieldError) string {
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		label := e.Field
		if c, ok := instrument.ColumnByKey(e.Field); ok {
			label = c.Label
		} else if e.Field == "nozzles" {
			label = "加油枪"
		}
		if label == "" {
			parts = append(parts, e.Message)
			continue
		}
		parts = append(parts, label+"："+e.Message)
	}
	return strings.Join(parts, "；")
}

// ErrorReport writes the rows that failed under the upload's header plus a
// last column 错误信息, so the user fixes them in place and uploads the
// report again as it is: the import ignores 错误信息, and a report of a
// report keeps a single one.
func ErrorReport(w io.Writer, header []string, rows []ReportRow) error {
	var keep []int
	for i, h := range header {
		if fieldOfHeader(h) != keyError {
			keep = append(keep, i)
		}
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sheetReport); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetReport)
	if err != nil {
		return err
	}
	n := len(keep) + 1
	if err := sw.SetColStyle(1, n, st.text); err != nil {
		return err
	}
	head := make([]any, 0, n)
	for i, idx := range keep {
		key := fieldOfHeader(header[idx])
		if err := sw.SetColWidth(i+1, i+1, columnWidth(key)); err != nil {
			return err
		}
		head = append(head, excelize.Cell{StyleID: headerStyle(st, key), Value: header[idx]})
	}
	if err := sw.SetColWidth(n, n, 60); err != nil {
		return err
	}
	head = append(head, excelize.Cell{StyleID: st.errHead, Value: labelError})
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	sorted := append([]ReportRow(nil), rows...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Number < sorted[b].Number })
	values := make([]any, n)
	for r, row := range sorted {
		for i, idx := range keep {
			v := ""
			if idx < len(row.Cells) {
				v = row.Cells[idx]
			}
			values[i] = st.cell(v)
		}
		values[n-1] = excelize.Cell{StyleID: st.errCell, Value: row.Message}
		if err := sw.SetRow(fmt.Sprintf("A%d", r+2), values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

func headerStyle(st *styles, key string) int {
	if c, ok := instrument.ColumnByKey(key); ok && c.Required {
		return st.required
	}
	if key == keyReadOnly {
		return st.readOnly
	}
	return st.header
}

// Export writes instruments: first the import columns (same labels, coded
// values as "3.贸易结算", region and category as codes) so that the file
// imports again, then read-only columns for reading. next returns the next
// instrument, nil when done. instName names an institution by id.
//
// Values that a spreadsheet would take for a formula (=, +, -, @) are kept
// as they are but marked quote-prefixed text, so "-40~85℃" reads back
// unchanged and "=1+1" never computes.
func Export(w io.Writer, ref *refdata.Data, instName func(id string) string, next func() (*instrument.Instrument, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sheetInstruments); err != nil {
		return err
	}
	// Users add instruments to an export and import it (manual 三.3), so it
	// offers the template's dropdowns too.
	if err := dropdowns(f, regionOptions(ref), categoryOptions(ref)); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	sw, err := f.NewStreamWriter(sheetInstruments)
	if err != nil {
		return err
	}
	cols := len(instrument.Columns)
	total := cols + len(readOnlyLabels)
	if err := sw.SetColStyle(1, total, st.text); err != nil {
		return err
	}
	head := make([]any, 0, total)
	for i, c := range instrument.Columns {
		if err := sw.SetColWidth(i+1, i+1, columnWidth(c.Key)); err != nil {
			return err
		}
		head = append(head, excelize.Cell{StyleID: headerStyle(st, c.Key), Value: c.Label})
	}
	for i, l := range readOnlyLabels {
		if err := sw.SetColWidth(cols+i+1, cols+i+1, 16); err != nil {
			return err
		}
		head = append(head, excelize.Cell{StyleID: st.readOnly, Value: l})
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	values := make([]any, total)
	for row := 2; ; row++ {
		in, err := next()
		if err != nil {
			return err
		}
		if in == nil {
			break
		}
		for i, v := range exportRow(ref, instName, in) {
			values[i] = st.cell(v)
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", row), values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// exportRow is the text of every export column of in.
func exportRow(ref *refdata.Data, instName func(string) string, in *instrument.Instrument) []string {
	out := make([]string, 0, len(instrument.Columns)+len(readOnlyLabels))
	for _, c := range instrument.Columns {
		v := instrument.Display(in.Fields, c.Key)
		if c.Coded != nil {
			if code := c.Coded.CodeOf(v); code != 0 {
				v = codedOption(instrument.Option{Code: code, Name: v})
			}
		}
		out = append(out, v)
	}
	cat, _ := ref.Category(in.CategoryCode)
	item := cat.ItemName
	if item == "" {
		item = in.ItemCode
	}
	inst := ""
	if id := in.Filing.InstitutionID; id != "" && instName != nil {
		inst = instName(id)
	}
	// In the order of readOnlyLabels.
	return append(out, cat.Name, item, ref.RegionPath(in.RegionCode), inst, in.Code,
		in.Filing.Status.Name(), in.TraceStatus(), in.Life.Name(), instrument.Display(in.Fields, "nozzles"))
}

// simpleTemplate writes a bulk-update template: one sheet with the header,
// the 填写说明 sheet, no example row (examples are in the guide so that
// none is applied by mistake).
func simpleTemplate(w io.Writer, sheet string, rows []guideRow, notes []string) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := f.SetColStyle(sheet, "A:"+colName(len(rows)), st.text); err != nil {
		return err
	}
	for i, r := range rows {
		cell := colName(i+1) + "1"
		style := st.header
		if r.Required != "否" {
			style = st.required
		}
		if err := f.SetCellStr(sheet, cell, r.Label); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, colName(i+1), colName(i+1), 22); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := guide(f, st, rows, notes, nil); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

var limitNote = fmt.Sprintf("只支持 .xlsx 文件（不支持 .xls，不能设置密码）；一个文件最多 %d 行、不超过 %dM。", DefaultLimits.MaxRows, DefaultLimits.MaxBytes>>20)

// LocationTemplate writes the template of 更新地址 (manual 三.3), the bulk
// update of the install location of water, electricity and gas meters.
func LocationTemplate(w io.Writer) error {
	rows := []guideRow{
		{Label: labelCode, Required: "二选一", Format: "备案通过后分配的器具编码；填写后按编码查找仪器", Empty: "须填器具编码或出厂编号"},
		{Label: "出厂编号", Required: "二选一", Format: "没有器具编码时按出厂编号查找；出厂编号相同的表较多时，请同时填写器具名称和型号规格", Empty: "须填器具编码或出厂编号"},
		{Label: "器具名称", Required: "否", Format: "文本，用于区分出厂编号相同的仪器", Empty: "可不填"},
		{Label: "型号规格", Required: "否", Format: "文本，用于区分出厂编号相同的仪器", Empty: "可不填"},
		{Label: "安装使用地点", Required: "是", Format: "新的安装使用地点，如“天河区某某路 1 号 3 栋 201 房”", Empty: "不能为空"},
	}
	notes := []string{
		"1. 仅用于“三表”：水表（023003）、电能表（031005）、燃气表（072001），其他仪器的行会被拒绝。",
		"2. 每行一台表，例如：器具编码 4401060230030001，安装使用地点 天河区某某路 1 号 3 栋 201 房。",
		"3. 也可先导出三表，修改“安装使用地点”列后直接上传，导出文件中的其他列会被忽略。",
		"4. " + limitNote,
	}
	return simpleTemplate(w, sheetLocations, rows, notes)
}

// NozzleTemplate writes the template of 更换加油枪 (manual 三.3): the new
// nozzles of fuel dispensers, one row per nozzle.
func NozzleTemplate(w io.Writer) error {
	rows := []guideRow{
		{Label: labelCode, Required: "二选一", Format: "燃油加油机的器具编码", Empty: "须填器具编码或出厂编号"},
		{Label: "出厂编号", Required: "二选一", Format: "没有器具编码时按加油机的出厂编号查找", Empty: "须填器具编码或出厂编号"},
		{Label: labelNozzleNo, Required: "是", Format: "如 1、2；同一台加油机的枪号不能重复", Empty: "不能为空"},
		{Label: labelFuel, Required: "否", Format: "如 92#汽油、0#柴油", Empty: "可不填"},
		{Label: labelFlowRange, Required: "否", Format: "如 (5~50)L/min", Empty: "可不填"},
	}
	notes := []string{
		"1. 仅用于燃油加油机（015001）。每行一把加油枪。",
		"2. 同一台加油机的所有加油枪都要列出（各行不必相邻），导入后该加油机原有的加油枪全部换成这些行；一台加油机最多 16 把加油枪。",
		"3. 例如：出厂编号 JY2020001 的加油机有两把枪，则写两行：JY2020001、1、92#汽油、(5~50)L/min 和 JY2020001、2、95#汽油、(5~50)L/min。",
		"4. " + limitNote,
	}
	return simpleTemplate(w, sheetNozzles, rows, notes)
}
