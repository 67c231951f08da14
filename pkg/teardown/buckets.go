package teardown

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3API is the part of the S3 client teardown uses.
type S3API interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	DeleteBucket(ctx context.Context, in *s3.DeleteBucketInput, opts ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
}

// batchSize is S3's limit for one DeleteObjects call, and ListObjectVersions's page size.
const batchSize = 1000

// CountObjects counts every object version and delete marker in a
// bucket; a bucket that does not exist has none.
func CountObjects(ctx context.Context, api S3API, bucket string) (n int, exists bool, err error) {
	p := s3.NewListObjectVersionsPaginator(api, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if isNoSuchBucket(err) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("count the objects of bucket %s: %w", bucket, err)
		}
		n += len(page.Versions) + len(page.DeleteMarkers)
	}
	return n, true, nil
}

// EmptyBucket deletes every object version and delete marker, 1,000 per
// call; CloudFormation cannot delete a bucket that has any. It lists from
// the start each time, since what it deleted is gone from the listing.
func EmptyBucket(ctx context.Context, api S3API, bucket string, log func(string)) (int, error) {
	deleted := 0
	for {
		page, err := api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(batchSize)})
		if isNoSuchBucket(err) {
			return deleted, nil
		}
		if err != nil {
			return deleted, fmt.Errorf("list the objects of bucket %s: %w", bucket, err)
		}
		ids := objectIDs(page)
		if len(ids) == 0 {
			return deleted, nil
		}
		for start := 0; start < len(ids); start += batchSize {
			batch := ids[start:min(start+batchSize, len(ids))]
			if err := deleteBatch(ctx, api, bucket, batch); err != nil {
				return deleted, err
			}
			deleted += len(batch)
			if len(batch) == batchSize {
				logLine(log, fmt.Sprintf("bucket %s: %d object versions and delete markers deleted so far", bucket, deleted))
			}
		}
	}
}

func objectIDs(page *s3.ListObjectVersionsOutput) []s3types.ObjectIdentifier {
	var ids []s3types.ObjectIdentifier
	for _, v := range page.Versions {
		ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
	}
	for _, m := range page.DeleteMarkers {
		ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
	}
	return ids
}

func deleteBatch(ctx context.Context, api S3API, bucket string, ids []s3types.ObjectIdentifier) error {
	out, err := api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
		Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
	if err != nil {
		return fmt.Errorf("delete objects in bucket %s: %w", bucket, err)
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return fmt.Errorf("delete objects in bucket %s: %d failed, first %s (version %s): %s %s", bucket, len(out.Errors),
			aws.ToString(e.Key), aws.ToString(e.VersionId), aws.ToString(e.Code), aws.ToString(e.Message))
	}
	return nil
}

func isNoSuchBucket(err error) bool {
	var nb *s3types.NoSuchBucket
	if errors.As(err, &nb) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.EqualFold(ae.ErrorCode(), "NoSuchBucket")
}

func logLine(log func(string), line string) {
	if log != nil {
		log(line)
	}
}

// DeleteBucket empties a bucket and deletes it; it is for buckets a
// template retained, which no stack deletes any more.
func DeleteBucket(ctx context.Context, api S3API, bucket string, log func(string)) error {
	if _, err := EmptyBucket(ctx, api, bucket, log); err != nil {
		return err
	}
	_, err := api.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	if err != nil && !isNoSuchBucket(err) {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	return nil
}
