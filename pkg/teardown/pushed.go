package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// PushedBy is the Stack of a repository that no stack owns: push-container
// made it (--repository NAME) and tagged it with the deployment.
const PushedBy = "push-container"

// PushedAPI finds and deletes the repositories push-container made.
type PushedAPI interface {
	DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, opts ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	ListTagsForResource(ctx context.Context, in *ecr.ListTagsForResourceInput, opts ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error)
	DeleteRepository(ctx context.Context, in *ecr.DeleteRepositoryInput, opts ...func(*ecr.Options)) (*ecr.DeleteRepositoryOutput, error)
}

// PushedRepositories lists the repositories tagged with the deployment
// that no stack owns (owned names the stacks' repositories). It reads ECR
// itself rather than the tagging API, whose index lags behind a
// repository just made.
func PushedRepositories(ctx context.Context, api PushedAPI, ecrAPI ECRAPI, name string, owned []string) ([]Repository, error) {
	var found []Repository
	p := ecr.NewDescribeRepositoriesPaginator(api, &ecr.DescribeRepositoriesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list ECR repositories: %w", err)
		}
		for _, r := range page.Repositories {
			repo := aws.ToString(r.RepositoryName)
			if slices.Contains(owned, repo) {
				continue
			}
			mine, err := taggedWith(ctx, api, aws.ToString(r.RepositoryArn), name)
			if err != nil {
				return nil, err
			}
			if !mine {
				continue
			}
			n, _, err := CountImages(ctx, ecrAPI, repo)
			if err != nil {
				return nil, err
			}
			found = append(found, Repository{Name: repo, Stack: PushedBy, Images: n})
		}
	}
	slices.SortFunc(found, func(a, b Repository) int { return strings.Compare(a.Name, b.Name) })
	return found, nil
}

func taggedWith(ctx context.Context, api PushedAPI, arn, name string) (bool, error) {
	out, err := api.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return false, fmt.Errorf("read the tags of %s: %w", arn, err)
	}
	return slices.ContainsFunc(out.Tags, func(t ecrtypes.Tag) bool {
		return aws.ToString(t.Key) == TagDeployment && aws.ToString(t.Value) == name
	}), nil
}

// DeletePushed deletes the repositories push-container made, images and
// all (Force), once the stacks are gone.
func (t *Teardown) DeletePushed(ctx context.Context, p Plan) error {
	for _, r := range p.Repositories {
		if r.Stack != PushedBy {
			continue
		}
		_, err := t.Pushed.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(r.Name), Force: true})
		var gone *ecrtypes.RepositoryNotFoundException
		if err != nil && !errors.As(err, &gone) {
			return fmt.Errorf("delete repository %s (made by push-container): %w", r.Name, err)
		}
		t.log(fmt.Sprintf("repository %s (made by push-container) deleted with %s", r.Name, plural(r.Images, "image")))
	}
	return nil
}

// pushed reports whether the plan holds repositories push-container made.
func (p Plan) pushed() bool {
	return slices.ContainsFunc(p.Repositories, func(r Repository) bool { return r.Stack == PushedBy })
}
