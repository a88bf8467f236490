package excelio

import (
	"strings"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

// Row is one data row of an instrument import.
type Row struct {
	Number int // sheet row number as Excel shows it
	// Cells are the row's values aligned with Header(), as the user sees
	// them in Excel (date serials as dates, numbers without exponent); an
	// error report writes them back.
	Cells []string
	Input instrument.Input
}

// Instruments streams the data rows through fn, in sheet order. Columns are
// matched by label in any order; unknown columns (an export's read-only
// ones, an error report's 错误信息) are ignored. A file over the row limit
// is refused before fn sees any row. An error of fn stops the walk and is
// returned.
func (wb *Workbook) Instruments(fn func(Row) error) error {
	var missing []string
	for _, c := range instrument.Columns {
		if c.Required && wb.col(c.Key) < 0 {
			missing = append(missing, c.Label)
		}
	}
	if len(missing) > 0 {
		return invalid("缺少必填列：%s", strings.Join(missing, "、"))
	}
	if err := wb.counted(); err != nil {
		return err
	}
	return wb.scan(func(number int, cells []string) error {
		var in instrument.Input
		for _, c := range instrument.Columns {
			v := wb.cell(cells, c.Key)
			if c.Key == "region" || c.Key == "category" {
				v = codeOf(v)
			}
			*c.Get(&in) = v
		}
		return fn(Row{Number: number, Cells: cells, Input: in})
	})
}

// LocationRow is one row of 更新地址: the install location of a water,
// electricity or gas meter (instrument.ThreeMeters), found by its code or
// factory number, with name and model to tell apart meters sharing a
// factory number.
type LocationRow struct {
	Number    int
	Cells     []string
	Code      string // 器具编码
	FactoryNo string // 出厂编号
	Name      string // 器具名称, optional
	Model     string // 型号规格, optional
	Location  string // 安装使用地点
	// Problem says why the row cannot be applied as it is ("" when it
	// can); finding the meter and checking its category is the caller's.
	Problem string
}

// LocationUpdates streams the rows of an 更新地址 file through fn.
func (wb *Workbook) LocationUpdates(fn func(LocationRow) error) error {
	var missing []string
	if wb.col(keyCode) < 0 && wb.col("factoryNo") < 0 {
		missing = append(missing, "器具编码或出厂编号")
	}
	if wb.col("installLocation") < 0 {
		missing = append(missing, "安装使用地点")
	}
	if len(missing) > 0 {
		return invalid("缺少必填列：%s", strings.Join(missing, "、"))
	}
	if err := wb.counted(); err != nil {
		return err
	}
	return wb.scan(func(number int, cells []string) error {
		r := LocationRow{
			Number: number, Cells: cells,
			Code:      identifier(wb.cell(cells, keyCode)),
			FactoryNo: identifier(wb.cell(cells, "factoryNo")),
			Name:      text(wb.cell(cells, "name")),
			Model:     identifier(wb.cell(cells, "model")),
			Location:  text(wb.cell(cells, "installLocation")),
		}
		switch {
		case r.Code == "" && r.FactoryNo == "":
			r.Problem = "器具编码和出厂编号不能都为空"
		case r.Location == "":
			r.Problem = "安装使用地点不能为空"
		}
		return fn(r)
	})
}

// NozzleRow is one nozzle of 更换加油枪. All rows naming the same fuel
// dispenser (015001) together are its new list of nozzles; they need not
// be adjacent.
type NozzleRow struct {
	Number    int
	Cells     []string
	Code      string // 器具编码
	FactoryNo string // 出厂编号
	Nozzle    instrument.Nozzle
	Problem   string // as in LocationRow
}

// NozzleRows streams the rows of an 更换加油枪 file through fn.
func (wb *Workbook) NozzleRows(fn func(NozzleRow) error) error {
	var missing []string
	if wb.col(keyCode) < 0 && wb.col("factoryNo") < 0 {
		missing = append(missing, "器具编码或出厂编号")
	}
	if wb.col(keyNozzleNo) < 0 {
		missing = append(missing, labelNozzleNo)
	}
	if len(missing) > 0 {
		return invalid("缺少必填列：%s", strings.Join(missing, "、"))
	}
	if err := wb.counted(); err != nil {
		return err
	}
	return wb.scan(func(number int, cells []string) error {
		r := NozzleRow{
			Number: number, Cells: cells,
			Code:      identifier(wb.cell(cells, keyCode)),
			FactoryNo: identifier(wb.cell(cells, "factoryNo")),
			Nozzle: instrument.Nozzle{
				No:        identifier(wb.cell(cells, keyNozzleNo)),
				Fuel:      text(wb.cell(cells, keyFuel)),
				FlowRange: identifier(wb.cell(cells, keyFlowRange)),
			},
		}
		switch {
		case r.Code == "" && r.FactoryNo == "":
			r.Problem = "器具编码和出厂编号不能都为空"
		case r.Nozzle.No == "":
			r.Problem = "枪号不能为空"
		}
		return fn(r)
	})
}

// identifier cleans a code-like cell the way instrument.Parse does.
func identifier(s string) string { return strings.TrimSpace(core.NormalizeWidth(s)) }

// text trims a free-text cell, including the full-width space.
func text(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " ")) }
