package cli

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

type configInitOpts struct {
	noAsk
	g     *globalOpts
	force bool
}

func newConfigInitCommand(g *globalOpts) *cobra.Command {
	o := &configInitOpts{g: g}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented configuration file with every default",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite an existing file")
	return cmd
}

func (o *configInitOpts) Validate() error { return nil }

func (o *configInitOpts) Execute() error {
	err := config.WriteDefault(o.g.env.path(o.g.configPath), o.force)
	if errors.Is(err, config.ErrExists) {
		return usageErrorf("%s already exists: edit it, or pass --force to replace it with the defaults", o.g.configPath)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		// only a local file is involved: the path is bad input
		return usageErrorf("--config %s: cannot write it (%v): name a file in a folder you can write, such as ./mlflowctl.yaml", o.g.configPath, pe.Err)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", o.g.configPath, err)
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, map[string]string{"path": o.g.configPath})
	}
	_, err = fmt.Fprintf(o.g.stdout, "Wrote %s. Next: edit it, then run `mlflowctl config validate` and `mlflowctl up --dry-run`.\n", o.g.configPath)
	return err
}
