package deploy

// The engine's errors say what went wrong in Error() and what to do next
// in Hint(), which the CLI renders (internal/cli/errors.go).

import (
	"fmt"
	"strings"
	"time"
)

// WaitLimitError: a wait reached its bound: the operation took longer than
// Options.MaxWait, or CloudFormation throttled the same call for
// Options.ThrottleLimit. The operation itself goes on in AWS.
type WaitLimitError struct {
	Name      string
	What      string // what was waited for, in words
	Limit     time.Duration
	Throttled bool
}

func (e *WaitLimitError) Error() string {
	if e.Throttled {
		return fmt.Sprintf("stack %s: CloudFormation throttled %s for %s without a break; stopped waiting (whatever runs goes on in AWS)", e.Name, e.What, e.Limit)
	}
	return fmt.Sprintf("stack %s: stopped %s after %s; the operation goes on in AWS", e.Name, e.What, e.Limit)
}

// Hint says to look again later.
func (e *WaitLimitError) Hint() string {
	if e.Throttled {
		return "check with `mlflowctl status` in a few minutes, then run the command again"
	}
	return "check with `mlflowctl status`, then run the command again"
}

// StackNotFoundError: the stack does not exist (or is already deleted).
type StackNotFoundError struct{ Name string }

func (e *StackNotFoundError) Error() string {
	return fmt.Sprintf("stack %s does not exist", e.Name)
}

// StackInProgressError: the stack is busy with another operation and the
// engine was told not to wait for it.
type StackInProgressError struct{ Name, Status string }

func (e *StackInProgressError) Error() string {
	return fmt.Sprintf("stack %s is busy (%s)", e.Name, e.Status)
}

// Hint says how to get past the busy stack.
func (e *StackInProgressError) Hint() string {
	return "wait for it to finish, or run again without --no-wait to wait here"
}

// ChangeSetEmptyError: CloudFormation found nothing to change. The engine
// treats it as success; Plan and callers of lower-level steps see it.
type ChangeSetEmptyError struct{ Name, Reason string }

func (e *ChangeSetEmptyError) Error() string {
	return fmt.Sprintf("stack %s: no changes", e.Name)
}

// StackStateError: the stack is in a state the engine cannot deploy over.
type StackStateError struct{ Name, Status, Next string }

func (e *StackStateError) Error() string {
	return fmt.Sprintf("stack %s is %s", e.Name, e.Status)
}

// Hint is what gets the stack deployable again.
func (e *StackStateError) Hint() string { return e.Next }

// StackFailedError: an operation ended in a failure or rollback status. The
// root cause is the first failed resource that was not cancelled because
// of another one.
type StackFailedError struct {
	Stack     string // stack ID in the deployment
	Name      string // CloudFormation stack name
	Status    string // final stack status
	LogicalID string // root-cause resource ("" when none was reported)
	Type      string
	Reason    string
	Next      string // what to do next
}

func (e *StackFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s failed (%s)", e.Name, e.Status)
	if e.LogicalID != "" {
		fmt.Fprintf(&b, ": %s (%s)", e.LogicalID, e.Type)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	return b.String()
}

// Hint is what to do about the failure.
func (e *StackFailedError) Hint() string { return e.Next }

// FailedResource is one resource CloudFormation could not delete.
type FailedResource struct {
	LogicalID string `json:"logicalId"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
}

// DeleteFailedError: the stack ended DELETE_FAILED; Resources says which
// resources stayed and why.
type DeleteFailedError struct {
	Name      string
	Resources []FailedResource
}

func (e *DeleteFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s could not be deleted (DELETE_FAILED)", e.Name)
	for _, r := range e.Resources {
		fmt.Fprintf(&b, "\n  %s (%s): %s", r.LogicalID, r.Type, r.Reason)
	}
	return b.String()
}

// Hint says the command resumes.
func (e *DeleteFailedError) Hint() string {
	return "remove what blocks those resources, then run the command again; it continues where it stopped"
}

// NotOwnedError: a stack with the deployment's name exists but was not made
// by this deployment (its mlflowctl:deployment tag differs or is missing).
type NotOwnedError struct{ Name, Deployment string }

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("stack %s exists but is not tagged %s=%s: mlflowctl leaves it alone", e.Name, TagDeployment, e.Deployment)
}

// Hint is the way out: another deployment name.
func (e *NotOwnedError) Hint() string { return "pick another --name" }

// ExitCode marks a stack that belongs to someone else as a usage problem.
func (e *NotOwnedError) ExitCode() int { return 2 }

// InvalidDeploymentError: the stack graph itself is wrong (unknown
// dependency, cycle, duplicate ID, import from a non-dependency).
type InvalidDeploymentError struct{ Problem string }

func (e *InvalidDeploymentError) Error() string { return "invalid deployment: " + e.Problem }

// ExitCode marks a broken graph as a usage problem.
func (e *InvalidDeploymentError) ExitCode() int { return 2 }

// TemplateTooLargeError: a template is over the inline limit and there is
// no assets bucket (or uploader) to put it in.
type TemplateTooLargeError struct {
	Name string
	Size int
}

func (e *TemplateTooLargeError) Error() string {
	return fmt.Sprintf("template of stack %s is %d bytes, over CloudFormation's %d-byte inline limit, and no assets bucket is available to upload it to", e.Name, e.Size, InlineTemplateLimit)
}

// InterruptedError: the user interrupted the run. Done says what the engine
// did about it; Running lists stacks still changing in AWS after a detach.
type InterruptedError struct {
	Done    []string
	Running []string
}

func (e *InterruptedError) Error() string {
	var b strings.Builder
	b.WriteString("interrupted")
	for _, d := range e.Done {
		b.WriteString("\n  " + d)
	}
	if len(e.Running) > 0 {
		b.WriteString("\nstill running in AWS (not waited for): " + strings.Join(e.Running, ", "))
	}
	return b.String()
}

// Hint says what to do about stacks still changing ("" when none).
func (e *InterruptedError) Hint() string {
	if len(e.Running) == 0 {
		return ""
	}
	return "watch them with `mlflowctl status`, then run the command again"
}

// ExitCode is 130, the shell's code for a run stopped by Ctrl-C.
func (e *InterruptedError) ExitCode() int { return 130 }
