package upgrade

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

// Scaling is the part of Application Auto Scaling an upgrade uses: the
// service's scalable target (templates/cfn/server.yaml, MinCapacity the
// configured task count).
type Scaling interface {
	DescribeScalableTargets(ctx context.Context, in *applicationautoscaling.DescribeScalableTargetsInput, opts ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error)
	RegisterScalableTarget(ctx context.Context, in *applicationautoscaling.RegisterScalableTargetInput, opts ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error)
}

// held is the scalable target as it was before holdScaling.
type held struct {
	found          bool
	min, max       int32
	suspendedState *astypes.SuspendedState
}

func resourceID(d Deployment) string { return "service/" + d.ECSCluster + "/" + d.Service }

// holdScaling keeps Application Auto Scaling from starting tasks while the
// service is meant to be at zero: "anytime a scaling policy is invoked or
// the RegisterScalableTarget API is called, Application Auto Scaling
// retrieves the current capacity and compares it to the minimum and
// maximum capacity. If it falls outside of the minimum-maximum range, then
// the capacity is updated to comply" (Application Auto Scaling User Guide,
// "Application Auto Scaling concepts"). So the target's minimum goes to 0
// and its dynamic and scheduled scaling are suspended, in the same call
// (registering alone with the old minimum would raise the count again).
func (u *Upgrader) holdScaling(ctx context.Context, d Deployment) (held, error) {
	if u.Scaling == nil {
		return held{}, nil
	}
	out, err := u.Scaling.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: astypes.ServiceNamespaceEcs, ResourceIds: []string{resourceID(d)},
		ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return held{}, fmt.Errorf("describe the scalable target of %s: %w", d.Service, err)
	}
	if len(out.ScalableTargets) == 0 {
		return held{}, nil
	}
	t := out.ScalableTargets[0]
	h := held{found: true, min: aws.ToInt32(t.MinCapacity), max: aws.ToInt32(t.MaxCapacity), suspendedState: t.SuspendedState}
	u.say("autoscaling of %s: held at 0 (minimum %d suspended)", d.Service, h.min)
	all := &astypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(true), DynamicScalingOutSuspended: aws.Bool(true), ScheduledScalingSuspended: aws.Bool(true)}
	return h, u.register(ctx, d, 0, h.max, all)
}

// releaseScaling puts the scalable target back as it was.
func (u *Upgrader) releaseScaling(ctx context.Context, d Deployment, h held) error {
	if !h.found {
		return nil
	}
	state := h.suspendedState
	if state == nil {
		state = &astypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(false), DynamicScalingOutSuspended: aws.Bool(false), ScheduledScalingSuspended: aws.Bool(false)}
	}
	u.say("autoscaling of %s: minimum %d again", d.Service, h.min)
	return u.register(ctx, d, h.min, h.max, state)
}

func (u *Upgrader) register(ctx context.Context, d Deployment, lo, hi int32, s *astypes.SuspendedState) error {
	if _, err := u.Scaling.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: astypes.ServiceNamespaceEcs, ResourceId: aws.String(resourceID(d)),
		ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(lo), MaxCapacity: aws.Int32(hi), SuspendedState: s,
	}); err != nil {
		return fmt.Errorf("update the scalable target of %s: %w", d.Service, err)
	}
	return nil
}
