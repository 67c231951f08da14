package cli

import (
	"io"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
)

// printUIPath adds to the plan how the UI will be made and why (prebuilt
// from the mlflow wheel, or rebuilt from source in CodeBuild). A patch
// file that cannot be read fails here, before anything changes.
func printUIPath(w io.Writer, cfg config.Config) error {
	if !cfg.UI.Enabled {
		return nil
	}
	c, err := uihost.Choose(cfg)
	if err != nil {
		return err
	}
	p := &printer{w: w}
	p.f("  UI: %s\n", c)
	return p.err
}
