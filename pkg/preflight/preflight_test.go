package preflight

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/preflight/preflightfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// account is moto's account plus the fakes for what moto lacks, seeded as
// a healthy account: every check passes until a test breaks one thing.
type account struct {
	t    *testing.T
	fake *preflightfake.Server
	aws  aws.Config
	c    Clients
	cfg  config.Config
}

func newAccount(t *testing.T) *account {
	t.Helper()
	srv := mototest.Start(t)
	fake := preflightfake.New(srv.URL)
	t.Cleanup(fake.Close)
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	awsCfg.BaseEndpoint = aws.String(fake.URL)
	a := &account{t: t, fake: fake, aws: awsCfg, c: NewClients(awsx.NewClients(awsCfg, awsx.EmulatorFor(fake.URL))), cfg: config.Defaults()}
	a.cfg.Region = mototest.Region
	// The limits AWS applies by default (Service Quotas console); moto
	// serves the vpc ones itself.
	fake.SetQuota("ec2", "L-0263D0A3", 5)
	fake.SetQuota("fargate", "L-3032A538", 6)
	fake.SetQuota("rds", "L-952B80B8", 40)
	fake.AddEngineVersion(preflightfake.EngineVersion{Version: "16.6", MinACU: 0, MaxACU: 256})
	for _, ep := range a.cfg.Gateway.Endpoints {
		// Access is granted on the base model, also for a profile id
		// such as the default "global.anthropic...".
		fake.SetModel(BaseModel(ep.Model), preflightfake.Granted)
	}
	a.createECSRole()
	return a
}

func (a *account) createECSRole() {
	_, err := iam.NewFromConfig(a.aws).CreateServiceLinkedRole(context.Background(), &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	if err != nil {
		a.t.Fatal(err)
	}
}

// run makes every check and proves the run only read: each operation that
// reached AWS (moto or the fake) is a Get, List, Describe or Head.
func (a *account) run() Report {
	a.t.Helper()
	before := len(a.fake.Ops())
	rep := Run(context.Background(), a.cfg, a.c)
	for _, op := range a.fake.Ops()[before:] {
		if !readOnly(op) {
			a.t.Errorf("preflight changed something: %s", op)
		}
	}
	return rep
}

func readOnly(op string) bool {
	_, name, _ := strings.Cut(op, " ")
	for _, p := range []string{"Get", "List", "Describe", "Head", "GET ", "HEAD "} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// result finds the one result whose check starts with prefix.
func result(t *testing.T, rep Report, prefix string) Result {
	t.Helper()
	var found []Result
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Check, prefix) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d results for %q in %+v", len(found), prefix, rep.Results)
	}
	return found[0]
}

func wantStatus(t *testing.T, r Result, s Status) {
	t.Helper()
	if r.Status != s {
		t.Errorf("%s: status %s (%s), want %s", r.Check, r.Status, r.Detail, s)
	}
	if s == Fail && r.Fix == "" {
		t.Errorf("%s fails without a fix", r.Check)
	}
}

func TestHealthyAccountPassesEveryCheck(t *testing.T) {
	a := newAccount(t)
	rep := a.run()
	if rep.Failed() || len(rep.MissingRoles()) > 0 {
		t.Errorf("a healthy account failed: %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if r.Status != OK {
			t.Errorf("%s: %s %s", r.Check, r.Status, r.Detail)
		}
	}
	if rep.Account != mototest.Account {
		t.Errorf("account %q", rep.Account)
	}
}

func TestCredentialsForAnotherAccountFailAndSkipTheRest(t *testing.T) {
	a := newAccount(t)
	a.cfg.AccountID = "999999999999"
	rep := a.run()
	wantStatus(t, result(t, rep, "credentials"), Fail)
	wantStatus(t, result(t, rep, "codebuild"), Skipped)
}

// cloudformation-coverage-roadmap#818: the first ECS cluster of an account
// can fail with "Unable to assume the service linked role"; up creates the
// role first and waits for IAM to list it.
func TestMissingECSServiceLinkedRoleIsCreatedByUpAndThenListed(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	roles, err := a.c.IAM.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/ecs.amazonaws.com/")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles { // back to a fresh account
		if _, err := iam.NewFromConfig(a.aws).DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: r.RoleName}); err != nil {
			t.Fatal(err)
		}
	}
	rep := a.run()
	wantStatus(t, result(t, rep, "service-linked role ecs.amazonaws.com"), Fixable)
	if rep.Failed() {
		t.Errorf("a missing ECS role stops up; up should create it: %+v", rep.Results)
	}
	if got := rep.MissingRoles(); len(got) != 1 || got[0] != "ecs.amazonaws.com" {
		t.Fatalf("missing roles %v", got)
	}
	var slept []time.Duration
	wait := RoleWait{Timeout: time.Minute, Interval: time.Second, Settle: 15 * time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	if err := EnsureServiceLinkedRoles(ctx, a.c.IAM, rep.MissingRoles(), wait); err != nil {
		t.Fatal(err)
	}
	if len(slept) == 0 || slept[len(slept)-1] != 15*time.Second {
		t.Errorf("no settle time after creating the role: slept %v", slept)
	}
	wantStatus(t, result(t, a.run(), "service-linked role ecs.amazonaws.com"), OK)
	// A second up finds it there: CreateServiceLinkedRole's "taken"
	// answer is not an error.
	if err := EnsureServiceLinkedRoles(ctx, a.c.IAM, []string{"ecs.amazonaws.com"}, wait); err != nil {
		t.Errorf("second ensure: %v", err)
	}
}

// "Amazon VPC quotas": 5 VPCs per Region by default; moto's default VPC
// is one of them.
func TestVPCQuotaFullFails(t *testing.T) {
	a := newAccount(t)
	for range 4 {
		if _, err := ec2.NewFromConfig(a.aws).CreateVpc(context.Background(), &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")}); err != nil {
			t.Fatal(err)
		}
	}
	r := result(t, a.run(), "quota VPCs")
	wantStatus(t, r, Fail)
	if !strings.Contains(r.Detail, "5 in use of 5") {
		t.Errorf("detail %q", r.Detail)
	}
}

func TestElasticIPQuotaTooSmallForTwoNATGatewaysFails(t *testing.T) {
	a := newAccount(t)
	a.cfg.Network.NatGateways = 2
	a.fake.SetQuota("ec2", "L-0263D0A3", 1)
	wantStatus(t, result(t, a.run(), "quota Elastic IPs"), Fail)
}

func TestFargateVCPUQuotaBelowTheServicesFails(t *testing.T) {
	a := newAccount(t)
	a.fake.SetQuota("fargate", "L-3032A538", 1) // the server needs 2 tasks × 1 vCPU
	wantStatus(t, result(t, a.run(), "quota Fargate"), Fail)
}

func TestAuroraVersionNotOfferedFails(t *testing.T) {
	a := newAccount(t)
	a.cfg.Database.EngineVersion = "16.99"
	r := result(t, a.run(), "aurora")
	wantStatus(t, r, Fail)
	if !strings.Contains(r.Fix, "16.6") {
		t.Errorf("fix names no offered version: %q", r.Fix)
	}
}

// "Scaling to Zero ACUs with automatic pause and resume" (Aurora User
// Guide): minimum capacity 0 needs a version that supports auto-pause.
func TestAuroraMinCapacityZeroOnAVersionWithoutAutoPauseFails(t *testing.T) {
	a := newAccount(t)
	a.fake.AddEngineVersion(preflightfake.EngineVersion{Version: "14.9"}) // no ServerlessV2FeaturesSupport
	a.cfg.Database.EngineVersion = "14.9"
	wantStatus(t, result(t, a.run(), "aurora"), Fail)
}

// "Aurora Serverless v2 capacity": the maximum is 256 ACUs or 128 by
// engine version.
func TestAuroraMaxCapacityAboveTheVersionsLimitFails(t *testing.T) {
	a := newAccount(t)
	a.fake.AddEngineVersion(preflightfake.EngineVersion{Version: "15.4", MinACU: 0.5, MaxACU: 128})
	a.cfg.Database.EngineVersion, a.cfg.Database.MinCapacity, a.cfg.Database.MaxCapacity = "15.4", 0.5, 200
	wantStatus(t, result(t, a.run(), "aurora"), Fail)
}

// HeadBucket: "403 Forbidden" for a bucket another account owns (S3 API
// Reference, HeadBucket).
func TestBucketNameHeldByAnotherAccountFails(t *testing.T) {
	a := newAccount(t)
	name := stacks.BucketNames(a.cfg, mototest.Account, mototest.Region)[2]
	a.fake.ForeignBucket(name)
	wantStatus(t, result(t, a.run(), "bucket "+name), Fail)
}

func TestBucketOfThisAccountIsOKOnlyWhenTaggedForThisDeployment(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	c := s3.NewFromConfig(a.aws, func(o *s3.Options) { o.UsePathStyle = true })
	names := stacks.BucketNames(a.cfg, mototest.Account, mototest.Region)
	for _, b := range names[:2] {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(names[0]), Tagging: &s3types.Tagging{
		TagSet: []s3types.Tag{{Key: aws.String(deploymentTag), Value: aws.String(a.cfg.Name)}}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := a.run()
	wantStatus(t, result(t, rep, "bucket "+names[0]), OK)
	wantStatus(t, result(t, rep, "bucket "+names[1]), Fail)
}

func TestCognitoDomainPrefixTakenByAnotherPoolFails(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	c := cognitoidentityprovider.NewFromConfig(a.aws)
	pool, err := c.CreateUserPool(ctx, &cognitoidentityprovider.CreateUserPoolInput{PoolName: aws.String("someone-else")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateUserPoolDomain(ctx, &cognitoidentityprovider.CreateUserPoolDomainInput{
		Domain: aws.String(stacks.CognitoDomainPrefix(a.cfg, mototest.Account)), UserPoolId: pool.UserPool.Id})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, result(t, a.run(), "cognito domain"), Fail)
}

func createDomain(t *testing.T, a *account, name string, mode smtypes.AuthMode) string {
	t.Helper()
	out, err := sagemaker.NewFromConfig(a.aws).CreateDomain(context.Background(), &sagemaker.CreateDomainInput{
		DomainName: aws.String(name), AuthMode: mode, SubnetIds: []string{"subnet-1"}, VpcId: aws.String("vpc-1"),
		DefaultUserSettings: &smtypes.UserSettings{ExecutionRole: aws.String("arn:aws:iam::123456789012:role/x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.DomainArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}

// CreateUserProfile (SageMaker API Reference): SingleSignOnUserIdentifier
// and Value are required when the domain is in IAM Identity Center mode.
func TestExistingStudioDomainInSSOModeFails(t *testing.T) {
	a := newAccount(t)
	a.cfg.Studio.DomainID = createDomain(t, a, "sso", smtypes.AuthModeSso)
	wantStatus(t, result(t, a.run(), "studio domain"), Fail)
}

func TestStudioProfileNameTakenInTheDomainFails(t *testing.T) {
	a := newAccount(t)
	a.cfg.Studio.DomainID = createDomain(t, a, "iam", smtypes.AuthModeIam)
	taken := stacks.ProfileNames(a.cfg)[2]
	a.fake.AddProfile(a.cfg.Studio.DomainID, taken)
	rep := a.run()
	wantStatus(t, result(t, rep, "studio domain"), OK)
	wantStatus(t, result(t, rep, "studio profile "+taken), Fail)
	wantStatus(t, result(t, rep, "studio profile "+stacks.ProfileNames(a.cfg)[0]), OK)
}

func TestBedrockModelWithoutAccessFails(t *testing.T) {
	a := newAccount(t)
	ep := a.cfg.Gateway.Endpoints[0]
	ep.Model = BaseModel(ep.Model)
	a.fake.SetModel(ep.Model, preflightfake.Availability{Region: "AVAILABLE", Entitlement: "AVAILABLE", Agreement: "NOT_AVAILABLE", Authorization: "NOT_AUTHORIZED"})
	a.cfg.Gateway.Endpoints[0].Model = "us." + ep.Model // an inference profile: access is on the base model
	r := result(t, a.run(), "bedrock "+ep.Name)
	wantStatus(t, r, Fail)
	if !strings.Contains(r.Fix, "Model access") {
		t.Errorf("fix %q", r.Fix)
	}
}

// unreachableCodeBuild stands in for a region without CodeBuild, where the
// SDK cannot resolve codebuild.<region>.amazonaws.com; no emulator models
// a missing regional endpoint.
type unreachableCodeBuild struct{}

func (unreachableCodeBuild) ListProjects(context.Context, *codebuild.ListProjectsInput, ...func(*codebuild.Options)) (*codebuild.ListProjectsOutput, error) {
	return nil, &net.DNSError{Err: "no such host", Name: "codebuild.xx-east-9.amazonaws.com", IsNotFound: true}
}

func TestCodeBuildUnavailableInTheRegionFails(t *testing.T) {
	a := newAccount(t)
	a.c.CodeBuild = unreachableCodeBuild{}
	wantStatus(t, result(t, a.run(), "codebuild"), Fail)
}

func TestAuroraClusterQuotaFullFails(t *testing.T) {
	a := newAccount(t)
	a.fake.SetQuota("rds", "L-952B80B8", 0)
	wantStatus(t, result(t, a.run(), "quota Aurora"), Fail)
}

func TestDeployedServerStackConsumesNoNewQuota(t *testing.T) {
	a := newAccount(t)
	a.fake.SetQuota("rds", "L-952B80B8", 0)
	a.deployStack(stacks.Server)
	wantStatus(t, result(t, a.run(), "quota Aurora"), OK)
}

func (a *account) deployStack(id string) {
	a.t.Helper()
	_, err := cloudformation.NewFromConfig(a.aws).CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName:    aws.String(a.cfg.Name + "-" + id),
		TemplateBody: aws.String(`{"Resources":{"P":{"Type":"AWS::SSM::Parameter","Properties":{"Name":"p","Type":"String","Value":"v"}}}}`),
	})
	if err != nil {
		a.t.Fatal(err)
	}
}

// "NAT gateways per Availability Zone" (Amazon VPC quotas): counted per
// zone, so a full zone fails even when the region has room elsewhere.
func TestNATGatewayQuotaFullInAZoneFails(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	c := ec2.NewFromConfig(a.aws)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.8.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.8.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	if err != nil {
		t.Fatal(err)
	}
	eip, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: sub.Subnet.SubnetId, AllocationId: eip.AllocationId}); err != nil {
		t.Fatal(err)
	}
	a.fake.SetQuota("vpc", "L-FE5A380F", 1)
	r := result(t, a.run(), "quota NAT")
	wantStatus(t, r, Fail)
	if !strings.Contains(r.Detail, "1 in use of 1") {
		t.Errorf("detail %q", r.Detail)
	}
}

// A caller without servicequotas rights gets warnings that name the
// permission; up is not stopped by what it could not check.
func TestRefusedQuotaCallsWarnAndNameThePermission(t *testing.T) {
	a := newAccount(t)
	a.fake.Refuse("servicequotas GetServiceQuota")
	a.fake.Refuse("servicequotas GetAWSDefaultServiceQuota")
	rep := a.run()
	r := result(t, rep, "quota Fargate")
	wantStatus(t, r, Warn)
	if !strings.Contains(r.Fix, "servicequotas:GetServiceQuota") {
		t.Errorf("fix %q", r.Fix)
	}
	if rep.Failed() {
		t.Errorf("refused checks failed the run: %+v", rep.Results)
	}
}
