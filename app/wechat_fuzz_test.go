package app_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app/apptest"
	"github.com/gdqjp/qj/wxsandbox"
)

// Tencent's published WXBizMsgCrypt sample (also checked in
// wxsandbox/crypto_test.go): our endpoint, through the SDK, must decrypt it.
const (
	vecToken     = "QDG6eK"
	vecAESKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecAppID     = "wx5823bf96d3bd56c7"
	vecTimestamp = "1409659813"
	vecNonce     = "1372623149"
	vecMsgSig    = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)

type encryptedReply struct {
	Encrypt      string
	MsgSignature string
	TimeStamp    string
	Nonce        string
}

type textReply struct {
	ToUserName, FromUserName, MsgType, Content string
}

func TestWeChat_CallbackDecryptsThePublishedVector(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.WeChat.APIBase = "http://127.0.0.1:9" // never called
	cfg.WeChat.OA.AppID, cfg.WeChat.OA.Secret, cfg.WeChat.OA.Token, cfg.WeChat.OA.AESKey = vecAppID, "s", vecToken, vecAESKey
	e := apptest.NewWith(t, cfg, false)
	q := url.Values{"signature": {wxsandbox.Signature(vecToken, vecTimestamp, vecNonce)}, "timestamp": {vecTimestamp},
		"nonce": {vecNonce}, "encrypt_type": {"aes"}, "msg_signature": {vecMsgSig}}
	body := `<xml><ToUserName><![CDATA[` + vecAppID + `]]></ToUserName><Encrypt><![CDATA[` + vecEncrypt + `]]></Encrypt></xml>`
	res, err := e.App.HTTP.Test(httptest.NewRequest(http.MethodPost, "/wechat/oa?"+q.Encode(), strings.NewReader(body)), -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env encryptedReply
	if res.StatusCode != 200 || xml.Unmarshal(raw, &env) != nil || env.Encrypt == "" {
		t.Fatalf("reply: %d %s", res.StatusCode, raw)
	}
	c, _ := wxsandbox.NewMsgCrypt(vecToken, vecAESKey, vecAppID)
	if c.Sign(env.TimeStamp, env.Nonce, env.Encrypt) != env.MsgSignature {
		t.Fatal("reply signature does not verify")
	}
	plain, _, err := c.Decrypt(env.Encrypt)
	var m textReply
	if err != nil || xml.Unmarshal(plain, &m) != nil || m.ToUserName != "mycreate" || !strings.Contains(m.Content, "预约单号") {
		t.Fatalf("decrypted reply: %v %s", err, plain)
	}
	// The same ciphertext with one signature character changed is refused.
	q.Set("msg_signature", "0"+vecMsgSig[1:])
	res, _ = e.App.HTTP.Test(httptest.NewRequest(http.MethodPost, "/wechat/oa?"+q.Encode(), strings.NewReader(body)), -1)
	if res.StatusCode/100 != 4 {
		t.Fatalf("tampered msg_signature: %d", res.StatusCode)
	}
}

// FuzzCallback throws arbitrary bodies at /wechat/oa, correctly signed, as
// plain XML, as encrypted XML, and as a raw safe-mode envelope: the answer
// is "success", a well-formed reply or a 400, never a 5xx or a hang.
func FuzzCallback(f *testing.F) {
	e := apptest.NewManual(f)
	sb := e.App.Sandbox
	oa := sb.Config().OfficialAccount
	crypt, err := wxsandbox.NewMsgCrypt(oa.Token, oa.EncodingAESKey, oa.AppID)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[261125ABCD2345]]></Content><MsgId>7</MsgId></xml>`,
		`<xml><FromUserName>o2</FromUserName><MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_bind:xyz</EventKey></xml>`,
		`<xml><FromUserName>o3</FromUserName><MsgType>event</MsgType><Event>SCAN</Event><EventKey>login:abc</EventKey></xml>`,
		`<xml><FromUserName>o4</FromUserName><MsgType>event</MsgType><Event>CLICK</Event><EventKey>FILING_QUERY</EventKey></xml>`,
		`<xml><MsgType>image</MsgType><PicUrl>http://x</PicUrl></xml>`,
		`<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>`,
		`<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;&a;</Content></xml>`,
		"", "<", "\x00\xff",
	} {
		for mode := byte(0); mode < 3; mode++ {
			f.Add(mode, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, mode byte, body []byte) {
		ts, nonce := "1700000000", "fz"
		q := url.Values{"signature": {wxsandbox.Signature(oa.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}}
		payload := string(body)
		switch mode % 3 {
		case 1: // an encrypted message whose plaintext is the fuzz input
			enc, err := crypt.Encrypt([]byte("0123456789abcdef"), body)
			if err != nil {
				t.Skip()
			}
			payload = "<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
			fallthrough
		case 2: // the envelope itself is the fuzz input
			q.Set("encrypt_type", "aes")
			var envl struct{ Encrypt string }
			_ = xml.Unmarshal([]byte(payload), &envl)
			q.Set("msg_signature", crypt.Sign(ts, nonce, envl.Encrypt))
		}
		res, err := e.App.HTTP.Test(httptest.NewRequest(http.MethodPost, "/wechat/oa?"+q.Encode(), strings.NewReader(payload)), 10000)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		raw, _ := io.ReadAll(res.Body)
		switch {
		case res.StatusCode == 400:
		case res.StatusCode == 200 && string(raw) == "success":
		case res.StatusCode == 200:
			var r struct {
				XMLName xml.Name
				Content string
				Encrypt string
			}
			if err := xml.Unmarshal(raw, &r); err != nil || r.XMLName.Local != "xml" || (r.Content == "" && r.Encrypt == "") {
				t.Fatalf("malformed reply to %q: %q", payload, raw)
			}
		default:
			t.Fatalf("status %d to %q: %s", res.StatusCode, payload, raw)
		}
	})
}
