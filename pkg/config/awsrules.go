package config

import (
	"fmt"
	"strconv"
	"strings"
)

// reservedNamePrefixes: S3 refuses bucket names that start with these, and
// every bucket name of a deployment starts with its name
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
var reservedNamePrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// awsNameProblem says why AWS would refuse the names built from a
// deployment name, or "".
func awsNameProblem(name string) string {
	for _, p := range reservedNamePrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("%q starts with %q, which S3 reserves for its own bucket names: choose a name that does not", name, p)
		}
	}
	if strings.Contains(name, "--") {
		// The Aurora cluster is "<name>-mlflow"; RDS identifiers may not
		// hold two consecutive hyphens.
		return fmt.Sprintf("%q contains two consecutive hyphens, which RDS refuses in the database's identifier: use single hyphens", name)
	}
	return ""
}

// auroraFeatureFloor is, per Aurora PostgreSQL major version, the first
// minor version with both Serverless v2 auto-pause (minimum capacity 0)
// and the 256-ACU maximum; 0 means every minor has them. Majors below 13
// have no Serverless v2 support in mlflowctl's range (the seed's v1 is
// end-of-life).
var auroraFeatureFloor = map[int]int{13: 15, 14: 12, 15: 7, 16: 3, 17: 0}

// validateAuroraVersion checks the capacity range against what the engine
// version supports.
func validateAuroraVersion(k *checker, d Database) {
	major, minor, ok := auroraVersion(d.EngineVersion)
	if !ok {
		return // the form is reported by validateDatabase
	}
	floor, known := auroraFeatureFloor[major]
	if !known && major < 13 {
		k.add("database.engineVersion", "Aurora PostgreSQL %d has no Serverless v2 with these features: use 16.6 (the default) or another 13.15+/14.12+/15.7+/16.3+/17 version", major)
		return
	}
	recent := !known || minor >= floor
	if d.MinCapacity == 0 && !recent {
		k.add("database.minCapacity", "0 (auto-pause) needs Aurora PostgreSQL %d.%d or newer, and engineVersion is %s: use engineVersion %d.%d or newer, or minCapacity 0.5",
			major, floor, d.EngineVersion, major, floor)
	}
	if d.MaxCapacity > 128 && !recent {
		k.add("database.maxCapacity", "%v is above 128 ACU, the limit of Aurora PostgreSQL %s: use engineVersion %d.%d or newer for up to 256, or maxCapacity 128 or less",
			d.MaxCapacity, d.EngineVersion, major, floor)
	}
}

// auroraVersion splits "16.6" into 16 and 6; a bare major has minor 0
// (RDS then picks a default minor that mlflowctl cannot know).
func auroraVersion(v string) (major, minor int, ok bool) {
	ma, mi, _ := strings.Cut(v, ".")
	major, err := strconv.Atoi(ma)
	if err != nil {
		return 0, 0, false
	}
	if mi != "" {
		if minor, err = strconv.Atoi(mi); err != nil {
			return 0, 0, false
		}
	}
	return major, minor, true
}

// profileGeographies maps the geography prefix of a cross-Region inference
// profile id to the prefixes of the Regions that may call it
// (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
// global. profiles are callable from every commercial Region.
var profileGeographies = map[string][]string{
	"us":     {"us-east-", "us-west-"},
	"us-gov": {"us-gov-"},
	"eu":     {"eu-"},
	"apac":   {"ap-"},
	"jp":     {"ap-northeast-1", "ap-northeast-3"},
	"au":     {"ap-southeast-2", "ap-southeast-4"},
	"ca":     {"ca-"},
}

// profileRegionProblem says why a model id, called from region, fails, or "".
func profileRegionProblem(model, region string) string {
	geo, _, ok := strings.Cut(model, ".")
	prefixes, isProfile := profileGeographies[geo]
	if !ok || !isProfile || region == "" {
		return ""
	}
	for _, p := range prefixes {
		if strings.HasPrefix(region, p) {
			return ""
		}
	}
	return fmt.Sprintf("%q is a %s inference profile, which Bedrock serves only from %s Regions, not from %s: use the profile of %s's geography (or global.), or set gateway.bedrockRegion to a %s Region",
		model, geo, geo, region, region, geo)
}

// bedrockRegion is where the gateway calls Bedrock: gateway.bedrockRegion,
// else the deployment's Region (may be empty before it is known).
func (c Config) bedrockRegion() string {
	if c.Gateway.BedrockRegion != "" {
		return c.Gateway.BedrockRegion
	}
	return c.Region
}

// retiredModel is a Bedrock model past its end-of-life date, with what to
// use instead.
type retiredModel struct {
	id, ended, instead string
}

// retiredModels come from the models' AWS model cards (model lifecycle:
// EOL date). The id is matched without an inference-profile prefix.
var retiredModels = []retiredModel{
	{"anthropic.claude-3-5-haiku-20241022-v1:0", "2026-06-19", DefaultChatModel},
}

// DefaultChatModel is the default chat endpoint's model: Claude Haiku 4.5
// through the global cross-Region inference profile, which Bedrock serves
// from every commercial source Region it supports and routes to any of
// them (the gateway's role allows the models behind this Region's
// profiles, templates/cfn/server.yaml).
const DefaultChatModel = "global.anthropic.claude-haiku-4-5-20251001-v1:0"

// retiredProblem says why model no longer answers, or "".
func retiredProblem(model string) string {
	bare := model
	if geo, rest, ok := strings.Cut(model, "."); ok {
		if _, isProfile := profileGeographies[geo]; isProfile || geo == "global" {
			bare = rest
		}
	}
	for _, r := range retiredModels {
		if bare == r.id {
			return fmt.Sprintf("%q reached its end of life on Bedrock on %s and no longer answers: use %s", model, r.ended, r.instead)
		}
	}
	return ""
}
