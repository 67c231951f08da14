// Package build builds mlflowctl's container images (tracking server, AI
// gateway, pyfunc serving image) from embedded Dockerfile templates, in AWS
// CodeBuild by default or with a local Docker daemon when one answers, and
// pushes them to ECR under content-hash tags.
//
// # The CodeBuild project the bootstrap stack must provide
//
// The builder starts the project named by the bootstrap output
// CodeBuildProjectName and overrides, on every StartBuild:
//   - source: type S3, location <AssetsBucketName>/builds/<kind>/<tag>.zip
//     (the context zip: Dockerfile plus the files it copies);
//   - buildspec: templates/docker/buildspec.yml, sent inline;
//   - environment type and image: LINUX_CONTAINER with
//     aws/codebuild/amazonlinux2-x86_64-standard:5.0 for linux/amd64,
//     ARM_CONTAINER with aws/codebuild/amazonlinux2-aarch64-standard:3.0 for
//     linux/arm64 (native builds, no emulation);
//   - privileged mode: true (docker build needs it);
//   - environment variables (PLAINTEXT): IMAGE_REPOSITORY_URI, IMAGE_TAGS,
//     DOCKERFILE, PLATFORM.
//
// So the project itself needs: any source (NO_SOURCE with a placeholder
// buildspec is fine, every build overrides it), artifacts NO_ARTIFACTS,
// environment LINUX_CONTAINER / BUILD_GENERAL1_MEDIUM /
// aws/codebuild/amazonlinux2-x86_64-standard:5.0 / PrivilegedMode true,
// LogsConfig.CloudWatchLogs ENABLED (a log group with retention; the builder
// reads the group and stream the build reports), a timeout of about 60
// minutes. Its service role needs:
//   - ecr:GetAuthorizationToken on *;
//   - ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload,
//     ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage,
//     ecr:BatchGetImage, ecr:GetDownloadUrlForLayer on the server, gateway
//     and pyfunc repositories (push-container --repository names others:
//     arn:aws:ecr:<region>:<account>:repository/mlflow-* covers them);
//   - s3:GetObject and s3:GetObjectVersion on <assets bucket>/builds/*;
//   - logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents on the
//     build log group.
//
// # What the server stack's task definitions must set
//
// Tracking server container (port 5000; images from EnsureServerImages):
//   - secrets: DB_SECRET = the whole RDS-managed secret (valueFrom: the
//     secret ARN, no JSON key), so the JSON {"username","password"} arrives
//     at run time; the execution role needs secretsmanager:GetSecretValue
//     on it (and kms:Decrypt if a customer key encrypts it);
//   - environment: DB_HOST (cluster endpoint), DB_PORT (5432), DB_NAME,
//     ARTIFACT_ROOT (s3://<artifact bucket>/<prefix>), WORKERS;
//     MLflow >= 3.5: ALLOWED_HOSTS (the API Gateway host, the NLB DNS name,
//     the Cloud Map name; each also matches with a port, localhost is
//     added) and CORS_ALLOWED_ORIGINS (https://<UI host>);
//     MLflow 2.x with the gateway: MLFLOW_DEPLOYMENTS_TARGET
//     (http://<gateway host>:5001) for the UI's gateway-proxy route;
//     MLflow 3.x with the gateway: optional MLFLOW_CRYPTO_KEK_PASSPHRASE (a
//     secret) for the AI gateway's secret store; the task role needs
//     bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream;
//   - healthCheck: CMD python /opt/mlflowctl/healthcheck.py (GET /health;
//     ECS ignores the image's HEALTHCHECK), startPeriod >= 120 s because the
//     entrypoint runs `mlflow db upgrade` first.
//
// Gateway container (MLflow 2.x only, port 5001): environment PORT,
// WORKERS; the task role needs the two Bedrock actions; health check
// CMD python /opt/mlflowctl/healthcheck.py.
//
// The operator running mlflowctl needs s3:PutObject on the assets bucket,
// codebuild:StartBuild and codebuild:BatchGetBuilds on the project,
// logs:GetLogEvents on its log group, and ECR DescribeImages, BatchGetImage,
// PutImage, CreateRepository, PutImageScanningConfiguration,
// PutLifecyclePolicy, DescribeRepositories.
package build

import (
	"context"
	"fmt"
	"strings"
)

// Request is one image to build and push.
type Request struct {
	Image Image
	// RepositoryURI is <registry>/<repository>, without a tag.
	RepositoryURI string
	// ExtraTags are pushed besides Image.Tag() (e.g. the MLflow version).
	ExtraTags []string
}

// Tags are the content-hash tag first, then the extra tags.
func (r Request) Tags() []string {
	tags := []string{r.Image.Tag()}
	for _, t := range r.ExtraTags {
		if t != "" && t != tags[0] {
			tags = append(tags, t)
		}
	}
	return tags
}

// Result is a pushed image.
type Result struct {
	// URI is <repository URI>:<content-hash tag>.
	URI    string `json:"uri"`
	Digest string `json:"digest,omitempty"`
	// Built is false when ECR already had the tag.
	Built bool `json:"built"`
}

// Progress receives one line of build output or status at a time.
type Progress func(line string)

// Builder builds req's image, pushes it with every tag, and returns it.
type Builder interface {
	Name() string
	Build(ctx context.Context, req Request, progress Progress) (Result, error)
}

// BuildError is a build that failed: the phase it failed in and the last
// lines of its log.
type BuildError struct {
	Builder string
	ID      string
	Status  string
	Phase   string
	Reason  string
	Lines   []string
}

func (e *BuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s build %s %s", e.Builder, e.ID, strings.ToLower(e.Status))
	if e.Phase != "" {
		fmt.Fprintf(&b, " in phase %s", e.Phase)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	if len(e.Lines) > 0 {
		b.WriteString("\nlast log lines:\n  " + strings.Join(e.Lines, "\n  "))
	}
	return b.String()
}

func quiet(p Progress) Progress {
	if p == nil {
		return func(string) {}
	}
	return p
}
