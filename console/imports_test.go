package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

func xlsx(t *testing.T, rows ...[]string) core.Upload {
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
	return core.Upload{Name: "data.xlsx", Data: buf.Bytes()}
}

// rowImport posts one row to the 逐行导入 endpoint with the page's CSRF token.
func rowImport(t *testing.T, e *apptest.Env, b *apptest.Browser, body any) (int, map[string]any) {
	t.Helper()
	r := b.Get("/instruments/import/rows")
	tok := strings.Split(strings.Split(r.Body, `var csrf = "`)[1], `"`)[0]
	raw, _ := json.Marshal(body)
	req := httptest.NewRequest("POST", "/instruments/import/row", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", tok)
	req.AddCookie(&http.Cookie{Name: "qj_session", Value: b.Cookie("qj_session")})
	req.AddCookie(&http.Cookie{Name: "qj_csrf", Value: b.Cookie("qj_csrf")})
	res := e.Do(req)
	var out map[string]any
	_ = json.Unmarshal([]byte(res.Body), &out)
	return res.Status, out
}

func TestRowImport_IsIdempotentPerRow(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	row := map[string]any{"row": 2, "values": map[string]string{"器具名称": "电子秤", "型号规格": "A", "出厂编号": "R-1",
		"器具用途": "3", "检定方式": "1", "所属地": "440106", "种别": "61001"}}
	st, out := rowImport(t, e, b, row)
	if st != 201 || out["status"] != "created" {
		t.Fatalf("first send: %d %v", st, out)
	}
	st, again := rowImport(t, e, b, row)
	if st != 200 || again["status"] != "exists" || again["id"] != out["id"] {
		t.Fatalf("second send: %d %v", st, again)
	}
	if n, _ := e.App.Store.Instruments().Count(context.Background(), instrument.Query{}); n != 1 {
		t.Fatalf("%d instruments after sending one row twice", n)
	}
	bad := map[string]any{"row": 3, "values": map[string]string{"器具名称": "电子秤", "出厂编号": "R-2", "种别": "061009"}}
	st, out = rowImport(t, e, b, bad)
	if st != 422 || out["status"] != "failed" || !strings.Contains(out["message"].(string), "种别：仪器的种别代码：061009 可能有误或已作废") {
		t.Fatalf("bad row: %d %v", st, out)
	}
	// A different row with the same identity is a duplicate, not a repeat.
	dup := map[string]any{"row": 4, "values": map[string]string{"器具名称": "电子秤", "型号规格": "A", "出厂编号": "R-1",
		"器具用途": "2", "检定方式": "1", "所属地": "440106", "种别": "061001"}}
	if st, out = rowImport(t, e, b, dup); st != 422 || !strings.Contains(out["message"].(string), "不能重复保存") {
		t.Fatalf("same identity, other values: %d %v", st, out)
	}
	// Without the CSRF header the endpoint refuses.
	req := httptest.NewRequest("POST", "/instruments/import/row", strings.NewReader(`{"row":1,"values":{}}`))
	req.AddCookie(&http.Cookie{Name: "qj_session", Value: b.Cookie("qj_session")})
	if r := e.Do(req); r.Status != 403 {
		t.Fatalf("without CSRF: %d", r.Status)
	}
}

func TestImport_FileReportsRowsAndDuplicates(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	header := []string{"器具名称", "型号规格", "出厂编号", "器具用途", "检定方式", "所属地", "种别", "购买日期"}
	file := xlsx(t, header,
		[]string{"电子秤", "A", "F-1", "3", "1", "440106.0", "61001", "2021年3月5日"},
		[]string{"电子秤", "A", "F-1", "3", "1", "440106", "061001", ""},
		[]string{"电子秤", "A", "F-2", "3.贸易结算", "1", "440106", "061001", "20210305"},
		[]string{"", "A", "F-3", "3", "1", "440106", "061001", ""})
	r := b.PostMultipart("/instruments/import", nil, map[string]core.Upload{"file": file})
	if r.Status != 302 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	job := r.Location
	r = b.Get(job)
	if !strings.Contains(r.Body, `成功 <b id="job-succeeded">2</b> 行，失败 <b id="job-failed">2</b> 行`) ||
		!strings.Contains(r.Body, "与第 2 行的器具名称、型号规格、出厂编号、自编号都相同") || !strings.Contains(r.Body, "器具名称：器具名称不能为空") {
		t.Fatalf("job page: %s", r.Body)
	}
	r = b.Get(job + "/status")
	if !strings.Contains(r.Body, `"status":"done"`) || !strings.Contains(r.Body, `"percent":100`) {
		t.Fatalf("status: %s", r.Body)
	}
	if r := b.Get(job + "/report.xlsx"); r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("report: %d", r.Status)
	}
	in := onlyInstrument(t, e, "F-1")
	if in.PurchaseDate != "2021-03-05" || in.RegionCode != "440106" || in.CategoryCode != "061001" {
		t.Fatalf("quirky values: %+v", in.Fields)
	}
	// Uploading the same file again: every row is now a duplicate.
	r = b.PostMultipart("/instruments/import", nil, map[string]core.Upload{"file": file})
	if r = b.Get(r.Location); !strings.Contains(r.Body, `成功 <b id="job-succeeded">0</b> 行`) {
		t.Fatal("re-upload imported again")
	}
	for _, bad := range []core.Upload{{Name: "x.xlsx", Data: []byte("not a zip")}, {Name: "x.xlsx", Data: append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...)}} {
		if r := b.PostMultipart("/instruments/import", nil, map[string]core.Upload{"file": bad}); r.Status != 422 || !strings.Contains(r.Body, `data-field="file"`) {
			t.Fatalf("bad file: %d", r.Status)
		}
	}
}

func TestBulkUpdates_LocationsAndNozzles(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	for _, f := range []struct{ factory, cat, name string }{{"W-1", "023003", "水表"}, {"W-2", "023003", "水表"}, {"S-1", "061001", "电子秤"}, {"FD-1", "015001", "燃油加油机"}} {
		form := instrumentForm(f.factory)
		form.Set("category", f.cat)
		form.Set("name", f.name)
		if r := b.PostMultipart("/instruments", form, nil); r.Status != 302 {
			t.Fatalf("create %s: %d", f.factory, r.Status)
		}
	}
	file := xlsx(t, []string{"器具编码", "出厂编号", "安装使用地点"},
		[]string{"", "W-1", "天河路 1 号"},
		[]string{"", "S-1", "前台"},
		[]string{"", "NOPE", "x"})
	r := b.PostMultipart("/instruments/import/locations", nil, map[string]core.Upload{"file": file})
	if r = b.Get(r.Location); !strings.Contains(r.Body, `成功 <b id="job-succeeded">1</b> 行，失败 <b id="job-failed">2</b> 行`) ||
		!strings.Contains(r.Body, "不属于本功能适用的种别") || !strings.Contains(r.Body, "未找到出厂编号为 NOPE 的仪器") {
		t.Fatalf("locations: %s", r.Body)
	}
	if in := onlyInstrument(t, e, "W-1"); in.InstallLocation != "天河路 1 号" {
		t.Fatalf("location: %q", in.InstallLocation)
	}
	file = xlsx(t, []string{"出厂编号", "枪号", "油品", "流量范围"},
		[]string{"FD-1", "1", "92#汽油", "5-50L/min"},
		[]string{"FD-1", "2", "95#汽油", "5-50L/min"},
		[]string{"W-2", "1", "0#柴油", ""})
	r = b.PostMultipart("/instruments/import/nozzles", nil, map[string]core.Upload{"file": file})
	if r = b.Get(r.Location); !strings.Contains(r.Body, `成功 <b id="job-succeeded">2</b> 行，失败 <b id="job-failed">1</b> 行`) {
		t.Fatalf("nozzles: %s", r.Body)
	}
	in := onlyInstrument(t, e, "FD-1")
	if len(in.Nozzles) != 2 || in.Nozzles[1].Fuel != "95#汽油" {
		t.Fatalf("nozzles: %+v", in.Nozzles)
	}
	hist, _ := e.App.Store.Instruments().History(context.Background(), in.ID)
	if hist[0].Action != "更换加油枪" {
		t.Fatalf("history: %s", hist[0].Action)
	}
}
