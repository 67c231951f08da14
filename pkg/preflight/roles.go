package preflight

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// serviceLinkedRole is a role an AWS service must have before a stack uses it.
type serviceLinkedRole struct {
	service string // ecs.amazonaws.com
	name    string // AWSServiceRoleForECS
	// created says whether the service creates it itself on first use.
	createdOnFirstUse bool
	why               string
}

// The server stack's first ECS cluster in an account can fail with
// "CreateCluster Invalid Request: Unable to assume the service linked role"
// (aws-cloudformation/cloudformation-coverage-roadmap#818, moved to
// aws/containers-roadmap#2614): ECS creates AWSServiceRoleForECS inside
// CreateCluster and assumes it at once, racing IAM's eventual consistency
// ("Using service-linked roles for Amazon ECS", ECS Developer Guide; "Changes
// that I make are not always immediately visible", IAM User Guide,
// Troubleshooting). So up creates the role before the stacks, waits until
// IAM lists it, then lets it settle: no API reports that a new role can be
// assumed everywhere, so the settle time is a margin, not a proof.
//
// The other services the templates use (Elastic Load Balancing for the
// NLB, RDS for Aurora, Application Auto Scaling for the ECS service's
// scalable target without RoleARN) also create their roles on first use;
// no public issue reports the race for them, so they are reported, not
// created.
var serviceLinkedRoles = []serviceLinkedRole{
	{service: "ecs.amazonaws.com", name: "AWSServiceRoleForECS", why: "the ECS cluster (cloudformation-coverage-roadmap#818)"},
	{service: "elasticloadbalancing.amazonaws.com", name: "AWSServiceRoleForElasticLoadBalancing", createdOnFirstUse: true, why: "the NLB"},
	{service: "rds.amazonaws.com", name: "AWSServiceRoleForRDS", createdOnFirstUse: true, why: "Aurora"},
	{service: "ecs.application-autoscaling.amazonaws.com", name: "AWSServiceRoleForApplicationAutoScaling_ECSService", createdOnFirstUse: true, why: "the ECS service's autoscaling"},
}

func checkServiceLinkedRoles(ctx context.Context, e *env) []Result {
	var out []Result
	for _, r := range serviceLinkedRoles {
		name := "service-linked role " + r.service
		found, err := hasServiceLinkedRole(ctx, e.c.IAM, r.service)
		switch {
		case err != nil:
			out = append(out, couldNotCheck(name, "iam:ListRoles", err))
		case found:
			out = append(out, Result{Check: name, Status: OK, Detail: r.name + " exists"})
		case r.createdOnFirstUse:
			out = append(out, Result{Check: name, Status: OK,
				Detail: fmt.Sprintf("%s absent; %s creates it with %s (needs iam:CreateServiceLinkedRole)", r.name, serviceOf(r.service), r.why)})
		default:
			out = append(out, Result{Check: name, Status: Fixable, ServiceLinkedRole: r.service,
				Detail: r.name + " is missing; " + r.why + " needs it",
				Fix:    "up creates it and waits for it (or: aws iam create-service-linked-role --aws-service-name " + r.service + ")"})
		}
	}
	return out
}

func serviceOf(s string) string {
	return s[:len(s)-len(".amazonaws.com")]
}

// hasServiceLinkedRole looks for any role under the service's
// /aws-service-role/<service>/ path (the role's name is AWS's choice).
func hasServiceLinkedRole(ctx context.Context, c IAMAPI, service string) (bool, error) {
	out, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/" + service + "/")})
	if err != nil {
		return false, err
	}
	return len(out.Roles) > 0, nil
}

// RoleWait bounds how long up waits for a new role: until IAM lists it
// (Timeout, polled every Interval), then Settle more.
type RoleWait struct {
	Timeout, Interval, Settle time.Duration
	Sleep                     func(context.Context, time.Duration) error
}

// DefaultRoleWait is what up uses.
var DefaultRoleWait = RoleWait{Timeout: 2 * time.Minute, Interval: 5 * time.Second, Settle: 15 * time.Second}

// EnsureServiceLinkedRoles creates each service's role (an existing one is
// fine) and waits until IAM lists it: IAM is eventually consistent, and
// the stack must not start before the role is visible.
func EnsureServiceLinkedRoles(ctx context.Context, c IAMAPI, services []string, w RoleWait) error {
	if w.Interval <= 0 {
		w.Interval = time.Second
	}
	if w.Sleep == nil {
		w.Sleep = sleep
	}
	for _, svc := range services {
		if found, err := hasServiceLinkedRole(ctx, c, svc); err == nil && found {
			continue
		}
		_, err := c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(svc)})
		// IAM answers InvalidInput "Service role name ... has been taken in
		// this account" when another run made it in the meantime (moto says
		// EntityAlreadyExists), which is what we want.
		if err != nil && errorCode(err) != "InvalidInput" && errorCode(err) != "EntityAlreadyExists" {
			return fmt.Errorf("create the service-linked role for %s: %w", svc, err)
		}
		if err := waitForRole(ctx, c, svc, w); err != nil {
			return err
		}
		if err := w.Sleep(ctx, w.Settle); err != nil {
			return err
		}
	}
	return nil
}

func waitForRole(ctx context.Context, c IAMAPI, svc string, w RoleWait) error {
	for waited := time.Duration(0); ; waited += w.Interval {
		found, err := hasServiceLinkedRole(ctx, c, svc)
		if err != nil {
			return fmt.Errorf("wait for the service-linked role of %s: %w", svc, err)
		}
		if found {
			return nil
		}
		if waited >= w.Timeout {
			return fmt.Errorf("the service-linked role of %s was created but IAM does not list it after %s: run up again in a minute", svc, w.Timeout)
		}
		if err := w.Sleep(ctx, w.Interval); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
