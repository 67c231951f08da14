package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

const auroraEngine = "aurora-postgresql"

// Without ServerlessV2FeaturesSupport, a version has the limits AWS
// documented before auto-pause and 256 ACUs existed: minimum 0.5, maximum
// 128 ("Requirements and limitations for Aurora Serverless v2", Aurora
// User Guide; "Scaling to Zero ACUs with automatic pause and resume").
const (
	legacyMinCapacity = 0.5
	legacyMaxCapacity = 128
)

// checkAurora asks RDS whether the configured engine version is offered in
// the region and supports the configured Serverless v2 capacity range.
func checkAurora(ctx context.Context, e *env) []Result {
	const name = "aurora engine version"
	v := e.cfg.Database.EngineVersion
	out, err := e.c.RDS.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{
		Engine: aws.String(auroraEngine), EngineVersion: aws.String(v),
	})
	if err != nil {
		return []Result{couldNotCheck(name, "rds:DescribeDBEngineVersions", err)}
	}
	if len(out.DBEngineVersions) == 0 {
		return []Result{{Check: name, Status: Fail,
			Detail: fmt.Sprintf("%s %s is not offered in %s", auroraEngine, v, e.region),
			Fix:    "set database.engineVersion to one the region offers" + offered(ctx, e)}}
	}
	minCap, maxCap := legacyMinCapacity, float64(legacyMaxCapacity)
	if f := out.DBEngineVersions[0].ServerlessV2FeaturesSupport; f != nil {
		minCap, maxCap = aws.ToFloat64(f.MinCapacity), aws.ToFloat64(f.MaxCapacity)
	}
	d := e.cfg.Database
	detail := fmt.Sprintf("%s %s offered; Serverless v2 range %s–%s ACU, configured %s–%s", auroraEngine, v, num(minCap), num(maxCap), num(d.MinCapacity), num(d.MaxCapacity))
	switch {
	case d.MinCapacity < minCap:
		return []Result{{Check: name, Status: Fail, Detail: detail,
			Fix: fmt.Sprintf("set database.minCapacity to %s or more (auto-pause at 0 needs a newer engine version)", num(minCap))}}
	case d.MaxCapacity > maxCap:
		return []Result{{Check: name, Status: Fail, Detail: detail,
			Fix: fmt.Sprintf("set database.maxCapacity to %s or less, or pick an engine version that scales further", num(maxCap))}}
	}
	return []Result{{Check: name, Status: OK, Detail: detail}}
}

// offered lists a few versions the region has, newest last, for the fix.
func offered(ctx context.Context, e *env) string {
	out, err := e.c.RDS.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Engine: aws.String(auroraEngine)})
	if err != nil || len(out.DBEngineVersions) == 0 {
		return ""
	}
	var vs []string
	for _, v := range out.DBEngineVersions {
		vs = append(vs, aws.ToString(v.EngineVersion))
	}
	if len(vs) > 5 {
		vs = vs[len(vs)-5:]
	}
	return " (for example " + strings.Join(vs, ", ") + ")"
}
