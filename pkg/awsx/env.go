package awsx

import (
	"cmp"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Env stands in for the process's environment variables when the SDK's
// settings are loaded (nil: the process's, as the SDK reads them itself).
// The SDK has no switch to read variables from elsewhere, so a set Env is
// turned into explicit load options, which win over what the SDK reads:
// static credentials, the region, the profile, AWS_ENDPOINT_URL, the shared files
// (os.DevNull when unset) and the instance metadata service. The CLI's
// tests use it to run in parallel without t.Setenv.
type Env map[string]string

// loaders are the explicit load options standing in for e.
func (e Env) loaders() []func(*config.LoadOptions) error {
	if e == nil {
		return nil
	}
	out := []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles([]string{cmp.Or(e["AWS_CONFIG_FILE"], os.DevNull)}),
		config.WithSharedCredentialsFiles([]string{cmp.Or(e["AWS_SHARED_CREDENTIALS_FILE"], os.DevNull)}),
	}
	if e["AWS_ACCESS_KEY_ID"] != "" {
		out = append(out, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"], e["AWS_SESSION_TOKEN"])))
	}
	if r := e["AWS_REGION"]; r != "" {
		out = append(out, config.WithRegion(r))
	}
	if p := e["AWS_PROFILE"]; p != "" {
		out = append(out, config.WithSharedConfigProfile(p))
	}
	if ep := e["AWS_ENDPOINT_URL"]; ep != "" {
		out = append(out, config.WithBaseEndpoint(ep))
	}
	if e["AWS_EC2_METADATA_DISABLED"] == "true" {
		out = append(out, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	return out
}

// getenv reads name from e, or from the process when e is nil.
func (e Env) getenv(name string) string {
	if e == nil {
		return os.Getenv(name)
	}
	return e[name]
}
