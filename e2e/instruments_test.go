package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/excelio"
)

// writeXLSX builds an upload: the header row and data rows.
func writeXLSX(t *testing.T, dir, name string, rows ...[]string) string {
	t.Helper()
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	must(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

var importHeader = []string{"器具名称", "型号规格", "出厂编号", "器具用途", "检定方式", "所属地", "种别", "测量范围"}

// readSheet reads a downloaded workbook's data rows through the importer.
func readSheet(t *testing.T, data []byte) ([]string, []excelio.Row) {
	t.Helper()
	wb, err := excelio.Open(data, excelio.DefaultLimits)
	must(t, err)
	defer wb.Close()
	var rows []excelio.Row
	must(t, wb.Instruments(func(r excelio.Row) error { rows = append(rows, r); return nil }))
	return wb.Header(), rows
}

// TestBrowser_InstrumentsAddEditImportReportExport: add → edit → import a
// file with errors → download the error report → export.
func TestBrowser_InstrumentsAddEditImportReportExport(t *testing.T) {
	e := apptest.New(t)
	base := e.Serve()
	ctx := Browser(t)
	downloads := AllowDownloads(t, ctx)
	seen := map[string]bool{}

	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		login(app.DemoApplicant, app.DemoPassword),
		chromedp.WaitVisible(css("#home-cards")),
		chromedp.Click(css(`a[data-key="view-all"]`)),
		chromedp.WaitVisible(css("#add-instrument")),
		chromedp.Click(css("#add-instrument")),
		chromedp.WaitVisible(css("#instrument-form")),
		chromedp.SendKeys(css("#f-name"), "电子计价秤"),
		chromedp.SendKeys(css("#f-model"), "ACS-15"),
		chromedp.SendKeys(css("#f-factoryNo"), "WEB-001"),
		chromedp.SendKeys(css("#f-range"), "-40~85℃"),
		chromedp.SetValue(css("#f-usage"), "3"),
		chromedp.SetValue(css("#f-method"), "1"),
		chromedp.SetValue(css("#f-region"), "440106"),
		chromedp.SetValue(css("#f-category"), "061001"),
		chromedp.Click(css("#save-instrument")),
		chromedp.WaitVisible(css("#instrument-fields")),
	))
	Shot(t, ctx, "20-instrument-added")
	must(t, chromedp.Do(ctx,
		chromedp.Click(css("#edit-instrument")),
		chromedp.WaitVisible(css("#instrument-form")),
		chromedp.Clear(css("#f-model")),
		chromedp.SendKeys(css("#f-model"), "ACS-30"),
		chromedp.Click(css("#save-instrument")),
		chromedp.WaitVisible(css("#instrument-fields")),
		chromedp.Click(css("#tab-history")),
		chromedp.WaitVisible(css("#history")),
	))
	hist, err := chromedp.Run(ctx, chromedp.Text(css("#history")))
	must(t, err)
	mustContain(t, "history", hist, "编辑仪器")
	mustContain(t, "history", hist, "ACS-30")

	// Import a file with one good row and two bad ones.
	file := writeXLSX(t, t.TempDir(), "仪器.xlsx", importHeader,
		[]string{"电子台秤", "TCS-60", "IMP-1", "3", "1", "440106", "61001", "0~60kg"},
		[]string{"电子台秤", "TCS-60", "IMP-2", "3", "1", "440106", "061009", ""},
		[]string{"电子台秤", "TCS-60", "IMP-3", "贸易结算", "1", "440100", "061001", ""})
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/instruments?view=all"),
		chromedp.Click(css(`[data-toggle="excel-menu"]`)),
		chromedp.Click(css("#to-import")),
		chromedp.WaitVisible(css("#import-form")),
		chromedp.SetUploadFiles(css("#f-file"), []string{file}),
		chromedp.Click(css("#import-submit")),
		chromedp.WaitVisible(css("#job-summary")),
	))
	summary, err := chromedp.Run(ctx, chromedp.Text(css("#job-summary")))
	must(t, err)
	mustContain(t, "import summary", summary, "成功 1 行，失败 2 行")
	Shot(t, ctx, "21-import-result")
	must(t, chromedp.Do(ctx, chromedp.Click(css("#error-report"))))
	report := WaitDownload(t, downloads, ".xlsx", seen)
	header, rows := readSheet(t, report)
	if len(rows) != 2 || header[len(header)-1] != "错误信息" {
		t.Fatalf("error report: header %v, %d rows", header, len(rows))
	}
	msgs := rows[0].Cells[len(rows[0].Cells)-1] + rows[1].Cells[len(rows[1].Cells)-1]
	for _, want := range []string{"仪器的种别代码：061009 可能有误或已作废，无法找到相对应的名称",
		"【440100】是属于市级代码，使用区域须填最后两位不是“00”的区县级代码！",
		"器具用途代码只能为数字：1.安全防护，2.医疗卫生，3.贸易结算，4.环境监测，请检查确认！"} {
		mustContain(t, "error report", msgs, want)
	}

	// Export the current query: both instruments, the range intact.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/instruments?view=all"),
		chromedp.Click(css(`[data-toggle="excel-menu"]`)),
		chromedp.Click(css("#export")),
	))
	export := WaitDownload(t, downloads, ".xlsx", seen)
	_, exported := readSheet(t, export)
	var names []string
	for _, r := range exported {
		names = append(names, r.Input.FactoryNo+"/"+r.Input.Model+"/"+r.Input.Range)
	}
	got := strings.Join(names, ",")
	if len(exported) != 2 || !strings.Contains(got, "WEB-001/ACS-30/-40~85℃") || !strings.Contains(got, "IMP-1/TCS-60/0~60kg") {
		t.Fatalf("export: %s", got)
	}
	_ = context.Background()
}
