package wxsandbox

import (
	"strings"
	"testing"
	"time"
)

func TestTemplateKeyword_2023FieldRules(t *testing.T) {
	cases := []struct {
		typ, value string
		want       valueVerdict
	}{
		{"thing", strings.Repeat("检", 20), valueOK},
		{"thing", strings.Repeat("检", 21), valueTooLong},
		{"thing", "电子计价秤 ACS-30 (2台)", valueOK},
		{"thing", "第一行\n第二行", valueInvalid},
		{"thing", "", valueEmpty},
		{"character_string", "QJ-2026-000123", valueOK},
		{"character_string", strings.Repeat("A", 32), valueOK},
		{"character_string", strings.Repeat("A", 33), valueTooLong},
		{"character_string", "备案QJ1", valueInvalid},
		{"number", "12345678901234567890123456789012", valueOK},
		{"number", "3.14", valueOK},
		{"number", strings.Repeat("9", 33), valueTooLong},
		{"number", "12a", valueInvalid},
		{"number", "-5", valueInvalid},
		{"letter", "ABCxyz", valueOK},
		{"letter", strings.Repeat("z", 33), valueTooLong},
		{"letter", "AB1", valueInvalid},
		{"symbol", "#*!", valueOK},
		{"symbol", "!!!!!!", valueTooLong},
		{"symbol", "a!", valueInvalid},
		{"phrase", "已受理", valueOK},
		{"phrase", "检定已经完成", valueTooLong},
		{"phrase", "OK", valueInvalid},
		{"phrase", "已 受理", valueInvalid},
		{"time", "2026-11-25 14:30", valueOK},
		{"time", "2026年11月25日", valueOK},
		{"time", "2026年11月25日 14:30", valueOK},
		{"time", "2026年11月25日14:30:05", valueOK},
		{"time", "15:01", valueOK},
		{"time", "2026/11/25", valueOK},
		{"time", "2026.11.25 08:00", valueOK},
		{"time", "11月25日", valueOK},
		{"time", "2026-11-25 09:00~2026-11-25 11:30", valueOK},
		{"time", "下午两点", valueInvalid},
		{"time", "2026-11-25T14:30:00Z", valueInvalid},
		{"time", "2026-13-01", valueInvalid},
		{"time", "25:00", valueInvalid},
		{"time", "2026年", valueInvalid},
		{"date", "2026-11-25", valueOK},
		{"phone_number", "+86-020-12345678", valueOK},
		{"phone_number", "123456789012345678", valueTooLong},
		{"phone_number", "020 1234", valueInvalid},
		{"amount", "¥100.50元", valueOK},
		{"amount", "300", valueOK},
		{"amount", "一百元", valueInvalid},
		{"car_number", "粤A8Z888挂", valueOK},
		{"car_number", "粤A8Z8889挂", valueTooLong},
		{"car_number", "粤A8@888", valueInvalid},
		{"name", "张三", valueOK},
		{"name", strings.Repeat("张", 11), valueTooLong},
		{"name", "Li Lei", valueOK},
		{"name", strings.Repeat("a", 21), valueTooLong},
		{"name", "Li雷", valueOK},
		{"const", strings.Repeat("x", 21), valueTooLong}, // unknown types get the thing rule
	}
	for _, c := range cases {
		if got := checkKeyword(c.typ, c.value); got != c.want {
			t.Errorf("%s %q: verdict %d, want %d", c.typ, c.value, got, c.want)
		}
	}
}

func TestKeywordType_StripsNumber(t *testing.T) {
	for key, want := range map[string]string{"thing1": "thing", "character_string12": "character_string", "time03": "time", "phrase": "phrase"} {
		if got := keywordType(key); got != want {
			t.Errorf("keywordType(%q) = %q, want %q", key, got, want)
		}
	}
}

type tmplMsg map[string]any

func filingMsg(openid string, data map[string]string) tmplMsg {
	d := map[string]any{}
	for k, v := range data {
		d[k] = map[string]string{"value": v}
	}
	return tmplMsg{
		"touser": openid, "template_id": "TPL_FILING_STATUS", "url": "https://qj.example/filings/1",
		"miniprogram": map[string]string{"appid": DefaultMPAppID, "pagepath": "pages/filing/detail?id=1"},
		"data":        d,
	}
}

func goodData() map[string]string {
	return map[string]string{"character_string1": "BA2026-000123", "thing2": "电子计价秤", "phrase3": "已受理", "time4": "2026-11-25 14:30"}
}

func TestTemplateSend_DeliversAndRecords(t *testing.T) {
	f := newFixture(t)
	fan := f.user("fan")
	m := f.post("/cgi-bin/message/template/send?"+q("access_token", f.oaToken()), filingMsg(fan.OAOpenID, goodData()))
	wantCode(t, m, 0)
	if m["errmsg"] != "ok" || m["msgid"].(float64) <= 0 {
		t.Fatalf("send = %v", m)
	}
	ds := f.s.Deliveries()
	if len(ds) != 1 {
		t.Fatalf("deliveries = %d", len(ds))
	}
	d := ds[0]
	if d.UserID != "fan" || d.ToUser != fan.OAOpenID || d.Data["thing2"] != "电子计价秤" || d.MiniProgram == nil ||
		d.MiniProgram.PagePath != "pages/filing/detail?id=1" || d.URL != "https://qj.example/filings/1" || d.MsgID != int64(m["msgid"].(float64)) {
		t.Fatalf("delivery = %+v", d)
	}
}

func TestTemplateSend_Rules(t *testing.T) {
	f := newFixture(t)
	fan, stranger := f.user("fan"), f.user("stranger")
	with := func(k, v string) map[string]string {
		d := goodData()
		d[k] = v
		return d
	}
	cases := []struct {
		name    string
		msg     tmplMsg
		want    int
		wantMsg string
	}{
		{"unknown openid", filingMsg("oNOBODY", goodData()), ErrCodeInvalidOpenID, ""},
		{"mini program openid", filingMsg(fan.MPOpenID, goodData()), ErrCodeInvalidOpenID, ""},
		{"not subscribed", filingMsg(stranger.OAOpenID, goodData()), ErrCodeRequireSubscribe, ""},
		{"unknown template", func() tmplMsg { m := filingMsg(fan.OAOpenID, goodData()); m["template_id"] = "TPL_NOPE"; return m }(), ErrCodeInvalidTemplateID, ""},
		{"first is gone since 2023", filingMsg(fan.OAOpenID, with("first", "您好")), ErrCodeArgumentInvalid, "data.first"},
		{"remark is gone since 2023", filingMsg(fan.OAOpenID, with("remark", "谢谢")), ErrCodeArgumentInvalid, "data.remark"},
		{"thing 20 chars", filingMsg(fan.OAOpenID, with("thing2", strings.Repeat("秤", 20))), 0, ""},
		{"thing 21 chars", filingMsg(fan.OAOpenID, with("thing2", strings.Repeat("秤", 21))), ErrCodeArgumentInvalid, "argument invalid! data.thing2.value exceeds limit"},
		{"character_string not ASCII", filingMsg(fan.OAOpenID, with("character_string1", "备案123")), ErrCodeArgumentInvalid, "data.character_string1.value invalid"},
		{"phrase too long", filingMsg(fan.OAOpenID, with("phrase3", "审核已经通过")), ErrCodeArgumentInvalid, "data.phrase3.value exceeds limit"},
		{"time not a time", filingMsg(fan.OAOpenID, with("time4", "明天")), ErrCodeArgumentInvalid, "data.time4.value invalid"},
		{"time as Chinese date", filingMsg(fan.OAOpenID, with("time4", "2026年11月25日")), 0, ""},
	}
	tok := f.oaToken()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := f.post("/cgi-bin/message/template/send?"+q("access_token", tok), c.msg)
			wantCode(t, m, c.want)
			if c.wantMsg != "" && !strings.Contains(m["errmsg"].(string), c.wantMsg) {
				t.Fatalf("errmsg = %q, want it to contain %q", m["errmsg"], c.wantMsg)
			}
		})
	}
	if n := len(f.s.Deliveries()); n != 2 {
		t.Fatalf("deliveries = %d, want the 2 valid sends", n)
	}
	wantCode(t, f.post("/cgi-bin/message/template/send?"+q("access_token", tok), "{"), ErrCodeDataFormat)
	wantCode(t, f.post("/cgi-bin/message/template/send?"+q("access_token", f.mpToken()), filingMsg(fan.OAOpenID, goodData())), ErrCodeAPIUnauthorized)
}

func TestTemplateSend_DailyQuotaResetsAtBeijingMidnight(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.DailyQuota = 2 })
	fan := f.user("fan")
	send := func() int {
		return errcode(f.post("/cgi-bin/message/template/send?"+q("access_token", f.oaToken()), filingMsg(fan.OAOpenID, goodData())))
	}
	if send() != 0 || send() != 0 {
		t.Fatal("sends within quota failed")
	}
	if c := send(); c != ErrCodeDailyQuota {
		t.Fatalf("third send = %d, want 45009", c)
	}
	f.clock.Set(time.Date(2026, 11, 25, 23, 59, 59, 0, beijing))
	if c := send(); c != ErrCodeDailyQuota {
		t.Fatalf("same day = %d, want 45009", c)
	}
	f.clock.Set(time.Date(2026, 11, 26, 0, 0, 0, 0, beijing))
	if c := send(); c != 0 {
		t.Fatalf("next day = %d, want 0", c)
	}
}

func TestTemplateSend_ClientMsgIDDeliversOnceInTenMinutes(t *testing.T) {
	f := newFixture(t)
	fan := f.user("fan")
	second, _ := f.s.CreateUser(User{ID: "fan2", Subscribed: true})
	send := func(openid, id string) int64 {
		t.Helper()
		msg := filingMsg(openid, goodData())
		msg["client_msg_id"] = id
		m := f.post("/cgi-bin/message/template/send?"+q("access_token", f.oaToken()), msg)
		wantCode(t, m, 0)
		return int64(m["msgid"].(float64))
	}
	a := send(fan.OAOpenID, "evt-1")
	if b := send(fan.OAOpenID, "evt-1"); b != a {
		t.Fatalf("repeat msgid = %d, want %d", b, a)
	}
	if n := len(f.s.Deliveries()); n != 1 {
		t.Fatalf("deliveries = %d after a repeat, want 1", n)
	}
	if c := send(fan.OAOpenID, "evt-2"); c == a {
		t.Fatal("a different client_msg_id reused the msgid")
	}
	if d := send(second.OAOpenID, "evt-1"); d == a {
		t.Fatal("the same client_msg_id to another user was de-duplicated")
	}
	f.clock.Advance(10 * time.Minute)
	if e := send(fan.OAOpenID, "evt-1"); e == a {
		t.Fatal("client_msg_id still de-duplicated after 10 minutes")
	}
	if n := len(f.s.Deliveries()); n != 4 {
		t.Fatalf("deliveries = %d, want 4", n)
	}
	if n := len(f.s.Requests("/cgi-bin/message/template/send")); n != 5 {
		t.Fatalf("recorded calls = %d, want 5 (calls are recorded apart from deliveries)", n)
	}
}
