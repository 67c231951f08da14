package teardown

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// ECRAPI is the part of the ECR client teardown uses.
type ECRAPI interface {
	ListImages(ctx context.Context, in *ecr.ListImagesInput, opts ...func(*ecr.Options)) (*ecr.ListImagesOutput, error)
	BatchDeleteImage(ctx context.Context, in *ecr.BatchDeleteImageInput, opts ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error)
}

// ecrBatch is ECR's limit for one BatchDeleteImage call.
const ecrBatch = 100

// RepositoryName is the repository part of a repository URI
// (<account>.dkr.ecr.<region>.amazonaws.com/<name>).
func RepositoryName(uri string) string {
	if _, name, ok := strings.Cut(uri, "/"); ok {
		return name
	}
	return uri
}

// listImages returns every image ID (tagged or not) of a repository; a
// repository that does not exist has none.
func listImages(ctx context.Context, api ECRAPI, repo string) ([]ecrtypes.ImageIdentifier, bool, error) {
	var ids []ecrtypes.ImageIdentifier
	p := ecr.NewListImagesPaginator(api, &ecr.ListImagesInput{RepositoryName: aws.String(repo)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var missing *ecrtypes.RepositoryNotFoundException
		if errors.As(err, &missing) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("list the images of repository %s: %w", repo, err)
		}
		ids = append(ids, page.ImageIds...)
	}
	return ids, true, nil
}

// CountImages counts a repository's images as ListImages lists them:
// one per tag, and one per untagged image.
func CountImages(ctx context.Context, api ECRAPI, repo string) (n int, exists bool, err error) {
	ids, exists, err := listImages(ctx, api, repo)
	return len(ids), exists, err
}

// EmptyRepository deletes every image, 100 per call.
func EmptyRepository(ctx context.Context, api ECRAPI, repo string, log func(string)) (int, error) {
	ids, _, err := listImages(ctx, api, repo)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for start := 0; start < len(ids); start += ecrBatch {
		batch := ids[start:min(start+ecrBatch, len(ids))]
		out, err := api.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo), ImageIds: batch})
		if err != nil {
			return deleted, fmt.Errorf("delete images in repository %s: %w", repo, err)
		}
		for _, f := range out.Failures {
			if f.FailureCode != ecrtypes.ImageFailureCodeImageNotFound {
				return deleted, fmt.Errorf("delete image %s in repository %s: %s", imageLabel(f.ImageId), repo, aws.ToString(f.FailureReason))
			}
		}
		deleted += len(batch)
		if len(ids) > ecrBatch {
			logLine(log, fmt.Sprintf("repository %s: %d of %d images deleted", repo, deleted, len(ids)))
		}
	}
	return deleted, nil
}

func imageLabel(id *ecrtypes.ImageIdentifier) string {
	if id == nil {
		return "?"
	}
	if t := aws.ToString(id.ImageTag); t != "" {
		return t
	}
	return aws.ToString(id.ImageDigest)
}
