package wxsandbox

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// Tencent's published WXBizMsgCrypt sample vector (the Sample files shipped
// with the official C#/Java/PHP/Python message-crypto code, and the
// work.weixin.qq.com callback documentation, path/90968): token "QDG6eK",
// EncodingAESKey "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", receiver id
// "wx5823bf96d3bd56c7".
const (
	vecToken  = "QDG6eK"
	vecAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecAppID  = "wx5823bf96d3bd56c7"

	vecMsgTimestamp = "1409659813"
	vecMsgNonce     = "1372623149"
	vecMsgSignature = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecMsgEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="

	vecEchoTimestamp = "1409659589"
	vecEchoNonce     = "263014780"
	vecEchoSignature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	vecEchoEncrypt   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	vecEchoPlain     = "1616140317555161061"
)

func TestMsgCrypt_PublishedVector_SignatureDecryptAndReEncrypt(t *testing.T) {
	c, err := NewMsgCrypt(vecToken, vecAESKey, vecAppID)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sign(vecMsgTimestamp, vecMsgNonce, vecMsgEncrypt); got != vecMsgSignature {
		t.Fatalf("msg_signature = %s, want %s", got, vecMsgSignature)
	}
	msg, random, err := c.Decrypt(vecMsgEncrypt)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ToUserName, FromUserName, MsgType, Content, MsgId string
	}
	if err := xml.Unmarshal(msg, &m); err != nil {
		t.Fatalf("%v in %q", err, msg)
	}
	if m.Content != "hello" || m.MsgId != "4561255354251345929" || m.MsgType != "text" {
		t.Fatalf("decrypted message = %+v", m)
	}
	// Known-answer encryption: with the random prefix the sample used, our
	// encryption must reproduce Tencent's ciphertext byte for byte.
	again, err := c.Encrypt(random, msg)
	if err != nil {
		t.Fatal(err)
	}
	if again != vecMsgEncrypt {
		t.Fatalf("re-encryption differs from the published ciphertext:\n got %s\nwant %s", again, vecMsgEncrypt)
	}
}

func TestMsgCrypt_PublishedEchoVector(t *testing.T) {
	c, _ := NewMsgCrypt(vecToken, vecAESKey, vecAppID)
	if got := c.Sign(vecEchoTimestamp, vecEchoNonce, vecEchoEncrypt); got != vecEchoSignature {
		t.Fatalf("signature = %s, want %s", got, vecEchoSignature)
	}
	msg, random, err := c.Decrypt(vecEchoEncrypt)
	if err != nil || string(msg) != vecEchoPlain {
		t.Fatalf("echo = %q, %v; want %q", msg, err, vecEchoPlain)
	}
	if again, _ := c.Encrypt(random, msg); again != vecEchoEncrypt {
		t.Fatalf("re-encryption = %s", again)
	}
}

func TestMsgCrypt_RoundTripAndRejections(t *testing.T) {
	c, err := NewMsgCrypt(DefaultOAToken, DefaultOAAESKey, DefaultOAAppID)
	if err != nil {
		t.Fatal(err)
	}
	// Lengths around the 32-byte padding block, and multi-byte text.
	for _, msg := range []string{"", "a", strings.Repeat("x", 12), strings.Repeat("y", 13), strings.Repeat("z", 44), "<xml><Content><![CDATA[预约号 QJ2026]]></Content></xml>"} {
		enc, err := c.Encrypt(nil, []byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		got, random, err := c.Decrypt(enc)
		if err != nil || string(got) != msg || len(random) != 16 {
			t.Fatalf("round trip of %q: %q, %v", msg, got, err)
		}
	}
	// Fresh randomness: the same message encrypts differently each time.
	a, _ := c.Encrypt(nil, []byte("same"))
	b, _ := c.Encrypt(nil, []byte("same"))
	if a == b {
		t.Fatal("two encryptions of one message are equal; random prefix not random")
	}
	// Fixed randomness is deterministic.
	r := bytes.Repeat([]byte{7}, 16)
	x, _ := c.Encrypt(r, []byte("same"))
	y, _ := c.Encrypt(r, []byte("same"))
	if x != y {
		t.Fatal("fixed-random encryption is not deterministic")
	}

	other, _ := NewMsgCrypt(DefaultOAToken, DefaultOAAESKey, "wxsomeoneelse")
	if _, _, err := other.Decrypt(a); err == nil {
		t.Fatal("a message for another appid decrypted without error")
	}
	for _, bad := range []string{"not base64!", "AAAA", a[:len(a)-8] + "AAAAAAA="} {
		if _, _, err := c.Decrypt(bad); err == nil {
			t.Fatalf("Decrypt(%q) succeeded", bad)
		}
	}
	if _, err := NewMsgCrypt("t", "short", "wx"); err == nil {
		t.Fatal("a 5-character EncodingAESKey was accepted")
	}
	if _, err := c.Encrypt([]byte("short"), nil); err == nil {
		t.Fatal("a 5-byte random prefix was accepted")
	}
}

func TestSignature_SortsBeforeHashing(t *testing.T) {
	if Signature("b", "a", "c") != Signature("c", "b", "a") {
		t.Fatal("signature depends on argument order")
	}
	// sha1("abc")
	if got := Signature("c", "a", "b"); got != "a9993e364706816aba3e25717850c26c9cd0d89d" {
		t.Fatalf("Signature = %s", got)
	}
}
