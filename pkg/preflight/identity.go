package preflight

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// checkCredentials asks STS who the caller is, in the deployment's region;
// with accountId in the config, the caller must be in that account.
func checkCredentials(ctx context.Context, e *env) Result {
	const name = "credentials and region"
	if e.region == "" {
		return Result{Check: name, Status: Fail, Detail: "no region",
			Fix: "set region in mlflowctl.yaml, AWS_REGION, or the profile's region"}
	}
	out, err := e.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Result{Check: name, Status: Fail, Detail: fmt.Sprintf("STS GetCallerIdentity in %s: %v", e.region, err),
			Fix: "log in (aws sso login, or set AWS_PROFILE / AWS_ACCESS_KEY_ID) and run again"}
	}
	e.account = aws.ToString(out.Account)
	detail := fmt.Sprintf("%s in account %s, region %s", aws.ToString(out.Arn), e.account, e.region)
	if want := e.cfg.AccountID; want != "" && want != e.account {
		return Result{Check: name, Status: Fail, Detail: detail + fmt.Sprintf("; the config names account %s", want),
			Fix: "use credentials for account " + want + " (--profile), or correct accountId in mlflowctl.yaml"}
	}
	return Result{Check: name, Status: OK, Detail: detail}
}
