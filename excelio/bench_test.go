package excelio

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
)

// bigBook is an upload of n full rows, written the way Excel stores them
// (shared strings), to measure reading at the row limit.
func bigBook(tb testing.TB, n int) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	head := make([]any, 0, len(labels()))
	for _, l := range labels() {
		head = append(head, l)
	}
	if err := sw.SetRow("A1", head); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		row := validRow(fmt.Sprintf("SN%08d", i))
		row[5] = fmt.Sprintf("ZB-%d", i)
		row[8] = fmt.Sprintf("天河区某某市场 %d 号档", i)
		row[9] = 44260 + i%300 // a date serial, as Excel stores typed dates
		row[14] = 440106
		row[15] = 61001
		row[20] = "批量导入"
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkOpenAndRead100kRows: an upload at the row limit, opened,
// counted and read row by row.
func BenchmarkOpenAndRead100kRows(b *testing.B) {
	data := bigBook(b, DefaultLimits.MaxRows)
	for b.Loop() {
		wb, err := Open(data, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		n, err := wb.Count()
		if err != nil || n != DefaultLimits.MaxRows {
			b.Fatalf("Count = %d, %v", n, err)
		}
		rows := 0
		if err := wb.Instruments(func(r Row) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("rows = %d, want %d", rows, n)
		}
		_ = wb.Close()
	}
	b.ReportMetric(float64(DefaultLimits.MaxRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
