package console

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// The authorisation letter of manual 附件一, as a Word document the
// applicant fills in, has signed and sealed, and uploads again.
var letterParagraphs = []struct {
	text          string
	bold, center  bool
	size, spacing int
}{
	{"授权委托书", true, true, 36, 400},
	{"本人（姓名）____________系（注册企业/单位名称）______________________________的法定代表人，现委托（姓名）____________为我方代理人，代理人根据授权，以我方名义在“广东省计量强制检定管理平台”（网址：https://www.gdqjp.com/）上进行注册、操作和处理相关事宜，其法律后果由我方承担。", false, false, 24, 240},
	{"代理人无转委托权。", false, false, 24, 600},
	{"注册单位/企业：（盖单位章）", false, false, 24, 360},
	{"法定代表人：（签字或盖章）", false, false, 24, 240},
	{"身份证号码：", false, false, 24, 360},
	{"委托代理人：（签字或盖章）", false, false, 24, 240},
	{"身份证号码：", false, false, 24, 360},
	{"日    期：        年    月    日", false, false, 24, 240},
}

var authorizationLetterDocx = buildLetter()

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func buildLetter() []byte {
	var body strings.Builder
	for _, p := range letterParagraphs {
		body.WriteString(`<w:p><w:pPr>`)
		if p.center {
			body.WriteString(`<w:jc w:val="center"/>`)
		} else {
			body.WriteString(`<w:ind w:firstLineChars="200" w:firstLine="480"/>`)
		}
		body.WriteString(`<w:spacing w:after="` + strconv.Itoa(p.spacing) + `" w:line="360" w:lineRule="auto"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii="SimSun" w:eastAsia="SimSun" w:hAnsi="SimSun"/>`)
		if p.bold {
			body.WriteString(`<w:b/>`)
		}
		body.WriteString(`<w:sz w:val="` + strconv.Itoa(p.size) + `"/></w:rPr><w:t xml:space="preserve">` + esc(p.text) + `</w:t></w:r></w:p>`)
	}
	files := []struct{ name, content string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() +
			`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(f.content)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
