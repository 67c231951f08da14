package uihost

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/amplify"
)

func amplifyClient(url string) *amplify.Client {
	return amplify.New(amplify.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

func deployer(f *fakeAmplify, lines *[]string) Deployer {
	return Deployer{Amplify: amplifyClient(f.srv.URL), Poll: time.Millisecond, Timeout: 10 * time.Second,
		Progress: func(s string) { *lines = append(*lines, s) }}
}

func TestDeploySucceeds(t *testing.T) {
	f := newFakeAmplify(t, "app1/main")
	site := mustZip(t, map[string]string{"index.html": "<html></html>", "static-files/app.js": "x"})
	var lines []string
	job, err := deployer(f, &lines).Deploy(context.Background(), "app1", "main", site)
	if err != nil {
		t.Fatal(err)
	}
	if job != "1" || f.calls["Upload"] != 1 || f.calls["StartDeployment"] != 1 || f.calls["GetJob"] != 3 {
		t.Fatalf("job %s, calls %v", job, f.calls)
	}
	if got := strings.Join(lines, "|"); got != "Amplify job 1: PENDING|Amplify job 1: RUNNING|Amplify job 1: SUCCEED" {
		t.Fatalf("progress %q", got)
	}
	if string(f.jobs["1"].uploaded) != string(site) {
		t.Fatal("the uploaded bytes differ from the site zip")
	}
}

func TestDeployReportsTheJobsReason(t *testing.T) {
	f := newFakeAmplify(t, "app1/main")
	var lines []string
	_, err := deployer(f, &lines).Deploy(context.Background(), "app1", "main", mustZip(t, map[string]string{"build/index.html": ""}))
	var jobErr *JobError
	if !errors.As(err, &jobErr) || jobErr.Status != "FAILED" || !strings.Contains(err.Error(), "DEPLOY FAILED: index.html was not found") {
		t.Fatalf("want the job's failure reason, got %v", err)
	}
}

func TestDeployToUnknownBranch(t *testing.T) {
	f := newFakeAmplify(t, "app1/main")
	var lines []string
	_, err := deployer(f, &lines).Deploy(context.Background(), "app1", "dev", mustZip(t, map[string]string{"index.html": ""}))
	if err == nil || !strings.Contains(err.Error(), "branch dev") || f.calls["Upload"] != 0 {
		t.Fatalf("want a clear error and no upload, got %v (calls %v)", err, f.calls)
	}
}

func TestDeployWaitIsBounded(t *testing.T) {
	f := newFakeAmplify(t, "app1/main")
	var lines []string
	d := deployer(f, &lines)
	d.Timeout = 20 * time.Millisecond
	d.Poll = 50 * time.Millisecond // the job never gets past PENDING before the deadline
	_, err := d.Deploy(context.Background(), "app1", "main", mustZip(t, map[string]string{"index.html": ""}))
	if err == nil || !strings.Contains(err.Error(), "still PENDING") {
		t.Fatalf("want a bounded wait naming the status, got %v", err)
	}
}
