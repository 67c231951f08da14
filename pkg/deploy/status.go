package deploy

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// StackStatus is what DescribeStacks says about one stack.
type StackStatus struct {
	Stack     string            `json:"stack"`
	Name      string            `json:"name"`
	Exists    bool              `json:"exists"`
	Status    string            `json:"status,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Version   string            `json:"version,omitempty"` // mlflowctl version that last deployed it
	Updated   time.Time         `json:"updated,omitzero"`
	Protected bool              `json:"terminationProtection,omitempty"`
	Outputs   map[string]string `json:"outputs,omitempty"`
	Busy      bool              `json:"busy,omitempty"`    // an operation is running
	Foreign   bool              `json:"foreign,omitempty"` // exists but not tagged as this deployment
}

// Status describes each stack of d (one DescribeStacks per stack);
// absent stacks have Exists false.
func (e *Engine) Status(ctx context.Context, d Deployment) ([]StackStatus, error) {
	ordered, err := d.order()
	if err != nil {
		return nil, err
	}
	out := make([]StackStatus, 0, len(ordered))
	for _, s := range ordered {
		if s.step != nil {
			continue
		}
		name := d.StackName(s.ID)
		st, err := e.describe(ctx, name)
		if err != nil {
			return out, err
		}
		ss := StackStatus{Stack: s.ID, Name: name}
		if st != nil {
			tags := stackTags(st)
			ss.Exists = true
			ss.Status = string(st.StackStatus)
			ss.Reason = shortReason(aws.ToString(st.StackStatusReason))
			ss.Version = tags[TagVersion]
			ss.Updated = aws.ToTime(st.CreationTime)
			if st.LastUpdatedTime != nil {
				ss.Updated = *st.LastUpdatedTime
			}
			ss.Protected = aws.ToBool(st.EnableTerminationProtection)
			ss.Outputs = stackOutputs(st)
			ss.Busy = !settled(ss.Status)
			ss.Foreign = tags[TagDeployment] != d.Name
		}
		out = append(out, ss)
	}
	return out, nil
}

// Outputs reads the outputs of every stack tagged as deployment name
// (mlflowctl:deployment), keyed by their mlflowctl:stack tag. It needs
// no templates: commands that only read use it.
func (e *Engine) Outputs(ctx context.Context, name string) (Outputs, error) {
	all := Outputs{}
	in := &cloudformation.DescribeStacksInput{}
	for {
		out, err := e.cfn.DescribeStacks(ctx, in)
		if err != nil {
			return nil, err
		}
		for i := range out.Stacks {
			st := &out.Stacks[i]
			tags := stackTags(st)
			if tags[TagDeployment] != name || tags[TagStack] == "" || !reusable(st.StackStatus) {
				continue
			}
			all[tags[TagStack]] = stackOutputs(st)
		}
		if out.NextToken == nil {
			return all, nil
		}
		in.NextToken = out.NextToken
	}
}
