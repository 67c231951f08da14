package uihost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3API is the part of the S3 client the UI build cache uses.
type S3API interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Bucket is the assets bucket, where UI sources and builds are kept.
type Bucket struct {
	S3   S3API
	Name string
}

// Exists reports whether key is in the bucket.
func (b Bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := b.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	var notFound *types.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up s3://%s/%s: %w", b.Name, key, err)
	}
	return true, nil
}

// Get reads key.
func (b Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := b.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("download s3://%s/%s: %w", b.Name, key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// Put writes key.
func (b Bucket) Put(ctx context.Context, key string, data []byte) error {
	_, err := b.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.Name), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("upload s3://%s/%s: %w", b.Name, key, err)
	}
	return nil
}
