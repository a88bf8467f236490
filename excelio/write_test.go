package excelio

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/core/instrument"
)

// sampleInstruments are valid instruments with the values exports get
// wrong: leading minus, formulas, at-signs, dates, tags, every coded field.
func sampleInstruments(t *testing.T) []*instrument.Instrument {
	t.Helper()
	ref := testRef(t)
	inputs := []instrument.Input{
		{Name: "温度计", Model: "+86-20", Range: "-40~85℃", Accuracy: "-", FactoryNo: "T-0001", OwnNo: "-001",
			Manufacturer: "@x", Origin: "2", InstallLocation: "=HYPERLINK(\"http://evil\",\"点我\")", PurchaseDate: "2021-03-05",
			State: "4", Usage: "4", Type: "2", Method: "2", Region: "440106", Category: "061001",
			TypeApprovalNo: "2019C123-44", CertificateNo: "JD-2021-001", ValidUntil: "2022-03-05",
			Tags: "=a @b 一楼", Remarks: "=1+1"},
		{Name: "燃油加油机", Model: "CS46", FactoryNo: "123456789012", Usage: "3", Method: "2", Region: "441901",
			Category: "015001", Nozzles: []instrument.Nozzle{{No: "1", Fuel: "92#汽油", FlowRange: "(5~50)L/min"}, {No: "2", Fuel: "0#柴油"}}},
		{Name: "水表", Model: "LXS-15", FactoryNo: "000123", Usage: "3", Method: "1", Region: "440106", Category: "023003",
			Remarks: "第一行\n第二行"},
	}
	var out []*instrument.Instrument
	for i, in := range inputs {
		f, errs := instrument.Parse(ref, today(), in)
		if len(errs) > 0 {
			t.Fatalf("sample %d: %v", i, errs)
		}
		out = append(out, &instrument.Instrument{ID: string(rune('a' + i)), Fields: f, Life: instrument.Active,
			Filing: instrument.Filing{Status: instrument.Unfiled}})
	}
	out[0].Code, out[0].Life = "4401060610010001", instrument.Stopped
	out[0].Filing = instrument.Filing{Status: instrument.Approved, InstitutionID: "gz"}
	out[0].Verified, out[0].Last.Result = true, instrument.Unqualified
	out[1].Filing = instrument.Filing{Status: instrument.Approved, InstitutionID: "gz"}
	out[1].Verified, out[1].Last.Result = true, instrument.Qualified
	return out
}

func export(t *testing.T, list []*instrument.Instrument) []byte {
	t.Helper()
	var buf bytes.Buffer
	i := 0
	next := func() (*instrument.Instrument, error) {
		if i == len(list) {
			return nil, nil
		}
		i++
		return list[i-1], nil
	}
	names := func(id string) string { return map[string]string{"gz": "广州市计量检测技术研究院"}[id] }
	if err := Export(&buf, testRef(t), names, next); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExport_ReimportsEveryField(t *testing.T) {
	ref := testRef(t)
	list := sampleInstruments(t)
	rows := readAll(t, open(t, export(t, list)))
	if len(rows) != len(list) {
		t.Fatalf("%d rows, want %d", len(rows), len(list))
	}
	for i, r := range rows {
		got, errs := instrument.Parse(ref, today(), r.Input)
		if len(errs) > 0 {
			t.Fatalf("row %d: %v", r.Number, errs)
		}
		want := list[i].Fields
		// Nozzles are a read-only column of the export; 更换加油枪 sets them.
		want.Nozzles = nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("row %d:\n got %+v\nwant %+v", r.Number, got, want)
		}
	}
	if got := rows[0].Input.Range; got != "-40~85℃" {
		t.Errorf("range = %q", got)
	}
}

func TestExport_Columns(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(export(t, sampleInstruments(t))))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheetInstruments)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(labels(), readOnlyLabels...); !slices.Equal(rows[0], want) {
		t.Fatalf("header = %v", rows[0])
	}
	get := func(row int, label string) string {
		i := slices.Index(rows[0], label)
		if i < len(rows[row]) {
			return rows[row][i]
		}
		return ""
	}
	for _, tc := range []struct {
		row          int
		label, value string
	}{
		{1, "器具用途", "4.环境监测"}, {1, "生产地", "2.进口"}, {1, "检定方式", "2.现场检定"}, {1, "器具状态", "4.维修"},
		{1, "器具类型", "2.计量标准器具"}, {1, "所属地", "440106"}, {1, "种别", "061001"}, {1, "购买日期", "2021-03-05"},
		{1, "种别名称", "非自动衡器"}, {1, "类别", "非自动衡器"}, {1, "所属地名称", "广东省/广州市/天河区"},
		{1, "检定机构", "广州市计量检测技术研究院"}, {1, "器具编码", "4401060610010001"}, {1, "备案状态", "已审核"},
		{1, "溯源状态", "不合格"}, {1, "状态", "已停用"}, {1, "自定义标签", "=a @b 一楼"},
		{2, "溯源状态", "合格"}, {2, "加油枪", "1 92#汽油 (5~50)L/min；2 0#柴油"}, {2, "出厂编号", "123456789012"},
		{3, "溯源状态", "未检定"}, {3, "备案状态", "待备案"}, {3, "状态", "正常"}, {3, "出厂编号", "000123"},
	} {
		if got := get(tc.row, tc.label); got != tc.value {
			t.Errorf("row %d %s = %q, want %q", tc.row+1, tc.label, got, tc.value)
		}
	}
	dvs, err := f.GetDataValidations(sheetInstruments)
	if err != nil || len(dvs) != 7 {
		t.Errorf("export offers %d dropdowns (%v), want the template's 7", len(dvs), err)
	}
}

// Formula-like values stay as they are but carry the quotePrefix style
// (and the text number format), so editing the cell never computes them.
func TestExport_NeutralisesFormulas(t *testing.T) {
	data := export(t, sampleInstruments(t))
	sheet := zipPart(t, data, "xl/worksheets/sheet1.xml")
	if strings.Contains(sheet, "<f>") || strings.Contains(sheet, "<f ") {
		t.Fatal("the export contains a formula")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(sheetInstruments)
	for r, row := range rows[1:] {
		for c, v := range row {
			cell := fmt.Sprintf("%s%d", colName(c+1), r+2)
			id, err := f.GetCellStyle(sheetInstruments, cell)
			if err != nil {
				t.Fatal(err)
			}
			xf := f.Styles.CellXfs.Xf[id]
			quoted := xf.QuotePrefix != nil && *xf.QuotePrefix
			if v != "" && quoted != formulaLike(v) {
				t.Errorf("%s %q quotePrefix = %v", cell, v, quoted)
			}
			if v != "" && (xf.NumFmtID == nil || *xf.NumFmtID != 49) {
				t.Errorf("%s %q is not text formatted", cell, v)
			}
			if formula, _ := f.GetCellFormula(sheetInstruments, cell); formula != "" {
				t.Errorf("%s has formula %q", cell, formula)
			}
		}
	}
	// xsd:boolean: Excel writes "1", encoding/xml writes "true"; both are valid.
	if styles := zipPart(t, data, "xl/styles.xml"); !strings.Contains(styles, `quotePrefix="true"`) && !strings.Contains(styles, `quotePrefix="1"`) {
		t.Error("styles.xml has no quotePrefix")
	}
	for _, v := range []string{"=1+1", "+86-20", "-40~85℃", "@x", "-001"} {
		if !strings.Contains(sheet, ">"+v+"<") {
			t.Errorf("%q is not stored unchanged", v)
		}
	}
}

func zipPart(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("no part %s", name)
	return ""
}

func TestExport_NextError(t *testing.T) {
	boom := errors.New("store down")
	err := Export(io.Discard, testRef(t), nil, func() (*instrument.Instrument, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestExport_UsableForLocationUpdates(t *testing.T) {
	wb := open(t, export(t, sampleInstruments(t)))
	var got []LocationRow
	if err := wb.LocationUpdates(func(r LocationRow) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Code != "4401060610010001" || got[0].FactoryNo != "T-0001" || got[0].Location == "" {
		t.Fatalf("rows = %+v", got)
	}
}

func TestErrorReport_ReimportsAsIs(t *testing.T) {
	ref := testRef(t)
	head := toAny(labels())
	head = append(head, "内部编号")
	bad := validRow("E-2")
	bad[15] = "061009"
	bad[9] = 44260 // a date serial
	bad[20] = "=SUM(A1:A2)"
	good := validRow("E-3")
	worse := validRow("")
	worse[14] = 440100
	wb := open(t, book(t, "", head, bad, good, worse))
	var report []ReportRow
	var kept []Row
	err := wb.Instruments(func(r Row) error {
		if _, errs := instrument.Parse(ref, today(), r.Input); len(errs) > 0 {
			report = append(report, ReportRow{Number: r.Number, Cells: r.Cells, Message: RowMessage(errs)})
			kept = append(kept, r)
		}
		return nil
	})
	if err != nil || len(report) != 2 {
		t.Fatalf("err %v, %d failed rows", err, len(report))
	}
	slices.Reverse(report) // rows are written in upload order whatever the order given
	var buf bytes.Buffer
	if err := ErrorReport(&buf, wb.Header(), report); err != nil {
		t.Fatal(err)
	}

	again := open(t, buf.Bytes())
	if want := append(wb.Header(), "错误信息"); !slices.Equal(again.Header(), want) {
		t.Fatalf("report header = %v", again.Header())
	}
	rows := readAll(t, again)
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if !reflect.DeepEqual(r.Input, kept[i].Input) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, r.Input, kept[i].Input)
		}
		if msg := r.Cells[len(r.Cells)-1]; !strings.Contains(msg, "：") {
			t.Errorf("row %d message = %q", i, msg)
		}
	}
	if got := rows[0].Input.PurchaseDate; got != "2021-03-05" {
		t.Errorf("the date serial is shown as %q", got)
	}
	if msg := rows[0].Cells[len(rows[0].Cells)-1]; !strings.Contains(msg, "种别：仪器的种别代码：061009 可能有误或已作废") {
		t.Errorf("message = %q", msg)
	}
	if msg := rows[1].Cells[len(rows[1].Cells)-1]; !strings.Contains(msg, "出厂编号：") || !strings.Contains(msg, "所属地：【440100】是属于市级代码") {
		t.Errorf("message = %q", msg)
	}

	// A report of the report keeps one 错误信息 column.
	var buf2 bytes.Buffer
	if err := ErrorReport(&buf2, again.Header(), []ReportRow{{Number: rows[0].Number, Cells: rows[0].Cells, Message: "新的错误"}}); err != nil {
		t.Fatal(err)
	}
	third := open(t, buf2.Bytes())
	if n := slices.Index(third.Header(), "错误信息"); n != len(third.Header())-1 || strings.Count(strings.Join(third.Header(), ","), "错误信息") != 1 {
		t.Fatalf("header = %v", third.Header())
	}
	if rows := readAll(t, third); len(rows) != 1 || rows[0].Cells[len(rows[0].Cells)-1] != "新的错误" {
		t.Fatalf("rows = %+v", rows)
	}
	sheet := zipPart(t, buf.Bytes(), "xl/worksheets/sheet1.xml")
	if strings.Contains(sheet, "<f>") {
		t.Error("the report contains a formula")
	}
}
