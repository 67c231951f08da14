package uihost

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/templates"
)

// nodeVersions is the Node.js major CodeBuild installs for each MLflow
// major.minor. MLflow vendors Yarn, so only Node follows the version's
// engines: 2.12 declares ^16.18, which current CodeBuild images no longer
// ship, and its CRA 5 + Yarn 3 build runs on 18; 3.10+ declares ^22.
var nodeVersions = map[string]string{
	"2.12.2": "18",
	"3.18.0": "22",
}

// NodeVersion returns the Node.js major used to build the UI of an MLflow version.
func NodeVersion(mlflowVersion string) (string, error) {
	v, ok := nodeVersions[mlflowVersion]
	if !ok {
		return "", fmt.Errorf("no UI build recipe for MLflow %s: use one of %v", mlflowVersion, config.SupportedMLflowVersions)
	}
	return v, nil
}

// Buildspec renders the CodeBuild buildspec that builds the UI of an MLflow version.
func Buildspec(mlflowVersion string) ([]byte, error) {
	node, err := NodeVersion(mlflowVersion)
	if err != nil {
		return nil, err
	}
	tmpl, err := template.ParseFS(templates.FS, "uibuild/buildspec.yaml")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct{ NodeVersion string }{node}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CacheKey is where the built UI of (MLflow version, applied patch series)
// is kept in the assets bucket; a build that exists there is never redone.
func CacheKey(mlflowVersion, patchHash string) string {
	return fmt.Sprintf("ui/builds/%s/%s.zip", mlflowVersion, patchHash)
}

// SourceKey is where the patched UI sources are uploaded for a build.
func SourceKey(mlflowVersion, patchHash string) string {
	return fmt.Sprintf("ui/sources/%s/%s.zip", mlflowVersion, patchHash)
}
