package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// The calls each check makes, one small interface per service.

// STSAPI says who the caller is.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, o ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// IAMAPI finds (and, for up, creates) service-linked roles.
type IAMAPI interface {
	ListRoles(ctx context.Context, in *iam.ListRolesInput, o ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	CreateServiceLinkedRole(ctx context.Context, in *iam.CreateServiceLinkedRoleInput, o ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error)
}

// QuotasAPI reads applied and default quotas.
type QuotasAPI interface {
	GetServiceQuota(ctx context.Context, in *servicequotas.GetServiceQuotaInput, o ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
	GetAWSDefaultServiceQuota(ctx context.Context, in *servicequotas.GetAWSDefaultServiceQuotaInput, o ...func(*servicequotas.Options)) (*servicequotas.GetAWSDefaultServiceQuotaOutput, error)
}

// EC2API counts VPCs, Elastic IPs and NAT gateways.
type EC2API interface {
	DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, o ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeAddresses(ctx context.Context, in *ec2.DescribeAddressesInput, o ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	DescribeNatGateways(ctx context.Context, in *ec2.DescribeNatGatewaysInput, o ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error)
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, o ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
}

// ECSAPI counts running Fargate vCPUs.
type ECSAPI interface {
	ListClusters(ctx context.Context, in *ecs.ListClustersInput, o ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, o ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, o ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// RDSAPI checks the Aurora engine version and counts clusters.
type RDSAPI interface {
	DescribeDBEngineVersions(ctx context.Context, in *rds.DescribeDBEngineVersionsInput, o ...func(*rds.Options)) (*rds.DescribeDBEngineVersionsOutput, error)
	DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, o ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
}

// S3API tells a free bucket name from a taken one.
type S3API interface {
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, o ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, o ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, o ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

// CognitoAPI looks up a managed-login domain prefix.
type CognitoAPI interface {
	DescribeUserPoolDomain(ctx context.Context, in *cognitoidentityprovider.DescribeUserPoolDomainInput, o ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.DescribeUserPoolDomainOutput, error)
}

// SageMakerAPI reads an existing Studio domain and its profiles.
type SageMakerAPI interface {
	DescribeDomain(ctx context.Context, in *sagemaker.DescribeDomainInput, o ...func(*sagemaker.Options)) (*sagemaker.DescribeDomainOutput, error)
	ListUserProfiles(ctx context.Context, in *sagemaker.ListUserProfilesInput, o ...func(*sagemaker.Options)) (*sagemaker.ListUserProfilesOutput, error)
}

// BedrockAPI says whether the account may invoke a model.
type BedrockAPI interface {
	GetFoundationModelAvailability(ctx context.Context, in *bedrock.GetFoundationModelAvailabilityInput, o ...func(*bedrock.Options)) (*bedrock.GetFoundationModelAvailabilityOutput, error)
}

// CodeBuildAPI answers when CodeBuild is available in the region.
type CodeBuildAPI interface {
	ListProjects(ctx context.Context, in *codebuild.ListProjectsInput, o ...func(*codebuild.Options)) (*codebuild.ListProjectsOutput, error)
}

// Clients are the SDK clients the checks use.
type Clients struct {
	Region    string
	STS       STSAPI
	IAM       IAMAPI
	Quotas    QuotasAPI
	EC2       EC2API
	ECS       ECSAPI
	RDS       RDSAPI
	S3        S3API
	Cognito   CognitoAPI
	SageMaker SageMakerAPI
	CodeBuild CodeBuildAPI
	Stacks    stacks.DescribeStacksAPI
	// Bedrock returns a client for a region (the gateway's Bedrock region
	// may differ from the deployment's).
	Bedrock func(region string) BedrockAPI
}

// NewClients hands out the clients of one command (awsx.Clients, whose
// emulator setting decides path-style S3).
func NewClients(c *awsx.Clients) Clients {
	return Clients{
		Region:    c.Region(),
		STS:       c.STS(),
		IAM:       c.IAM(),
		Quotas:    c.ServiceQuotas(),
		EC2:       c.EC2(),
		ECS:       c.ECS(),
		RDS:       c.RDS(),
		S3:        c.S3(),
		Cognito:   c.Cognito(),
		SageMaker: c.SageMaker(),
		CodeBuild: c.CodeBuild(),
		Stacks:    c.CloudFormation(),
		Bedrock:   func(region string) BedrockAPI { return c.Bedrock(region) },
	}
}
