package mongo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/gdqjp/qj/core"
)

type files struct{ db *DB }

// Files returns the file repository (GridFS bucket "files").
func (db *DB) Files() core.FileRepo { return files{db} }

type gridMeta struct {
	File core.File `bson:"file"`
}

func (r files) PutFile(ctx context.Context, f *core.File, data []byte) error {
	opts := options.GridFSUpload().SetMetadata(gridMeta{File: *f})
	if err := r.db.bucket.UploadFromStreamWithID(f.ID, f.Name, bytes.NewReader(data), opts); err != nil {
		return fmt.Errorf("gridfs upload: %w", err)
	}
	return nil
}

func (r files) GetFile(ctx context.Context, id string) (*core.File, error) {
	var d struct {
		Metadata gridMeta `bson:"metadata"`
	}
	if err := r.db.db.Collection("files.files").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, notFound(err, "文件")
	}
	return &d.Metadata.File, nil
}

func (r files) OpenFile(ctx context.Context, id string) (*core.File, io.ReadCloser, error) {
	f, err := r.GetFile(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	st, err := r.db.bucket.OpenDownloadStream(id)
	if err != nil {
		if errors.Is(err, gridfs.ErrFileNotFound) {
			return nil, nil, core.ErrNotFound("文件")
		}
		return nil, nil, fmt.Errorf("gridfs open: %w", err)
	}
	return f, st, nil
}

func (r files) DeleteFile(ctx context.Context, id string) error {
	if err := r.db.bucket.DeleteContext(ctx, id); err != nil {
		if errors.Is(err, gridfs.ErrFileNotFound) {
			return core.ErrNotFound("文件")
		}
		return fmt.Errorf("gridfs delete: %w", err)
	}
	return nil
}
