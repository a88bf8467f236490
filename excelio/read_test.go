package excelio

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

// quirkBook is a valid row with one cell set the way a user's Excel stored
// it: set writes that cell.
func quirkBook(t *testing.T, key string, date1904 bool, set func(f *excelize.File, cell string) error) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	head, row := labels(), validRow("Q-1")
	for i := range head {
		if err := f.SetCellStr("Sheet1", colName(i+1)+"1", head[i]); err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(row[i]); s != "" {
			if err := f.SetCellStr("Sheet1", colName(i+1)+"2", s); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, c := range instrument.Columns {
		if c.Key == key {
			if err := set(f, colName(i+1)+"2"); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func str(v string) func(*excelize.File, string) error {
	return func(f *excelize.File, c string) error { return f.SetCellStr("Sheet1", c, v) }
}
func num(v any) func(*excelize.File, string) error {
	return func(f *excelize.File, c string) error { return f.SetCellValue("Sheet1", c, v) }
}

// stored writes the raw number text a spreadsheet program stored.
func stored(v string) func(*excelize.File, string) error {
	return func(f *excelize.File, c string) error { return f.SetCellDefault("Sheet1", c, v) }
}

func TestQuirkyValues(t *testing.T) {
	ref := testRef(t)
	march5 := time.Date(2021, 3, 5, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		key      string
		set      func(*excelize.File, string) error
		date1904 bool
		input    string // the Input field
		parsed   string // instrument.Display after Parse; "" = same as input; "!" = Parse refuses
	}{
		{"category as number loses its zero", "category", num(61001), false, "61001", "061001"},
		{"category as float", "category", num(61001.0), false, "61001", "061001"},
		{"category stored 61001.0", "category", stored("61001.0"), false, "61001", "061001"},
		{"category as text", "category", str("061001"), false, "061001", ""},
		{"category full width", "category", str("０６１００１"), false, "０６１００１", "061001"},
		{"category from the dropdown", "category", str("061001 非自动衡器"), false, "061001", ""},
		{"category with blanks", "category", str(" 061001 "), false, " 061001 ", "061001"},
		{"category retired", "category", str("061002"), false, "061002", "!"},
		{"category empty", "category", str(""), false, "", "!"},
		{"region as number", "region", num(440106), false, "440106", ""},
		{"region stored 440106.0", "region", stored("440106.0"), false, "440106", ""},
		{"region in exponent form", "region", stored("4.40106E5"), false, "440106", ""},
		{"region in exponent form with sign", "region", stored("4.40106E+5"), false, "440106", ""},
		{"region full width", "region", str("４４０１０６"), false, "４４０１０６", "440106"},
		{"region from the dropdown", "region", str("440106 广州市天河区"), false, "440106", ""},
		{"region city level", "region", num(440100), false, "440100", "!"},
		{"date serial", "purchaseDate", num(march5), false, "2021-03-05", ""},
		{"date serial 1904 system", "purchaseDate", num(march5), true, "2021-03-05", ""},
		{"date serial stored", "purchaseDate", stored("44260"), false, "2021-03-05", ""},
		{"date serial with a time", "purchaseDate", stored("44260.75"), false, "2021-03-05", ""},
		{"date with slashes", "purchaseDate", str("2021/3/5"), false, "2021/3/5", "2021-03-05"},
		{"date in Chinese", "purchaseDate", str("2021年3月5日"), false, "2021年3月5日", "2021-03-05"},
		{"date as eight digits", "purchaseDate", num(20210305), false, "20210305", "2021-03-05"},
		{"date as eight digits text", "purchaseDate", str("20210305"), false, "20210305", "2021-03-05"},
		{"date full width", "purchaseDate", str("２０２１－０３－０５"), false, "２０２１－０３－０５", "2021-03-05"},
		{"date nonsense", "purchaseDate", str("去年"), false, "去年", "!"},
		{"date serial out of range stays", "purchaseDate", num(210305), false, "210305", "!"},
		{"valid until serial", "validUntil", stored("44625"), false, "2022-03-05", ""},
		{"factory number large", "factoryNo", num(123456789012), false, "123456789012", ""},
		{"factory number in exponent form", "factoryNo", stored("1.23456789012E+11"), false, "123456789012", ""},
		{"factory number with zeros", "factoryNo", str("000123"), false, "000123", ""},
		{"factory number of 20 digits as text", "factoryNo", str("20190312000123456789"), false, "20190312000123456789", ""},
		{"factory number full width", "factoryNo", str("ＡＢ１２３"), false, "ＡＢ１２３", "AB123"},
		{"coded as number", "usage", num(3), false, "3", "贸易结算"},
		{"coded stored 3.0", "usage", stored("3.0"), false, "3.0", "贸易结算"},
		{"coded as text", "usage", str("3"), false, "3", "贸易结算"},
		{"coded from the dropdown", "usage", str("3.贸易结算"), false, "3.贸易结算", "贸易结算"},
		{"coded full width", "usage", str("３"), false, "３", "贸易结算"},
		{"coded with blanks", "usage", str(" 3 "), false, " 3 ", "贸易结算"},
		{"coded as a name only", "usage", str("贸易结算"), false, "贸易结算", "!"},
		{"coded out of range", "usage", num(5), false, "5", "!"},
		{"optional coded empty takes the default", "origin", str(""), false, "", "国产"},
		{"model stored with float noise", "model", stored("1.1000000000000001"), false, "1.1", ""},
		{"accuracy stored in exponent form", "accuracy", stored("5E-4"), false, "0.0005", ""},
		{"range with a minus", "range", str("-40~85℃"), false, "-40~85℃", ""},
		{"name with blanks", "name", str("  电子秤　"), false, "  电子秤　", "电子秤"},
		{"tags with a full-width space", "tags", str("市场　一楼"), false, "市场　一楼", "市场 一楼"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := readAll(t, open(t, quirkBook(t, tc.key, tc.date1904, tc.set)))
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			c, _ := instrument.ColumnByKey(tc.key)
			in := rows[0].Input
			if got := *c.Get(&in); got != tc.input {
				t.Fatalf("Input.%s = %q, want %q", tc.key, got, tc.input)
			}
			fields, errs := instrument.Parse(ref, today(), in)
			var fieldErr []core.FieldError
			for _, e := range errs {
				if e.Field == tc.key {
					fieldErr = append(fieldErr, e)
				} else {
					t.Errorf("unexpected error on %s: %s", e.Field, e.Message)
				}
			}
			if tc.parsed == "!" {
				if len(fieldErr) == 0 {
					t.Fatalf("Parse accepted %q", tc.input)
				}
				return
			}
			if len(fieldErr) > 0 {
				t.Fatalf("Parse refused: %v", fieldErr)
			}
			want := tc.parsed
			if want == "" {
				want = tc.input
			}
			if got := instrument.Display(fields, tc.key); got != want {
				t.Errorf("parsed %s = %q, want %q", tc.key, got, want)
			}
		})
	}
}

func TestHeader_PermutationsAliasesAndMarkers(t *testing.T) {
	ref := testRef(t)
	head, row := labels(), validRow("H-1")
	reversed := slices.Clone(head)
	slices.Reverse(reversed)
	reversedRow := slices.Clone(row)
	slices.Reverse(reversedRow)
	marked := slices.Clone(head)
	marked[0] = "*器具名称"
	marked[1] = " 型号规格* "
	marked[4] = "出厂\n编号"
	marked[11] = "器具用途（必填）"
	marked[13] = "＊检定方式"
	marked[14] = "所属区域"
	marked[15] = "种别代码"
	for _, tc := range []struct {
		name string
		rows [][]any
		at   int // row number of the data row
	}{
		{"template order", [][]any{toAny(head), row}, 2},
		{"reversed", [][]any{toAny(reversed), reversedRow}, 2},
		{"markers, blanks, full width, aliases", [][]any{toAny(marked), row}, 2},
		{"title row and blank rows first", [][]any{{"仪器信息导入（请勿修改表头）"}, {}, toAny(head), {}, row}, 5},
		{"extra unknown columns", [][]any{append(toAny(head), "内部编号", "种别名称"), append(slices.Clone(row), "X-9", "非自动衡器")}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := readAll(t, open(t, book(t, "", tc.rows...)))
			if len(rows) != 1 || rows[0].Number != tc.at {
				t.Fatalf("rows = %+v, want one at row %d", rows, tc.at)
			}
			if _, errs := instrument.Parse(ref, today(), rows[0].Input); len(errs) > 0 {
				t.Fatalf("Parse: %v", errs)
			}
			if rows[0].Input.FactoryNo != "H-1" || rows[0].Input.Region != "440106" || rows[0].Input.Category != "061001" {
				t.Errorf("input = %+v", rows[0].Input)
			}
		})
	}
	for _, alias := range []string{"种别代码", "种别号"} {
		if fieldOfHeader(alias) != "category" {
			t.Errorf("%s is not read as 种别", alias)
		}
	}
	for _, alias := range []string{"所属地代码", "使用区域", "区域代码", "所属区域"} {
		if fieldOfHeader(alias) != "region" {
			t.Errorf("%s is not read as 所属地", alias)
		}
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestHeader_MissingColumnsAndNoHeader(t *testing.T) {
	head := labels()
	without := func(drop ...string) []any {
		var out []any
		for _, l := range head {
			if !slices.Contains(drop, l) {
				out = append(out, l)
			}
		}
		return out
	}
	wb := open(t, book(t, "", without("器具名称", "种别", "检定方式")))
	err := wb.Instruments(func(Row) error { t.Fatal("row handed out"); return nil })
	wantInvalid(t, err, "缺少必填列：器具名称、检定方式、种别")

	for name, rows := range map[string][][]any{
		"data without header": {validRow("A"), validRow("B")},
		"empty sheet":         {},
		"only a title":        {{"仪器信息"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(book(t, "", rows...), Limits{})
			wantInvalid(t, err, "未找到表头，请使用导入模板")
		})
	}
}

func TestRows_NumbersCellsAndBlankRows(t *testing.T) {
	data := rawBook(t, "", xmlRow(1, labels()...)+
		xmlRow(2, strs(validRow("R-2"))...)+
		`<row r="3"/>`+
		xmlRow(4, "", " ", "")+ // blanks only
		xmlRow(7, strs(validRow("R-7"))...))
	wb := open(t, data)
	if n, err := wb.Count(); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	rows := readAll(t, wb)
	if len(rows) != 2 || rows[0].Number != 2 || rows[1].Number != 7 {
		t.Fatalf("rows = %+v", rows)
	}
	if len(rows[1].Cells) != len(wb.Header()) || rows[1].Cells[4] != "R-7" {
		t.Errorf("cells = %q", rows[1].Cells)
	}
}

func TestInstruments_StopsOnCallerError(t *testing.T) {
	wb := open(t, book(t, "", toAny(labels()), validRow("1"), validRow("2"), validRow("3")))
	stop := fmt.Errorf("stop")
	seen := 0
	err := wb.Instruments(func(Row) error { seen++; return stop })
	if err != stop || seen != 1 {
		t.Fatalf("err = %v after %d rows", err, seen)
	}
}

func TestLocationUpdates(t *testing.T) {
	data := book(t, sheetLocations,
		[]any{"器具编码", "出厂编号", "器具名称", "型号规格", "安装使用地点"},
		[]any{"4401060230030001", "", "", "", "天河路 1 号"},
		[]any{"", 20190001, "水表", "LXS-15", " 体育西路 2 号　"},
		[]any{"", "", "", "", "无处"},
		[]any{"4401060230030002"},
	)
	wb := open(t, data)
	var got []LocationRow
	if err := wb.LocationUpdates(func(r LocationRow) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []LocationRow{
		{Number: 2, Code: "4401060230030001", Location: "天河路 1 号"},
		{Number: 3, FactoryNo: "20190001", Name: "水表", Model: "LXS-15", Location: "体育西路 2 号"},
		{Number: 4, Location: "无处", Problem: "器具编码和出厂编号不能都为空"},
		{Number: 5, Code: "4401060230030002", Problem: "安装使用地点不能为空"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %+v", got)
	}
	for i := range want {
		got[i].Cells = nil
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d = %+v,\nwant %+v", i, got[i], want[i])
		}
	}
	wb = open(t, book(t, "", []any{"器具名称", "型号规格", "备注"}))
	wantInvalid(t, wb.LocationUpdates(func(LocationRow) error { return nil }), "缺少必填列：器具编码或出厂编号、安装使用地点")
}

func TestNozzleRows(t *testing.T) {
	data := book(t, sheetNozzles,
		[]any{"出厂编号", "枪号", "油品", "流量范围"},
		[]any{"JY2020001", 1, "92#汽油", "(5~50)L/min"},
		[]any{"JY2020002", 1, "0#柴油", ""},
		[]any{"JY2020001", "２", "95#汽油", "(5~50)L/min"},
		[]any{"JY2020001", "", "98#汽油"},
	)
	wb := open(t, data)
	var got []NozzleRow
	if err := wb.NozzleRows(func(r NozzleRow) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []NozzleRow{
		{Number: 2, FactoryNo: "JY2020001", Nozzle: instrument.Nozzle{No: "1", Fuel: "92#汽油", FlowRange: "(5~50)L/min"}},
		{Number: 3, FactoryNo: "JY2020002", Nozzle: instrument.Nozzle{No: "1", Fuel: "0#柴油"}},
		{Number: 4, FactoryNo: "JY2020001", Nozzle: instrument.Nozzle{No: "2", Fuel: "95#汽油", FlowRange: "(5~50)L/min"}},
		{Number: 5, FactoryNo: "JY2020001", Nozzle: instrument.Nozzle{Fuel: "98#汽油"}, Problem: "枪号不能为空"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %+v", got)
	}
	for i := range want {
		got[i].Cells = nil
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d = %+v,\nwant %+v", i, got[i], want[i])
		}
	}
	wb = open(t, book(t, "", []any{"器具编码", "油品", "流量范围"}))
	wantInvalid(t, wb.NozzleRows(func(NozzleRow) error { return nil }), "缺少必填列：枪号")
}

func TestRowMessage(t *testing.T) {
	got := RowMessage([]core.FieldError{
		{Field: "name", Message: "器具名称不能为空"},
		{Field: "category", Message: "仪器的种别代码不能为空"},
		{Field: "nozzles", Message: "加油枪枪号 1 重复"},
		{Field: "", Message: "已存在相同的仪器"},
	})
	want := "器具名称：器具名称不能为空；种别：仪器的种别代码不能为空；加油枪：加油枪枪号 1 重复；已存在相同的仪器"
	if got != want {
		t.Errorf("RowMessage = %q,\nwant %q", got, want)
	}
	if RowMessage(nil) != "" {
		t.Error("no problems, no message")
	}
}
