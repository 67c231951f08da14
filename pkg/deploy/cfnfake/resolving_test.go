package cfnfake

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// TestResolvingFillsOnlyEmptyOutputs: an output the fake leaves empty
// gets a physical-looking value; a resolved one is kept as it is.
func TestResolvingFillsOnlyEmptyOutputs(t *testing.T) {
	t.Parallel()
	f := New()
	f.Add(Existing{Name: "ml-api", Outputs: map[string]string{"Literal": "kept", "BucketName": ""}})
	out, err := Resolving{Fake: f}.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("ml-api")})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe: %v %+v", err, out)
	}
	got := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		got[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if got["Literal"] != "kept" || got["BucketName"] != "physical-bucketname" {
		t.Fatalf("outputs %v", got)
	}
}
