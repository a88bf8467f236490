package excelio

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/configs"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
	"github.com/gdqjp/qj/core/refdata"
)

var loadRef = sync.OnceValues(func() (*refdata.Data, error) { return refdata.Load(configs.FS, "configs") })

func testRef(t testing.TB) *refdata.Data {
	t.Helper()
	ref, err := loadRef()
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func today() core.Date { return core.DateOf(time.Now()) }

// labels are the import header in template order.
func labels() []string {
	var out []string
	for _, c := range instrument.Columns {
		out = append(out, c.Label)
	}
	return out
}

// validRow is a complete, valid row in the order of labels().
func validRow(factoryNo string) []any {
	return []any{"电子秤", "ACS-30", "(0~30)kg", "Ⅲ", factoryNo, "", "某某衡器厂", "1", "一楼", "2021-03-05",
		"2", "3", "1", "1", "440106", "061001", "", "", "", "市场 一楼", ""}
}

// book builds an .xlsx with excelize: rows from A1 on sheet (Sheet1 when "").
func book(t testing.TB, sheet string, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sheet != "" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
	} else {
		sheet = "Sheet1"
	}
	for i, r := range rows {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t testing.TB, data []byte) *Workbook {
	t.Helper()
	wb, err := Open(data, Limits{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = wb.Close() })
	return wb
}

func readAll(t testing.TB, wb *Workbook) []Row {
	t.Helper()
	var rows []Row
	if err := wb.Instruments(func(r Row) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatalf("Instruments: %v", err)
	}
	return rows
}

// wantInvalid checks err is core.Invalid with exactly msg (or starting with
// it when msg ends in "…").
func wantInvalid(t testing.TB, err error, msg string) {
	t.Helper()
	if !core.IsCode(err, core.Invalid) {
		t.Fatalf("err = %v, want core.Invalid %q", err, msg)
	}
	got := core.ErrorMessage(err)
	if prefix, ok := strings.CutSuffix(msg, "…"); ok {
		if !strings.HasPrefix(got, prefix) {
			t.Fatalf("message = %q, want prefix %q", got, prefix)
		}
		return
	}
	if got != msg {
		t.Fatalf("message = %q, want %q", got, msg)
	}
}

// zipParts builds a zip archive by hand: name, content pairs.
func zipParts(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(parts); i += 2 {
		w, err := zw.Create(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(parts[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The parts of a minimal workbook around one worksheet.
var minimalParts = []string{
	"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
	"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
	"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="仪器信息" sheetId="1" r:id="rId1"/></sheets></workbook>`,
	"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`

// xmlRow is a worksheet row of inline strings.
func xmlRow(n int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, c := range cells {
		if c == "" {
			continue
		}
		fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, colName(i+1), n, c)
	}
	b.WriteString(`</row>`)
	return b.String()
}

func strs(v []any) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = fmt.Sprint(x)
	}
	return out
}

// rawBook builds an .xlsx by hand around the given sheetData content.
func rawBook(t testing.TB, dimension, sheetData string) []byte {
	t.Helper()
	sheet := sheetHead
	if dimension != "" {
		sheet += `<dimension ref="` + dimension + `"/>`
	}
	sheet += `<sheetData>` + sheetData + `</sheetData></worksheet>`
	return zipParts(t, append(append([]string(nil), minimalParts...), "xl/worksheets/sheet1.xml", sheet)...)
}

// compoundFile builds a minimal compound file (version 3, 512-byte
// sectors) holding the named streams of 4096 bytes each, the way .xls
// files and encrypted .xlsx files are stored.
func compoundFile(streams ...string) []byte {
	const sector = 512
	const free, end, fatSect, noStream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
	perStream := 4096 / sector
	nSectors := 2 + len(streams)*perStream // FAT, directory, streams
	out := make([]byte, sector*(1+nSectors))
	le := binary.LittleEndian
	h := out[:sector]
	copy(h, oleMagic)
	le.PutUint16(h[24:], 0x003E)
	le.PutUint16(h[26:], 3)
	le.PutUint16(h[28:], 0xFFFE)
	le.PutUint16(h[30:], 9)
	le.PutUint16(h[32:], 6)
	le.PutUint32(h[44:], 1)    // FAT sectors
	le.PutUint32(h[48:], 1)    // first directory sector
	le.PutUint32(h[56:], 4096) // mini stream cutoff
	le.PutUint32(h[60:], end)  // no mini FAT
	le.PutUint32(h[68:], end)  // no DIFAT sectors
	for i := 76; i < sector; i += 4 {
		le.PutUint32(h[i:], free)
	}
	le.PutUint32(h[76:], 0) // the FAT is sector 0
	sec := func(n int) []byte { return out[sector*(n+1) : sector*(n+2)] }
	fat := sec(0)
	for i := 0; i < sector/4; i++ {
		le.PutUint32(fat[i*4:], free)
	}
	le.PutUint32(fat[0:], fatSect)
	le.PutUint32(fat[4:], end)
	for s := range streams {
		first := 2 + s*perStream
		for i := 0; i < perStream; i++ {
			next := uint32(first + i + 1)
			if i == perStream-1 {
				next = end
			}
			le.PutUint32(fat[(first+i)*4:], next)
			for j := range sec(first + i) {
				sec(first + i)[j] = byte(j)
			}
		}
	}
	dir := sec(1)
	entry := func(i int, name string, typ byte, right, child, start uint32, size uint32) {
		e := dir[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(name))
		for k, r := range u {
			le.PutUint16(e[k*2:], r)
		}
		le.PutUint16(e[64:], uint16((len(u)+1)*2))
		e[66], e[67] = typ, 1
		le.PutUint32(e[68:], noStream)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint32(e[120:], size)
	}
	entry(0, "Root Entry", 5, noStream, 1, end, 0)
	for s, name := range streams {
		right := uint32(noStream)
		if s+1 < len(streams) {
			right = uint32(s + 2)
		}
		entry(s+1, name, 2, right, noStream, uint32(2+s*perStream), 4096)
	}
	for i := len(streams) + 1; i < 4; i++ {
		e := dir[i*128 : (i+1)*128]
		le.PutUint32(e[68:], noStream)
		le.PutUint32(e[72:], noStream)
		le.PutUint32(e[76:], noStream)
	}
	return out
}
