// Package uihost publishes the built MLflow UI: it assembles the site
// (build output plus the login script's settings file), and deploys it to
// the deployment's Amplify app with a manual deployment.
package uihost

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/amplify"
	"github.com/aws/aws-sdk-go-v2/service/amplify/types"
)

// AmplifyAPI is the part of the Amplify client a manual deployment needs.
type AmplifyAPI interface {
	CreateDeployment(ctx context.Context, in *amplify.CreateDeploymentInput, optFns ...func(*amplify.Options)) (*amplify.CreateDeploymentOutput, error)
	StartDeployment(ctx context.Context, in *amplify.StartDeploymentInput, optFns ...func(*amplify.Options)) (*amplify.StartDeploymentOutput, error)
	GetJob(ctx context.Context, in *amplify.GetJobInput, optFns ...func(*amplify.Options)) (*amplify.GetJobOutput, error)
}

// Deployer runs Amplify manual deployments and waits for their job.
type Deployer struct {
	Amplify AmplifyAPI
	// HTTP uploads the site zip to the pre-signed URL Amplify returns.
	HTTP *http.Client
	// Poll is the first interval between GetJob calls; it doubles up to 10 s.
	Poll time.Duration
	// Timeout bounds the wait for the job.
	Timeout time.Duration
	// Progress receives one line per job status change.
	Progress func(string)
}

// JobError is a deployment job that ended without succeeding.
type JobError struct {
	JobID  string
	Status types.JobStatus
	Reason string
}

func (e *JobError) Error() string {
	return fmt.Sprintf("Amplify deployment job %s ended %s: %s", e.JobID, e.Status, e.Reason)
}

// Deploy uploads site (a zip of the static files) to the app's branch and
// waits until Amplify has published it. It returns the job id.
func (d Deployer) Deploy(ctx context.Context, appID, branch string, site []byte) (string, error) {
	created, err := d.Amplify.CreateDeployment(ctx, &amplify.CreateDeploymentInput{
		AppId: aws.String(appID), BranchName: aws.String(branch),
	})
	if err != nil {
		return "", fmt.Errorf("create Amplify deployment for app %s branch %s: %w", appID, branch, err)
	}
	jobID := aws.ToString(created.JobId)
	if err := d.upload(ctx, aws.ToString(created.ZipUploadUrl), site); err != nil {
		return jobID, err
	}
	_, err = d.Amplify.StartDeployment(ctx, &amplify.StartDeploymentInput{
		AppId: aws.String(appID), BranchName: aws.String(branch), JobId: aws.String(jobID),
	})
	if err != nil {
		return jobID, fmt.Errorf("start Amplify deployment job %s: %w", jobID, err)
	}
	return jobID, d.wait(ctx, appID, branch, jobID)
}

func (d Deployer) upload(ctx context.Context, url string, site []byte) error {
	if url == "" {
		return fmt.Errorf("amplify returned no upload URL for the deployment")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(site))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/zip")
	req.ContentLength = int64(len(site))
	client := d.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("upload the UI to Amplify: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("upload the UI to Amplify: HTTP %d", resp.StatusCode)
	}
	return nil
}

func (d Deployer) wait(ctx context.Context, appID, branch, jobID string) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	interval, last := d.poll(), types.JobStatus("")
	for {
		out, err := d.Amplify.GetJob(ctx, &amplify.GetJobInput{
			AppId: aws.String(appID), BranchName: aws.String(branch), JobId: aws.String(jobID),
		})
		if err != nil {
			return fmt.Errorf("read Amplify job %s: %w", jobID, err)
		}
		status := out.Job.Summary.Status
		if status != last && d.Progress != nil {
			d.Progress(fmt.Sprintf("Amplify job %s: %s", jobID, status))
		}
		last = status
		switch status {
		case types.JobStatusSucceed:
			return nil
		case types.JobStatusFailed, types.JobStatusCancelled:
			return &JobError{JobID: jobID, Status: status, Reason: stepReasons(out.Job.Steps)}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("amplify job %s still %s after %s: see the Amplify console for app %s: %w", jobID, status, d.timeout(), appID, ctx.Err())
		case <-time.After(interval):
		}
		interval = min(interval*2, 10*time.Second)
	}
}

// stepReasons names the steps that did not succeed and why.
func stepReasons(steps []types.Step) string {
	var reasons []string
	for _, s := range steps {
		if s.Status == types.JobStatusSucceed {
			continue
		}
		r := aws.ToString(s.StepName) + " " + string(s.Status)
		if s.StatusReason != nil {
			r += ": " + *s.StatusReason
		}
		reasons = append(reasons, r)
	}
	if len(reasons) == 0 {
		return "Amplify gave no reason"
	}
	return strings.Join(reasons, "; ")
}

func (d Deployer) poll() time.Duration {
	if d.Poll > 0 {
		return d.Poll
	}
	return time.Second
}

func (d Deployer) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return 15 * time.Minute
}
