package cli

import (
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// sdkRegion is the region the AWS SDK would use, read offline (the dry
// run sends nothing): AWS_REGION, the profile's region, AWS_DEFAULT_REGION.
func sdkRegion(g *globalOpts, cfg config.Config) string {
	return awsx.RegionIn(g.ctx, cfg.Profile, g.env.vars)
}
