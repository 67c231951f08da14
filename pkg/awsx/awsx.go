// Package awsx builds the aws.Config every mlflowctl AWS client shares.
package awsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	mlconfig "github.com/mlflowctl/mlflowctl/pkg/config"
)

// Options say which credentials, region and endpoint to use. Empty fields
// fall back to the SDK's default chain (env, shared files, SSO, IMDS).
type Options struct {
	Profile     string
	Region      string
	EndpointURL string
	// Version goes into the user agent as mlflowctl/<version>.
	Version string
	// Log, when set (--verbose), receives the settings in use and every
	// retried AWS call. Requests themselves are never logged: their
	// headers carry session tokens.
	Log io.Writer
	// Notes, when set, receives a line when AWS throttles a call or a
	// call is slow (SlowAfter, default 10 s): the user sees why nothing
	// moves, without --verbose.
	Notes     func(string)
	SlowAfter time.Duration
	// AttemptTimeout bounds the wait for the answer to one attempt
	// (default 30 s); a slower attempt is abandoned and retried.
	AttemptTimeout time.Duration
	// Env, when set, replaces the process's environment variables for the
	// SDK's settings (see Env).
	Env Env
}

// SetupError is a problem the user fixes in their environment (no region,
// no credentials); it maps to exit code 2.
type SetupError struct {
	Problem string
	Fix     string
	Err     error
}

func (e *SetupError) Error() string {
	msg := e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "\n" + e.Fix
}

func (e *SetupError) Unwrap() error { return e.Err }

// ExitCode marks setup problems as bad usage.
func (e *SetupError) ExitCode() int { return 2 }

// credentialTimeout bounds the credential chain: without credentials the
// SDK falls through to the instance metadata service, which can hang.
const credentialTimeout = 10 * time.Second

// Load returns an aws.Config with adaptive retries and the mlflowctl user
// agent, after checking that a region and credentials are available.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	loaders := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = 8 })
			})
		}),
		config.WithAPIOptions([]func(*middleware.Stack) error{
			awsmiddleware.AddUserAgentKeyValue("mlflowctl", version(o.Version)),
			faultMiddleware(o.Notes, orDefault(o.SlowAfter, defaultSlowAfter)),
		}),
		config.WithHTTPClient(httpClient(orDefault(o.AttemptTimeout, defaultAttemptTimeout))),
		// The logger is set before the credential chain is built: the
		// chain's clients (IMDS, SSO, STS) copy it then. The SDK's default
		// writes straight to os.Stderr ("WARN falling back to IMDSv1"),
		// through the wizard's screen; without --verbose nothing of the
		// SDK's own is printed, and its failures come back as errors.
		config.WithLogger(sdkLogger(o.Log)),
		config.WithClientLogMode(0),
	}
	// The options given win over the environment's, so they come after.
	loaders = append(loaders, o.Env.loaders()...)
	if o.Profile != "" {
		loaders = append(loaders, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		loaders = append(loaders, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return aws.Config{}, &SetupError{
			Problem: "cannot load the AWS configuration",
			Fix:     "check --profile (or AWS_PROFILE) names a profile in ~/.aws/config, or run `aws configure`",
			Err:     err,
		}
	}
	if o.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(o.EndpointURL)
	}
	if o.Log != nil {
		cfg.ClientLogMode = aws.LogRetries
		_, _ = fmt.Fprintf(o.Log, "AWS settings: region %q, profile %q, endpoint %s\n", cfg.Region, o.Profile, endpointText(cfg, o))
	}
	if cfg.Region == "" {
		return aws.Config{}, &SetupError{
			Problem: "no AWS region is set",
			Fix:     "pass --region (e.g. --region us-east-1), set AWS_REGION, set region: in mlflowctl.yaml, or add a region to your AWS profile",
		}
	}
	// --region and region: are checked with the configuration; a region
	// from AWS_REGION or the profile is checked here, before any call
	// (China and GovCloud are refused: see config.ValidateRegion).
	if err := mlconfig.ValidateRegion(cfg.Region); err != nil {
		return aws.Config{}, &SetupError{
			Problem: "the AWS region from the SDK's settings (AWS_REGION or the profile's region) cannot be used",
			Fix:     "pass --region us-east-1 (or another commercial region), or set region: in mlflowctl.yaml",
			Err:     err,
		}
	}
	return cfg, checkCredentials(ctx, cfg)
}

// endpointText says where calls go, as --verbose shows it: the endpoint
// and what set it (AWS_ENDPOINT_URL is read by the SDK itself).
func endpointText(cfg aws.Config, o Options) string {
	switch {
	case o.EndpointURL != "":
		return fmt.Sprintf("%q (--endpoint-url)", o.EndpointURL)
	case aws.ToString(cfg.BaseEndpoint) != "":
		return fmt.Sprintf("%q (AWS_ENDPOINT_URL or the profile's endpoint_url)", aws.ToString(cfg.BaseEndpoint))
	}
	return "AWS's own for each service and region"
}

// sdkLogger is where the SDK's own log lines go: --verbose's writer, else
// nowhere.
func sdkLogger(w io.Writer) logging.Logger {
	if w == nil {
		return logging.Nop{}
	}
	return answerLogger{logging.NewStandardLogger(w)}
}

// answerLogger words the retryer's "request failed with unretryable
// error" as what it is: AWS's answer, handed back to mlflowctl, which
// often expects it (a "does not exist" probe means "not deployed").
type answerLogger struct{ logging.Logger }

func (l answerLogger) Logf(c logging.Classification, format string, v ...any) {
	if format == "request failed with unretryable error %v" {
		format = "answer, not retried (mlflowctl decides what it means): %v"
	}
	l.Logger.Logf(c, format, v...)
}

func checkCredentials(ctx context.Context, cfg aws.Config) error {
	ctx, cancel := context.WithTimeout(ctx, credentialTimeout)
	defer cancel()
	if cfg.Credentials == nil {
		return noCredentials(errors.New("no credential provider"))
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return noCredentials(err)
	}
	return nil
}

func noCredentials(err error) error {
	return &SetupError{
		Problem: "no AWS credentials found",
		Fix:     "run `aws sso login --profile <name>` or `aws configure`, pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		Err:     fmt.Errorf("%s", firstLine(err.Error())),
	}
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func version(v string) string {
	if v == "" {
		return "dev"
	}
	return v
}
