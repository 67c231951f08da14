package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API uploads build contexts.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// CodeBuildAPI starts builds and reads their status.
type CodeBuildAPI interface {
	StartBuild(ctx context.Context, in *codebuild.StartBuildInput, optFns ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error)
	BatchGetBuilds(ctx context.Context, in *codebuild.BatchGetBuildsInput, optFns ...func(*codebuild.Options)) (*codebuild.BatchGetBuildsOutput, error)
}

// LogsAPI reads build logs.
type LogsAPI interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// DigestMarker starts the buildspec's last line: the pushed digest.
const DigestMarker = "MLFLOWCTL_IMAGE_DIGEST="

// lastLines is how many log lines a failed build reports.
const lastLines = 20

// Build environments per platform: native hosts, so no emulation.
var codeBuildEnvironments = map[string]struct {
	Type  cbtypes.EnvironmentType
	Image string
}{
	PlatformAMD64: {cbtypes.EnvironmentTypeLinuxContainer, "aws/codebuild/amazonlinux2-x86_64-standard:5.0"},
	PlatformARM64: {cbtypes.EnvironmentTypeArmContainer, "aws/codebuild/amazonlinux2-aarch64-standard:3.0"},
}

// CodeBuild builds images in the bootstrap stack's CodeBuild project.
type CodeBuild struct {
	S3        S3API
	CodeBuild CodeBuildAPI
	Logs      LogsAPI
	Bucket    string
	Project   string
	// Poll is the interval between status and log reads (default 5 s).
	Poll time.Duration
	// TailLines is how many log lines a failed build reports (default 20).
	TailLines int
}

// Name is "codebuild".
func (c *CodeBuild) Name() string { return "codebuild" }

// Build uploads the context, starts the build and follows it to the end.
func (c *CodeBuild) Build(ctx context.Context, req Request, progress Progress) (Result, error) {
	id, err := c.Start(ctx, req, progress)
	if err != nil {
		return Result{}, err
	}
	digest, err := c.Wait(ctx, id, progress)
	if err != nil {
		return Result{}, err
	}
	return Result{URI: req.RepositoryURI + ":" + req.Image.Tag(), Digest: digest, Built: true}, nil
}

// ContextKey is where a build context is uploaded in the assets bucket.
func ContextKey(im Image) string {
	return fmt.Sprintf("builds/%s/%s.zip", im.Kind, im.Tag())
}

// Start uploads the context zip and starts the build; it returns the build ID.
func (c *CodeBuild) Start(ctx context.Context, req Request, progress Progress) (string, error) {
	progress = quiet(progress)
	env, ok := codeBuildEnvironments[req.Image.Platform]
	if !ok {
		return "", ValidatePlatform(req.Image.Platform)
	}
	zip, err := req.Image.Zip()
	if err != nil {
		return "", err
	}
	spec, err := Buildspec()
	if err != nil {
		return "", err
	}
	key := ContextKey(req.Image)
	if _, err := c.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(c.Bucket), Key: aws.String(key), Body: bytes.NewReader(zip),
		ContentType: aws.String("application/zip"),
	}); err != nil {
		return "", fmt.Errorf("upload the %s build context to s3://%s/%s: %w", req.Image.Kind, c.Bucket, key, err)
	}
	progress(fmt.Sprintf("uploaded the %s build context (%d bytes) to s3://%s/%s", req.Image.Kind, len(zip), c.Bucket, key))
	out, err := c.CodeBuild.StartBuild(ctx, &codebuild.StartBuildInput{
		ProjectName:             aws.String(c.Project),
		SourceTypeOverride:      cbtypes.SourceTypeS3,
		SourceLocationOverride:  aws.String(c.Bucket + "/" + key),
		BuildspecOverride:       aws.String(spec),
		EnvironmentTypeOverride: env.Type,
		ImageOverride:           aws.String(env.Image),
		PrivilegedModeOverride:  aws.Bool(true),
		EnvironmentVariablesOverride: []cbtypes.EnvironmentVariable{
			plain("IMAGE_REPOSITORY_URI", req.RepositoryURI),
			plain("IMAGE_TAGS", strings.Join(req.Tags(), " ")),
			plain("DOCKERFILE", DockerfileName),
			plain("PLATFORM", req.Image.Platform),
		},
	})
	if err != nil {
		return "", fmt.Errorf("start CodeBuild project %s: %w", c.Project, err)
	}
	id := aws.ToString(out.Build.Id)
	progress(fmt.Sprintf("started CodeBuild build %s for %s:%s", id, req.RepositoryURI, req.Image.Tag()))
	return id, nil
}

func plain(name, value string) cbtypes.EnvironmentVariable {
	return cbtypes.EnvironmentVariable{Name: aws.String(name), Value: aws.String(value), Type: cbtypes.EnvironmentVariableTypePlaintext}
}

// Wait follows build id until it ends, passing its log lines to progress,
// and returns the pushed digest, or a *BuildError naming the failed phase.
func (c *CodeBuild) Wait(ctx context.Context, id string, progress Progress) (string, error) {
	progress = quiet(progress)
	tail := &logTail{api: c.Logs, progress: progress, keep: c.TailLines}
	if tail.keep <= 0 {
		tail.keep = lastLines
	}
	poll := c.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	for {
		b, err := c.status(ctx, id)
		if err != nil {
			return "", err
		}
		tail.locate(b, c.Project, id)
		if err := tail.read(ctx); err != nil {
			return "", err
		}
		if b.BuildStatus != cbtypes.StatusTypeInProgress {
			// Logs arrive after the status changes: read until they stop.
			if err := tail.drain(ctx, poll); err != nil {
				return "", err
			}
			return c.finish(b, tail)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for CodeBuild build %s: %w (it goes on in AWS)", id, ctx.Err())
		case <-time.After(poll):
		}
	}
}

func (c *CodeBuild) status(ctx context.Context, id string) (cbtypes.Build, error) {
	out, err := c.CodeBuild.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
	if err != nil {
		return cbtypes.Build{}, fmt.Errorf("read CodeBuild build %s: %w", id, err)
	}
	if len(out.Builds) == 0 {
		return cbtypes.Build{}, fmt.Errorf("CodeBuild has no build %s", id)
	}
	return out.Builds[0], nil
}

func (c *CodeBuild) finish(b cbtypes.Build, tail *logTail) (string, error) {
	if b.BuildStatus == cbtypes.StatusTypeSucceeded {
		return tail.digest, nil
	}
	e := &BuildError{Builder: "CodeBuild", ID: aws.ToString(b.Id), Status: string(b.BuildStatus), Lines: tail.last}
	for _, p := range b.Phases {
		if p.PhaseStatus != "" && p.PhaseStatus != cbtypes.StatusTypeSucceeded {
			e.Phase = string(p.PhaseType)
			for _, pc := range p.Contexts {
				if m := aws.ToString(pc.Message); m != "" {
					e.Reason = m
				}
			}
			break
		}
	}
	return "", e
}

// logTail follows one CloudWatch log stream.
type logTail struct {
	api           LogsAPI
	progress      Progress
	group, stream string
	token         *string
	last          []string
	keep          int
	digest        string
}

// locate takes the log group and stream from the build; until CodeBuild
// reports them it uses its defaults (/aws/codebuild/<project>, the build
// ID's UUID).
func (t *logTail) locate(b cbtypes.Build, project, id string) {
	if b.Logs != nil && aws.ToString(b.Logs.GroupName) != "" && aws.ToString(b.Logs.StreamName) != "" {
		t.group, t.stream = aws.ToString(b.Logs.GroupName), aws.ToString(b.Logs.StreamName)
		return
	}
	if t.group == "" {
		_, uuid, _ := strings.Cut(id, ":")
		t.group, t.stream = "/aws/codebuild/"+project, uuid
	}
}

// read passes on every new event; it reports whether there were any.
func (t *logTail) read(ctx context.Context) error {
	_, err := t.readSome(ctx)
	return err
}

func (t *logTail) readSome(ctx context.Context) (bool, error) {
	got := false
	for {
		out, err := t.api.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(t.group), LogStreamName: aws.String(t.stream),
			StartFromHead: aws.Bool(true), NextToken: t.token,
		})
		var missing *logtypes.ResourceNotFoundException
		if errors.As(err, &missing) {
			return got, nil // the stream appears once the build starts
		}
		if err != nil {
			return got, fmt.Errorf("read build log %s/%s: %w", t.group, t.stream, err)
		}
		for _, e := range out.Events {
			t.line(aws.ToString(e.Message))
			got = true
		}
		same := t.token != nil && aws.ToString(out.NextForwardToken) == aws.ToString(t.token)
		t.token = out.NextForwardToken
		if len(out.Events) == 0 || same {
			return got, nil
		}
	}
}

func (t *logTail) line(msg string) {
	for _, l := range strings.Split(strings.TrimRight(msg, "\r\n"), "\n") {
		l = strings.TrimRight(l, "\r")
		if d, ok := strings.CutPrefix(strings.TrimSpace(l), DigestMarker); ok && strings.HasPrefix(d, "sha256:") {
			t.digest = d
		}
		t.last = append(t.last, l)
		if len(t.last) > t.keep {
			t.last = t.last[len(t.last)-t.keep:]
		}
		t.progress(l)
	}
}

// drain reads until a read brings nothing new (at most a few rounds).
func (t *logTail) drain(ctx context.Context, poll time.Duration) error {
	for range 3 {
		got, err := t.readSome(ctx)
		if err != nil || !got || t.digest != "" {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
	return nil
}
