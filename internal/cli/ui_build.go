package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
)

type uiBuildOpts struct {
	noAsk
	g       *globalOpts
	out     string
	version string
	cfg     config.Config
	choice  uihost.Choice
}

// uiBuildResult is what ui build prints with -o json.
type uiBuildResult struct {
	Dir           string `json:"dir"`
	MLflowVersion string `json:"mlflowVersion"`
	Wheel         string `json:"wheel"`
	Files         int    `json:"files"`
}

func newUIBuildCommand(g *globalOpts) *cobra.Command {
	o := &uiBuildOpts{g: g}
	cmd := &cobra.Command{
		Use:   "build --out DIR",
		Short: "Write the patched MLflow UI to a folder, offline from AWS",
		Long: `build makes the site ` + "`mlflowctl ui deploy`" + ` would host by the prebuilt path (the UI
of the mlflow wheel from ui.packageIndex, sha256 checked, with the login patch
and your public/-only patches added) and writes it to DIR. It calls no AWS
API: use it to inspect the site, or to host it elsewhere.

DIR is the site root as Amplify serves it: index.html at the top, and the UI
loads its files from static-files/<path>, which the host must serve from
<path> (Amplify's rewrite /static-files/<*> -> /<*>), with the API paths
(/ajax-api/*, /get-artifact, /model-versions/get-artifact, /graphql)
forwarded to the MLflow REST API.

DIR/mlflowctl-auth.json is a placeholder naming the api stack outputs that
fill each value; sign-in works once they are filled in.

JSON output (-o json):
  {"dir": "site", "mlflowVersion": "3.18.0", "wheel": "mlflow-3.18.0-py3-none-any.whl sha256:...", "files": 120}`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().StringVar(&o.out, "out", "", "folder to write the site to (new or empty)")
	cmd.Flags().StringVar(&o.version, "mlflow-version", "", "MLflow version of the UI (default: mlflowVersion of the configuration)")
	return cmd
}

func (o *uiBuildOpts) Validate() error {
	if strings.TrimSpace(o.out) == "" {
		return usageErrorf("--out is required: name a new or empty folder for the site, such as --out site")
	}
	if entries, err := os.ReadDir(o.g.env.path(o.out)); err == nil && len(entries) > 0 {
		return usageErrorf("--out %s is not empty: name a new or empty folder", o.out)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return usageErrorf("--out %s: %v", o.out, err)
	}
	cfg, err := o.g.validConfig()
	if err != nil {
		return err
	}
	if o.version != "" {
		if !slices.Contains(config.SupportedMLflowVersions, o.version) {
			return usageErrorf("--mlflow-version %q is not supported: use one of %s", o.version, strings.Join(config.SupportedMLflowVersions, ", "))
		}
		cfg.MLflowVersion = o.version
	}
	o.cfg = cfg
	o.choice, err = uihost.Choose(cfg)
	if err != nil {
		return err
	}
	if o.choice.Path != uihost.PathPrebuilt {
		return usageErrorf("ui build writes the prebuilt UI only, and this configuration needs the source path (%s): run `mlflowctl ui deploy`, or drop that patch", o.choice.Reason)
	}
	return nil
}

func (o *uiBuildOpts) Execute() error {
	o.progress("UI path " + o.choice.String())
	wheels := uihost.Wheels{Index: o.cfg.UI.PackageIndex, CacheDir: o.g.env.wheelCacheDir(), Progress: o.progress}
	wheel, f, err := wheels.Fetch(o.g.ctx, o.cfg.MLflowVersion)
	if err != nil {
		return err
	}
	files, err := uihost.PrebuiltFiles(wheel, o.choice.Insertion)
	if err != nil {
		return err
	}
	files[uihost.SettingsFile] = uihost.PlaceholderSettings(o.cfg.Name, o.cfg.Authorizer.TokenUse)
	if err := writeSite(o.g.env.path(o.out), files); err != nil {
		return err
	}
	res := uiBuildResult{Dir: o.out, MLflowVersion: o.cfg.MLflowVersion, Wheel: f.Name + " sha256:" + f.SHA256, Files: len(files)}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, res)
	}
	p := &printer{w: o.g.stdout}
	p.f("Wrote the MLflow %s UI (%d files, from %s) to %s/\n", res.MLflowVersion, res.Files, res.Wheel, res.Dir)
	p.f("Fill in %s before serving it: each value names the stack output it comes from.\n", filepath.Join(o.out, uihost.SettingsFile))
	return p.err
}

func writeSite(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, filepath.FromSlash(n))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("the UI build holds a path outside the site: %s", n)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (o *uiBuildOpts) progress(line string) {
	_, _ = fmt.Fprintf(o.g.stderr, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
}
