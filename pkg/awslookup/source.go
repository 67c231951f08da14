package awslookup

import (
	"cmp"
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
)

// lookupTimeout bounds each look-up: the wizard waits for it on screen.
const lookupTimeout = 15 * time.Second

// fallbackRegion signs the region list call when the profile sets none;
// DescribeRegions answers the same in every region.
const fallbackRegion = "us-east-1"

// Source runs the look-ups against AWS with the user's credentials.
type Source struct {
	Files       Files
	EndpointURL string
	Version     string
	// Env stands in for the process's environment variables (nil: the
	// process's; see awsx.Env).
	Env awsx.Env
}

// Profiles lists the profiles of the user's AWS config files.
func (s Source) Profiles() ([]Profile, error) { return Profiles(s.Files) }

// Regions lists the regions enabled for the profile's account.
func (s Source) Regions(ctx context.Context, profile, region string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	cfg, err := awsx.Load(ctx, s.options(profile, cmp.Or(region, fallbackRegion)))
	if err != nil {
		return nil, err
	}
	return Regions(ctx, ec2.NewFromConfig(cfg))
}

// Domains lists the Studio domains in the profile's account and region.
func (s Source) Domains(ctx context.Context, profile, region string) ([]Domain, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	cfg, err := awsx.Load(ctx, s.options(profile, region))
	if err != nil {
		return nil, err
	}
	return Domains(ctx, sagemaker.NewFromConfig(cfg))
}

func (s Source) options(profile, region string) awsx.Options {
	return awsx.Options{Profile: profile, Region: region, EndpointURL: s.EndpointURL, Version: s.Version, Env: s.Env}
}
