// Package refdata holds the reference data of the manual: the mandatory
// verification catalog (附件二), the region codes (附件三) and the legal
// metrology institutions. It is loaded once at start and read-only after.
package refdata

import (
	"sort"
	"strings"
)

// Mode is a category's supervision mode.
type Mode string

const (
	ModeV  Mode = "V"   // 强制检定
	ModePV Mode = "P+V" // 型式批准 + 强制检定: a 型式评价证书 must be uploaded before filing
)

// Category is a 种别 of the catalog.
type Category struct {
	Code     string // 种别号, 6 digits
	Name     string // 种别
	ItemCode string // 项别号, 3 digits
	ItemName string // 项别
	Mode     Mode
	Retired  bool // kept so imports can say the code is retired
}

// NeedsTypeCertificate reports whether instruments of c need a type-evaluation
// certificate before they may be filed.
func (c Category) NeedsTypeCertificate() bool { return c.Mode == ModePV }

// Item is a 项别 with its active categories.
type Item struct {
	Code       string
	Name       string
	Categories []Category
}

// Region is an administrative region code of 附件三.
type Region struct {
	Code   string
	Name   string
	Parent string
}

// IsProvince reports whether r is the province itself.
func (r Region) IsProvince() bool { return r.Parent == "" }

// IsCity reports whether r is a prefecture-level city (code ends in 00).
func (r Region) IsCity() bool { return !r.IsProvince() && strings.HasSuffix(r.Code, "00") }

// IsDistrict reports whether r is district level (last two digits not 00);
// Dongguan and Zhongshan use town/street codes, which are district level too.
func (r Region) IsDistrict() bool { return !strings.HasSuffix(r.Code, "00") }

// CityCode is the code of the city r belongs to (r itself for a city).
func (r Region) CityCode() string {
	if r.IsProvince() {
		return ""
	}
	return r.Code[:4] + "00"
}

// Level is an institution's administrative level.
type Level string

const (
	LevelProvince Level = "province"
	LevelCity     Level = "city"
	LevelDistrict Level = "district"
)

// Name is the Chinese name of the level.
func (l Level) Name() string {
	switch l {
	case LevelProvince:
		return "省级"
	case LevelCity:
		return "市级"
	case LevelDistrict:
		return "区县级"
	}
	return string(l)
}

// Slot is one bookable time range of a day with its capacity.
type Slot struct {
	Start    string // "09:00"
	End      string // "11:30"
	Capacity int
}

// Calendar is an institution's default booking calendar.
type Calendar struct {
	Weekdays []int // 1 = Monday … 7 = Sunday
	Slots    []Slot
	Closed   []string // YYYY-MM-DD
}

// Institution is a legal metrology institution (技术机构).
type Institution struct {
	ID            string
	Name          string
	Level         Level
	RegionCode    string
	ParentID      string
	AllCategories bool
	Categories    []string // category codes, when not AllCategories
	Calendar      Calendar
}

// Data is the loaded, validated reference data with its lookups.
type Data struct {
	categories   map[string]Category
	catalog      []Category // active, in file order
	items        []Item
	regions      map[string]Region
	regionList   []Region
	institutions map[string]Institution
	instList     []Institution
}

// Category returns the category with code, active or retired.
func (d *Data) Category(code string) (Category, bool) {
	c, ok := d.categories[code]
	return c, ok
}

// ActiveCategory returns the category only when it is in the current catalog.
func (d *Data) ActiveCategory(code string) (Category, bool) {
	c, ok := d.categories[code]
	if !ok || c.Retired {
		return Category{}, false
	}
	return c, true
}

// Catalog returns the active categories in catalog order.
func (d *Data) Catalog() []Category { return d.catalog }

// Items returns the active items (项别) with their categories.
func (d *Data) Items() []Item { return d.items }

// ItemOf returns the item (项别) a category belongs to.
func (d *Data) ItemOf(categoryCode string) (Item, bool) {
	c, ok := d.categories[categoryCode]
	if !ok {
		return Item{}, false
	}
	for _, it := range d.items {
		if it.Code == c.ItemCode {
			return it, true
		}
	}
	return Item{Code: c.ItemCode, Name: c.ItemName}, true
}

// Region returns the region with code.
func (d *Data) Region(code string) (Region, bool) {
	r, ok := d.regions[code]
	return r, ok
}

// Regions returns every region in file order.
func (d *Data) Regions() []Region { return d.regionList }

// Cities returns the prefecture-level cities.
func (d *Data) Cities() []Region {
	var out []Region
	for _, r := range d.regionList {
		if r.IsCity() {
			out = append(out, r)
		}
	}
	return out
}

// DistrictsOf returns the district-level regions of city.
func (d *Data) DistrictsOf(cityCode string) []Region {
	var out []Region
	for _, r := range d.regionList {
		if r.Parent == cityCode && r.IsDistrict() {
			out = append(out, r)
		}
	}
	return out
}

// IsDistrictCode reports whether code is a known district-level region.
func (d *Data) IsDistrictCode(code string) bool {
	r, ok := d.regions[code]
	return ok && r.IsDistrict()
}

// RegionPath returns "广东省/广州市/白云区" for a region code.
func (d *Data) RegionPath(code string) string {
	var parts []string
	for c := code; c != ""; {
		r, ok := d.regions[c]
		if !ok {
			break
		}
		parts = append([]string{r.Name}, parts...)
		c = r.Parent
	}
	return strings.Join(parts, "/")
}

// Institution returns the institution with id.
func (d *Data) Institution(id string) (Institution, bool) {
	i, ok := d.institutions[id]
	return i, ok
}

// Institutions returns every institution, province first, then by region.
func (d *Data) Institutions() []Institution { return d.instList }

// Covers reports whether institution inst is responsible for region code:
// the province for every region, a city for itself and its districts, a
// district for itself.
func (d *Data) Covers(inst Institution, regionCode string) bool {
	r, ok := d.regions[regionCode]
	if !ok {
		return false
	}
	switch inst.Level {
	case LevelProvince:
		return true
	case LevelCity:
		return r.CityCode() == inst.RegionCode
	case LevelDistrict:
		return r.Code == inst.RegionCode
	}
	return false
}

// InstitutionsOf returns the institutions covering region code, most local
// first (district, then city, then province).
func (d *Data) InstitutionsOf(regionCode string) []Institution {
	var out []Institution
	for _, i := range d.instList {
		if d.Covers(i, regionCode) {
			out = append(out, i)
		}
	}
	rank := map[Level]int{LevelDistrict: 0, LevelCity: 1, LevelProvince: 2}
	sort.SliceStable(out, func(a, b int) bool { return rank[out[a].Level] < rank[out[b].Level] })
	return out
}

// CityInstitutionOf returns the city-level institution of the city region
// code belongs to: it reviews registrations and receives filings.
func (d *Data) CityInstitutionOf(regionCode string) (Institution, bool) {
	for _, i := range d.InstitutionsOf(regionCode) {
		if i.Level == LevelCity {
			return i, true
		}
	}
	return Institution{}, false
}

// CanVerify reports whether inst can verify instruments of category code.
func (inst Institution) CanVerify(categoryCode string) bool {
	if inst.AllCategories {
		return true
	}
	for _, c := range inst.Categories {
		if c == categoryCode {
			return true
		}
	}
	return false
}
