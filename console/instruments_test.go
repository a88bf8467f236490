package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app"
	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

func instrumentForm(factory string) url.Values {
	return url.Values{"name": {"电子计价秤"}, "model": {"ACS-15"}, "factoryNo": {factory}, "usage": {"3"}, "method": {"1"},
		"region": {"440106"}, "category": {"061001"}, "origin": {"1"}, "state": {"1"}, "type": {"1"}, "tags": {"一号店"}}
}

func onlyInstrument(t *testing.T, e *apptest.Env, factory string) *instrument.Instrument {
	t.Helper()
	list, _, err := e.App.Store.Instruments().List(context.Background(), instrument.Query{ExactFactoryNo: factory})
	if err != nil || len(list) != 1 {
		t.Fatalf("instrument %s: %v %v", factory, list, err)
	}
	return list[0]
}

func TestInstrumentForm_CreateWithFilesAndErrors(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	if r := b.Get("/instruments/new"); r.Status != 200 || !strings.Contains(r.Body, `id="instrument-form"`) {
		t.Fatalf("form: %d", r.Status)
	}
	// Every problem at once, the typed values kept, nothing stored.
	bad := instrumentForm("")
	bad.Set("category", "")
	bad.Set("region", "440100")
	bad.Set("nozzleNo", "1")
	r := b.PostMultipart("/instruments", bad, map[string]core.Upload{"attachments": exe})
	if r.Status != 422 {
		t.Fatalf("invalid: %d", r.Status)
	}
	for _, want := range []string{
		`data-field="factoryNo">出厂编号不能为空`,
		`data-field="category">仪器的种别代码不能为空`,
		`data-field="region">【440100】是属于市级代码，使用区域须填最后两位不是“00”的区县级代码！`,
		`data-field="attachments">文件“licence.pdf”的内容与扩展名不符，请上传真实的pdf文件`,
		`value="电子计价秤"`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Good fields with a bad file: nothing is kept either.
	r = b.PostMultipart("/instruments", instrumentForm("F-1"), map[string]core.Upload{"typecerts": {Name: "cert.rar", Data: []byte("not a rar")}})
	if r.Status != 422 || !strings.Contains(r.Body, `data-field="typecerts">文件“cert.rar”的内容与扩展名不符`) {
		t.Fatalf("bad file: %d", r.Status)
	}
	if n, _ := e.App.Store.Instruments().Count(context.Background(), instrument.Query{}); n != 0 {
		t.Fatalf("refused forms stored %d instruments", n)
	}
	r = b.PostMultipart("/instruments", instrumentForm("F-1"), map[string]core.Upload{
		"attachments": {Name: "说明书.pdf", Data: apptest.PDF.Data}, "typecerts": {Name: "cert.zip", Data: []byte("PK\x03\x04zip")}})
	if r.Status != 302 || !strings.HasPrefix(r.Location, "/instruments/") {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	in := onlyInstrument(t, e, "F-1")
	if len(in.Attachments) != 1 || len(in.TypeCerts) != 1 {
		t.Fatalf("files: %+v", in)
	}
	if r := b.Get("/instruments/" + in.ID + "/files/" + in.Attachments[0].ID); r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("owner downloads: %d", r.Status)
	}
	other := e.RegisterApplicant("other-co", "440106", 61, true)
	ob := e.Browser()
	ob.Login(other.Login, "Passw0rd!")
	for _, p := range []string{"/instruments/" + in.ID, "/instruments/" + in.ID + "/files/" + in.Attachments[0].ID, "/instruments/" + in.ID + "/edit"} {
		if r := ob.Get(p); r.Status != 404 {
			t.Errorf("foreign GET %s: %d", p, r.Status)
		}
	}
	// Group limit: 10M in total, counting what is already there.
	big := core.Upload{Name: "scan.pdf", Data: append([]byte("%PDF-"), make([]byte, 10<<20-10)...)}
	r = b.PostMultipart("/instruments/"+in.ID+"/files/attachments", nil, map[string]core.Upload{"files": big})
	if r.Status != 422 || !strings.Contains(r.Body, "相关资料总文件大小不可超过10M") {
		t.Fatalf("over the group limit: %d", r.Status)
	}
	r = b.Post("/instruments/"+in.ID+"/files/attachments/"+in.Attachments[0].ID+"/delete", nil)
	if r.Status != 302 || len(onlyInstrument(t, e, "F-1").Attachments) != 0 {
		t.Fatalf("remove file: %d", r.Status)
	}
	r = b.Get("/instruments/" + in.ID + "?tab=history")
	for _, want := range []string{"添加仪器", "上传相关资料", "上传型式评价证书", "删除相关资料"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("history lacks %s", want)
		}
	}
}

func TestInstrumentForm_EditCopyAndLockedFields(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	b.PostMultipart("/instruments", instrumentForm("E-1"), nil)
	in := onlyInstrument(t, e, "E-1")
	r := b.Get("/instruments/" + in.ID + "/edit")
	if r.Status != 200 || !strings.Contains(r.Body, `value="E-1"`) {
		t.Fatalf("edit form: %d", r.Status)
	}
	f := instrumentForm("E-1")
	f.Set("model", "ACS-30")
	f.Set("version", "1")
	if r := b.PostMultipart("/instruments/"+in.ID, f, nil); r.Status != 302 {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	r = b.Get("/instruments/" + in.ID + "?tab=history")
	if !strings.Contains(r.Body, "<td>型号规格</td><td>ACS-15</td><td>ACS-30</td>") {
		t.Fatal("history lacks the change from ACS-15 to ACS-30")
	}
	if r := b.PostMultipart("/instruments/"+in.ID, f, nil); r.Status != 409 {
		t.Fatalf("stale version: %d", r.Status)
	}
	// Copy: the form is prefilled; saving it unchanged is refused.
	r = b.Get("/instruments/new?from=" + in.ID)
	if !strings.Contains(r.Body, "已按“电子计价秤（E-1）”填好") || !strings.Contains(r.Body, `value="ACS-30"`) {
		t.Fatal("copy form not prefilled")
	}
	cp := instrumentForm("E-1")
	cp.Set("model", "ACS-30")
	cp.Set("from", in.ID)
	if r := b.PostMultipart("/instruments", cp, nil); r.Status != 422 || !strings.Contains(r.Body, "不能重复保存") {
		t.Fatalf("copy unchanged: %d", r.Status)
	}
	cp.Set("factoryNo", "E-2")
	if r := b.PostMultipart("/instruments", cp, nil); r.Status != 302 {
		t.Fatalf("copy: %d", r.Status)
	}
	// After approval the form locks what may no longer change.
	in = onlyInstrument(t, e, "E-1")
	in.Filing.Status, in.Filing.InstitutionID, in.Filing.ApprovedDay = instrument.Approved, "inst-440100", "2026-11-24"
	if err := e.App.Store.Instruments().Update(context.Background(), in, instrument.Write{}); err != nil {
		t.Fatal(err)
	}
	r = b.Get("/instruments/" + in.ID + "/edit")
	if !strings.Contains(r.Body, `<div class="locked" id="f-model">ACS-30</div>`) || strings.Contains(r.Body, `<div class="locked" id="f-ownNo">`) {
		t.Fatal("locked fields not shown as locked")
	}
	f.Set("version", "3")
	f.Set("name", "改名")
	r = b.PostMultipart("/instruments/"+in.ID, f, nil)
	if r.Status != 422 || !strings.Contains(r.Body, `data-field="name">备案通过后只能修改自编号、安装使用地点、购买日期、自定义标签、备注和相关资料`) {
		t.Fatalf("change a locked field: %d", r.Status)
	}
}

func TestInstrumentLists_BatchAndClear(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	for _, f := range []string{"B-1", "B-2", "B-3"} {
		b.PostMultipart("/instruments", instrumentForm(f), nil)
	}
	one, two := onlyInstrument(t, e, "B-1"), onlyInstrument(t, e, "B-2")
	r := b.Get("/instruments?view=all&size=30&sort=factoryNo")
	if r.Status != 200 || strings.Count(r.Body, `name="ids"`) != 3 || !strings.Contains(r.Body, `<option value="30" selected>30条/页`) {
		t.Fatalf("list: %d", r.Status)
	}
	r = b.Post("/instruments/batch", url.Values{"action": {"stop"}, "ids": {one.ID, two.ID}, "back": {"/instruments?view=all"}})
	if r.Status != 200 || !strings.Contains(r.Body, `<span id="done-count">2</span>`) {
		t.Fatalf("stop: %d", r.Status)
	}
	if r := b.Get("/filings?status=stopped"); strings.Count(r.Body, `name="ids"`) != 2 || !strings.Contains(r.Body, `id="batch-enable"`) {
		t.Fatal("stopped menu")
	}
	r = b.Post("/instruments/batch", url.Values{"action": {"enable"}, "ids": {one.ID, "bogus"}})
	if !strings.Contains(r.Body, `<span id="failed-count">1</span>`) || !strings.Contains(r.Body, "仪器不存在") {
		t.Fatal("enable with a bogus id")
	}
	if r := b.Get("/instruments?view=everything"); r.Status != 404 {
		t.Fatalf("unknown view: %d", r.Status)
	}
	if r := b.Get("/instruments?view=all&size=7"); r.Status != 422 {
		t.Fatalf("bad page size: %d", r.Status)
	}
	r = b.Post("/instruments/clear", url.Values{"back": {"/instruments?view=all"}})
	if r.Status != 200 || !strings.Contains(r.Body, `<span id="done-count">3</span>`) {
		t.Fatalf("clear: %d %s", r.Status, r.Body)
	}
	if n, _ := e.App.Store.Instruments().Count(context.Background(), instrument.Query{}); n != 0 {
		t.Fatalf("clear left %d", n)
	}
	r = b.Get("/")
	if !strings.Contains(r.Body, `id="card-total"><div class="n">0</div>`) {
		t.Fatal("home counts")
	}
}

func TestHomePage_CountsAndActivity(t *testing.T) {
	e := apptest.New(t)
	b := e.Browser()
	b.Login(app.DemoApplicant, app.DemoPassword)
	b.PostMultipart("/instruments", instrumentForm("H-1"), nil)
	b.PostMultipart("/instruments", instrumentForm("H-2"), nil)
	in := onlyInstrument(t, e, "H-2")
	in.Filing.Status, in.Filing.ApprovedDay = instrument.Approved, core.Today(e.Clock).AddDays(-12)
	_ = e.App.Store.Instruments().Update(context.Background(), in, instrument.Write{})
	r := b.Get("/")
	for _, want := range []string{`id="card-total"><div class="n">2</div>`, `id="card-unfiled"><div class="n">1</div>`,
		`id="card-approved"><div class="n">1</div>`, `id="card-overdue"><div class="n">1</div>`, `id="card-due"><div class="n">0</div>`,
		`href="/instruments?view=overdue"`, "添加仪器"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("home lacks %s", want)
		}
	}
	if r := b.Get("/instruments?view=overdue"); strings.Count(r.Body, `name="ids"`) != 1 {
		t.Error("overdue list")
	}
}
