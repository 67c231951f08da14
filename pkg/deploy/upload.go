package deploy

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// PutObjectAPI is the S3 call S3Uploader makes.
type PutObjectAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Uploader puts templates in an S3 bucket for CloudFormation to read.
type S3Uploader struct {
	Client PutObjectAPI
	Region string
	// Endpoint, when set (an emulator), makes path-style URLs under it.
	Endpoint string
}

// Upload stores body at s3://bucket/key and returns its https URL.
func (u S3Uploader) Upload(ctx context.Context, bucket, key string, body []byte) (string, error) {
	_, err := u.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("application/x-yaml"),
	})
	if err != nil {
		return "", err
	}
	if u.Endpoint != "" {
		return fmt.Sprintf("%s/%s/%s", strings.TrimRight(u.Endpoint, "/"), bucket, key), nil
	}
	return fmt.Sprintf("https://%s.s3.%s.amazonaws.com/%s", bucket, u.Region, key), nil
}
