package deploy

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// cancelled reports whether a failure only says CloudFormation stopped the
// resource because another one failed.
func cancelled(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "cancelled") || strings.Contains(r, "canceled")
}

// rootCause is the first failed resource event of the operation that is
// not a cancellation caused by another; else the first failure at all.
func rootCause(events []types.StackEvent, stackName string) *types.StackEvent {
	var first *types.StackEvent
	for i := range events {
		ev := &events[i]
		if aws.ToString(ev.LogicalResourceId) == stackName || !strings.HasSuffix(string(ev.ResourceStatus), "_FAILED") {
			continue
		}
		if first == nil {
			first = ev
		}
		if !cancelled(aws.ToString(ev.ResourceStatusReason)) {
			return ev
		}
	}
	return first
}

// failure builds the report for a stack that ended in status st.
func (w *watcher) failure(st *types.Stack) *StackFailedError {
	status := string(st.StackStatus)
	f := &StackFailedError{Stack: w.s.ID, Name: w.name, Status: status, Reason: shortReason(aws.ToString(st.StackStatusReason)), Next: nextStep(status)}
	if ev := rootCause(w.events, w.name); ev != nil {
		f.LogicalID = aws.ToString(ev.LogicalResourceId)
		f.Type = aws.ToString(ev.ResourceType)
		f.Reason = shortReason(aws.ToString(ev.ResourceStatusReason))
	}
	return f
}

func nextStep(status string) string {
	switch types.StackStatus(status) {
	case types.StackStatusRollbackComplete, types.StackStatusRollbackFailed, types.StackStatusCreateFailed:
		return "fix the cause above and run `mlflowctl up` again: the failed stack is deleted and created anew"
	case types.StackStatusUpdateRollbackComplete:
		return "the stack rolled back to its last working state; fix the cause above and run `mlflowctl up` again"
	case types.StackStatusUpdateRollbackFailed:
		return "run `mlflowctl up` again: it continues the rollback, then retries the update"
	}
	return "fix the cause above and run the command again"
}

// succeeded reports whether an operation that settled in status worked.
func succeeded(status types.StackStatus) bool {
	switch status {
	case types.StackStatusCreateComplete, types.StackStatusUpdateComplete, types.StackStatusImportComplete:
		return true
	}
	return false
}

// failedResources lists the resources whose delete failed, with reasons.
func failedResources(events []types.StackEvent, stackName string) []FailedResource {
	var out []FailedResource
	seen := map[string]bool{}
	for _, ev := range events {
		id := aws.ToString(ev.LogicalResourceId)
		if id == stackName || ev.ResourceStatus != types.ResourceStatusDeleteFailed || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, FailedResource{LogicalID: id, Type: aws.ToString(ev.ResourceType), Reason: shortReason(aws.ToString(ev.ResourceStatusReason))})
	}
	return out
}
