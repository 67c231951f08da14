// Package cli holds mlflowctl's commands: one file per command, each an opts
// struct run as Validate → Ask → Execute. It holds no AWS logic.
package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// BuildInfo is stamped into the binary by the linker.
type BuildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
}

// globalOpts are the flags every command shares, and the process's streams.
type globalOpts struct {
	configPath  string
	name        string
	profile     string
	region      string
	endpointURL string
	output      string
	yes         bool
	verbose     bool
	noColor     bool

	build  BuildInfo
	ctx    context.Context
	flags  *pflag.FlagSet
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// mark records that the command began changing AWS (exitcode.go).
	mark *changeMark
	// env is what commands take from outside besides flags and streams;
	// each command copies what it uses into its own opts.
	env environment
}

// IO are the streams a command reads and writes.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// Execute runs mlflowctl with args. Errors raised before any command code
// runs (unknown flags or commands, wrong arguments) are usage errors.
func Execute(ctx context.Context, build BuildInfo, args []string, streams IO) error {
	return execute(ctx, build, args, streams, environment{})
}

// execute is Execute with the environment given: tests pass stand-ins for
// AWS and for the process's signals there (env.go).
func execute(ctx context.Context, build BuildInfo, args []string, streams IO, env environment) error {
	stdout := &stdoutWriter{w: streams.Out}
	g := &globalOpts{build: build, ctx: ctx, stdin: streams.In, stdout: stdout, stderr: streams.Err, mark: &changeMark{}, env: env}
	root := newRootCommand(g)
	friendlyArgs(root)
	if err := unknownSubcommand(root, args); err != nil {
		return withOutput(g.output, stdout, err)
	}
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	started := false
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		started = true
		return g.validate()
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !started {
		if _, ok := err.(interface{ ExitCode() int }); !ok {
			return &UsageError{Msg: err.Error() + "\n" + helpLine(cmd)}
		}
	}
	return withOutput(g.output, stdout, settle(g.mark, err))
}

func newRootCommand(g *globalOpts) *cobra.Command {
	root := &cobra.Command{
		Use:   "mlflowctl",
		Short: "Run a secure, self-hosted MLflow on AWS",
		Long: `mlflowctl deploys and runs an MLflow platform on AWS: the tracking server on
ECS Fargate with Aurora and S3, an API Gateway with Cognito login for people
and IAM auth for SageMaker roles, a patched MLflow UI on Amplify, and
SageMaker Studio users whose rights match their Cognito groups.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       g.build.Version,
	}
	root.SetVersionTemplate("mlflowctl {{.Version}}\n")
	g.flags = root.PersistentFlags()
	f := g.flags
	f.StringVar(&g.configPath, "config", g.envOr("MLFLOWCTL_CONFIG", "mlflowctl.yaml"), "configuration file")
	f.StringVar(&g.name, "name", "", "deployment name (default from the config file, else \"mlflow\")")
	f.StringVar(&g.profile, "profile", "", "AWS profile (default: the SDK's chain, e.g. AWS_PROFILE)")
	f.StringVar(&g.region, "region", "", "AWS region (default: config file, AWS_REGION or the profile's region)")
	f.StringVar(&g.endpointURL, "endpoint-url", g.env.getenv("MLFLOWCTL_ENDPOINT_URL"), "one base URL for every AWS client (AWS-compatible endpoints, emulators)")
	f.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	f.BoolVarP(&g.yes, "yes", "y", false, "answer yes to every confirmation")
	f.BoolVarP(&g.verbose, "verbose", "v", false, "log more detail to stderr (AWS settings in use, retried calls, command steps)")
	f.BoolVar(&g.noColor, "no-color", g.env.getenv("NO_COLOR") != "", "no colour in the output (also NO_COLOR)")

	root.AddCommand(
		newVersionCommand(g),
		newCompletionCommand(),
		newWhoamiCommand(g),
		newConfigCommand(g),
		newInitCommand(g),
		newDownCommand(g),
		newUsersCommand(g),
		newDoctorCommand(g),
		newUpCommand(g),
		newStatusCommand(g),
		newVerifyCommand(g),
		newAuthzCommand(g),
		newPushContainerCommand(g),
		newUICommand(g),
		newLoginCommand(g),
		newLogoutCommand(g),
		newTokenCommand(g),
		newEnvCommand(g),
		newBackupCommand(g),
		newBackupsCommand(g),
		newRollbackCommand(g),
		newLogsCommand(g),
	)
	root.RunE = runBare(g)
	applyHelp(root)
	return root
}

func (g *globalOpts) validate() error {
	if g.output != "text" && g.output != "json" {
		return usageErrorf("--output %q is not a format: use text or json", g.output)
	}
	if g.flags.Changed("name") {
		if err := config.ValidateName(g.name); err != nil {
			return usageErrorf("--name: %v", err)
		}
	}
	if g.flags.Changed("region") {
		if err := config.ValidateRegion(g.region); err != nil {
			return usageErrorf("--region: %v", err)
		}
	}
	return g.validateEndpointURL()
}

// validateEndpointURL refuses a malformed endpoint before any call: the
// SDK would try it through every retry and fail with
// `unsupported protocol scheme ""`.
func (g *globalOpts) validateEndpointURL() error {
	source := "--endpoint-url"
	if !g.flags.Changed("endpoint-url") {
		source = "MLFLOWCTL_ENDPOINT_URL"
	}
	if g.endpointURL == "" {
		return nil
	}
	u, err := url.Parse(g.endpointURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return usageErrorf("%s %q is not an endpoint URL: give its scheme and host, e.g. http://127.0.0.1:5000 or https://cloudformation.example.com", source, g.endpointURL)
	}
	return nil
}

func (g *globalOpts) jsonOutput() bool { return g.output == "json" }

// loadConfig reads the configuration with the global flags on top. It
// does not validate; callers decide whether a bad config stops them.
func (g *globalOpts) loadConfig() (config.Config, error) {
	return config.Load(g.loadOptions())
}

func (g *globalOpts) loadOptions() config.LoadOptions {
	overrides := map[string]any{}
	for flag, key := range map[string]string{"name": "name", "region": "region", "profile": "profile"} {
		if g.flags.Changed(flag) {
			val, _ := g.flags.GetString(flag)
			overrides[key] = val
		}
	}
	required := g.flags.Changed("config") || g.env.getenv("MLFLOWCTL_CONFIG") != ""
	return config.LoadOptions{Path: g.configPath, Required: required, Overrides: overrides, Dir: g.env.dir, Env: g.env.vars}
}

// validConfig loads and validates the configuration.
func (g *globalOpts) validConfig() (config.Config, error) {
	return config.LoadValid(g.loadOptions())
}

// clients loads the AWS configuration for cfg and returns the command's
// clients: the one place they are built, with the one emulator setting
// (derived from --endpoint-url; --verbose shows it).
func (g *globalOpts) clients(cfg config.Config) (*awsx.Clients, error) {
	awsCfg, err := awsx.Load(g.ctx, g.awsOptions(cfg))
	if err != nil {
		return nil, err
	}
	em := awsx.EmulatorFor(g.endpointURL)
	if g.verbose {
		setting := em.String()
		if ep := awsCfg.BaseEndpoint; !em.On() && ep != nil && *ep != "" {
			// AWS_ENDPOINT_URL sends the calls elsewhere, without the
			// emulator's behaviours; "AWS endpoints" would be wrong.
			setting = fmt.Sprintf("off (calls go to %s as set outside mlflowctl; --endpoint-url turns the emulator setting on)", *ep)
		}
		_, _ = fmt.Fprintf(g.stderr, "emulator setting: %s\n", setting)
	}
	return awsx.NewClients(awsCfg, em), nil
}

// awsOptions are the AWS access settings for a configuration.
func (g *globalOpts) awsOptions(cfg config.Config) awsx.Options {
	o := awsx.Options{Profile: cfg.Profile, Region: cfg.Region, EndpointURL: g.endpointURL, Version: g.build.Version, Env: g.env.vars,
		Notes: func(line string) { _, _ = fmt.Fprintf(g.stderr, "note: %s\n", line) }}
	if g.verbose {
		o.Log = g.stderr
	}
	return o
}

func (g *globalOpts) envOr(key, fallback string) string {
	if v := g.env.getenv(key); v != "" {
		return v
	}
	return fallback
}
