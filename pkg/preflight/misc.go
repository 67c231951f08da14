package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
)

func asResponseError(err error, re **awshttp.ResponseError) bool { return errors.As(err, re) }

// inferenceProfilePrefixes are the geographic prefixes of cross-region
// inference profile ids ("us.anthropic...."); model access is granted on
// the base model ("Supported Regions and models for inference profiles",
// Bedrock User Guide).
var inferenceProfilePrefixes = []string{"us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.", "global."}

// BaseModel is the foundation model behind an inference profile id.
func BaseModel(id string) string {
	for _, p := range inferenceProfilePrefixes {
		if rest, ok := strings.CutPrefix(id, p); ok {
			return rest
		}
	}
	return id
}

// checkBedrock: an endpoint whose model the account may not invoke fails
// on first use, long after up; GetFoundationModelAvailability says why
// (region, entitlement, agreement, authorization).
func checkBedrock(ctx context.Context, e *env) []Result {
	if !e.cfg.Gateway.Enabled || len(e.cfg.Gateway.Endpoints) == 0 {
		return []Result{{Check: "bedrock models", Status: OK, Detail: "no AI gateway endpoints"}}
	}
	region := e.cfg.Gateway.BedrockRegion
	if region == "" {
		region = e.region
	}
	c := e.c.Bedrock(region)
	var out []Result
	for _, ep := range e.cfg.Gateway.Endpoints {
		name := "bedrock " + ep.Name + " (" + ep.Model + ")"
		a, err := c.GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String(BaseModel(ep.Model))})
		if err != nil {
			if errorCode(err) == "ResourceNotFoundException" || errorCode(err) == "ValidationException" {
				out = append(out, Result{Check: name, Status: Fail, Detail: fmt.Sprintf("no such model in %s: %v", region, err),
					Fix: "set gateway.endpoints[].model to a model Bedrock offers in " + region})
				continue
			}
			out = append(out, couldNotCheck(name, "bedrock:GetFoundationModelAvailability", err))
			continue
		}
		if why := unavailable(a); why != "" {
			out = append(out, Result{Check: name, Status: Fail, Detail: why + " in " + region,
				Fix: "request access to " + BaseModel(ep.Model) + " in the Bedrock console (Model access) in " + region + ", or pick another model"})
			continue
		}
		out = append(out, Result{Check: name, Status: OK, Detail: "access granted in " + region})
	}
	return out
}

func unavailable(a *bedrock.GetFoundationModelAvailabilityOutput) string {
	var why []string
	if a.RegionAvailability != "AVAILABLE" {
		why = append(why, "not offered in the region")
	}
	if a.EntitlementAvailability != "AVAILABLE" {
		why = append(why, "no entitlement")
	}
	if a.AgreementAvailability == nil || a.AgreementAvailability.Status != "AVAILABLE" {
		why = append(why, "model agreement not accepted")
	}
	if a.AuthorizationStatus != "AUTHORIZED" {
		why = append(why, "not authorized")
	}
	return strings.Join(why, ", ")
}

// checkCodeBuild: images and (source-path) UI builds run in CodeBuild,
// which not every region offers.
func checkCodeBuild(ctx context.Context, e *env) []Result {
	_, err := e.c.CodeBuild.ListProjects(ctx, &codebuild.ListProjectsInput{})
	if err != nil {
		return []Result{{Check: "codebuild", Status: Fail, Detail: fmt.Sprintf("CodeBuild does not answer in %s: %v", e.region, err),
			Fix: "deploy to a region with CodeBuild, or allow codebuild:ListProjects"}}
	}
	return []Result{{Check: "codebuild", Status: OK, Detail: "available in " + e.region}}
}
