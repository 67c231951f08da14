package stacks

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/mlflowctl/mlflowctl/templates"
)

// MaxLifecycleContent is the longest StudioLifecycleConfigContent (the
// base64 of the script) SageMaker accepts.
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateStudioLifecycleConfig.html
const MaxLifecycleContent = 16384

// LifecycleScript is the JupyterLab lifecycle configuration of the
// deployment's user profiles (templates/studio/README.md), with the
// bundled requests-auth-aws-sigv4 in place. Its ${RestApiId},
// ${AWS::Region} and ${AWS::URLSuffix} are left to CloudFormation's
// Fn::Sub.
func LifecycleScript() (string, error) {
	script, err := templates.FS.ReadFile("studio/lifecycle.sh")
	if err != nil {
		return "", err
	}
	module, err := templates.FS.ReadFile("studio/requests_auth_aws_sigv4.py")
	if err != nil {
		return "", err
	}
	var gz bytes.Buffer
	w, err := gzip.NewWriterLevel(&gz, gzip.BestCompression) // no name, no time: same bytes every render
	if err != nil {
		return "", err
	}
	if _, err := w.Write(module); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	out := strings.Replace(string(script), "__SIGV4_MODULE__", base64.StdEncoding.EncodeToString(gz.Bytes()), 1)
	if strings.Count(out, "${") != 4 {
		return "", fmt.Errorf("studio/lifecycle.sh: only ${RestApiId}, ${AWS::Region} and ${AWS::URLSuffix} may use ${...} (Fn::Sub resolves them)")
	}
	return out, nil
}
