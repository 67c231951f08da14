package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Delete deletes every stack of d, dependents before the stacks they
// depend on, independent ones concurrently, and waits until each is
// really gone. Stacks that do not exist count as deleted; a stack not
// tagged as this deployment's is refused (NotOwnedError). Stack.Template may
// be empty: labels then fall back to logical IDs. Steps are not run.
func (e *Engine) Delete(ctx context.Context, d Deployment) error {
	d = d.stacksOnly()
	ordered, err := d.order()
	if err != nil {
		return err
	}
	e.start(OpDelete, d, ordered)
	err = e.runGraph(ctx, OpDelete, d, ordered, true, func(ctx context.Context, s *Stack) error {
		err := asInterrupt(ctx, d.StackName(s.ID), e.deleteStack(ctx, d, s))
		if err != nil {
			e.phase(OpDelete, s, d.StackName(s.ID), failPhase(err), err.Error())
		}
		return err
	})
	if err == nil && ctx.Err() != nil {
		err = &InterruptedError{Done: []string{"stopped before any stack was deleted"}}
	}
	e.finish(OpDelete, err)
	return err
}

func (e *Engine) deleteStack(ctx context.Context, d Deployment, s *Stack) error {
	name := d.StackName(s.ID)
	st, err := e.describe(ctx, name)
	if err != nil {
		return err
	}
	if err := owned(st, d.Name); err != nil {
		return err
	}
	if st != nil && !settled(string(st.StackStatus)) && st.StackStatus != types.StackStatusDeleteInProgress {
		if e.opts.NoWait {
			return &StackInProgressError{Name: name, Status: string(st.StackStatus)}
		}
		e.phase(OpDelete, s, name, PhaseRecovering, fmt.Sprintf("waiting for the running operation (%s) to finish", st.StackStatus))
		if err := e.settle(ctx, s, name, aws.ToString(st.StackId)); err != nil {
			return err
		}
		if st, err = e.describe(ctx, aws.ToString(st.StackId)); err != nil {
			return err
		}
	}
	if st == nil {
		e.phase(OpDelete, s, name, PhaseDeleted, "not found")
		return nil
	}
	if s.BeforeDelete != nil {
		e.phase(OpDelete, s, name, PhasePreparing, "")
		if err := s.BeforeDelete(ctx, stackOutputs(st)); err != nil {
			return fmt.Errorf("stack %s: before deleting: %w", name, err)
		}
	}
	return e.deleteAndWait(ctx, OpDelete, s, st)
}

// deleteAndWait deletes an existing stack and waits until it is gone.
func (e *Engine) deleteAndWait(ctx context.Context, op Op, s *Stack, st *types.Stack) error {
	name, id := aws.ToString(st.StackName), aws.ToString(st.StackId)
	if aws.ToBool(st.EnableTerminationProtection) {
		if _, err := e.cfn.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
			StackName: aws.String(id), EnableTerminationProtection: aws.Bool(false),
		}); err != nil {
			return fmt.Errorf("stack %s: turn off termination protection: %w", name, err)
		}
	}
	w, err := e.watch(ctx, op, s, name, id)
	if err != nil {
		return err
	}
	if st.StackStatus != types.StackStatusDeleteInProgress {
		if _, err := e.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(id)}); err != nil {
			return fmt.Errorf("stack %s: delete: %w", name, err)
		}
	}
	e.phase(op, s, name, PhaseDeleting, "")
	w.phase = PhaseDeleting
	final, err := w.wait(ctx)
	if err != nil && ctx.Err() != nil {
		// The delete goes on in AWS; there is nothing to undo.
		return &InterruptedError{Running: []string{name + " (deleting)"}}
	}
	if err != nil {
		return err
	}
	if final != nil {
		failed := failedResources(w.events, name)
		if len(failed) == 0 {
			failed = []FailedResource{{LogicalID: name, Type: "AWS::CloudFormation::Stack", Reason: shortReason(aws.ToString(final.StackStatusReason))}}
		}
		return &DeleteFailedError{Name: name, Resources: failed}
	}
	if op == OpDelete {
		e.phase(op, s, name, PhaseDeleted, "")
	}
	return nil
}
