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
// "Unable to assume the service linked role" because ECS creates its
// service-linked role asynchronously (aws-cloudformation/
// cloudformation-coverage-roadmap#818). AWS's ECS guide ("Using
// service-linked roles for Amazon ECS") says the role is created when a
// cluster is created, but the CreateCluster call and the role's propagation
// race. So up creates it first and waits until IAM lists it.
//
// The other services the templates use (Elastic Load Balancing for the
// NLB, RDS for Aurora, Application Auto Scaling for the ECS service's
// scalable target without RoleARN) create their roles on first use inside
// the same API call; no public issue reports the race for them, so they
// are reported, not created.
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

// RoleWait bounds how long up waits for a new role to be listed.
type RoleWait struct {
	Timeout, Interval time.Duration
	Sleep             func(context.Context, time.Duration) error
}

// EnsureServiceLinkedRoles creates each service's role (an existing one is
// fine) and waits until IAM lists it: IAM is eventually consistent, and
// the stack must not start before the role is visible.
func EnsureServiceLinkedRoles(ctx context.Context, c IAMAPI, services []string, w RoleWait) error {
	if w.Timeout == 0 {
		w.Timeout, w.Interval = 2*time.Minute, 5*time.Second
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
