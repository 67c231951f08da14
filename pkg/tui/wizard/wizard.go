// Package wizard is `mlflowctl init`: a bubbletea program that asks for a
// deployment's settings one screen at a time (huh forms), shows a summary
// with the cost and what will be created, and writes mlflowctl.yaml. The
// same questions run as plain line prompts in accessible mode.
package wizard

import (
	"context"
	"errors"
	"io"

	"github.com/mlflowctl/mlflowctl/pkg/awslookup"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Lookup lists the choices that come from AWS. Every call may fail; the
// wizard then takes typed values and says what it could not list.
type Lookup interface {
	Profiles() ([]awslookup.Profile, error)
	Regions(ctx context.Context, profile, region string) ([]string, error)
	Domains(ctx context.Context, profile, region string) ([]awslookup.Domain, error)
}

// Options configure one run of the wizard.
type Options struct {
	// Base gives every default: config.Defaults(), or the existing file.
	Base config.Config
	// Path is where the configuration is written.
	Path   string
	Lookup Lookup
	// EnvProfile and EnvRegion (AWS_PROFILE, AWS_REGION) are the defaults
	// when Base names no profile or region.
	EnvProfile, EnvRegion string

	// Estimate prices a configuration per month while idle; nil shows
	// sizes only.
	Estimate func(config.Config) (monthlyUSD float64, lines []string)
	// RunUp deploys the written configuration; nil tells the user to run
	// `mlflowctl up` instead.
	RunUp func(ctx context.Context, cfg config.Config) error
	// AddAdmin adds the first admin user after a deployment; nil prints
	// the command instead.
	AddAdmin func(ctx context.Context, cfg config.Config, email string) error

	// In and Out are the terminal (Out is stderr: the wizard is UI).
	In  io.Reader
	Out io.Writer
	// Accessible asks plain line prompts instead of the TUI.
	Accessible bool
	NoColor    bool
	// Width and Height fix the terminal size (tests); zero asks the terminal.
	Width, Height int
}

// Result is what the wizard did.
type Result struct {
	Config  config.Config
	Answers Answers
	// Written is true when Path now holds Config.
	Written bool
	// KeptExisting is true when the user declined to overwrite Path.
	KeptExisting bool
	// Deployed is true when RunUp ran and succeeded.
	Deployed bool
	// AdminAdded is true when AddAdmin ran and succeeded.
	AdminAdded bool
}

// ErrAborted is returned when the user leaves with Ctrl-C before the file
// is written; nothing is written.
var ErrAborted = errors.New("left the wizard; nothing was written")

// ErrLeftAfterWrite is returned when the user leaves with Ctrl-C at the
// offer to deploy or to add the admin: the file is written, nothing more.
var ErrLeftAfterWrite = errors.New("left the wizard after writing the configuration")

// Run asks the questions, writes the file and runs the follow-ups.
func Run(ctx context.Context, o Options) (Result, error) {
	var (
		res Result
		err error
	)
	if o.Accessible {
		o.NoColor = true
		o.In = LineReader(ctx, o.In)
		res, err = runAccessible(ctx, o)
	} else {
		res, err = runTUI(ctx, o)
	}
	if err != nil || !res.Written {
		return res, err
	}
	return followUps(ctx, o, res)
}
