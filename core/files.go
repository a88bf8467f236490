package core

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// FileKind is a file type the platform accepts, recognised by content.
type FileKind string

const (
	KindJPEG FileKind = "jpeg"
	KindPNG  FileKind = "png"
	KindPDF  FileKind = "pdf"
	KindZIP  FileKind = "zip"
	KindRAR  FileKind = "rar"
)

var kindInfo = map[FileKind]struct {
	exts        []string
	contentType string
	magic       [][]byte
}{
	KindJPEG: {[]string{".jpg", ".jpeg"}, "image/jpeg", [][]byte{{0xFF, 0xD8, 0xFF}}},
	KindPNG:  {[]string{".png"}, "image/png", [][]byte{{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}}},
	KindPDF:  {[]string{".pdf"}, "application/pdf", [][]byte{[]byte("%PDF-")}},
	KindZIP:  {[]string{".zip"}, "application/zip", [][]byte{[]byte("PK\x03\x04"), []byte("PK\x05\x06")}},
	KindRAR:  {[]string{".rar"}, "application/vnd.rar", [][]byte{[]byte("Rar!\x1A\x07\x00"), []byte("Rar!\x1A\x07\x01\x00")}},
}

// Upload is a file as received from a user.
type Upload struct {
	Name string
	Data []byte
}

// Empty reports whether no file was chosen.
func (u Upload) Empty() bool { return u.Name == "" && len(u.Data) == 0 }

// Sniff checks that data really is one of kinds and that the file name's
// extension agrees with the content; it returns the content type.
// A renamed executable is refused whatever its name says.
func Sniff(name string, data []byte, kinds ...FileKind) (string, error) {
	ext := strings.ToLower(filepath.Ext(name))
	var allowedExts []string
	for _, k := range kinds {
		info := kindInfo[k]
		allowedExts = append(allowedExts, info.exts...)
		extOK := false
		for _, e := range info.exts {
			extOK = extOK || e == ext
		}
		if !extOK {
			continue
		}
		for _, m := range info.magic {
			if bytes.HasPrefix(data, m) {
				return info.contentType, nil
			}
		}
		return "", Errorf(Invalid, "文件“%s”的内容与扩展名不符，请上传真实的%s文件", name, strings.TrimPrefix(ext, "."))
	}
	return "", Errorf(Invalid, "文件“%s”的格式不受支持，仅支持扩展名为 %s 的文件", name, strings.Join(allowedExts, ", "))
}

// MaxUploadError is the message for a file group above its size limit.
func MaxUploadError(limit int64) string {
	return fmt.Sprintf("文件总大小不可超过 %dM", limit>>20)
}

// File is stored file metadata. Files are owned by an applicant and read
// through a scope check in the use case that references them.
type File struct {
	ID          string
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	ApplicantID string // owner; "" for platform files
	Purpose     string // licence, authletter, attachment, typecert …
	CreatedAt   time.Time
	CreatedBy   string
}

// FileRepo stores file contents.
type FileRepo interface {
	PutFile(ctx context.Context, f *File, data []byte) error
	// GetFile returns metadata only.
	GetFile(ctx context.Context, id string) (*File, error)
	// OpenFile returns metadata and the content.
	OpenFile(ctx context.Context, id string) (*File, io.ReadCloser, error)
	DeleteFile(ctx context.Context, id string) error
}
