package cli

import (
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

type configShowOpts struct {
	noAsk
	g   *globalOpts
	cfg config.Config
}

func newConfigShowCommand(g *globalOpts) *cobra.Command {
	o := &configShowOpts{g: g}
	return &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (file, environment and flags merged)",
		Long: `config show prints the configuration mlflowctl would use: the defaults,
then the file (--config), then MLFLOWCTL_* variables, then --name, --region
and --profile, each overriding the one before. Values are not checked
against the rules (config validate does that), so one it refuses still
shows; a file that cannot be read or decoded is an error (exit 2).

It prints YAML; -o json prints the same keys as one JSON document.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *configShowOpts) Validate() error {
	cfg, err := o.g.loadConfig()
	o.cfg = cfg
	return err
}

func (o *configShowOpts) Execute() error {
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, o.cfg)
	}
	enc := yaml.NewEncoder(o.g.stdout)
	enc.SetIndent(2)
	if err := enc.Encode(o.cfg); err != nil {
		return err
	}
	return enc.Close()
}
