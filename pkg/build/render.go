package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/templates"
)

// Kind is one of the images mlflowctl builds.
type Kind string

const (
	// Server is the MLflow tracking server.
	Server Kind = "server"
	// Gateway is the separate AI gateway of MLflow 2.x.
	Gateway Kind = "gateway"
	// Pyfunc is the SageMaker serving image (`push-container`).
	Pyfunc Kind = "pyfunc"
)

// Platforms the builders accept.
const (
	PlatformAMD64 = "linux/amd64"
	PlatformARM64 = "linux/arm64"
)

// DockerfileName is the Dockerfile's name inside every build context.
const DockerfileName = "Dockerfile"

// versionSpec pins what each supported MLflow version's images are built
// from, so one MLflow version always yields the same Dockerfiles.
type versionSpec struct {
	Python     string // server and gateway base image (python:<v>-slim-bookworm)
	Ubuntu     string // pyfunc base image
	Virtualenv string
	Gunicorn   string // the pyfunc scoring server's, within MLflow's bound
	Pyenv      string
	// PyfuncEnv are extra ENV lines of the serving image for this version.
	PyfuncEnv []string
	// Pins hold back dependencies of the pyfunc image newer releases of
	// which break this MLflow version (pip would take the newest its
	// bounds allow). The server and gateway images install the version's
	// lock file instead (requirements/mlflow-<version>.txt).
	Pins string
}

var versionSpecs = map[string]versionSpec{
	"2.12.2": {
		Python: "3.11", Ubuntu: "22.04",
		Virtualenv: "20.26.6", Gunicorn: "22.0.0", Pyenv: "v2.5.0",
		// Up to 2.20 the scoring server is gunicorn; MLflow's image sets this.
		PyfuncEnv: []string{`GUNICORN_CMD_ARGS="--timeout 60 -k gevent"`},
		// SQLAlchemy 2.1 dropped FallbackAsyncAdaptedQueuePool, which
		// mlflow.store.db.utils 2.12.2 imports (seen with the real package).
		Pins: ` "sqlalchemy==2.0.36"`,
	},
	"3.18.0": {
		Python: "3.12", Ubuntu: "22.04",
		Virtualenv: "20.26.6", Gunicorn: "23.0.0", Pyenv: "v2.5.0",
	},
}

// Image is a rendered build context: the Dockerfile and every file it
// copies, for one MLflow version and platform.
type Image struct {
	Kind          Kind
	MLflowVersion string
	Platform      string
	Files         map[string][]byte
}

// Dockerfile is the rendered Dockerfile.
func (im Image) Dockerfile() []byte { return im.Files[DockerfileName] }

// Tag is a content hash of the Dockerfile, the context, the MLflow version
// and the platform, readable as <version>-<arch>-<hash>: equal inputs give
// the same tag, so an image already in ECR is never rebuilt.
func (im Image) Tag() string {
	h := sha256.New()
	_, _ = fmt.Fprintf(h, "kind=%s\nmlflow=%s\nplatform=%s\n", im.Kind, im.MLflowVersion, im.Platform)
	for _, name := range im.names() {
		_, _ = fmt.Fprintf(h, "%s\x00%d\x00", name, len(im.Files[name]))
		h.Write(im.Files[name])
	}
	return fmt.Sprintf("%s-%s-%s", im.MLflowVersion, path.Base(im.Platform), hex.EncodeToString(h.Sum(nil))[:16])
}

func (im Image) names() []string {
	names := make([]string, 0, len(im.Files))
	for n := range im.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UsageError is a configuration that cannot be built; exit code 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ExitCode marks bad input.
func (e *UsageError) ExitCode() int { return 2 }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// PlatformFor maps a Fargate architecture (x86_64, arm64) to a platform.
func PlatformFor(architecture string) string {
	if architecture == "arm64" {
		return PlatformARM64
	}
	return PlatformAMD64
}

// ValidatePlatform accepts linux/amd64 and linux/arm64.
func ValidatePlatform(p string) error {
	if p != PlatformAMD64 && p != PlatformARM64 {
		return usageErrorf("platform %q is not supported: use %s or %s", p, PlatformAMD64, PlatformARM64)
	}
	return nil
}

func spec(version string) (versionSpec, error) {
	s, ok := versionSpecs[version]
	if !ok {
		return s, usageErrorf("MLflow %q has no image templates: use one of %s", version, strings.Join(config.SupportedMLflowVersions, ", "))
	}
	return s, nil
}

// RenderServer renders the tracking server image. On MLflow 3.x with the
// gateway enabled it carries the endpoints the entrypoint creates in the
// server's built-in AI gateway (Bedrock in region unless gateway.bedrockRegion).
func RenderServer(cfg config.Config, region, platform string) (Image, error) {
	s, err := spec(cfg.MLflowVersion)
	if err != nil {
		return Image{}, err
	}
	files, err := lockFile(cfg.MLflowVersion)
	if err != nil {
		return Image{}, err
	}
	data := map[string]any{"MLflowVersion": cfg.MLflowVersion, "Python": s.Python, "GatewayConfig": false}
	if cfg.Gateway.Enabled && config.Major(cfg.MLflowVersion) >= 3 {
		gw, err := gatewayJSON(cfg, region)
		if err != nil {
			return Image{}, err
		}
		files["gateway.json"] = gw
		data["GatewayConfig"] = true
	}
	return render(Server, cfg.MLflowVersion, platform, data, files, ServerScripts...)
}

// ServerScripts are the files of templates/docker/server the server image
// copies to /opt/mlflowctl: the tests run these same files.
var ServerScripts = []string{"entrypoint.py", "migrate.py", "healthcheck.py", "site/sitecustomize.py"}

// LockPath is the hash-locked requirements file of an MLflow version: the
// server and gateway images install it, CI builds its venvs from it.
func LockPath(version string) string {
	return "docker/requirements/mlflow-" + version + ".txt"
}

// lockFile is the build context's requirements.txt: the version's lock.
func lockFile(version string) (map[string][]byte, error) {
	b, err := fs.ReadFile(templates.FS, LockPath(version))
	if err != nil {
		return nil, usageErrorf("MLflow %s has no lock file (templates/%s): run scripts/lock-mlflow.sh %s", version, LockPath(version), version)
	}
	return map[string][]byte{"requirements.txt": b}, nil
}

// RenderGateway renders the MLflow 2.x AI gateway image with its endpoint
// file rendered from gateway.endpoints.
func RenderGateway(cfg config.Config, region, platform string) (Image, error) {
	s, err := spec(cfg.MLflowVersion)
	if err != nil {
		return Image{}, err
	}
	if !cfg.UsesSeparateGateway() {
		return Image{}, usageErrorf("gateway: MLflow %s has no separate gateway service (gateway.enabled=%t)", cfg.MLflowVersion, cfg.Gateway.Enabled)
	}
	gw, err := gatewayYAML(cfg, region)
	if err != nil {
		return Image{}, err
	}
	files, err := lockFile(cfg.MLflowVersion)
	if err != nil {
		return Image{}, err
	}
	files["gateway.yaml"] = gw
	data := map[string]any{"MLflowVersion": cfg.MLflowVersion, "Python": s.Python}
	return render(Gateway, cfg.MLflowVersion, platform, data, files, "entrypoint.py", "healthcheck.py")
}

// RenderPyfunc renders the SageMaker serving image for an MLflow version.
func RenderPyfunc(version, platform string) (Image, error) {
	s, err := spec(version)
	if err != nil {
		return Image{}, err
	}
	data := map[string]any{
		"MLflowVersion": version, "Ubuntu": s.Ubuntu, "Pyenv": s.Pyenv,
		"Virtualenv": s.Virtualenv, "Gunicorn": s.Gunicorn, "ExtraEnv": s.PyfuncEnv, "Pins": s.Pins,
	}
	return render(Pyfunc, version, platform, data, map[string][]byte{}, "serve.py")
}

func render(kind Kind, version, platform string, data map[string]any, files map[string][]byte, copied ...string) (Image, error) {
	if err := ValidatePlatform(platform); err != nil {
		return Image{}, err
	}
	dir := "docker/" + string(kind)
	tmpl, err := template.New(DockerfileName).Option("missingkey=error").ParseFS(templates.FS, dir+"/Dockerfile.tmpl")
	if err != nil {
		return Image{}, err
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "Dockerfile.tmpl", data); err != nil {
		return Image{}, fmt.Errorf("render %s Dockerfile: %w", kind, err)
	}
	files[DockerfileName] = buf.Bytes()
	for _, name := range copied {
		b, err := fs.ReadFile(templates.FS, dir+"/"+name)
		if err != nil {
			return Image{}, err
		}
		files[name] = b
	}
	return Image{Kind: kind, MLflowVersion: version, Platform: platform, Files: files}, nil
}

// Buildspec is the CodeBuild buildspec every image build runs.
func Buildspec() (string, error) {
	b, err := fs.ReadFile(templates.FS, "docker/buildspec.yml")
	return string(b), err
}

func bedrockRegion(cfg config.Config, region string) (string, error) {
	if cfg.Gateway.BedrockRegion != "" {
		return cfg.Gateway.BedrockRegion, nil
	}
	if region == "" {
		return "", usageErrorf("gateway.bedrockRegion: no deployment region to default to: set region or gateway.bedrockRegion")
	}
	return region, nil
}

// gatewayYAML is the endpoint file of `mlflow deployments start-server`
// (MLflow 2.x). Bedrock is reached with the task role: no key in the file.
func gatewayYAML(cfg config.Config, region string) ([]byte, error) {
	r, err := bedrockRegion(cfg, region)
	if err != nil {
		return nil, err
	}
	if err := check2xEndpoints(cfg); err != nil {
		return nil, err
	}
	type awsConfig struct {
		AWSRegion string `yaml:"aws_region"`
	}
	type modelConfig struct {
		AWSConfig awsConfig `yaml:"aws_config"`
	}
	type model struct {
		Provider string      `yaml:"provider"`
		Name     string      `yaml:"name"`
		Config   modelConfig `yaml:"config"`
	}
	type endpoint struct {
		Name         string `yaml:"name"`
		EndpointType string `yaml:"endpoint_type"`
		Model        model  `yaml:"model"`
	}
	doc := struct {
		Endpoints []endpoint `yaml:"endpoints"`
	}{Endpoints: []endpoint{}}
	for _, e := range cfg.Gateway.Endpoints {
		doc.Endpoints = append(doc.Endpoints, endpoint{Name: e.Name, EndpointType: e.Type,
			Model: model{Provider: "bedrock", Name: e.Model, Config: modelConfig{AWSConfig: awsConfig{AWSRegion: r}}}})
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// bedrock2x are the endpoint types MLflow 2.12's Bedrock provider serves:
// its chat and embeddings methods raise NotImplementedError.
var bedrock2x = map[string]bool{"llm/v1/completions": true}

func check2xEndpoints(cfg config.Config) error {
	for i, e := range cfg.Gateway.Endpoints {
		if !bedrock2x[e.Type] {
			return usageErrorf("gateway.endpoints[%d].type: MLflow %s's Bedrock provider serves only llm/v1/completions, not %q: change the type, remove the endpoint, set gateway.enabled: false, or use mlflowVersion %s",
				i, cfg.MLflowVersion, e.Type, config.DefaultMLflowVersion)
		}
	}
	return nil
}

// gatewayJSON lists the endpoints the MLflow 3.x server entrypoint creates
// in its built-in AI gateway.
func gatewayJSON(cfg config.Config, region string) ([]byte, error) {
	r, err := bedrockRegion(cfg, region)
	if err != nil {
		return nil, err
	}
	type endpoint struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Model string `json:"model"`
	}
	doc := struct {
		BedrockRegion string     `json:"bedrockRegion"`
		Endpoints     []endpoint `json:"endpoints"`
	}{BedrockRegion: r, Endpoints: []endpoint{}}
	for _, e := range cfg.Gateway.Endpoints {
		doc.Endpoints = append(doc.Endpoints, endpoint(e))
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n'), err
}

// MissingOutputsError is a bootstrap stack without the outputs a build
// needs. Outside up (push-container) the stack is missing: bad input,
// exit 2, and `mlflowctl up` creates it. Inside up the stack was deployed
// moments ago, so neither holds: exit 1, and the stack's outputs are
// what to look at (an AWS-compatible endpoint may not return them).
type MissingOutputsError struct {
	Outputs []string
	InUp    bool
}

func (e *MissingOutputsError) Error() string {
	names := strings.Join(e.Outputs, "/")
	if !e.InUp {
		return "the bootstrap stack has no " + names + " output: run `mlflowctl up` to create it"
	}
	return "the bootstrap stack this run deployed reports no " + names + " output, which its template declares: " +
		"read its outputs with `aws cloudformation describe-stacks --stack-name <name>-bootstrap`; " +
		"an AWS-compatible endpoint (--endpoint-url) may not return stack outputs"
}

// ExitCode is 2 only outside up, before any change.
func (e *MissingOutputsError) ExitCode() int {
	if e.InUp {
		return 1
	}
	return 2
}
