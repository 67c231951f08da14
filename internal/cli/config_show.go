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
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return run(o) },
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
