package excelio

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// corruptPart flips a byte in the middle of a part's compressed data: the
// archive still opens, the part fails its checksum (or does not inflate).
func corruptPart(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	out := append([]byte(nil), data...)
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			off, err := f.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			out[off+int64(f.CompressedSize64)/2] ^= 0x55
			return out
		}
	}
	t.Fatalf("no part %s", name)
	return nil
}

// bounded runs fn and fails when it takes longer than d or allocates more
// than maxAlloc bytes.
func bounded(t *testing.T, d time.Duration, maxAlloc uint64, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	fn()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if took > d {
		t.Errorf("took %v, want under %v", took, d)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxAlloc {
		t.Errorf("allocated %d MB, want under %d MB", alloc>>20, maxAlloc>>20)
	}
}

// bomb is a zip whose worksheet inflates to size bytes of valid, highly
// compressible sheet XML (empty rows), built without compressing size
// bytes: a deflate stream of independently compressed, non-final 1 MB
// blocks can be repeated. declared is the uncompressed size the headers
// claim (0: the truth).
func bomb(t *testing.T, size, declared uint64) []byte {
	t.Helper()
	const chunk = 1 << 20
	unit := bytes.Repeat([]byte(`<row></row>`), chunk/len(`<row></row>`)+1)[:chunk]
	var block bytes.Buffer
	fw, _ := flate.NewWriter(&block, flate.BestCompression)
	_, _ = fw.Write(unit)
	_ = fw.Flush() // ends with a non-final empty block: the stream goes on
	var final bytes.Buffer
	fw, _ = flate.NewWriter(&final, flate.BestCompression)
	_ = fw.Close() // an empty final block
	n := size / chunk
	var stream bytes.Buffer
	crc := uint32(0)
	for range n {
		stream.Write(block.Bytes())
		crc = crc32.Update(crc, crc32.IEEETable, unit)
	}
	stream.Write(final.Bytes())
	if declared == 0 {
		declared = n * chunk
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(minimalParts); i += 2 {
		w, _ := zw.Create(minimalParts[i])
		_, _ = w.Write([]byte(minimalParts[i+1]))
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CRC32: crc, CompressedSize64: uint64(stream.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(stream.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHostileFiles(t *testing.T) {
	valid := book(t, "", toAny(labels()), validRow("V-1"))
	var encrypted bytes.Buffer
	{
		f, err := excelize.OpenReader(bytes.NewReader(valid))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Write(&encrypted, excelize.Options{Password: "123456"}); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	corrupt := corruptPart(t, valid, "xl/worksheets/sheet1.xml")
	manyParts := func() []byte {
		parts := append([]string(nil), minimalParts...)
		for i := range maxEntries + 1 {
			parts = append(parts, fmt.Sprintf("xl/media/x%d.txt", i), "x")
		}
		return zipParts(t, parts...)
	}
	bigStyles := zipParts(t, append(append([]string(nil), minimalParts...),
		"xl/worksheets/sheet1.xml", sheetHead+`<sheetData/></worksheet>`,
		"xl/styles.xml", strings.Repeat(" ", int(DefaultLimits.UnzipXMLSize)+1))...)
	giantCell := rawBook(t, "", xmlRow(1, labels()...)+xmlRow(2, "电子秤", strings.Repeat("A", 2<<20)))

	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"larger than 20M", make([]byte, 20<<20+1), "文件不能超过 20M"},
		{"empty", nil, "上传的文件是空文件，请上传用模板填写的 .xlsx 文件"},
		{"garbage", []byte("这不是一个 Excel 文件，只是一段文字。"), msgUnreadable},
		{"truncated", valid[:len(valid)/2], msgUnreadable},
		{"corrupt part", corrupt, msgUnreadable},
		{"a zip that is not a workbook", zipParts(t, "readme.txt", "hello"), msgUnreadable},
		{"xls renamed", compoundFile("Workbook", "\x05SummaryInformation"), msgXLS},
		{"compound file garbage", append(append([]byte(nil), oleMagic...), bytes.Repeat([]byte{0xAB}, 2000)...), msgXLS},
		{"encrypted by excelize", encrypted.Bytes(), msgEncrypted},
		{"encrypted (streams)", compoundFile("EncryptionInfo", "EncryptedPackage"), msgEncrypted},
		{"too many parts", manyParts(), msgTooBig},
		{"a huge non-sheet part", bigStyles, msgTooBig},
		{"header missing", book(t, "", validRow("A"), validRow("B")), msgNoHeader},
		{"giant cell", giantCell, msgLongCell},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bounded(t, 2*time.Second, 256<<20, func() {
				wb, err := Open(tc.data, Limits{})
				if err == nil {
					wb.Close()
				}
				wantInvalid(t, err, tc.msg)
			})
		})
	}
}

func TestZipBomb(t *testing.T) {
	for _, tc := range []struct {
		name           string
		size, declared uint64
		msg            string
	}{
		// 2 GB of rows in about 2 MB: the sizes alone refuse it.
		{"honest sizes", 2 << 30, 0, "文件解压后过大…"},
		// The header claims 1 MB; inflating stops right after it.
		{"lying sizes", 1 << 30, 1 << 20, msgUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bomb(t, tc.size, tc.declared)
			if int64(len(data)) > DefaultLimits.MaxBytes {
				t.Fatalf("bomb of %d bytes", len(data))
			}
			bounded(t, time.Second, 64<<20, func() {
				_, err := Open(data, DefaultLimits)
				wantInvalid(t, err, tc.msg)
			})
		})
	}
}

func TestTooManyRows(t *testing.T) {
	var rows strings.Builder
	rows.WriteString(xmlRow(1, labels()...))
	for i := 2; i <= 152; i++ {
		rows.WriteString(xmlRow(i, strs(validRow(fmt.Sprint(i)))...))
	}
	data := rawBook(t, "", rows.String())
	limits := Limits{MaxRows: 150}

	wb, err := Open(data, limits)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	_, err = wb.Count()
	wantInvalid(t, err, "最多导入 150 行，请分批导入")

	// Without Count first, no row is handed out before the refusal.
	wb2, err := Open(data, limits)
	if err != nil {
		t.Fatal(err)
	}
	defer wb2.Close()
	err = wb2.Instruments(func(Row) error { t.Fatal("row handed out"); return nil })
	wantInvalid(t, err, "最多导入 150 行，请分批导入")

	// At the limit it is fine.
	wb3, err := Open(data, Limits{MaxRows: 151})
	if err != nil {
		t.Fatal(err)
	}
	defer wb3.Close()
	if n, err := wb3.Count(); n != 151 || err != nil {
		t.Fatalf("Count = %d, %v", n, err)
	}
}

// The default limit, found early: 300,000 one-cell rows are refused in a
// fraction of the time reading them would take.
func TestTooManyRows_DefaultLimitStopsEarly(t *testing.T) {
	var rows strings.Builder
	rows.WriteString(xmlRow(1, "器具名称", "型号规格"))
	for i := 2; i <= 300001; i++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d"><v>%d</v></c></row>`, i, i, i)
	}
	data := rawBook(t, "", rows.String())
	bounded(t, 2*time.Second, 256<<20, func() {
		wb, err := Open(data, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		_, err = wb.Count()
		wantInvalid(t, err, "最多导入 100000 行，请分批导入")
	})
}

// A million formatted but empty rows after the data, and a dimension
// claiming the whole sheet, cost next to nothing.
func TestTrailingEmptyRows(t *testing.T) {
	var rows strings.Builder
	rows.WriteString(xmlRow(1, labels()...))
	rows.WriteString(xmlRow(2, strs(validRow("T-2"))...))
	rows.WriteString(xmlRow(3, strs(validRow("T-3"))...))
	for i := 4; i < 1_000_004; i++ {
		fmt.Fprintf(&rows, `<row r="%d" s="1" customFormat="1"/>`, i)
	}
	data := rawBook(t, "A1:XFD1048576", rows.String())
	bounded(t, 3*time.Second, 512<<20, func() {
		wb := open(t, data)
		if n, err := wb.Count(); n != 2 || err != nil {
			t.Fatalf("Count = %d, %v", n, err)
		}
		if got := readAll(t, wb); len(got) != 2 {
			t.Fatalf("%d rows", len(got))
		}
	})
	// Rows far below, past a long run of empty rows, are the same waste.
	far := rawBook(t, "A1:XFD1048576", xmlRow(1, labels()...)+xmlRow(2, strs(validRow("T-2"))...)+
		xmlRow(1048576, strs(validRow("T-far"))...))
	wb := open(t, far)
	if n, err := wb.Count(); n != 1 || err != nil {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if got := readAll(t, wb); len(got) != 1 {
		t.Fatalf("%d rows", len(got))
	}
}

// The byte scan of Count and the row walk of Instruments agree.
func TestCount_AgreesWithTheRowWalk(t *testing.T) {
	head := labels()
	blankShared := book(t, "", toAny(head), validRow("1"), []any{" ", "  ", "\u3000"}, validRow("2"))
	beyond := book(t, "", toAny(head), validRow("1"), append(make([]any, len(head)), "备注在表头外"), validRow("2"))
	withExample := func() []byte {
		var buf bytes.Buffer
		if err := Template(&buf, testRef(t)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	xmlOddities := rawBook(t, "", xmlRow(1, head...)+
		`<!-- a comment with <row> inside -->`+
		`<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[电子秤]]></t></is></c></row>`+
		`<row r="3"><c r="A3" t="inlineStr"><is><t xml:space="preserve">   </t></is></c></row>`+
		`<row><c t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c></row>`+
		`<row r="5"><c r="B5"><f>1+1</f></c></row>`+
		`<row r="6"><c r="C6" t="b"><v>0</v></c></row>`+
		`<!-- a long comment `+strings.Repeat("x>", 400)+` -->`+
		`<row r="7" spans="`+strings.Repeat("1", 700)+`"/>`+
		`<row r="8"><c r="A8" t="inlineStr"><is><t>水表</t></is></c></row>`)
	for name, data := range map[string][]byte{
		"blank shared strings": blankShared, "values beyond the header": beyond,
		"template example row": withExample, "xml oddities": xmlOddities,
		"export": export(t, sampleInstruments(t)), "big": bigBook(t, 500),
	} {
		t.Run(name, func(t *testing.T) {
			wb := open(t, data)
			fast, err := wb.fastCount()
			if err != nil {
				t.Fatal(err)
			}
			exact, err := wb.exactCount()
			if err != nil {
				t.Fatal(err)
			}
			if fast != exact {
				t.Fatalf("byte scan counts %d rows, the walk %d", fast, exact)
			}
			if name == "xml oddities" && fast != 4 {
				t.Fatalf("%d rows, want 4 (rows 2, 4, 6 and 8)", fast)
			}
		})
	}
}
