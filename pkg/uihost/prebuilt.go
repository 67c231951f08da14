package uihost

import (
	"context"
	"errors"
	"fmt"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/patch"
	"github.com/mlflowctl/mlflowctl/pkg/plural"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// The two ways the UI is made.
const (
	// PathPrebuilt takes the UI the mlflow wheel ships and adds the
	// patches' public/ files and head tags: seconds, no build.
	PathPrebuilt = "prebuilt"
	// PathSource clones MLflow, applies the patches and rebuilds the UI in
	// CodeBuild: for patches that change the UI's code.
	PathSource = "source"
)

// Choice is which path makes the UI, and why.
type Choice struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// Insertion is what the patches add to the released build (prebuilt).
	Insertion patch.BuildInsertion `json:"-"`
}

// String is the plan's line.
func (c Choice) String() string { return c.Path + ": " + c.Reason }

// Choose picks the path for cfg: prebuilt unless ui.build is source or a
// patch of the series changes something a released build cannot carry.
func Choose(cfg config.Config) (Choice, error) {
	if cfg.UI.Build == config.UIBuildSource {
		return Choice{Path: PathSource, Reason: "ui.build is source: clone MLflow " + cfg.MLflowVersion + ", apply the patches and rebuild the UI in CodeBuild"}, nil
	}
	series, err := patch.FullSeries(cfg.UI.Patches)
	if err != nil {
		return Choice{}, err
	}
	ins, err := patch.DeriveInsertion(series)
	var sourceOnly *patch.SourceOnlyError
	if errors.As(err, &sourceOnly) {
		return Choice{Path: PathSource, Reason: sourceOnly.Error() + ": the UI is rebuilt from patched sources in CodeBuild"}, nil
	}
	if err != nil {
		return Choice{}, err
	}
	return Choice{Path: PathPrebuilt, Insertion: ins,
		Reason: fmt.Sprintf("the released MLflow %s UI from the mlflow wheel, with %s added in place, all under %s (no build)",
			cfg.MLflowVersion, plural.Count(len(series), "patch file"), patch.PublicDir)}, nil
}

// PrebuiltFiles returns the released UI of the wheel with ins applied.
func PrebuiltFiles(wheel []byte, ins patch.BuildInsertion) (map[string][]byte, error) {
	files, err := WheelUI(wheel)
	if err != nil {
		return nil, err
	}
	if err := ins.ApplyToBuild(files); err != nil {
		return nil, err
	}
	return files, nil
}

// PrebuiltInput says what to publish by the prebuilt path.
type PrebuiltInput struct {
	MLflowVersion string
	Insertion     patch.BuildInsertion
	Wheels        Wheels
	AppID         string
	Branch        string
	Settings      patch.LoginSettings
}

// PublishPrebuilt fetches the wheel (or takes it from a cache), patches
// its UI in place, adds the settings and deploys the site to Amplify. It
// starts no build.
func (p Publisher) PublishPrebuilt(ctx context.Context, in PrebuiltInput) (Result, error) {
	res := Result{Path: PathPrebuilt, URL: in.Settings.RedirectURI}
	settings, err := in.Settings.JSON()
	if err != nil {
		return res, err
	}
	wheel, f, err := in.Wheels.Fetch(ctx, in.MLflowVersion)
	if err != nil {
		return res, err
	}
	res.Wheel = f.Name + " sha256:" + f.SHA256
	files, err := PrebuiltFiles(wheel, in.Insertion)
	if err != nil {
		return res, err
	}
	files[SettingsFile] = settings
	site, err := DeterministicZip(files)
	if err != nil {
		return res, err
	}
	p.say("Deploying the MLflow %s UI (%d files, %d KiB) to Amplify app %s, branch %s", in.MLflowVersion, len(files), len(site)/1024, in.AppID, in.Branch)
	res.JobID, err = p.Amplify.Deploy(ctx, in.AppID, in.Branch, site)
	return res, err
}

// PlaceholderSettings is the mlflowctl-auth.json `ui build` writes when no
// deployment is at hand: each value names what fills it. Sign-in cannot
// work until it is replaced.
func PlaceholderSettings(deployment, tokenUse string) []byte {
	api := deployment + "-" + stacks.API
	return []byte(`{
  "_comment": "Placeholder written by mlflowctl ui build. Replace each value, or run mlflowctl ui deploy, which writes this file from the stack outputs named here.",
  "region": "<the deployment's AWS region>",
  "userPoolId": "<output ` + stacks.OutUserPoolID + ` of stack ` + api + `>",
  "clientId": "<output ` + stacks.OutUserPoolClientID + ` of stack ` + api + `>",
  "domain": "<output ` + stacks.OutCognitoDomain + ` of stack ` + api + `>",
  "redirectUri": "<output ` + stacks.OutUIURL + ` of stack ` + api + `, ending in />",
  "logoutUri": "<output ` + stacks.OutUIURL + ` of stack ` + api + `, ending in />",
  "tokenUse": "` + tokenUse + `"
}
`)
}
