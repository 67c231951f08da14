package cli

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

type envOpts struct {
	noAsk
	g           *globalOpts
	sigv4       bool
	token       bool
	shell       string
	trackingURI string
	cfg         config.Config
}

func newEnvCommand(g *globalOpts) *cobra.Command {
	o := &envOpts{g: g}
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the environment for the MLflow client: SigV4 (IAM) or token (mlflowctl login)",
		Long: `Print the exports that point the stock MLflow client at the deployment, and
the pip install line the mode needs (as a comment):

  --sigv4  your AWS credentials sign each request (IAM role or user with
           execute-api:Invoke, e.g. the Studio roles); needs
           requests-auth-aws-sigv4 and boto3 beside mlflow
  --token  the Cognito sign-in of mlflowctl login, on the token path <…>/t;
           MLFLOW_TRACKING_TOKEN is set from mlflowctl token when evaluated

Default: --token when signed in to the deployment, else --sigv4.

  eval "$(mlflowctl env --token)"                      bash, zsh
  mlflowctl env --token --shell fish | source          fish
  mlflowctl env --token --shell powershell | Invoke-Expression`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.sigv4, "sigv4", false, "sign requests with your AWS credentials (IAM)")
	f.BoolVar(&o.token, "token", false, "use the Cognito token of mlflowctl login")
	f.StringVar(&o.shell, "shell", defaultShell(g.env.getenv("SHELL")), "bash, zsh, fish or powershell")
	f.StringVar(&o.trackingURI, "tracking-uri", "", "the deployment's tracking URI (--sigv4 without reading the stacks)")
	return cmd
}

func defaultShell(shellVar string) string {
	if runtime.GOOS == "windows" {
		return "powershell"
	}
	switch sh := filepath.Base(shellVar); sh {
	case "zsh", "fish":
		return sh
	}
	return "bash"
}

func (o *envOpts) Validate() error {
	if o.sigv4 && o.token {
		return usageErrorf("--sigv4 and --token are two modes: choose one")
	}
	switch o.shell {
	case "bash", "zsh", "fish", "powershell":
	default:
		return usageErrorf("--shell %q is not a shell mlflowctl knows: use bash, zsh, fish or powershell", o.shell)
	}
	if u, err := url.Parse(o.trackingURI); o.trackingURI != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		return usageErrorf("--tracking-uri %q is not an https:// URL", o.trackingURI)
	}
	cfg, err := o.g.loadConfig()
	o.cfg = cfg
	return err
}

// clientEnv is what env prints.
type clientEnv struct {
	Mode string `json:"mode"`
	// Env holds the variables with literal values.
	Env map[string]string `json:"env"`
	// TokenCommand prints MLFLOW_TRACKING_TOKEN's value (token mode): the
	// token itself is never printed by env.
	TokenCommand string `json:"tokenCommand,omitempty"`
	Pip          string `json:"pip"`
	order        []string
}

func (o *envOpts) Execute() error {
	mode := "sigv4"
	if o.token || (!o.sigv4 && o.signedIn()) {
		mode = "token"
	}
	var e clientEnv
	var err error
	if mode == "token" {
		e, err = o.tokenEnv()
	} else {
		e, err = o.sigv4Env()
	}
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, e)
	}
	_, err = fmt.Fprint(o.g.stdout, e.render(o.shell))
	return err
}

func (o *envOpts) signedIn() bool {
	st, err := sessionStore(o.g.env)
	if err != nil {
		return false
	}
	_, found, err := st.Load(o.cfg.Name)
	return err == nil && found
}

func (o *envOpts) tokenEnv() (clientEnv, error) {
	sess, err := validSession(o.g, o.cfg.Name)
	if err != nil {
		return clientEnv{}, err
	}
	uri := sess.TrackingURI + stacks.TokenPathPrefix
	return clientEnv{
		Mode:         "token",
		Env:          map[string]string{"MLFLOW_TRACKING_URI": uri},
		TokenCommand: "mlflowctl token" + nameFlag(o.cfg.Name),
		Pip:          "pip install " + mlflowRequirement(sess.MLflowVersion),
		order:        []string{"MLFLOW_TRACKING_URI"},
	}, nil
}

var regionInHost = regexp.MustCompile(`\.execute-api\.([a-z0-9-]+)\.amazonaws\.com`)

func (o *envOpts) sigv4Env() (clientEnv, error) {
	uri, version := strings.TrimSuffix(o.trackingURI, "/"), ""
	if uri == "" {
		outs, err := readAPIOutputs(o.g, o.cfg)
		if err != nil {
			return clientEnv{}, err
		}
		uri = strings.TrimSuffix(outs[stacks.OutRestAPIURL], "/")
		if uri == "" {
			return clientEnv{}, fmt.Errorf("the %s-api stack has no %s output: run mlflowctl up", o.cfg.Name, stacks.OutRestAPIURL)
		}
		version = outs[stacks.OutMLflowVersion]
	}
	e := clientEnv{
		Mode:  "sigv4",
		Env:   map[string]string{"MLFLOW_TRACKING_URI": uri, "MLFLOW_TRACKING_AWS_SIGV4": "true"},
		Pip:   "pip install " + mlflowRequirement(version) + " requests-auth-aws-sigv4 boto3",
		order: []string{"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_AWS_SIGV4"},
	}
	// requests-auth-aws-sigv4 signs for AWS_DEFAULT_REGION (or boto3's
	// region), which must be the API's.
	if m := regionInHost.FindStringSubmatch(uri); m != nil {
		e.Env["AWS_DEFAULT_REGION"] = m[1]
		e.order = append(e.order, "AWS_DEFAULT_REGION")
	}
	return e, nil
}

// mlflowRequirement pins the client to the server's version when known.
func mlflowRequirement(version string) string {
	if version == "" {
		return "mlflow"
	}
	return "'mlflow==" + version + "'"
}

func (e clientEnv) render(shell string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# MLflow client, %s mode. Install once: %s\n", e.Mode, e.Pip)
	for _, k := range e.order {
		b.WriteString(exportLine(shell, k, shellQuote(shell, e.Env[k])))
	}
	if e.TokenCommand != "" {
		sub := "$(" + e.TokenCommand + ")"
		switch shell {
		case "fish", "powershell":
			sub = "(" + e.TokenCommand + ")"
		default:
			sub = `"` + sub + `"`
		}
		fmt.Fprintf(&b, "# The token lasts an hour: evaluate this again (or run `%s`) when it has expired.\n", e.TokenCommand)
		b.WriteString(exportLine(shell, "MLFLOW_TRACKING_TOKEN", sub))
	}
	return b.String()
}

func exportLine(shell, key, value string) string {
	switch shell {
	case "fish":
		return fmt.Sprintf("set -gx %s %s\n", key, value)
	case "powershell":
		return fmt.Sprintf("$env:%s = %s\n", key, value)
	}
	return fmt.Sprintf("export %s=%s\n", key, value)
}

// shellQuote single-quotes a value; the values here are URLs and words,
// but a quote inside is escaped the shell's way all the same.
func shellQuote(shell, v string) string {
	switch shell {
	case "powershell":
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case "fish":
		return "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", `\'`) + "'"
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
