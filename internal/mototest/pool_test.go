package mototest

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMain(m *testing.M) { Main(m) }

// TestIsolatedServersDoNotShareState: a server lent to one test is not
// lent to another at the same time, and the other's reset leaves its
// state alone; the process's environment is not touched.
func TestIsolatedServersDoNotShareState(t *testing.T) {
	t.Parallel()
	before := os.Getenv("AWS_ACCESS_KEY_ID")
	a := Isolated(t)
	ctx := context.Background()
	s3a := s3.NewFromConfig(a.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	t.Run("another test", func(t *testing.T) {
		b := Isolated(t) // reset on the way in
		if b.URL == a.URL {
			t.Fatalf("the same server %s was lent twice", a.URL)
		}
	})
	if _, err := s3a.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("kept")}); err != nil {
		t.Fatalf("the other test's reset reached this server: %v", err)
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") != before {
		t.Fatal("Isolated changed the process's environment")
	}
}
