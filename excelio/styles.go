package excelio

import (
	"errors"

	"github.com/xuri/excelize/v2"
)

// styles are the cell styles every written file uses.
type styles struct {
	text     int // "@": what a user types later stays text (no lost zeros, no formulas)
	quote    int // text with quotePrefix, for values that look like formulas
	header   int
	required int // header of a required column: red
	readOnly int // header of an export column the import ignores: grey
	errHead  int // header of 错误信息
	errCell  int
	title    int
	wrap     int
}

func newStyles(f *excelize.File) (*styles, error) {
	var s styles
	var err error
	add := func(dst *int, st *excelize.Style) {
		if err == nil {
			*dst, err = f.NewStyle(st)
		}
	}
	fill := func(color string) excelize.Fill {
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
	}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	add(&s.text, &excelize.Style{NumFmt: 49})
	add(&s.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("D9E1F2"), Alignment: center, NumFmt: 49})
	add(&s.required, &excelize.Style{Font: &excelize.Font{Bold: true, Color: "FF0000"}, Fill: fill("D9E1F2"), Alignment: center, NumFmt: 49})
	add(&s.readOnly, &excelize.Style{Font: &excelize.Font{Bold: true, Color: "808080"}, Fill: fill("EDEDED"), Alignment: center, NumFmt: 49})
	add(&s.errHead, &excelize.Style{Font: &excelize.Font{Bold: true, Color: "FF0000"}, Fill: fill("FCE4D6"), Alignment: center, NumFmt: 49})
	add(&s.errCell, &excelize.Style{Font: &excelize.Font{Color: "C00000"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, NumFmt: 49})
	add(&s.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	add(&s.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, NumFmt: 49})
	if err != nil {
		return nil, err
	}
	if s.quote, err = quotePrefixed(f, s.text); err != nil {
		return nil, err
	}
	return &s, nil
}

// quotePrefixed adds a copy of style base with the quotePrefix attribute:
// Excel then keeps a value such as "=1+1" or "-40~85℃" as text when the
// user edits the cell, while the stored value stays unchanged (so an
// export imports again as it is). excelize v2.11 has no Style option for
// it; its exported style sheet model has the attribute, so it is set there.
func quotePrefixed(f *excelize.File, base int) (int, error) {
	ss := f.Styles
	if ss == nil || ss.CellXfs == nil || base < 0 || base >= len(ss.CellXfs.Xf) {
		return 0, errors.New("excelio: style sheet not loaded")
	}
	xf := ss.CellXfs.Xf[base]
	yes := true
	xf.QuotePrefix = &yes
	ss.CellXfs.Xf = append(ss.CellXfs.Xf, xf)
	ss.CellXfs.Count = len(ss.CellXfs.Xf)
	return len(ss.CellXfs.Xf) - 1, nil
}

// cell is a value for a stream writer row: nil for an empty cell (the
// column's text style covers it), quote-prefixed text when it looks like
// a formula, text otherwise.
func (s *styles) cell(v string) any {
	switch {
	case v == "":
		return nil
	case formulaLike(v):
		return excelize.Cell{StyleID: s.quote, Value: v}
	}
	return excelize.Cell{StyleID: s.text, Value: v}
}
