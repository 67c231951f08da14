package sagemaker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker/sagemakerfake"
)

func TestMain(m *testing.M) { mototest.Main(m) }

var testCreds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// The domain's home EFS, mount target and NFS security groups live in
// moto_server (EFS and EC2); the domain itself in sagemakerfake, which
// stands in for SageMaker so the test controls when the domain is gone.
func TestDomainStorageIsCleanedOnlyAfterTheDomainIsGone(t *testing.T) {
	srv := mototest.Start(t)
	ctx := context.Background()
	ec2c := ec2.New(ec2.Options{Region: mototest.Region, BaseEndpoint: aws.String(srv.URL), Credentials: testCreds, RetryMaxAttempts: 1})
	efsc := efs.New(efs.Options{Region: mototest.Region, BaseEndpoint: aws.String(srv.URL), Credentials: testCreds, RetryMaxAttempts: 1})
	vpc := must(ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})).Vpc.VpcId
	subnet := must(ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc, CidrBlock: aws.String("10.0.1.0/24")})).Subnet.SubnetId
	inbound := must(ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc,
		GroupName: aws.String("security-group-for-inbound-nfs-" + domainID), Description: aws.String("nfs in")})).GroupId
	outbound := must(ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc,
		GroupName: aws.String("security-group-for-outbound-nfs-" + domainID), Description: aws.String("nfs out")})).GroupId
	other := must(ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc,
		GroupName: aws.String("unrelated"), Description: aws.String("not the domain's")})).GroupId
	nfs := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(2049), ToPort: aws.Int32(2049),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: outbound}}}}
	must(ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: inbound, IpPermissions: nfs}))
	fs := must(efsc.CreateFileSystem(ctx, &efs.CreateFileSystemInput{CreationToken: aws.String("home")})).FileSystemId
	must(efsc.CreateMountTarget(ctx, &efs.CreateMountTargetInput{FileSystemId: fs, SubnetId: subnet, SecurityGroups: []string{*inbound}}))

	fake := sagemakerfake.New(sagemakerfake.Options{})
	t.Cleanup(fake.Close)
	fake.AddDomain(sagemakerfake.Domain{ID: domainID, HomeEFS: *fs, VpcID: *vpc})
	smc := Client(fake.URL)
	st := &sagemaker.DomainStorage{SageMaker: smc, EFS: efsc, EC2: ec2c, Clock: sagemakerfake.NewClock()}

	marked, err := st.Mark(ctx, "mlflow", domainID)
	if err != nil {
		t.Fatal(err)
	}
	if len(marked) != 3 {
		t.Fatalf("marked %+v; want the EFS and the two NFS groups", marked)
	}
	err = st.Clean(ctx, "mlflow")
	if err == nil || !strings.Contains(err.Error(), "still exists") {
		t.Fatalf("clean while the domain exists: want a refusal, got %v", err)
	}
	if n := len(must(efsc.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{})).FileSystems); n != 1 {
		t.Fatal("the EFS was touched while the domain existed")
	}
	if _, err := smc.DeleteDomain(ctx, &sm.DeleteDomainInput{DomainId: aws.String(domainID)}); err != nil {
		t.Fatal(err)
	}
	if err := st.Clean(ctx, "mlflow"); err != nil {
		t.Fatal(err)
	}
	if n := len(must(efsc.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{})).FileSystems); n != 0 {
		t.Fatalf("%d file systems left", n)
	}
	groups := must(ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{*vpc}}}})).SecurityGroups
	for _, g := range groups {
		if *g.GroupId == *inbound || *g.GroupId == *outbound {
			t.Fatalf("security group %s (%s) left", *g.GroupId, *g.GroupName)
		}
	}
	if !hasGroup(groups, *other) {
		t.Fatal("an unrelated security group was deleted")
	}
	if left, err := st.Find(ctx, "mlflow"); err != nil || len(left) != 0 {
		t.Fatalf("after clean: %+v %v", left, err)
	}
	if err := st.Clean(ctx, "mlflow"); err != nil {
		t.Fatalf("a second clean should do nothing: %v", err)
	}
}

func hasGroup(groups []ec2types.SecurityGroup, id string) bool {
	for _, g := range groups {
		if *g.GroupId == id {
			return true
		}
	}
	return false
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
