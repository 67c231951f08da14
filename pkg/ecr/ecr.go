// Package ecr manages the deployment's ECR repositories: creating them with
// scan on push and a lifecycle policy, the registry login, finding and
// re-tagging images, and pushing images with go-containerregistry.
package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// RepositoryAPI is the part of the ECR client that manages repositories.
type RepositoryAPI interface {
	CreateRepository(ctx context.Context, in *ecr.CreateRepositoryInput, optFns ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	PutImageScanningConfiguration(ctx context.Context, in *ecr.PutImageScanningConfigurationInput, optFns ...func(*ecr.Options)) (*ecr.PutImageScanningConfigurationOutput, error)
	PutLifecyclePolicy(ctx context.Context, in *ecr.PutLifecyclePolicyInput, optFns ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error)
}

// AuthAPI is the part of the ECR client that logs in to the registry.
type AuthAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ImageAPI is the part of the ECR client that reads and re-tags images.
type ImageAPI interface {
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, optFns ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
	PutImage(ctx context.Context, in *ecr.PutImageInput, optFns ...func(*ecr.Options)) (*ecr.PutImageOutput, error)
}

// Repository is an ECR repository.
type Repository struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// LifecyclePolicy keeps the 30 newest tagged images and drops untagged
// ones after a week: every build makes a new content-hash tag.
const LifecyclePolicy = `{"rules":[` +
	`{"rulePriority":1,"description":"untagged images after 7 days","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}},` +
	`{"rulePriority":2,"description":"keep the 30 newest images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":30},"action":{"type":"expire"}}]}`

// EnsureRepository creates the repository (scan on push, encrypted, tagged)
// or, when it exists, turns scan on push on; then sets the lifecycle policy.
func EnsureRepository(ctx context.Context, api RepositoryAPI, name string, tags map[string]string) (Repository, error) {
	out, err := api.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String(name),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		ImageTagMutability:         types.ImageTagMutabilityMutable,
		Tags:                       ecrTags(tags),
	})
	var repo *types.Repository
	var exists *types.RepositoryAlreadyExistsException
	switch {
	case err == nil:
		repo = out.Repository
	case errors.As(err, &exists):
		d, derr := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		if derr != nil {
			return Repository{}, fmt.Errorf("describe ECR repository %s: %w", name, derr)
		}
		if len(d.Repositories) == 0 {
			return Repository{}, fmt.Errorf("ECR repository %s exists but cannot be described", name)
		}
		repo = &d.Repositories[0]
		if _, err := api.PutImageScanningConfiguration(ctx, &ecr.PutImageScanningConfigurationInput{
			RepositoryName: aws.String(name), ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		}); err != nil {
			return Repository{}, fmt.Errorf("turn on scan on push for %s: %w", name, err)
		}
	default:
		return Repository{}, fmt.Errorf("create ECR repository %s: %w", name, err)
	}
	if _, err := api.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{
		RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(LifecyclePolicy),
	}); err != nil {
		return Repository{}, fmt.Errorf("set the lifecycle policy of %s: %w", name, err)
	}
	return Repository{Name: aws.ToString(repo.RepositoryName), URI: aws.ToString(repo.RepositoryUri)}, nil
}

func ecrTags(tags map[string]string) []types.Tag {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// Auth is a registry login. Its String never shows the password.
type Auth struct {
	Registry string // host, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com
	Username string
	Password string
}

func (a Auth) String() string { return a.Username + "@" + a.Registry }

// Login gets a registry login from ECR's authorization token.
func Login(ctx context.Context, api AuthAPI) (Auth, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Auth{}, fmt.Errorf("get the ECR authorization token: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return Auth{}, errors.New("ECR returned no authorization data")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return Auth{}, errors.New("the ECR authorization token is not base64")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Auth{}, errors.New("the ECR authorization token is not user:password")
	}
	host := strings.TrimPrefix(strings.TrimPrefix(aws.ToString(d.ProxyEndpoint), "https://"), "http://")
	return Auth{Registry: strings.TrimSuffix(host, "/"), Username: user, Password: pass}, nil
}

// ImageDigest returns the digest of repository:tag, and whether it exists.
func ImageDigest(ctx context.Context, api ImageAPI, repository, tag string) (string, bool, error) {
	out, err := api.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repository),
		ImageIds:       []types.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	var notFound *types.ImageNotFoundException
	if errors.As(err, &notFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look for %s:%s in ECR: %w", repository, tag, err)
	}
	for _, d := range out.ImageDetails {
		for _, t := range d.ImageTags {
			if t == tag {
				return aws.ToString(d.ImageDigest), true, nil
			}
		}
	}
	return "", false, nil
}

// Retag gives the image repository:from the tag to as well (no pull, no
// push: the manifest is put again under the new tag).
func Retag(ctx context.Context, api ImageAPI, repository, from, to string) error {
	out, err := api.BatchGetImage(ctx, &ecr.BatchGetImageInput{
		RepositoryName: aws.String(repository),
		ImageIds:       []types.ImageIdentifier{{ImageTag: aws.String(from)}},
	})
	if err != nil {
		return fmt.Errorf("read %s:%s: %w", repository, from, err)
	}
	if len(out.Images) == 0 {
		return fmt.Errorf("%s:%s is not in ECR", repository, from)
	}
	img := out.Images[0]
	_, err = api.PutImage(ctx, &ecr.PutImageInput{
		RepositoryName:         aws.String(repository),
		ImageManifest:          img.ImageManifest,
		ImageManifestMediaType: img.ImageManifestMediaType,
		ImageTag:               aws.String(to),
	})
	var exists *types.ImageAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("tag %s:%s as %s: %w", repository, from, to, err)
	}
	return nil
}

// SplitURI splits <registry>/<repository>[:tag] into registry and repository.
func SplitURI(uri string) (registry, repository string) {
	registry, repository, _ = strings.Cut(uri, "/")
	if i := strings.LastIndex(repository, ":"); i >= 0 {
		repository = repository[:i]
	}
	return registry, repository
}
