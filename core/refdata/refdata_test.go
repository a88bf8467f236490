package refdata_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gdqjp/qj/configs"
	"github.com/gdqjp/qj/core/refdata"
)

func load(t *testing.T) *refdata.Data {
	t.Helper()
	d, err := refdata.Load(configs.FS, "configs")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestShippedReferenceData_MatchesManualCounts(t *testing.T) {
	d := load(t)
	if got := len(d.Catalog()); got != 46 {
		t.Errorf("active catalog rows = %d, want 46 (manual 附件二)", got)
	}
	if got := len(d.Regions()); got != 222 {
		t.Errorf("region rows = %d, want 222 (manual 附件三)", got)
	}
	if got := len(d.Cities()); got != 21 {
		t.Errorf("cities = %d, want 21", got)
	}
	if _, ok := d.Institution("inst-440000"); !ok {
		t.Error("provincial institute missing")
	}
}

func TestCatalog_Lookups(t *testing.T) {
	d := load(t)
	tests := []struct {
		code, name, item string
		mode             refdata.Mode
		retired, found   bool
	}{
		{"061001", "非自动衡器", "非自动衡器", refdata.ModePV, false, true},
		{"015001", "燃油加油机", "加油机", refdata.ModePV, false, true},
		{"014001", "立式金属罐", "计量罐", refdata.ModeV, false, true},
		{"071001", "电动汽车交（直）流充电桩/非车载直流充电机", "电动汽车充电桩(延至 2023 年开始)", refdata.ModePV, false, true},
		{"061002", "非自动秤（旧目录）", "非自动衡器", refdata.ModePV, true, true},
		{"061009", "", "", "", false, false},
	}
	for _, tt := range tests {
		c, ok := d.Category(tt.code)
		if ok != tt.found {
			t.Errorf("Category(%s) found = %v", tt.code, ok)
			continue
		}
		if !ok {
			continue
		}
		if c.Name != tt.name || c.ItemName != tt.item || c.Mode != tt.mode || c.Retired != tt.retired {
			t.Errorf("Category(%s) = %+v", tt.code, c)
		}
		if _, active := d.ActiveCategory(tt.code); active == tt.retired {
			t.Errorf("ActiveCategory(%s) = %v, retired %v", tt.code, active, tt.retired)
		}
	}
	it, ok := d.ItemOf("035002")
	if !ok || it.Code != "035" || len(it.Categories) != 3 {
		t.Errorf("ItemOf(035002) = %+v", it)
	}
}

func TestRegions_DistrictRule(t *testing.T) {
	d := load(t)
	tests := []struct {
		code            string
		district, known bool
		city            string
	}{
		{"440000", false, true, ""},
		{"440100", false, true, "440100"},
		{"440106", true, true, "440100"},
		{"440101", true, true, "440100"}, // 市辖区: last two digits not 00
		{"441931", true, true, "441900"}, // Dongguan town code
		{"442024", true, true, "442000"}, // Zhongshan town code
		{"445381", true, true, "445300"},
		{"440199", false, false, ""},
	}
	for _, tt := range tests {
		r, ok := d.Region(tt.code)
		if ok != tt.known {
			t.Errorf("Region(%s) known = %v", tt.code, ok)
			continue
		}
		if got := d.IsDistrictCode(tt.code); got != tt.district {
			t.Errorf("IsDistrictCode(%s) = %v", tt.code, got)
		}
		if ok && r.CityCode() != tt.city {
			t.Errorf("CityCode(%s) = %s", tt.code, r.CityCode())
		}
	}
	if got := d.RegionPath("440111"); got != "广东省/广州市/白云区" {
		t.Errorf("RegionPath = %q", got)
	}
	if got := d.RegionPath("440204"); got != "广东省/韶关市/浚江区" {
		t.Errorf("RegionPath keeps the manual's spelling, got %q", got)
	}
	if n := len(d.DistrictsOf("441900")); n != 34 {
		t.Errorf("Dongguan towns = %d, want 34", n)
	}
}

func TestInstitutions_OfRegion(t *testing.T) {
	d := load(t)
	got := d.InstitutionsOf("440111")
	var ids []string
	for _, i := range got {
		ids = append(ids, i.ID)
	}
	if strings.Join(ids, ",") != "inst-440111,inst-440100,inst-440000" {
		t.Errorf("InstitutionsOf(440111) = %v", ids)
	}
	city, ok := d.CityInstitutionOf("441905")
	if !ok || city.ID != "inst-441900" {
		t.Errorf("CityInstitutionOf(441905) = %v %v", city.ID, ok)
	}
	gz, _ := d.Institution("inst-440100")
	if !d.Covers(gz, "440106") || d.Covers(gz, "440306") {
		t.Error("Guangzhou institution must cover Guangzhou districts only")
	}
	by, _ := d.Institution("inst-440111")
	if !by.CanVerify("061001") || by.CanVerify("038001") {
		t.Error("district institution categories wrong")
	}
}

func TestLoad_BrokenDataNamesFileAndLine(t *testing.T) {
	good := func(name string) string {
		b, err := configs.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name, file, content, want string
	}{
		{"bad category code", "catalog.csv", "item_code,item_name,category_code,category_name,mode,status\n061,非自动衡器,06100X,非自动衡器,P+V,active\n", "configs/catalog.csv 第 2 行: 种别号"},
		{"bad mode", "catalog.csv", "item_code,item_name,category_code,category_name,mode,status\n# c\n061,非自动衡器,061001,非自动衡器,X,active\n", "configs/catalog.csv 第 3 行: 监管方式"},
		{"duplicate region", "regions.csv", good("regions.csv") + "440106,天河区,440100\n", "configs/regions.csv 第 225 行: 区域代码 440106 重复"},
		{"unknown parent", "regions.csv", "code,name,parent\n440000,广东省,\n440100,广州市,440000\n440106,天河区,440900\n", "configs/regions.csv 第 4 行: 上级区域代码 440900 不存在"},
		{"wrong columns", "regions.csv", "code,name,parent\n440000,广东省\n", "configs/regions.csv 第 2 行: 应有 3 列"},
		{"institution region", "institutions.yaml", "institutions:\n  - id: a\n    name: A\n    level: city\n    region: \"440106\"\n    parent: b\n    categories: all\n", "configs/institutions.yaml 第 2 行: 市级机构 a 的区域 440106 不是市级代码"},
		{"institution category", "institutions.yaml", "institutions:\n  - id: a\n    name: A\n    level: province\n    region: \"440000\"\n    categories:\n      - \"061001\"\n      - \"999999\"\n", "configs/institutions.yaml 第 8 行: 机构 a 的种别代码 \"999999\""},
		{"yaml syntax", "institutions.yaml", "institutions:\n  - id: a\n    name: b: c\n", "configs/institutions.yaml 第 3 行: YAML 格式错误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range []string{"catalog.csv", "regions.csv", "institutions.yaml"} {
				fsys[f] = &fstest.MapFile{Data: []byte(good(f))}
			}
			fsys[tt.file] = &fstest.MapFile{Data: []byte(tt.content)}
			_, err := refdata.Load(fsys, "configs")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
