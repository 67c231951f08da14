package config

import (
	"errors"
	"strings"
	"testing"
)

// problemsFor validates c and returns the problems of one field.
func problemsFor(t *testing.T, c Config, field string) []Problem {
	t.Helper()
	var ve *ValidationError
	if err := c.Validate(); !errors.As(err, &ve) {
		return nil
	}
	var out []Problem
	for _, p := range ve.Problems {
		if p.Field == field {
			out = append(out, p)
		}
	}
	return out
}

// TestNamesAWSRejects: the deployment name starts every bucket name
// ("<name>-artifacts-<account>-<region>") and the Aurora cluster
// identifier ("<name>-mlflow"). S3 refuses bucket names starting with
// xn--, sthree- or amzn-s3-demo-; RDS refuses identifiers with two
// consecutive hyphens. Either fails the server stack after the bootstrap
// stack is already built, so config validate refuses them first.
//
//   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
//   - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.CreateInstance.html
//     (DB cluster identifier: "Can't end with a hyphen or contain two
//     consecutive hyphens")
func TestNamesAWSRejects(t *testing.T) {
	for _, name := range []string{"my--mlflow", "xn--mlflow", "sthree-lab", "amzn-s3-demo-x"} {
		c := Defaults()
		c.Name = name
		ps := problemsFor(t, c, "name")
		if len(ps) == 0 {
			t.Errorf("name %q passes validation; AWS rejects the names built from it", name)
			continue
		}
		if err := ValidateName(name); err == nil {
			t.Errorf("--name %q passes ValidateName", name)
		}
		t.Logf("%s: %s", name, ps[0].Message)
	}
	for _, name := range []string{"mlflow", "team-a", "xn-1", "sthree"} {
		if err := ValidateName(name); err != nil {
			t.Errorf("name %q refused: %v", name, err)
		}
	}
}

// TestAuroraPauseAndCapacityFollowTheEngineVersion: a minimum capacity of
// 0 ACUs (auto-pause) exists only on the engine versions that support it,
// and the maximum is 256 ACUs on recent versions, 128 on older ones; RDS
// refuses the cluster otherwise, with the server stack half built.
//
//   - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2ScalingConfiguration.html
//     ("For Aurora versions that support the Aurora Serverless v2
//     auto-pause feature, the smallest value that you can use is 0. For
//     versions that don't ... 0.5"; "The largest value that you can use is
//     256 for recent Aurora versions, or 128 for older versions")
//   - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html#aurora-serverless-v2.how-it-works.capacity
//     (the version table; the floors used here, 13.15 / 14.12 / 15.7 /
//     16.3 and every 17.x, are the ones AWS announced for both features in
//     its November and October 2024 What's New posts; the table itself
//     could not be retrieved here, so doctor should confirm with
//     DescribeDBEngineVersions' ServerlessV2FeaturesSupport)
func TestAuroraPauseAndCapacityFollowTheEngineVersion(t *testing.T) {
	cases := []struct {
		version  string
		min, max float64
		field    string // "" when valid
	}{
		{"16.6", 0, 2, ""},
		{"16.3", 0, 256, ""},
		{"17.4", 0, 256, ""},
		{"13.15", 0, 2, ""},
		{"16.2", 0, 2, "database.minCapacity"},
		{"15.6", 0, 2, "database.minCapacity"},
		{"14.11", 0, 2, "database.minCapacity"},
		{"13.14", 0, 2, "database.minCapacity"},
		{"16", 0, 2, "database.minCapacity"},
		{"16.2", 0.5, 128, ""},
		{"16.2", 0.5, 200, "database.maxCapacity"},
		{"12.9", 0.5, 2, "database.engineVersion"},
	}
	for _, tc := range cases {
		c := Defaults()
		c.Database.EngineVersion, c.Database.MinCapacity, c.Database.MaxCapacity = tc.version, tc.min, tc.max
		err := c.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s %v-%v ACU refused: %v", tc.version, tc.min, tc.max, err)
			}
			continue
		}
		ps := problemsFor(t, c, tc.field)
		if len(ps) == 0 {
			t.Errorf("%s %v-%v ACU: no %s problem (err %v); RDS refuses it", tc.version, tc.min, tc.max, tc.field, err)
			continue
		}
		if !strings.Contains(ps[0].Message, "use") {
			t.Errorf("%s: message %q does not say what to use", tc.field, ps[0].Message)
		}
	}
}

// TestInferenceProfileFollowsTheRegion: a cross-Region inference profile
// id starts with its geography (us., eu., apac., ...) and can only be
// called from a source Region of that geography; from any other Region
// Bedrock answers ValidationException "The provided model identifier is
// invalid" on the first request through the gateway. global. profiles
// work from every commercial Region.
//
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
//     (source and destination Regions per geography)
func TestInferenceProfileFollowsTheRegion(t *testing.T) {
	cases := []struct {
		region, bedrockRegion, model string
		ok                           bool
	}{
		{"us-east-1", "", "us.anthropic.claude-haiku-4-5-20251001-v1:0", true},
		{"eu-west-1", "", "eu.anthropic.claude-3-haiku-20240307-v1:0", true},
		{"ap-southeast-2", "", "apac.anthropic.claude-3-haiku-20240307-v1:0", true},
		{"eu-west-1", "", "global.anthropic.claude-haiku-4-5-20251001-v1:0", true},
		{"eu-west-1", "", "us.anthropic.claude-haiku-4-5-20251001-v1:0", false},
		{"us-east-1", "", "eu.anthropic.claude-3-haiku-20240307-v1:0", false},
		{"eu-west-1", "us-east-1", "us.anthropic.claude-haiku-4-5-20251001-v1:0", true},
		{"us-east-1", "", "apac.anthropic.claude-3-haiku-20240307-v1:0", false},
		{"eu-west-1", "", "amazon.titan-embed-text-v2:0", true},
	}
	for _, tc := range cases {
		c := Defaults()
		c.Region, c.Gateway.BedrockRegion = tc.region, tc.bedrockRegion
		c.Gateway.Endpoints = []Endpoint{{Name: "chat", Type: "llm/v1/chat", Model: tc.model}}
		ps := problemsFor(t, c, "gateway.endpoints[0].model")
		if tc.ok && len(ps) > 0 {
			t.Errorf("%s from %s/%s refused: %v", tc.model, tc.region, tc.bedrockRegion, ps)
		}
		if !tc.ok && len(ps) == 0 {
			t.Errorf("%s from %s passes; Bedrock refuses a profile outside its geography", tc.model, tc.region)
		}
	}
}

// TestRetiredBedrockModelsAreRefused: a model past its end-of-life date
// answers every request with an error, so the gateway's endpoint fails on
// first use. Claude 3.5 Haiku, the former default chat model, reached its
// end of life on Bedrock on 2026-06-19 (its AWS model card: "Model
// lifecycle: Legacy", "Model EOL date: June 19, 2026"); the default is now
// Claude Haiku 4.5 through the global inference profile.
//
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-3-5-haiku.html
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-haiku-4-5.html
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html
func TestRetiredBedrockModelsAreRefused(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	for _, model := range []string{"anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-3-5-haiku-20241022-v1:0"} {
		c := Defaults()
		c.Region = "us-east-1"
		c.Gateway.Endpoints = []Endpoint{{Name: "chat", Type: "llm/v1/chat", Model: model}}
		ps := problemsFor(t, c, "gateway.endpoints[0].model")
		if len(ps) == 0 {
			t.Errorf("%s passes validation; Bedrock retired it on 2026-06-19", model)
			continue
		}
		if !strings.Contains(ps[0].Message, "claude-haiku-4-5") {
			t.Errorf("message %q does not name the replacement", ps[0].Message)
		}
	}
}
