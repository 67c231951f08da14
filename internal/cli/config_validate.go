package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

type configValidateOpts struct {
	noAsk
	g *globalOpts
}

func newConfigValidateCommand(g *globalOpts) *cobra.Command {
	o := &configValidateOpts{g: g}
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration and list every problem",
		Long: `config validate checks the configuration (file, MLFLOWCTL_* variables and
flags merged) offline: every problem at once, each with its field and what
to use instead, including what AWS would refuse half-way through up. It
exits 0 when the configuration is valid and exits 2 when it is not.

-o json prints {"valid": true|false, "problems": [{"field", "message"}]}
(an empty list when valid).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *configValidateOpts) Validate() error { return nil }

func (o *configValidateOpts) Execute() error {
	cfg, err := o.g.validConfig()
	var verr *config.ValidationError
	if err != nil && !errors.As(err, &verr) {
		return err
	}
	if o.g.jsonOutput() {
		report := struct {
			Valid    bool             `json:"valid"`
			Problems []config.Problem `json:"problems"`
		}{Valid: err == nil, Problems: []config.Problem{}}
		if verr != nil {
			report.Problems = verr.Problems
		}
		if werr := writeJSON(o.g.stdout, report); werr != nil {
			return werr
		}
		if err != nil {
			return &silentError{err: err}
		}
		return nil
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.g.stdout, "Configuration is valid: deployment %s, MLflow %s, region %s.\n",
		cfg.Name, cfg.MLflowVersion, orDefault(cfg.Region, "from the AWS SDK chain"))
	return err
}

// silentError carries an exit code for an error already reported on stdout.
type silentError struct{ err error }

func (e *silentError) Error() string { return e.err.Error() }
func (e *silentError) Unwrap() error { return e.err }

// Silent tells main not to print the error again.
func (e *silentError) Silent() bool { return true }

// ExitCode keeps the wrapped error's exit code.
func (e *silentError) ExitCode() int {
	var c interface{ ExitCode() int }
	if errors.As(e.err, &c) {
		return c.ExitCode()
	}
	return 1
}

func orDefault(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
