package mpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core/instrument"
)

type detail struct {
	Instrument struct {
		ID, Name, Model, FactoryNo, UsageName, RegionName, CategoryName, ItemName, FilingStatus, Life, Remarks string
		Version                                                                                                int
		Tags                                                                                                   []string
		Nozzles                                                                                                []struct{ No, Fuel string }
	}
	History []struct {
		Action  string
		Changes []struct{ Field, From, To string }
	}
}

func scale(factory string) map[string]any {
	return map[string]any{"name": "电子计价秤", "model": "ACS-15", "factoryNo": factory, "usage": 3, "method": "1",
		"region": 440106, "category": "61001", "tags": []string{"一号店", "收银台"}, "purchaseDate": "2021/3/5"}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestInstruments_CreateValidation(t *testing.T) {
	e := apptest.New(t)
	tok := e.MPLogin(app.DemoApplicant, app.DemoPassword)
	r := e.API("POST", "/api/mp/v1/instruments", tok, scale("S-001"))
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var d detail
	r.JSON(t, &d)
	if d.Instrument.CategoryName != "非自动衡器" || d.Instrument.ItemName != "非自动衡器" || d.Instrument.RegionName != "广东省/广州市/天河区" ||
		d.Instrument.UsageName != "贸易结算" || d.Instrument.FilingStatus != "unfiled" || len(d.Instrument.Tags) != 2 ||
		len(d.History) != 1 || d.History[0].Action != "添加仪器" {
		t.Fatalf("created: %s", r.Body)
	}
	tests := []struct {
		name  string
		body  any
		field string
		msg   string
	}{
		{"duplicate", scale("S-001"), "factoryNo", "已存在器具名称、型号规格、出厂编号、自编号都相同的仪器（电子计价秤 / ACS-15 / S-001 / 无自编号），不能重复保存"},
		{"duplicate ignoring case and width", with(scale("ｓ-001"), "model", "acs-15"), "factoryNo", "已存在器具名称、型号规格、出厂编号、自编号都相同的仪器"},
		{"category empty", with(scale("S-2"), "category", ""), "category", "仪器的种别代码不能为空"},
		{"category retired", with(scale("S-2"), "category", "061009"), "category", "仪器的种别代码：061009 可能有误或已作废，无法找到相对应的名称"},
		{"city-level region", with(scale("S-2"), "region", "440100"), "region", "【440100】是属于市级代码，使用区域须填最后两位不是“00”的区县级代码！"},
		{"usage as text", with(scale("S-2"), "usage", "贸易结算"), "usage", "器具用途代码只能为数字：1.安全防护，2.医疗卫生，3.贸易结算，4.环境监测，请检查确认！"},
		{"usage out of range", with(scale("S-2"), "usage", 5), "usage", "器具用途代码只能为数字：1.安全防护，2.医疗卫生，3.贸易结算，4.环境监测，请检查确认！"},
		{"method missing", with(scale("S-2"), "method", nil), "method", "检定方式不能为空，检定方式代码只能为数字：1.送检，2.现场检定，请检查确认！"},
		{"name missing", with(scale("S-2"), "name", "  "), "name", "器具名称不能为空"},
		{"purchase in the future", with(scale("S-2"), "purchaseDate", "2099-01-01"), "purchaseDate", "购买日期不能晚于今天"},
		{"bad date", with(scale("S-2"), "validUntil", "2021-02-30"), "validUntil", "有效期至格式不正确（2021-02-30），请填写如 2021-03-05 的日期"},
		{"nozzles on a scale", with(scale("S-2"), "nozzles", []map[string]string{{"no": "1"}}), "nozzles", "只有燃油加油机（015001）可以登记加油枪"},
		{"wrong type", with(scale("S-2"), "name", map[string]int{"x": 1}), "name", "器具名称应为文字或数字"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.API("POST", "/api/mp/v1/instruments", tok, tt.body)
			if r.Status != 422 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			var eb errBody
			r.JSON(t, &eb)
			found := false
			for _, f := range eb.Fields {
				found = found || (f.Field == tt.field && strings.HasPrefix(f.Message, tt.msg))
			}
			if !found {
				t.Errorf("fields = %+v, want %s: %s", eb.Fields, tt.field, tt.msg)
			}
		})
	}
	var list struct{ Total int }
	e.API("GET", "/api/mp/v1/instruments", tok, nil).JSON(t, &list)
	if list.Total != 1 {
		t.Fatalf("invalid requests stored instruments: total %d", list.Total)
	}
	// A fuel dispenser keeps its nozzles.
	r = e.API("POST", "/api/mp/v1/instruments", tok, with(scale("FD-1"), "name", "燃油加油机", "category", "015001",
		"nozzles", []map[string]string{{"no": "1", "fuel": "92#汽油", "flowRange": "5-50L/min"}, {"no": "2", "fuel": "0#柴油"}}))
	r.JSON(t, &d)
	if r.Status != 201 || len(d.Instrument.Nozzles) != 2 || d.Instrument.Nozzles[1].Fuel != "0#柴油" {
		t.Fatalf("dispenser: %d %s", r.Status, r.Body)
	}
}

func TestInstruments_EditCopyAndEditRulesAfterApproval(t *testing.T) {
	e := apptest.New(t)
	tok := e.MPLogin(app.DemoApplicant, app.DemoPassword)
	var d detail
	e.API("POST", "/api/mp/v1/instruments", tok, scale("S-1")).JSON(t, &d)
	id := d.Instrument.ID
	r := e.API("PUT", "/api/mp/v1/instruments/"+id, tok, map[string]any{"version": 1, "model": "ACS-30", "remarks": "前台"})
	if r.Status != 200 {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &d)
	if d.Instrument.Model != "ACS-30" || d.Instrument.Version != 2 || d.History[0].Action != "编辑仪器" || len(d.History[0].Changes) != 2 ||
		d.History[0].Changes[0].Field != "model" || d.History[0].Changes[0].From != "ACS-15" || d.History[0].Changes[0].To != "ACS-30" {
		t.Fatalf("edited: %s", r.Body)
	}
	if r := e.API("PUT", "/api/mp/v1/instruments/"+id, tok, map[string]any{"version": 1, "remarks": "旧"}); r.Status != 409 {
		t.Fatalf("stale version: %d %s", r.Status, r.Body)
	}
	if r := e.API("POST", "/api/mp/v1/instruments/"+id+"/copy", tok, nil); r.Status != 422 || !strings.Contains(r.Body, "不能重复保存") {
		t.Fatalf("copy without a new identity: %d %s", r.Status, r.Body)
	}
	r = e.API("POST", "/api/mp/v1/instruments/"+id+"/copy", tok, map[string]any{"factoryNo": "S-2"})
	r.JSON(t, &d)
	if r.Status != 201 || d.Instrument.Model != "ACS-30" || d.Instrument.FactoryNo != "S-2" || !strings.HasPrefix(d.History[0].Action, "复制自仪器") {
		t.Fatalf("copy: %d %s", r.Status, r.Body)
	}

	// The institution approves the first one (the filing issue does this for real).
	in, _ := e.App.Store.Instruments().Get(context.Background(), id)
	in.Filing.Status, in.Filing.InstitutionID, in.Filing.ApprovedDay = instrument.Approved, "inst-440100", "2026-11-20"
	if err := e.App.Store.Instruments().Update(context.Background(), in, instrument.Write{}); err != nil {
		t.Fatal(err)
	}
	r = e.API("PUT", "/api/mp/v1/instruments/"+id, tok, map[string]any{"model": "ACS-60", "remarks": "已备案"})
	if r.Status != 422 || !strings.Contains(r.Body, `"field":"model","message":"备案通过后只能修改自编号、安装使用地点、购买日期、自定义标签、备注和相关资料"`) {
		t.Fatalf("edit locked field after approval: %d %s", r.Status, r.Body)
	}
	r = e.API("PUT", "/api/mp/v1/instruments/"+id, tok, map[string]any{"ownNo": "ZB-9", "remarks": "已备案", "installLocation": "二楼"})
	if r.Status != 200 {
		t.Fatalf("edit allowed fields after approval: %d %s", r.Status, r.Body)
	}
	if r := e.API("POST", "/api/mp/v1/instruments/batch", tok, map[string]any{"action": "delete", "ids": []string{id}}); !strings.Contains(r.Body, "已备案或备案审核中的仪器不能删除") {
		t.Fatalf("delete approved: %s", r.Body)
	}
}

func TestInstruments_BatchLifecycle(t *testing.T) {
	e := apptest.New(t)
	tok := e.MPLogin(app.DemoApplicant, app.DemoPassword)
	var ids []string
	for _, f := range []string{"L-1", "L-2", "L-3"} {
		var d detail
		e.API("POST", "/api/mp/v1/instruments", tok, scale(f)).JSON(t, &d)
		ids = append(ids, d.Instrument.ID)
	}
	batch := func(action string, ids ...string) (int, []struct{ ID, Message string }) {
		var out struct {
			Done   int
			Failed []struct{ ID, Message string }
		}
		r := e.API("POST", "/api/mp/v1/instruments/batch", tok, map[string]any{"action": action, "ids": ids})
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", action, r.Status, r.Body)
		}
		r.JSON(t, &out)
		return out.Done, out.Failed
	}
	count := func(q string) int {
		var l struct{ Total int }
		e.API("GET", "/api/mp/v1/instruments?"+q, tok, nil).JSON(t, &l)
		return l.Total
	}
	if n, _ := batch("stop", ids[0], ids[1]); n != 2 || count("filing=stopped") != 2 || count("view=all") != 3 {
		t.Fatalf("stop: %d", n)
	}
	if n, f := batch("stop", ids[0]); n != 0 || f[0].Message != "仪器已是停用状态" {
		t.Fatalf("stop twice: %v", f)
	}
	if n, _ := batch("enable", ids[0]); n != 1 || count("filing=stopped") != 1 {
		t.Fatal("enable")
	}
	if n, _ := batch("scrap", ids[1]); n != 1 || count("view=scrapped") != 1 || count("view=all") != 2 {
		t.Fatal("scrap")
	}
	if _, f := batch("enable", ids[1]); f[0].Message != "已报废的仪器不能再操作" {
		t.Fatalf("enable scrapped: %v", f)
	}
	if r := e.API("PUT", "/api/mp/v1/instruments/"+ids[1], tok, map[string]any{"remarks": "x"}); r.Status != 422 || !strings.Contains(r.Body, "已报废的仪器只能查看，不能修改") {
		t.Fatalf("edit scrapped: %d %s", r.Status, r.Body)
	}
	other := e.RegisterApplicant("other-co", "440106", 88, true)
	otherTok := e.MPLogin(other.Login, "Passw0rd!")
	var od detail
	e.API("POST", "/api/mp/v1/instruments", otherTok, scale("O-1")).JSON(t, &od)
	n, f := batch("delete", ids[0], ids[2], od.Instrument.ID, "no-such-id")
	if n != 2 || len(f) != 2 || f[0].Message != "仪器不存在" || f[1].Message != "仪器不存在" {
		t.Fatalf("delete mixed: %d %v", n, f)
	}
	if count("view=all") != 0 {
		t.Fatal("deleted instruments still listed")
	}
	var ol struct{ Total int }
	e.API("GET", "/api/mp/v1/instruments", otherTok, nil).JSON(t, &ol)
	if ol.Total != 1 {
		t.Fatal("another applicant's instrument was deleted")
	}
	for _, body := range []any{map[string]any{"action": "melt", "ids": ids}, map[string]any{"action": "stop"}} {
		if r := e.API("POST", "/api/mp/v1/instruments/batch", tok, body); r.Status != 422 {
			t.Fatalf("bad batch %v: %d", body, r.Status)
		}
	}
}

func TestInstruments_ListParametersAndCounts(t *testing.T) {
	e := apptest.New(t)
	tok := e.MPLogin(app.DemoApplicant, app.DemoPassword)
	for i, f := range []string{"P-1", "P-2", "P-3"} {
		body := scale(f)
		if i == 2 {
			body = with(body, "name", "血压计", "category", "065001", "usage", 2)
		}
		e.API("POST", "/api/mp/v1/instruments", tok, body)
	}
	tests := []struct {
		q      string
		status int
		total  int
	}{
		{"view=all", 200, 3},
		{"view=due", 200, 0},
		{"filing=unfiled", 200, 3},
		{"category=065001", 200, 1},
		{"category=065", 200, 1},
		{"usage=3&size=30&page=1", 200, 2},
		{"q=血压", 200, 1},
		{"tag=一号店", 200, 3},
		{"name=计价秤&sort=factoryNo&desc=1", 200, 2},
		{"view=everything", 422, 0},
		{"filing=lost", 422, 0},
		{"size=20", 422, 0},
		{"page=abc", 422, 0},
		{"sort=password", 422, 0},
	}
	for _, tt := range tests {
		r := e.API("GET", "/api/mp/v1/instruments?"+tt.q, tok, nil)
		var l struct{ Total int }
		if r.Status == 200 {
			r.JSON(t, &l)
		}
		if r.Status != tt.status || l.Total != tt.total {
			t.Errorf("%s: %d total %d, want %d %d: %s", tt.q, r.Status, l.Total, tt.status, tt.total, r.Body)
		}
	}
	var me struct {
		Counts struct {
			Total  int
			Filing map[string]int
		}
	}
	e.API("GET", "/api/mp/v1/me", tok, nil).JSON(t, &me)
	if me.Counts.Total != 3 || me.Counts.Filing["unfiled"] != 3 {
		t.Fatalf("counts: %+v", me.Counts)
	}
}
