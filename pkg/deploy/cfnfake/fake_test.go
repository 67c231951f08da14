package cfnfake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// TestOutsideResourceFailsTheDeleteThenRetainSkipsIt: the behaviours the
// teardown tests rely on. A resource whose real delete fails leaves the
// stack DELETE_FAILED naming it; RetainResources is refused unless the
// stack is DELETE_FAILED ("You might retain resources when a stack is in
// the DELETE_FAILED state", DeleteStack API reference); retained
// resources end DELETE_SKIPPED and the stack is gone.
func TestOutsideResourceFailsTheDeleteThenRetainSkipsIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		f := New()
		deleted := map[string]bool{}
		del := func(name string, err error) func(context.Context) error {
			return func(context.Context) error {
				if err != nil {
					return err
				}
				deleted[name] = true
				return nil
			}
		}
		f.Add(Existing{Name: "ml-server", Tags: map[string]string{"mlflowctl:deployment": "ml"}, Outputs: map[string]string{"VpcId": "vpc-1"},
			Resources: []*Resource{
				{Logical: "Vpc", Type: "AWS::EC2::VPC", Physical: "vpc-1", Delete: del("vpc-1", nil)},
				{Logical: "Artifacts", Type: "AWS::S3::Bucket", Physical: "ml-artifacts", Delete: del("ml-artifacts", errors.New("The bucket you tried to delete is not empty"))},
			}})
		retain := &cloudformation.DeleteStackInput{StackName: aws.String("ml-server"), RetainResources: []string{"Artifacts"}}
		if _, err := f.DeleteStack(ctx, retain); err == nil {
			t.Fatal("RetainResources accepted on a CREATE_COMPLETE stack")
		}
		if _, err := f.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("ml-server")}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		out, err := f.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("ml-server")})
		if err != nil || out.Stacks[0].StackStatus != types.StackStatusDeleteFailed || !strings.Contains(aws.ToString(out.Stacks[0].StackStatusReason), "[Artifacts]") {
			t.Fatalf("after a failed resource: %+v %v", out, err)
		}
		res, err := f.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String("ml-server")})
		if err != nil || len(res.StackResources) != 2 || res.StackResources[1].ResourceStatus != types.ResourceStatusDeleteFailed ||
			!strings.Contains(aws.ToString(res.StackResources[1].ResourceStatusReason), "not empty") || !deleted["vpc-1"] {
			t.Fatalf("resources %+v %v (deleted %v)", res, err, deleted)
		}
		if _, err := f.DeleteStack(ctx, retain); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if names := f.Names(); len(names) != 0 || f.Deletes()["ml-server"] != 2 || deleted["ml-artifacts"] {
			t.Fatalf("stacks %v, deletes %v, deleted %v", names, f.Deletes(), deleted)
		}
	})
}

// TestProtectedStackRefusesDelete: "cannot be deleted while
// TerminationProtection is enabled" (DeleteStack on a protected stack is a
// ValidationError), and a refused call does not count as a delete.
func TestProtectedStackRefusesDelete(t *testing.T) {
	f := New()
	f.Add(Existing{Name: "ml-api"})
	f.Protect("ml-api")
	_, err := f.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String("ml-api")})
	if err == nil || !strings.Contains(err.Error(), "TerminationProtection") || len(f.Deletes()) != 0 {
		t.Fatalf("err %v, deletes %v", err, f.Deletes())
	}
}
