package excelio

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
)

// Counting rows through excelize decodes every cell and costs as much as
// reading them (seconds for 100,000 rows). Count only needs to know which
// rows hold a value, so it scans the worksheet XML bytes instead, applying
// the rules of the row walk: values beyond the header and blank shared
// strings do not make a data row, a long run of empty rows ends the sheet.

// errNoPart: the worksheet could not be located in the archive; Count
// falls back to the row walk.
var errNoPart = errors.New("excelio: worksheet part not found")

// fastCount counts the data rows, stopping past the limit.
func (wb *Workbook) fastCount() (int, error) {
	parts, err := locate(wb.zip, wb.sheet)
	if err != nil {
		return 0, err
	}
	var blank map[int]bool
	if parts.sharedStrings != nil {
		if blank, err = blankStrings(parts.sharedStrings); err != nil {
			return 0, err
		}
	}
	rc, err := parts.sheet.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n := 0
	err = scanRows(rc, len(wb.header), blank, func(row int, data bool) bool {
		if data && row > wb.headerRow && row != wb.exampleRow {
			n++
		}
		return n > wb.limits.MaxRows
	})
	return n, err
}

// tokenizer walks XML bytes tag by tag, keeping for each tag whether the
// text before it was blank and its first bytes: all a row count needs,
// at the speed of reading bytes.
type tokenizer struct {
	br    *bufio.Reader
	text  []byte  // the first bytes of the text before the tag
	blank bool    // the text before the tag is blank
	tag   []byte  // the tag's content up to '>', at most 512 bytes
	tail  [3]byte // the last bytes of the whole tag, up to '>'
}

func newTokenizer(r io.Reader) *tokenizer {
	return &tokenizer{br: bufio.NewReaderSize(r, 64<<10)}
}

// next reads up to the end of the next tag; io.EOF at the end.
func (z *tokenizer) next() error {
	z.text, z.blank = z.text[:0], true
	for {
		if err := z.readText(); err != nil {
			return err
		}
		z.tag, z.tail = z.tag[:0], [3]byte{}
		for {
			chunk, err := z.br.ReadSlice('>')
			if len(z.tag) < 512 {
				z.tag = append(z.tag, chunk[:min(len(chunk), 512-len(z.tag))]...)
			}
			for _, b := range chunk[max(0, len(chunk)-3):] {
				z.tail = [3]byte{z.tail[1], z.tail[2], b}
			}
			if err == nil {
				break
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				return err
			}
		}
		switch {
		case bytes.HasPrefix(z.tag, []byte("!--")):
			if z.tail != [3]byte{'-', '-', '>'} {
				if err := skipPast(z.br, "-->"); err != nil {
					return err
				}
			}
		case bytes.HasPrefix(z.tag, []byte("![CDATA[")):
			// Character data, part of the text.
			body := bytes.TrimSuffix(z.tag[len("![CDATA["):], []byte("]]>"))
			z.addText(body)
			if z.tail != [3]byte{']', ']', '>'} {
				if err := skipPast(z.br, "]]>"); err != nil {
					return err
				}
			}
		default:
			return nil
		}
	}
}

func (z *tokenizer) readText() error {
	for {
		chunk, err := z.br.ReadSlice('<')
		z.addText(bytes.TrimSuffix(chunk, []byte("<")))
		if err == nil {
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

func (z *tokenizer) addText(b []byte) {
	if z.blank && len(bytes.TrimSpace(b)) > 0 {
		z.blank = false
	}
	if len(z.text) < 64 {
		z.text = append(z.text, b[:min(len(b), 64-len(z.text))]...)
	}
}

func (z *tokenizer) closing() bool     { return len(z.tag) > 0 && z.tag[0] == '/' }
func (z *tokenizer) selfClosing() bool { return z.tail[1] == '/' && z.tail[2] == '>' }

// scanRows calls fn for every row holding a non-blank value, in order,
// with data telling whether a value lies within the first width columns,
// until fn returns true, the sheet data ends, or a run of maxEmptyRun
// empty rows ends the sheet. blank lists the blank shared strings.
func scanRows(r io.Reader, width int, blank map[int]bool, fn func(row int, data bool) bool) error {
	z := newTokenizer(r)
	row, last, col := 0, 0, 0
	inRow, filled, data, shared := false, false, false, false
	value := func() {
		if z.blank {
			return
		}
		if shared {
			if i, err := strconv.Atoi(string(bytes.TrimSpace(z.text))); err == nil && blank[i] {
				return
			}
		}
		filled = true
		data = data || col <= width
	}
	for {
		if err := z.next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		name := tagName(z.tag)
		switch {
		case string(name) == "c" && inRow && !z.closing():
			// Columns are counted for cells without r="…", as excelize does.
			col++
			if v, ok := attr(z.tag, attrR); ok {
				if c := column(v); c > 0 {
					col = c
				}
			}
			t, _ := attr(z.tag, attrT)
			shared = string(t) == "s"
		case (string(name) == "v" || string(name) == "t") && inRow && z.closing():
			// The text before </v> or </t> is the value.
			if string(name) == "t" {
				shared = false
			}
			value()
		case string(name) == "row" && !z.closing():
			row++
			if v, ok := attr(z.tag, attrR); ok {
				if n, err := strconv.Atoi(string(v)); err == nil && n > 0 {
					row = n
				}
			}
			if row-last > maxEmptyRun {
				return nil
			}
			inRow, filled, data, col = !z.selfClosing(), false, false, 0
		case string(name) == "row":
			if inRow && filled {
				last = row
				if fn(row, data) {
					return nil
				}
			}
			inRow = false
		case string(name) == "sheetData" && z.closing():
			return nil
		}
	}
}

// blankStrings lists the shared strings that are blank: a cell showing
// one is empty for the row walk.
func blankStrings(part *zip.File) (map[int]bool, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	z := newTokenizer(rc)
	out := map[int]bool{}
	i, isBlank, phonetic := -1, true, false
	for {
		if err := z.next(); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return nil, err
		}
		switch name := tagName(z.tag); {
		case string(name) == "si" && !z.closing():
			i, isBlank = i+1, true
			if z.selfClosing() {
				out[i] = true
			}
		case string(name) == "si":
			if isBlank {
				out[i] = true
			}
		case string(name) == "rPh":
			// Phonetic hints are not part of the shown text.
			phonetic = !z.closing() && !z.selfClosing()
		case string(name) == "t" && z.closing() && !phonetic && !z.blank:
			isBlank = false
		}
	}
}

// skipPast consumes input up to and including end (a comment or CDATA
// whose first '>' was not its last).
func skipPast(br *bufio.Reader, end string) error {
	window := make([]byte, 0, len(end))
	for {
		b, err := br.ReadByte()
		if err != nil {
			return err
		}
		if len(window) == len(end) {
			window = append(window[:0], window[1:]...)
		}
		window = append(window, b)
		if string(window) == end {
			return nil
		}
	}
}

// tagName is the local name of a tag's content ("x:row r=…" → "row").
func tagName(tag []byte) []byte {
	t := bytes.TrimPrefix(tag, []byte("/"))
	if end := bytes.IndexAny(t, " \t\r\n/>"); end >= 0 {
		t = t[:end]
	}
	if i := bytes.IndexByte(t, ':'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

var (
	attrR = []byte("r=")
	attrT = []byte("t=")
)

// attr finds an attribute (key is `name=`) in a tag's content.
func attr(tag, key []byte) ([]byte, bool) {
	for i := 0; ; {
		j := bytes.Index(tag[i:], key)
		if j < 0 {
			return nil, false
		}
		j += i
		if j > 0 && isBlank(tag[j-1]) && j+len(key) < len(tag) {
			q := tag[j+len(key)]
			rest := tag[j+len(key)+1:]
			if k := bytes.IndexByte(rest, q); (q == '"' || q == '\'') && k >= 0 {
				return rest[:k], true
			}
		}
		i = j + 1
	}
}

// column is the column number of a cell reference ("AB12" → 28), 0 if
// it has none.
func column(ref []byte) int {
	n := 0
	for _, b := range ref {
		switch {
		case b >= 'A' && b <= 'Z':
			n = n*26 + int(b-'A') + 1
		case b >= 'a' && b <= 'z':
			n = n*26 + int(b-'a') + 1
		case b == '$':
		default:
			return n
		}
		if n > 16384 {
			return 0
		}
	}
	return n
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// sheetParts are the archive parts a count reads.
type sheetParts struct {
	sheet, sharedStrings *zip.File
}

// locate finds the parts of the named worksheet through the workbook and
// its relationships, as excelize does.
func locate(zr *zip.Reader, sheet string) (sheetParts, error) {
	var out sheetParts
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))] = f
	}
	readXML := func(name string, v any) error {
		f := files[strings.ToLower(name)]
		if f == nil {
			return errNoPart
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		return xml.NewDecoder(rc).Decode(v)
	}
	type rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	resolve := func(base, target string) string {
		if strings.HasPrefix(target, "/") {
			return strings.ToLower(strings.TrimPrefix(target, "/"))
		}
		return strings.ToLower(path.Join(path.Dir(base), target))
	}
	workbook := "xl/workbook.xml"
	var root rels
	if err := readXML("_rels/.rels", &root); err == nil {
		for _, r := range root.Rel {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				workbook = resolve("", r.Target)
			}
		}
	}
	var wbx struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readXML(workbook, &wbx); err != nil {
		return out, err
	}
	var wbRels rels
	if err := readXML(path.Join(path.Dir(workbook), "_rels", path.Base(workbook)+".rels"), &wbRels); err != nil {
		return out, err
	}
	id := ""
	for _, s := range wbx.Sheets {
		if s.Name == sheet {
			id = s.ID
		}
	}
	for _, r := range wbRels.Rel {
		switch {
		case r.ID == id && id != "":
			out.sheet = files[resolve(workbook, r.Target)]
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			out.sharedStrings = files[resolve(workbook, r.Target)]
		}
	}
	if out.sheet == nil {
		return out, errNoPart
	}
	return out, nil
}
