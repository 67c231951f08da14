package awsx

import (
	"cmp"
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// Region is the region the SDK would use for profile (empty: the default
// chain): AWS_REGION, then the profile's region in the config files, then
// AWS_DEFAULT_REGION (which the AWS CLI reads and the Go SDK does not).
// It reads only the environment and the files: no credentials are
// fetched and nothing is sent, so it works offline. "" when none is set.
func Region(ctx context.Context, profile string) string {
	return RegionIn(ctx, profile, nil)
}

// RegionIn is Region with the environment variables taken from env (nil:
// the process's).
func RegionIn(ctx context.Context, profile string, env Env) string {
	// no SDK log line reaches the terminal (see Load)
	opts := append([]func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}, env.loaders()...)
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return env.getenv("AWS_DEFAULT_REGION")
	}
	return cmp.Or(cfg.Region, env.getenv("AWS_DEFAULT_REGION"))
}
