// Package sagemaker tears down a deployment's SageMaker Studio resources:
// the apps of its user profiles and of the spaces they own, then the
// spaces and the profiles, and, for a domain mlflowctl created, the home
// EFS file system and security groups SageMaker made for it.
package sagemaker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
)

// API is the part of the SageMaker client that Studio teardown uses.
type API interface {
	DescribeDomain(ctx context.Context, in *sm.DescribeDomainInput, opts ...func(*sm.Options)) (*sm.DescribeDomainOutput, error)
	ListUserProfiles(ctx context.Context, in *sm.ListUserProfilesInput, opts ...func(*sm.Options)) (*sm.ListUserProfilesOutput, error)
	ListSpaces(ctx context.Context, in *sm.ListSpacesInput, opts ...func(*sm.Options)) (*sm.ListSpacesOutput, error)
	ListApps(ctx context.Context, in *sm.ListAppsInput, opts ...func(*sm.Options)) (*sm.ListAppsOutput, error)
	DeleteApp(ctx context.Context, in *sm.DeleteAppInput, opts ...func(*sm.Options)) (*sm.DeleteAppOutput, error)
	DescribeApp(ctx context.Context, in *sm.DescribeAppInput, opts ...func(*sm.Options)) (*sm.DescribeAppOutput, error)
	DeleteSpace(ctx context.Context, in *sm.DeleteSpaceInput, opts ...func(*sm.Options)) (*sm.DeleteSpaceOutput, error)
	DescribeSpace(ctx context.Context, in *sm.DescribeSpaceInput, opts ...func(*sm.Options)) (*sm.DescribeSpaceOutput, error)
	DeleteUserProfile(ctx context.Context, in *sm.DeleteUserProfileInput, opts ...func(*sm.Options)) (*sm.DeleteUserProfileOutput, error)
	DescribeUserProfile(ctx context.Context, in *sm.DescribeUserProfileInput, opts ...func(*sm.Options)) (*sm.DescribeUserProfileOutput, error)
}

// Clock is time as Studio teardown sees it; tests pass a fake one so that
// waits of many minutes run instantly.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Defaults for Studio. App deletion takes minutes on AWS; the wait is
// bounded so a stuck app is reported instead of hanging `down`.
const (
	DefaultPoll     = 10 * time.Second
	DefaultTimeout  = 30 * time.Minute
	DefaultParallel = 8
)

// Studio deletes a deployment's Studio resources.
type Studio struct {
	API      API
	Clock    Clock
	Poll     time.Duration // between status checks
	Timeout  time.Duration // bound on each wait (apps, spaces, profiles)
	Parallel int           // concurrent API calls
	// Log receives one progress line at a time.
	Log func(line string)
}

// Target names the deployment's domain and profiles (from the studio
// stack's outputs).
type Target struct {
	DomainID      string
	Profiles      []string
	DomainCreated bool
}

// App is one Studio app, owned by a user profile or by a space.
type App struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Profile string `json:"profile,omitempty"`
	Space   string `json:"space,omitempty"`
	Status  string `json:"status"`
}

// Owner is "profile <name>" or "space <name>".
func (a App) Owner() string {
	if a.Space != "" {
		return "space " + a.Space
	}
	return "profile " + a.Profile
}

func (a App) String() string { return a.Type + "/" + a.Name + " (" + a.Owner() + ")" }

// Space is a Studio space owned by one of the deployment's profiles.
type Space struct {
	Name   string `json:"name"`
	Owner  string `json:"owner"`
	Status string `json:"status"`
}

// Inventory is what exists of the deployment in Studio.
type Inventory struct {
	DomainID      string   `json:"domainId"`
	DomainCreated bool     `json:"domainCreated"`
	Profiles      []string `json:"profiles"`
	Spaces        []Space  `json:"spaces"`
	Apps          []App    `json:"apps"`
	// OtherProfiles counts profiles in the domain that belong to someone
	// else; they are never touched.
	OtherProfiles int `json:"otherProfiles"`
}

// Empty says there is nothing of the deployment left in Studio.
func (inv Inventory) Empty() bool {
	return len(inv.Profiles) == 0 && len(inv.Spaces) == 0 && len(inv.Apps) == 0
}

func (s *Studio) clock() Clock {
	if s.Clock == nil {
		return realClock{}
	}
	return s.Clock
}

func (s *Studio) poll() time.Duration    { return orDefault(s.Poll, DefaultPoll) }
func (s *Studio) timeout() time.Duration { return orDefault(s.Timeout, DefaultTimeout) }
func (s *Studio) parallel() int          { return max(s.Parallel, 1) }
func (s *Studio) logf(line string)       { logLine(s.Log, line) }
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func logLine(log func(string), line string) {
	if log != nil {
		log(line)
	}
}

// Inventory lists the deployment's profiles that still exist, the spaces
// they own and every app of either that is not already Deleted. A domain
// that no longer exists yields an empty inventory.
func (s *Studio) Inventory(ctx context.Context, t Target) (Inventory, error) {
	inv := Inventory{DomainID: t.DomainID, DomainCreated: t.DomainCreated}
	if t.DomainID == "" {
		return inv, nil
	}
	if _, err := s.API.DescribeDomain(ctx, &sm.DescribeDomainInput{DomainId: aws.String(t.DomainID)}); err != nil {
		if IsNotFound(err) {
			return inv, nil
		}
		return inv, err
	}
	all, err := s.listProfiles(ctx, t.DomainID)
	if err != nil {
		return inv, err
	}
	for _, p := range all {
		if slices.Contains(t.Profiles, p) {
			inv.Profiles = append(inv.Profiles, p)
		} else {
			inv.OtherProfiles++
		}
	}
	if inv.Spaces, err = s.listSpaces(ctx, t.DomainID, inv.Profiles); err != nil {
		return inv, err
	}
	inv.Apps, err = s.listApps(ctx, t.DomainID, inv.Profiles, inv.Spaces)
	return inv, err
}

func (s *Studio) listProfiles(ctx context.Context, domain string) ([]string, error) {
	var names []string
	p := sm.NewListUserProfilesPaginator(s.API, &sm.ListUserProfilesInput{DomainIdEquals: aws.String(domain)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, up := range page.UserProfiles {
			names = append(names, aws.ToString(up.UserProfileName))
		}
	}
	return names, nil
}

func (s *Studio) listSpaces(ctx context.Context, domain string, owners []string) ([]Space, error) {
	var spaces []Space
	p := sm.NewListSpacesPaginator(s.API, &sm.ListSpacesInput{DomainIdEquals: aws.String(domain)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, sp := range page.Spaces {
			owner := ""
			if sp.OwnershipSettingsSummary != nil {
				owner = aws.ToString(sp.OwnershipSettingsSummary.OwnerUserProfileName)
			}
			if slices.Contains(owners, owner) {
				spaces = append(spaces, Space{Name: aws.ToString(sp.SpaceName), Owner: owner, Status: string(sp.Status)})
			}
		}
	}
	return spaces, nil
}

// listApps asks per profile and per space: ListApps filters on one owner
// at a time, and apps in spaces must be addressed by space name.
func (s *Studio) listApps(ctx context.Context, domain string, profiles []string, spaces []Space) ([]App, error) {
	var inputs []*sm.ListAppsInput
	for _, p := range profiles {
		inputs = append(inputs, &sm.ListAppsInput{DomainIdEquals: aws.String(domain), UserProfileNameEquals: aws.String(p)})
	}
	for _, sp := range spaces {
		inputs = append(inputs, &sm.ListAppsInput{DomainIdEquals: aws.String(domain), SpaceNameEquals: aws.String(sp.Name)})
	}
	found := make([][]App, len(inputs))
	err := forEach(ctx, s.parallel(), len(inputs), func(ctx context.Context, i int) error {
		apps, err := s.listAppsOf(ctx, inputs[i])
		found[i] = apps
		return err
	})
	// An app in a space may also be listed under its owner's profile.
	var apps []App
	seen := map[App]bool{}
	for _, a := range slices.Concat(found...) {
		if !seen[a] {
			seen[a] = true
			apps = append(apps, a)
		}
	}
	return apps, err
}

func (s *Studio) listAppsOf(ctx context.Context, in *sm.ListAppsInput) ([]App, error) {
	var apps []App
	p := sm.NewListAppsPaginator(s.API, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Apps {
			if a.Status == smtypes.AppStatusDeleted {
				continue // Deleted apps linger in ListApps for a while
			}
			app := App{Type: string(a.AppType), Name: aws.ToString(a.AppName), Status: string(a.Status)}
			// An app belongs to a space or to a profile, never both: the
			// delete call must name exactly one of them.
			if sp := aws.ToString(a.SpaceName); sp != "" {
				app.Space = sp
			} else {
				app.Profile = aws.ToString(a.UserProfileName)
			}
			apps = append(apps, app)
		}
	}
	return apps, nil
}

// IsNotFound says the resource does not exist. SageMaker answers
// ResourceNotFound; for domains some endpoints answer ValidationException
// "Could not find ...".
func IsNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceNotFound", "ResourceNotFoundException":
		return true
	case "ValidationException":
		msg := strings.ToLower(ae.ErrorMessage())
		return strings.Contains(msg, "could not find") || strings.Contains(msg, "does not exist")
	}
	return false
}

func isInUse(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "ResourceInUse" || ae.ErrorCode() == "ResourceInUseException")
}
