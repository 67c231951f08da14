// Package apigwlogs makes sure API Gateway can write execution logs in an
// account and region: the account's CloudWatch role. It runs before the
// api stack, whose stage logs errors and would otherwise fail with
// "CloudWatch Logs role ARN must be set in account settings to enable
// logging".
//
// Why not a template: the setting is one per account and region, so a
// template would overwrite a role the account already uses; and a role
// created in the same stack races IAM propagation ("The role ARN does not
// have required permissions set to API Gateway"), which CloudFormation
// does not retry (aws-cdk#2194; serverless moved it out of its stacks in
// serverless#6591). Terraform's aws_api_gateway_account retries these
// errors for two minutes; so does Ensure.
package apigwlogs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
)

// RoleName is the role mlflowctl creates when the account has none. IAM
// is global, so one role serves every region and deployment; it is never
// deleted by `down` (tag mlflowctl:retained=shared).
const RoleName = "mlflowctl-apigateway-cloudwatch"

// TrustPolicy lets API Gateway assume the role, as the API Gateway guide
// gives it (set-up-logging.html): no condition.
const TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// propagationErrors are the messages UpdateAccount returns while a new
// role's trust or policy has not reached API Gateway yet.
var propagationErrors = []string{
	"The role ARN does not have required permissions",
	"API Gateway could not successfully write to CloudWatch Logs using the ARN specified",
}

// APIGatewayAPI is the part of the API Gateway client Ensure uses.
type APIGatewayAPI interface {
	GetAccount(ctx context.Context, in *apigateway.GetAccountInput, opts ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error)
	UpdateAccount(ctx context.Context, in *apigateway.UpdateAccountInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateAccountOutput, error)
}

// IAMAPI is the part of the IAM client Ensure uses.
type IAMAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, opts ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
}

// Ensurer sets the account's CloudWatch role unless it has one.
type Ensurer struct {
	APIGateway APIGatewayAPI
	IAM        IAMAPI
	// Region picks the partition of the managed policy's ARN.
	Region string
	// Timeout bounds the retries while IAM propagates (default 2 minutes).
	Timeout time.Duration
	// Wait sleeps between retries (default: time.After, or ctx's end).
	Wait func(ctx context.Context, d time.Duration) error
	// Log receives one progress line per decision.
	Log func(string)
}

// Ensure leaves an account's existing CloudWatch role alone; otherwise it
// creates (or reuses) RoleName and sets it, retrying while IAM propagates.
// It returns the role ARN the account uses.
func (e *Ensurer) Ensure(ctx context.Context) (string, error) {
	acct, err := e.APIGateway.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		return "", fmt.Errorf("read API Gateway's account settings: %w", err)
	}
	if arn := aws.ToString(acct.CloudwatchRoleArn); arn != "" {
		e.log("API Gateway already logs to CloudWatch with " + arn + ": kept")
		return arn, nil
	}
	arn, err := e.role(ctx)
	if err != nil {
		return "", err
	}
	if err := e.setRole(ctx, arn); err != nil {
		return "", err
	}
	e.log("API Gateway logs to CloudWatch with " + arn)
	return arn, nil
}

// role returns RoleName's ARN, creating the role when it does not exist.
func (e *Ensurer) role(ctx context.Context) (string, error) {
	got, err := e.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(RoleName)})
	var arn string
	switch {
	case err == nil:
		arn = aws.ToString(got.Role.Arn)
	case isCode(err, "NoSuchEntity"):
		created, cerr := e.IAM.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(RoleName),
			AssumeRolePolicyDocument: aws.String(TrustPolicy),
			Description:              aws.String("API Gateway writes execution logs to CloudWatch (account setting; created by mlflowctl, shared by every REST API)"),
			Tags:                     []iamtypes.Tag{{Key: aws.String("mlflowctl:retained"), Value: aws.String("shared")}},
		})
		if cerr != nil && !isCode(cerr, "EntityAlreadyExists") {
			return "", fmt.Errorf("create IAM role %s for API Gateway's logs: %w", RoleName, cerr)
		}
		if cerr != nil {
			return e.role(ctx) // created meanwhile by another run
		}
		arn = aws.ToString(created.Role.Arn)
	default:
		return "", fmt.Errorf("read IAM role %s: %w", RoleName, err)
	}
	policy := "arn:" + Partition(e.Region) + ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
	if _, err := e.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(RoleName), PolicyArn: aws.String(policy)}); err != nil {
		return "", fmt.Errorf("attach %s to IAM role %s: %w", policy, RoleName, err)
	}
	return arn, nil
}

// setRole points the account at arn, retrying the propagation errors with
// a growing pause until Timeout.
func (e *Ensurer) setRole(ctx context.Context, arn string) error {
	timeout := e.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	pause, waited := 2*time.Second, time.Duration(0)
	for {
		_, err := e.APIGateway.UpdateAccount(ctx, &apigateway.UpdateAccountInput{PatchOperations: []agtypes.PatchOperation{
			{Op: agtypes.OpReplace, Path: aws.String("/cloudwatchRoleArn"), Value: aws.String(arn)},
		}})
		if err == nil {
			return nil
		}
		if !propagating(err) {
			return fmt.Errorf("set API Gateway's CloudWatch role to %s: %w", arn, err)
		}
		if waited >= timeout {
			return fmt.Errorf("set API Gateway's CloudWatch role to %s: IAM has not propagated the new role after %s (%w); run mlflowctl up again in a minute", arn, waited, err)
		}
		e.log(fmt.Sprintf("API Gateway does not see role %s yet (IAM propagates); retrying in %s", arn, pause))
		if err := e.wait(ctx, pause); err != nil {
			return err
		}
		waited += pause
		pause = min(2*pause, 16*time.Second)
	}
}

func (e *Ensurer) wait(ctx context.Context, d time.Duration) error {
	if e.Wait != nil {
		return e.Wait(ctx, d)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (e *Ensurer) log(line string) {
	if e.Log != nil {
		e.Log(line)
	}
}

func propagating(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" {
		return false
	}
	for _, m := range propagationErrors {
		if strings.Contains(ae.ErrorMessage(), m) {
			return true
		}
	}
	return false
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// Partition is the ARN partition of a region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// New builds an Ensurer with a command's clients.
func New(c *awsx.Clients, log func(string)) *Ensurer {
	return &Ensurer{APIGateway: c.APIGateway(), IAM: c.IAM(), Region: c.Region(), Log: log}
}
