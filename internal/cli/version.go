package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

type versionOpts struct {
	noAsk
	g *globalOpts
}

func newVersionCommand(g *globalOpts) *cobra.Command {
	o := &versionOpts{g: g}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *versionOpts) Validate() error { return nil }

func (o *versionOpts) Execute() error {
	info := struct {
		BuildInfo
		GoVersion string `json:"goVersion"`
		Platform  string `json:"platform"`
	}{o.g.build, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, info)
	}
	_, err := fmt.Fprintf(o.g.stdout, "mlflowctl %s (commit %s, built %s, %s, %s)\n",
		info.Version, info.Commit, info.Date, info.GoVersion, info.Platform)
	return err
}
