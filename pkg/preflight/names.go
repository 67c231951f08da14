package preflight

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// deploymentTag is the tag every resource of a deployment carries.
const deploymentTag = "mlflowctl:deployment"

// checkBuckets: S3 bucket names are global across every account, and the
// templates' names are predictable, so someone else may hold one; the
// stack would then fail with "already exists" after the stacks before it
// were created (issue 16 item 9). HeadBucket answers 404 for a free name
// and 403 for a bucket of another account ("HeadBucket", Amazon S3 API
// Reference).
func checkBuckets(ctx context.Context, e *env) []Result {
	owned, err := ownedBuckets(ctx, e.c.S3)
	if err != nil {
		return []Result{couldNotCheck("bucket names", "s3:ListAllMyBuckets", err)}
	}
	var out []Result
	for _, b := range stacks.BucketNames(e.cfg, e.account, e.region) {
		out = append(out, checkBucket(ctx, e, b, owned[b]))
	}
	return out
}

func checkBucket(ctx context.Context, e *env, bucket string, ours bool) Result {
	name := "bucket " + bucket
	_, err := e.c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	switch status := httpStatus(err); {
	case err != nil && status == http.StatusNotFound:
		return Result{Check: name, Status: OK, Detail: "free"}
	case err != nil && status != http.StatusForbidden && status != http.StatusMovedPermanently:
		return couldNotCheck(name, "s3:HeadBucket", err)
	case err != nil || !ours:
		return Result{Check: name, Status: Fail, Detail: "the name is taken by another AWS account",
			Fix: "choose another deployment name (--name): bucket names are global across all accounts"}
	}
	if tagged(ctx, e.c.S3, bucket, e.cfg.Name) {
		return Result{Check: name, Status: OK, Detail: "exists and is this deployment's"}
	}
	return Result{Check: name, Status: Fail, Detail: "exists in this account but is not tagged " + deploymentTag + "=" + e.cfg.Name,
		Fix: "empty and delete it if it is left from an old deployment, or choose another --name"}
}

func ownedBuckets(ctx context.Context, c S3API) (map[string]bool, error) {
	out := map[string]bool{}
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, b := range page.Buckets {
			out[aws.ToString(b.Name)] = true
		}
	}
	return out, nil
}

func tagged(ctx context.Context, c S3API, bucket, deployment string) bool {
	out, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		return false
	}
	for _, t := range out.TagSet {
		if aws.ToString(t.Key) == deploymentTag && aws.ToString(t.Value) == deployment {
			return true
		}
	}
	return false
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if err != nil && asResponseError(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// checkCognitoDomain: a managed-login domain prefix is unique per region
// across accounts; DescribeUserPoolDomain answers an empty description for
// a free one.
func checkCognitoDomain(ctx context.Context, e *env) []Result {
	prefix := stacks.CognitoDomainPrefix(e.cfg, e.account)
	name := "cognito domain " + prefix
	out, err := e.c.Cognito.DescribeUserPoolDomain(ctx, &cognitoidentityprovider.DescribeUserPoolDomainInput{Domain: aws.String(prefix)})
	if err != nil {
		return []Result{couldNotCheck(name, "cognito-idp:DescribeUserPoolDomain", err)}
	}
	pool := ""
	if out.DomainDescription != nil {
		pool = aws.ToString(out.DomainDescription.UserPoolId)
	}
	switch {
	case pool == "":
		return []Result{{Check: name, Status: OK, Detail: "free"}}
	case pool == e.output(stacks.API, stacks.OutUserPoolID):
		return []Result{{Check: name, Status: OK, Detail: "this deployment's (user pool " + pool + ")"}}
	}
	return []Result{{Check: name, Status: Fail, Detail: "taken by user pool " + pool + ", which is not this deployment's",
		Fix: "delete that pool's domain, or choose another --name"}}
}

// checkStudio: with studio.domainId, the profiles join an existing domain.
// A domain in IAM Identity Center mode needs SSO user fields on every
// profile, which the template does not set ("CreateUserProfile":
// SingleSignOnUserIdentifier/Value "required if the domain is in IAM
// Identity Center mode"), and a name already taken fails the stack
// (issue 16 item 4).
func checkStudio(ctx context.Context, e *env) []Result {
	id := e.cfg.Studio.DomainID
	if !e.cfg.Studio.Enabled || id == "" {
		return []Result{{Check: "studio domain", Status: OK, Detail: "none given; up creates one (IAM mode)"}}
	}
	name := "studio domain " + id
	d, err := e.c.SageMaker.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String(id)})
	if err != nil {
		return []Result{{Check: name, Status: Fail, Detail: fmt.Sprintf("DescribeDomain: %v", err),
			Fix: "set studio.domainId to a domain of this account and region, or leave it empty to create one"}}
	}
	var out []Result
	if d.AuthMode == "SSO" {
		out = append(out, Result{Check: name, Status: Fail, Detail: "uses IAM Identity Center (SSO) authentication; mlflowctl's profiles are IAM-mode profiles without SSO user fields",
			Fix: "use a domain in IAM mode, or leave studio.domainId empty to let up create one"})
	} else {
		out = append(out, Result{Check: name, Status: OK, Detail: "auth mode " + string(d.AuthMode)})
	}
	return append(out, checkProfiles(ctx, e, id)...)
}

func checkProfiles(ctx context.Context, e *env, domain string) []Result {
	taken := map[string]bool{}
	p := sagemaker.NewListUserProfilesPaginator(e.c.SageMaker, &sagemaker.ListUserProfilesInput{DomainIdEquals: aws.String(domain)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return []Result{couldNotCheck("studio profiles", "sagemaker:ListUserProfiles", err)}
		}
		for _, u := range page.UserProfiles {
			taken[aws.ToString(u.UserProfileName)] = true
		}
	}
	ours := map[string]bool{}
	for _, n := range strings.Split(e.output(stacks.Studio, stacks.OutUserProfiles), ",") {
		ours[n] = true
	}
	var out []Result
	for _, prof := range stacks.ProfileNames(e.cfg) {
		name := "studio profile " + prof
		switch {
		case !taken[prof]:
			out = append(out, Result{Check: name, Status: OK, Detail: "free"})
		case ours[prof]:
			out = append(out, Result{Check: name, Status: OK, Detail: "this deployment's"})
		default:
			out = append(out, Result{Check: name, Status: Fail, Detail: "already exists in domain " + domain + " and is not this deployment's",
				Fix: "delete that profile, or choose another --name (profiles are named <name>-<group>)"})
		}
	}
	return out
}
