// Package teardowntest builds whole mlflowctl deployments for teardown
// tests: stacks in the in-memory CloudFormation (cfnfake) that own real
// resources in moto_server (buckets, repositories, DB cluster, VPC, log
// groups) and in sagemakerfake (the Studio domain and profiles), so that
// deleting a stack fails the way AWS does when a bucket is not empty or a
// profile still has apps.
package teardowntest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker/sagemakerfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
)

// Options shape the deployment a World builds.
type Options struct {
	// ArtifactObjects is how many objects the artifact bucket holds.
	ArtifactObjects int
	// ExistingDomain: the domain was not created by mlflowctl and holds
	// OtherProfiles too.
	ExistingDomain bool
	OtherProfiles  []string
	// AppDeleteTime is how long a Studio app takes to delete.
	AppDeleteTime time.Duration
}

// Profiles are the deployment's three Studio user profiles.
var Profiles = []string{"mlflow-admin", "mlflow-reader", "mlflow-model-approver"}

// World is one deployment spread over moto_server, sagemakerfake and the
// in-memory CloudFormation.
type World struct {
	Name  string
	Clock *sagemakerfake.Clock
	CFN   *cfnfake.Fake
	SM    *sagemakerfake.Server

	S3      *s3.Client
	ECR     *ecr.Client
	Tagging *tagging.Client
	RDS     *rds.Client
	Logs    *cloudwatchlogs.Client
	EFS     *efs.Client
	EC2     *ec2.Client
	SMC     *sm.Client
	Cognito *cip.Client

	DomainID, VpcID, SubnetID, ArtifactBucket, DBCluster, FileSystem string
	// UserPoolID is the api stack's Cognito pool, created with deletion
	// protection on as the default configuration does.
	UserPoolID string
}

// newCFN is the in-memory CloudFormation on the real clock (moto_server
// and the engine's polls run on it), each event a millisecond apart.
func newCFN() *cfnfake.Fake {
	f := cfnfake.New()
	f.SetStepGap(time.Millisecond)
	return f
}

var creds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// New builds deployment name: the bootstrap, server, api, studio and ui
// stacks with their resources.
func New(t testing.TB, motoURL, name string, o Options) *World {
	t.Helper()
	if o.ArtifactObjects == 0 {
		o.ArtifactObjects = 25
	}
	if o.AppDeleteTime == 0 {
		o.AppDeleteTime = 4 * time.Minute
	}
	ep, r := aws.String(motoURL), "us-east-1"
	clock := sagemakerfake.NewClock()
	fake := sagemakerfake.New(sagemakerfake.Options{Now: clock.Now, AppDeleteTime: o.AppDeleteTime,
		SpaceDeleteTime: time.Minute, ProfileDeleteTime: time.Minute})
	t.Cleanup(fake.Close)
	w := &World{
		Name: name, Clock: clock, CFN: newCFN(), SM: fake,
		S3:  s3.New(s3.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3, UsePathStyle: true}),
		ECR: ecr.New(ecr.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
		// moto_server once answered GetResources with HTTP 500 under load; retry.
		Tagging: tagging.New(tagging.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
		RDS:     rds.New(rds.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
		Logs:    cloudwatchlogs.New(cloudwatchlogs.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
		EFS:     efs.New(efs.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
		EC2:     ec2.New(ec2.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
		SMC:     sm.New(sm.Options{Region: r, BaseEndpoint: aws.String(fake.URL), Credentials: creds, RetryMaxAttempts: 3}),
		Cognito: cip.New(cip.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
	}
	ctx := context.Background()
	steps := []func(context.Context) error{
		w.bootstrap,
		func(ctx context.Context) error { return w.server(ctx, o.ArtifactObjects) },
		w.api,
		func(ctx context.Context) error { return w.studio(ctx, o) },
		w.ui,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			t.Fatalf("build deployment %s: %v", name, err)
		}
	}
	return w
}

// Teardown is a teardown of the world's deployment whose Studio waits run
// on the fake clock, and whose stacks are deleted by the deploy engine
// over the in-memory CloudFormation.
func (w *World) Teardown(o teardown.Options) *teardown.Teardown {
	return &teardown.Teardown{
		Name: w.Name, KeepData: o.KeepData,
		CFN: w.CFN, S3: w.S3, ECR: w.ECR, Tagging: w.Tagging, RDS: w.RDS, Logs: w.Logs, Pushed: w.ECR, Cognito: w.Cognito,
		Studio:  &sagemaker.Studio{API: w.SMC, Clock: w.Clock, Poll: 10 * time.Second, Timeout: 20 * time.Minute, Log: o.Log},
		Storage: &sagemaker.DomainStorage{SageMaker: w.SMC, EFS: w.EFS, EC2: w.EC2, Clock: w.Clock, Poll: 10 * time.Second, Log: o.Log},
		NewDeleter: func(retain map[string][]string) teardown.StackDeleter {
			engine := deploy.New(w.CFN, deploy.Options{Yes: true, PollMin: time.Millisecond, PollMax: 2 * time.Millisecond})
			if o.Events != nil {
				engine.Subscribe(o.Events)
			}
			return &teardown.EngineDeleter{Engine: engine, CFN: w.CFN, Retain: retain, Log: o.Log}
		},
		Log: o.Log,
	}
}

func (w *World) stackTags(id string) map[string]string {
	return map[string]string{teardown.TagDeployment: w.Name, teardown.TagStack: id}
}

func (w *World) addStack(id string, outputs map[string]string, resources ...*cfnfake.Resource) {
	w.CFN.Add(cfnfake.Existing{Name: w.Name + "-" + id, Tags: w.stackTags(id), Outputs: outputs, Resources: resources})
}

func (w *World) bucket(ctx context.Context, logical, name string, objects int, versioned bool) (*cfnfake.Resource, error) {
	if _, err := w.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return nil, err
	}
	if _, err := w.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{
		TagSet: []s3types.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String(w.Name)}}}}); err != nil {
		return nil, err
	}
	if versioned {
		if _, err := w.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			return nil, err
		}
	}
	for i := range objects {
		key := fmt.Sprintf("obj/%04d", i)
		if _, err := w.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
			return nil, err
		}
		if versioned && i%5 == 0 {
			if _, err := w.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String(key)}); err != nil {
				return nil, err
			}
		}
	}
	return &cfnfake.Resource{Logical: logical, Type: "AWS::S3::Bucket", Physical: name, Delete: func(ctx context.Context) error {
		_, err := w.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
		return err
	}}, nil
}

func (w *World) repository(ctx context.Context, logical, name string) (*cfnfake.Resource, string, error) {
	uri, err := w.createRepository(ctx, name)
	if err != nil {
		return nil, "", err
	}
	for i := range 2 {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%064d"},"layers":[]}`, i, i)
		_, err := w.ECR.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(name), ImageTag: aws.String(fmt.Sprintf("v%d", i)),
			ImageManifest: aws.String(manifest)})
		var dup *ecrtypes.ImageAlreadyExistsException
		if err != nil && !errors.As(err, &dup) {
			return nil, "", err
		}
	}
	return &cfnfake.Resource{Logical: logical, Type: "AWS::ECR::Repository", Physical: name, Delete: func(ctx context.Context) error {
		_, err := w.ECR.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name)})
		return err
	}}, uri, nil
}

// createRepository creates an ECR repository and returns its URI. moto was
// reset just before the world is built, so "already exists" can only be
// this call's own earlier attempt: under CI load moto_server created the
// repository and the SDK retried the request (CI run of stop 26 failed
// with RepositoryAlreadyExistsException for demo-gateway right after
// demo-server was created). The retry then reads the repository back.
func (w *World) createRepository(ctx context.Context, name string) (string, error) {
	out, err := w.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)})
	if err == nil {
		return aws.ToString(out.Repository.RepositoryUri), nil
	}
	var dup *ecrtypes.RepositoryAlreadyExistsException
	if !errors.As(err, &dup) {
		return "", err
	}
	got, err := w.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	if err != nil {
		return "", fmt.Errorf("repository %s exists but cannot be read back: %w", name, err)
	}
	if len(got.Repositories) != 1 {
		return "", fmt.Errorf("repository %s exists but DescribeRepositories returned %d", name, len(got.Repositories))
	}
	return aws.ToString(got.Repositories[0].RepositoryUri), nil
}

func (w *World) bootstrap(ctx context.Context) error {
	assets, err := w.bucket(ctx, "AssetsBucket", w.Name+"-assets-1a2b", 6, false)
	if err != nil {
		return err
	}
	outputs := map[string]string{stacks.OutAssetsBucket: assets.Physical}
	resources := []*cfnfake.Resource{assets}
	for _, kr := range [][2]string{{stacks.OutServerRepositoryURI, "server"}, {stacks.OutGatewayRepositoryURI, "gateway"}, {stacks.OutPyfuncRepositoryURI, "pyfunc"}} {
		key, repo := kr[0], kr[1]
		res, uri, err := w.repository(ctx, strings.ToUpper(repo[:1])+repo[1:]+"Repository", w.Name+"-"+repo)
		if err != nil {
			return err
		}
		outputs[key] = uri
		resources = append(resources, res)
	}
	w.addStack(stacks.Bootstrap, outputs, resources...)
	return nil
}

func (w *World) server(ctx context.Context, objects int) error {
	vpc, err := w.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), TagSpecifications: []ec2types.TagSpecification{{
		ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String(w.Name)}}}}})
	if err != nil {
		return err
	}
	w.VpcID = aws.ToString(vpc.Vpc.VpcId)
	subnet, err := w.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		return err
	}
	w.SubnetID = aws.ToString(subnet.Subnet.SubnetId)
	w.ArtifactBucket = w.Name + "-artifacts-3c4d"
	artifacts, err := w.bucket(ctx, "ArtifactBucket", w.ArtifactBucket, objects, true)
	if err != nil {
		return err
	}
	accessLogs, err := w.bucket(ctx, "AccessLogBucket", w.Name+"-access-logs-5e6f", 3, false)
	if err != nil {
		return err
	}
	w.DBCluster = w.Name + "-server-dbcluster-7g8h"
	if _, err := w.RDS.CreateDBCluster(ctx, &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String(w.DBCluster), Engine: aws.String("aurora-postgresql"),
		MasterUsername: aws.String("mlflow"), ManageMasterUserPassword: aws.Bool(true),
		Tags: []rdstypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String(w.Name)}}}); err != nil {
		return err
	}
	logGroup := "/mlflowctl/" + w.Name + "/server"
	if _, err := w.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(logGroup),
		Tags: map[string]string{teardown.TagDeployment: w.Name}}); err != nil {
		return err
	}
	w.addStack(stacks.Server, map[string]string{
		stacks.OutVpcID: w.VpcID, stacks.OutArtifactBucket: artifacts.Physical, stacks.OutAccessLogBucket: accessLogs.Physical,
		stacks.OutDBClusterID: w.DBCluster,
	},
		&cfnfake.Resource{Logical: "Vpc", Type: "AWS::EC2::VPC", Physical: w.VpcID, Delete: w.deleteVpc},
		&cfnfake.Resource{Logical: "PrivateSubnet1", Type: "AWS::EC2::Subnet", Physical: w.SubnetID, Delete: func(ctx context.Context) error {
			_, err := w.EC2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(w.SubnetID)})
			return err
		}},
		artifacts, accessLogs,
		// The Snapshot deletion policy: the cluster goes, its final snapshot stays.
		&cfnfake.Resource{Logical: "DatabaseCluster", Type: "AWS::RDS::DBCluster", Physical: w.DBCluster, Delete: w.deleteCluster},
		&cfnfake.Resource{Logical: "ServerLogGroup", Type: "AWS::Logs::LogGroup", Physical: logGroup, Delete: func(ctx context.Context) error {
			_, err := w.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(logGroup)})
			return err
		}},
	)
	return nil
}

// deleteCluster deletes the DB cluster with a final snapshot and tags the
// snapshot as the cluster's CopyTagsToSnapshot does (moto does not copy).
func (w *World) deleteCluster(ctx context.Context) error {
	snapshot := w.DBCluster + "-final-snapshot"
	if _, err := w.RDS.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(w.DBCluster),
		FinalDBSnapshotIdentifier: aws.String(snapshot)}); err != nil {
		return err
	}
	out, err := w.RDS.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(snapshot)})
	if err != nil {
		return err
	}
	_, err = w.RDS.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: out.DBClusterSnapshots[0].DBClusterSnapshotArn,
		Tags: []rdstypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String(w.Name)}}})
	return err
}

// deleteVpc fails like AWS while security groups other than the default
// one are still in the VPC (moto does not check).
func (w *World) deleteVpc(ctx context.Context) error {
	out, err := w.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{w.VpcID}}}})
	if err != nil {
		return err
	}
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupName) != "default" {
			return fmt.Errorf("DependencyViolation: The vpc '%s' has dependencies and cannot be deleted (security group %s)", w.VpcID, aws.ToString(g.GroupName))
		}
	}
	_, err = w.EC2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(w.VpcID)})
	return err
}

const restAPIID = "a1b2c3d4e5"

func (w *World) api(ctx context.Context) error {
	// Log groups AWS makes on first use, outside any template.
	for _, g := range []string{"/aws/lambda/" + w.Name + "-api-AuthorizerFunction-X1Y2", "API-Gateway-Execution-Logs_" + restAPIID + "/prod"} {
		if _, err := w.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
			return err
		}
	}
	pool, err := w.Cognito.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(w.Name + "-mlflow"),
		DeletionProtection: ciptypes.DeletionProtectionTypeActive, UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
		AdminCreateUserConfig: &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}})
	if err != nil {
		return err
	}
	w.UserPoolID = aws.ToString(pool.UserPool.Id)
	w.addStack(stacks.API, map[string]string{stacks.OutRestAPIID: restAPIID, "AuthorizerFunctionName": w.Name + "-api-AuthorizerFunction-X1Y2",
		stacks.OutUserPoolID: w.UserPoolID},
		&cfnfake.Resource{Logical: "RestApi", Type: "AWS::ApiGateway::RestApi", Physical: restAPIID},
		&cfnfake.Resource{Logical: "AuthorizerFunction", Type: "AWS::Lambda::Function", Physical: w.Name + "-api-AuthorizerFunction-X1Y2"},
		&cfnfake.Resource{Logical: "UserPool", Type: "AWS::Cognito::UserPool", Physical: w.UserPoolID, Delete: w.deleteUserPool})
	return nil
}

// deleteUserPool deletes the pool as Cognito does: refused while its
// deletion protection is active (moto deletes it anyway). Cognito's
// words: "When you try to delete a protected user pool in a
// DeleteUserPool API request, Amazon Cognito returns an
// InvalidParameterException error" (UserPoolType.DeletionProtection,
// https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html).
func (w *World) deleteUserPool(ctx context.Context) error {
	out, err := w.Cognito.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(w.UserPoolID)})
	if err != nil {
		return err
	}
	if out.UserPool.DeletionProtection == ciptypes.DeletionProtectionTypeActive {
		return fmt.Errorf("InvalidParameterException: The user pool %s cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first", w.UserPoolID)
	}
	_, err = w.Cognito.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(w.UserPoolID)})
	return err
}

func (w *World) studio(ctx context.Context, o Options) error {
	w.DomainID = "d-" + w.Name + "0123"
	created := !o.ExistingDomain
	if created {
		if err := w.domainStorage(ctx); err != nil {
			return err
		}
	}
	w.SM.AddDomain(sagemakerfake.Domain{ID: w.DomainID, HomeEFS: w.FileSystem, VpcID: w.VpcID})
	var resources []*cfnfake.Resource
	if created {
		resources = append(resources, &cfnfake.Resource{Logical: "Domain", Type: "AWS::SageMaker::Domain", Physical: w.DomainID, Delete: func(ctx context.Context) error {
			_, err := w.SMC.DeleteDomain(ctx, &sm.DeleteDomainInput{DomainId: aws.String(w.DomainID)})
			return err
		}})
	}
	for _, p := range append(append([]string(nil), Profiles...), o.OtherProfiles...) {
		w.SM.AddProfile(w.DomainID, p)
		w.SM.AddApp(w.DomainID, sagemakerfake.App{Type: "JupyterServer", Name: "default", Profile: p})
		w.SM.AddApp(w.DomainID, sagemakerfake.App{Type: "KernelGateway", Name: "instance-mlflow-basepython-" + p, Profile: p})
	}
	w.SM.AddSpace(w.DomainID, "mlflow-admin-lab", "mlflow-admin")
	w.SM.AddApp(w.DomainID, sagemakerfake.App{Type: "JupyterLab", Name: "default", Space: "mlflow-admin-lab"})
	for _, p := range Profiles {
		resources = append(resources, &cfnfake.Resource{Logical: "Profile" + strings.ReplaceAll(p, "-", ""), Type: "AWS::SageMaker::UserProfile", Physical: p,
			Delete: func(ctx context.Context) error {
				_, err := w.SMC.DeleteUserProfile(ctx, &sm.DeleteUserProfileInput{DomainId: aws.String(w.DomainID), UserProfileName: aws.String(p)})
				if sagemaker.IsNotFound(err) {
					return nil // CloudFormation treats a resource already gone as deleted
				}
				return err
			}})
	}
	w.addStack(stacks.Studio, map[string]string{
		stacks.OutDomainID: w.DomainID, stacks.OutDomainCreated: fmt.Sprint(created), stacks.OutUserProfiles: strings.Join(Profiles, ","),
	}, resources...)
	return nil
}

// domainStorage makes what SageMaker makes for a new domain: the home EFS
// with a mount target, and the inbound/outbound NFS security groups.
func (w *World) domainStorage(ctx context.Context) error {
	var groups []string
	for _, dir := range []string{"inbound", "outbound"} {
		g, err := w.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: aws.String(w.VpcID),
			GroupName: aws.String("security-group-for-" + dir + "-nfs-" + w.DomainID), Description: aws.String("NFS " + dir)})
		if err != nil {
			return err
		}
		groups = append(groups, aws.ToString(g.GroupId))
	}
	fs, err := w.EFS.CreateFileSystem(ctx, &efs.CreateFileSystemInput{CreationToken: aws.String(w.DomainID)})
	if err != nil {
		return err
	}
	w.FileSystem = aws.ToString(fs.FileSystemId)
	_, err = w.EFS.CreateMountTarget(ctx, &efs.CreateMountTargetInput{FileSystemId: fs.FileSystemId, SubnetId: aws.String(w.SubnetID),
		SecurityGroups: groups[:1]})
	return err
}

func (w *World) ui(context.Context) error {
	w.addStack(stacks.UI, map[string]string{stacks.OutAmplifyAppID: "d1ui2app3"},
		&cfnfake.Resource{Logical: "AmplifyApp", Type: "AWS::Amplify::App", Physical: "d1ui2app3"})
	return nil
}
