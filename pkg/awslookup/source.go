package awslookup

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
)

// lookupTimeout bounds each look-up: the wizard waits for it on screen.
const lookupTimeout = 15 * time.Second

// fallbackRegion signs the region list call when the profile sets none;
// DescribeRegions answers the same in every region.
const fallbackRegion = "us-east-1"

// ClientsFor returns the command's AWS clients for the profile and region
// the wizard is on (awsx.Connect with the command's endpoint and emulator
// setting): the look-ups build no client of their own.
type ClientsFor func(ctx context.Context, profile, region string) (*awsx.Clients, error)

// Source runs the look-ups against AWS with the user's credentials.
type Source struct {
	Files   Files
	Clients ClientsFor
}

// Profiles lists the profiles of the user's AWS config files.
func (s Source) Profiles() ([]Profile, error) { return Profiles(s.Files) }

// Regions lists the regions enabled for the profile's account.
func (s Source) Regions(ctx context.Context, profile, region string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	c, err := s.clients(ctx, profile, cmp.Or(region, fallbackRegion))
	if err != nil {
		return nil, err
	}
	return Regions(ctx, c.EC2())
}

// Domains lists the Studio domains in the profile's account and region.
func (s Source) Domains(ctx context.Context, profile, region string) ([]Domain, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	c, err := s.clients(ctx, profile, region)
	if err != nil {
		return nil, err
	}
	return Domains(ctx, c.SageMaker())
}

func (s Source) clients(ctx context.Context, profile, region string) (*awsx.Clients, error) {
	if s.Clients == nil {
		return nil, fmt.Errorf("awslookup.Source: Clients must be set")
	}
	return s.Clients(ctx, profile, region)
}
