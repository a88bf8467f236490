// Package excelio reads and writes the Excel files of instruments (manual
// 三.3–三.5, DOMAIN.md §5): the import template, uploads of filled templates
// or earlier exports, error reports users fix and upload again, exports, and
// the two bulk updates 更新地址 and 更换加油枪.
//
// Uploads come from the internet, so every read is bounded: the file size,
// the unzipped size, the number of rows and the time spent on trailing
// empty rows. Validation of the values themselves stays in
// core/instrument; this package only turns cells into the text users meant.
package excelio

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/richardlehane/mscfb"
	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/core"
)

// Limits bound what an upload may cost. Zero fields take the defaults.
type Limits struct {
	MaxBytes int64 // upload size
	MaxRows  int   // data rows
	// UnzipSize bounds the total unzipped size of the workbook; excelize's
	// own default (16 GB) would let a small zip fill the disk.
	UnzipSize int64
	// UnzipXMLSize bounds each part held in memory; bigger worksheets and
	// shared strings go to a temporary file, any other part is refused.
	UnzipXMLSize int64
}

// DefaultLimits are the limits of the import page. UnzipSize leaves room
// for our own export of 100,000 instruments (excelize writes inline
// strings: about 140 MB of sheet XML for the 30 columns) and no more.
var DefaultLimits = Limits{
	MaxBytes:     20 << 20,
	MaxRows:      100000,
	UnzipSize:    256 << 20,
	UnzipXMLSize: 16 << 20,
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultLimits.MaxRows
	}
	if l.UnzipSize <= 0 {
		l.UnzipSize = DefaultLimits.UnzipSize
	}
	if l.UnzipXMLSize <= 0 {
		l.UnzipXMLSize = DefaultLimits.UnzipXMLSize
	}
	l.UnzipXMLSize = min(l.UnzipXMLSize, l.UnzipSize)
	return l
}

// maxEntries bounds the parts of a workbook; a template has about ten.
const maxEntries = 10000

// maxEmptyRun is how many empty rows in a row end a sheet: files often carry
// formatted but empty rows down to row 1048576, and walking them all would
// cost seconds for nothing.
const maxEmptyRun = 10000

// headerSearch is how many non-empty rows may precede the header (a title
// row, a note) before the sheet is judged to have none.
const headerSearch = 10

// User-facing refusals.
const (
	msgUnreadable = "无法读取该文件，请上传用模板填写的 .xlsx 文件"
	msgXLS        = "不支持 Excel 97-2003（.xls）格式，请在 Excel 中另存为 .xlsx 后再上传"
	msgEncrypted  = "文件已设置密码，请取消密码保护后再上传"
	msgTooBig     = "文件解压后过大，请删除多余的内容（图片、空行、其他工作表）或分批导入"
	msgNoHeader   = "未找到表头，请使用导入模板"
	msgLongCell   = "文件中有超长的单元格内容（Excel 单元格最多 32767 个字符），无法读取该文件"
)

func invalid(format string, args ...any) error { return core.Errorf(core.Invalid, format, args...) }

func unreadable(cause error) error { return core.Wrap(core.Invalid, cause, msgUnreadable) }

// oleMagic starts every compound file: .xls, .doc, and encrypted OOXML.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Workbook is an uploaded workbook being read. It is not safe for
// concurrent use.
type Workbook struct {
	f        *excelize.File
	zip      *zip.Reader
	sheet    string
	limits   Limits
	date1904 bool

	header     []string       // the header row as uploaded
	headerRow  int            // its sheet row number
	exampleRow int            // the template's untouched example row, 0 if none
	keys       []string       // the field each header column maps to, "" if unknown
	index      map[string]int // field → its first column
	count      int            // data rows, -1 until counted
}

// Open checks an uploaded workbook against limits and returns a reader over
// its instrument sheet ("仪器信息", the bulk update sheets, else the first
// visible one). Every refusal is a core.Invalid error worded for the user.
// data must stay unchanged until Close: the workbook reads from it.
func Open(data []byte, limits Limits) (*Workbook, error) {
	l := limits.withDefaults()
	if int64(len(data)) > l.MaxBytes {
		return nil, invalid("文件不能超过 %dM", l.MaxBytes>>20)
	}
	if len(data) == 0 {
		return nil, invalid("上传的文件是空文件，请上传用模板填写的 .xlsx 文件")
	}
	if bytes.HasPrefix(data, oleMagic) {
		return nil, compoundFileError(data)
	}
	zr, err := checkZip(data, l)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    l.UnzipSize,
		UnzipXMLSizeLimit: l.UnzipXMLSize,
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, unreadable(err)
	}
	wb := &Workbook{f: f, zip: zr, limits: l, count: -1}
	if wb.sheet = pickSheet(f); wb.sheet == "" {
		_ = f.Close()
		return nil, unreadable(errors.New("no worksheet"))
	}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		wb.date1904 = *props.Date1904
	}
	if err := wb.findHeader(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return wb, nil
}

// compoundFileError tells an encrypted .xlsx (Excel wraps it in a compound
// file with an EncryptionInfo stream) from a legacy .xls.
func compoundFileError(data []byte) (err error) {
	defer func() {
		// A malformed compound file is still not an .xlsx; never let the
		// parser's trouble reach the user as a crash.
		if recover() != nil {
			err = invalid(msgXLS)
		}
	}()
	doc, perr := mscfb.New(bytes.NewReader(data))
	if perr != nil {
		return core.Wrap(core.Invalid, perr, msgXLS)
	}
	for i := 0; i < maxEntries; i++ {
		entry, nerr := doc.Next()
		if nerr != nil {
			break
		}
		if entry.Name == "EncryptionInfo" || entry.Name == "EncryptedPackage" {
			return invalid(msgEncrypted)
		}
	}
	return invalid(msgXLS)
}

// checkZip refuses archives that would cost more than the limits before
// excelize unpacks anything, and inflates every part once to catch lying
// size headers and corruption, which excelize would silently truncate.
func checkZip(data []byte, l Limits) (*zip.Reader, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, unreadable(err)
	}
	if len(zr.File) > maxEntries {
		return nil, invalid(msgTooBig)
	}
	var total uint64
	for _, zf := range zr.File {
		size := zf.UncompressedSize64
		total += size
		if total > uint64(l.UnzipSize) || (!streamedPart(zf.Name) && size > uint64(l.UnzipXMLSize)) {
			return nil, invalid(msgTooBig)
		}
	}
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, unreadable(err)
		}
		// archive/zip fails the read past the declared size and checks the
		// CRC at the end, so this pass is bounded by the sizes checked above.
		var sink io.Writer = io.Discard
		guard := &runGuard{}
		if streamedPart(zf.Name) {
			sink = guard
		}
		n, err := io.Copy(sink, rc)
		_ = rc.Close()
		if guard.tooLong {
			return nil, invalid(msgLongCell)
		}
		if err != nil || uint64(n) != zf.UncompressedSize64 {
			return nil, unreadable(err)
		}
	}
	return zr, nil
}

// maxTextRun bounds the bytes between two '<' of a sheet: an Excel cell
// holds at most 32767 characters (under 200 KB even as escaped UTF-8), and
// excelize decodes each cell, attributes included, whole into memory.
const maxTextRun = 1 << 20

// runGuard is a sink that notes a run longer than maxTextRun.
type runGuard struct {
	run     int
	tooLong bool
}

var errTooLong = errors.New("excelio: text run too long")

func (g *runGuard) Write(p []byte) (int, error) {
	n := len(p)
	for {
		i := bytes.IndexByte(p, '<')
		if i < 0 {
			g.run += len(p)
			break
		}
		if g.run+i > maxTextRun {
			g.tooLong = true
		}
		g.run, p = 0, p[i+1:]
	}
	if g.tooLong || g.run > maxTextRun {
		g.tooLong = true
		return n, errTooLong
	}
	return n, nil
}

// streamedPart reports the parts excelize moves to a temporary file when
// they are large, instead of holding them in memory.
func streamedPart(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	return strings.HasPrefix(n, "xl/worksheets/sheet") || n == "xl/sharedstrings.xml"
}

// sheetPreference: the sheets our own templates write.
var sheetPreference = []string{sheetInstruments, sheetLocations, sheetNozzles}

func pickSheet(f *excelize.File) string {
	list := f.GetSheetList()
	for _, want := range sheetPreference {
		for _, s := range list {
			if strings.TrimSpace(s) == want {
				return s
			}
		}
	}
	for _, s := range list {
		if visible, err := f.GetSheetVisible(s); err == nil && visible {
			return s
		}
	}
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

// Close removes the temporary files of the workbook.
func (wb *Workbook) Close() error { return wb.f.Close() }

// Header returns the header row as uploaded.
func (wb *Workbook) Header() []string { return append([]string(nil), wb.header...) }

// Count returns the number of data rows (non-empty rows after the header,
// without the template's example row), or the refusal when there are more
// than the limit allows. It scans the sheet once without decoding cells;
// the result is kept.
func (wb *Workbook) Count() (int, error) {
	if wb.count >= 0 {
		return wb.count, nil
	}
	n, err := wb.fastCount()
	if err != nil {
		// A workbook laid out in a way the byte scan does not follow:
		// count by walking the rows.
		n, err = wb.exactCount()
		if err != nil {
			return 0, err
		}
	}
	if n > wb.limits.MaxRows {
		return 0, tooManyRows(wb.limits)
	}
	wb.count = n
	return n, nil
}

// exactCount counts by walking the rows as Instruments does.
func (wb *Workbook) exactCount() (int, error) {
	n := 0
	err := wb.scan(func(int, []string) error { n++; return nil })
	return n, err
}

// counted makes sure the row limit is checked before any row is handed to
// a caller, so an oversized file is refused instead of half imported.
func (wb *Workbook) counted() error {
	_, err := wb.Count()
	return err
}

// rows walks the sheet with excelize's streaming iterator, giving each row's
// number and raw cells, and stops after a long run of empty rows.
func (wb *Workbook) rows(fn func(number int, cells []string) (stop bool, err error)) error {
	rows, err := wb.f.Rows(wb.sheet)
	if err != nil {
		return unreadable(err)
	}
	defer rows.Close()
	number, empty := 0, 0
	for rows.Next() {
		// The iterator yields one step per sheet row, including the rows
		// missing from the XML, so the step count is the row number.
		number++
		cells, err := rows.Columns()
		if err != nil {
			return unreadable(err)
		}
		if isEmpty(cells) {
			if empty++; empty >= maxEmptyRun {
				break
			}
			continue
		}
		empty = 0
		stop, err := fn(number, cells)
		if err != nil || stop {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return unreadable(err)
	}
	return nil
}

// findHeader takes the first row that names at least two known columns,
// and notes whether the first row after it is the template's example.
func (wb *Workbook) findHeader() error {
	seen := 0
	found := false
	err := wb.rows(func(number int, cells []string) (bool, error) {
		if found {
			if wb.isExample(wb.align(cells)) {
				wb.exampleRow = number
			}
			return true, nil
		}
		keys := make([]string, len(cells))
		known := 0
		for i, c := range cells {
			if keys[i] = fieldOfHeader(c); keys[i] != "" {
				known++
			}
		}
		if known >= 2 {
			wb.header, wb.headerRow, wb.keys, found = cells, number, keys, true
			wb.index = map[string]int{}
			for i, k := range keys {
				if _, dup := wb.index[k]; k != "" && !dup {
					wb.index[k] = i
				}
			}
			return false, nil
		}
		seen++
		return seen >= headerSearch, nil
	})
	if err != nil {
		return err
	}
	if !found {
		return invalid(msgNoHeader)
	}
	return nil
}

// scan calls fn for every data row: non-empty, after the header, not the
// template's example row. It refuses the file at the first row over the
// limit.
func (wb *Workbook) scan(fn func(number int, cells []string) error) error {
	data := 0
	return wb.rows(func(number int, raw []string) (bool, error) {
		if number <= wb.headerRow {
			return false, nil
		}
		cells := wb.align(raw)
		if isEmpty(cells) || number == wb.exampleRow {
			return false, nil
		}
		if data++; data > wb.limits.MaxRows {
			return true, tooManyRows(wb.limits)
		}
		return false, fn(number, cells)
	})
}

// align cuts or pads raw to the header and makes each cell readable: date
// serial numbers become dates and numbers lose their exponent.
func (wb *Workbook) align(raw []string) []string {
	cells := make([]string, len(wb.header))
	for i := range cells {
		if i < len(raw) {
			cells[i] = readable(wb.keys[i], raw[i], wb.date1904)
		}
	}
	return cells
}

// col returns the index of the column holding field key, or -1.
func (wb *Workbook) col(key string) int {
	if i, ok := wb.index[key]; ok {
		return i
	}
	return -1
}

// cell returns the cell of field key, or "" when the column is absent.
func (wb *Workbook) cell(cells []string, key string) string {
	if i := wb.col(key); i >= 0 {
		return cells[i]
	}
	return ""
}

func tooManyRows(l Limits) error { return invalid("最多导入 %d 行，请分批导入", l.MaxRows) }

func isEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
