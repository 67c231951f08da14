package cli

import "github.com/spf13/cobra"

func newConfigCommand(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Write, check and show the configuration",
		Long: `mlflowctl reads mlflowctl.yaml (or --config), then MLFLOWCTL_* environment
variables (MLFLOWCTL_SERVER_CPU sets server.cpu), then flags; each overrides
the one before, and defaults fill the rest.`,
	}
	cmd.AddCommand(newConfigInitCommand(g), newConfigValidateCommand(g), newConfigShowCommand(g))
	return cmd
}
