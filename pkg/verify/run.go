package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API writes and removes the test artifact under an s3:// artifact root.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, o ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

const artifactName = "mlflowctl-verify.txt"

type runInfo struct {
	RunID       string `json:"run_id"`
	ArtifactURI string `json:"artifact_uri"`
	Lifecycle   string `json:"lifecycle_stage"`
}

// checkRun logs a tiny run with a metric and an artifact, reads both back
// through the server, and deletes them: the tracking server answers
// through the VPC link, and its database and artifact store work.
func (r *runner) checkRun(ctx context.Context) {
	token := r.tokenFor(http.MethodPost, "/ajax-api/2.0/mlflow/runs/create", "")
	if token == "" {
		r.skip(HopServer, "tiny run", "no group may create runs")
		return
	}
	var run runInfo
	if !r.step(HopServer, "create a run (database)", func() (string, error) {
		var err error
		run, err = r.createRun(ctx, token)
		return run.RunID, err
	}) {
		return
	}
	if !r.step(HopServer, "log a metric and read it back", func() (string, error) {
		return r.logMetric(ctx, token, run.RunID)
	}) {
		return
	}
	content := []byte("mlflowctl verify " + randomHex(8) + "\n")
	if !r.step(HopArtifacts, "write an artifact", func() (string, error) {
		return r.writeArtifact(ctx, token, run, content)
	}) {
		return
	}
	r.step(HopArtifacts, "read the artifact back through the server", func() (string, error) {
		q := url.Values{"path": {artifactName}, "run_uuid": {run.RunID}}
		res, err := r.do(ctx, http.MethodGet, r.uiPath("/get-artifact?"+q.Encode()), nil, auth{token: token})
		if err != nil {
			return "", err
		}
		if res.status != 200 {
			return "", atHop(HopArtifacts, statusError(res, 200, "GET /get-artifact", HopAuthorizer))
		}
		if !bytes.Equal(res.body, content) {
			return "", atHop(HopArtifacts, fmt.Errorf("read %q, wrote %q", res.body, content))
		}
		return fmt.Sprintf("%d bytes match", len(content)), nil
	})
}

func (r *runner) createRun(ctx context.Context, token string) (runInfo, error) {
	body := []byte(`{"experiment_id":"0","run_name":"` + UserPrefix + "run-" + randomHex(4) + `"}`)
	res, err := r.do(ctx, http.MethodPost, r.uiPath("/ajax-api/2.0/mlflow/runs/create"), body, auth{token: token})
	if err != nil {
		return runInfo{}, atHop(HopServer, err)
	}
	if res.status != 200 {
		return runInfo{}, statusError(res, 200, "POST runs/create", HopAuthorizer)
	}
	var out struct {
		Run struct{ Info runInfo } `json:"run"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil || out.Run.Info.RunID == "" {
		return runInfo{}, atHop(HopServer, fmt.Errorf("runs/create answered no run%s", snippet(res)))
	}
	run := out.Run.Info
	r.undo = append(r.undo, undoStep{what: "delete the tiny run", fn: func(ctx context.Context) error {
		return r.deleteRun(ctx, token, run.RunID) // kept by MLflow, marked deleted, until `mlflow gc`
	}})
	return run, nil
}

func (r *runner) logMetric(ctx context.Context, token, runID string) (string, error) {
	body := []byte(`{"run_id":"` + runID + `","metrics":[{"key":"verify","value":1,"timestamp":1,"step":0}],"params":[{"key":"by","value":"mlflowctl verify"}]}`)
	res, err := r.do(ctx, http.MethodPost, r.uiPath("/ajax-api/2.0/mlflow/runs/log-batch"), body, auth{token: token})
	if err != nil {
		return "", atHop(HopServer, err)
	}
	if res.status != 200 {
		return "", statusError(res, 200, "POST runs/log-batch", HopAuthorizer)
	}
	res, err = r.do(ctx, http.MethodGet, r.uiPath("/ajax-api/2.0/mlflow/runs/get?run_id="+runID), nil, auth{token: token})
	if err != nil {
		return "", atHop(HopServer, err)
	}
	if res.status != 200 || !strings.Contains(string(res.body), `"verify"`) {
		return "", atHop(HopServer, fmt.Errorf("runs/get: HTTP %d without the metric%s", res.status, snippet(res)))
	}
	return "metric verify=1", nil
}

// writeArtifact writes where an SDK client would: straight to S3 for an
// s3:// root (with the caller's credentials), or through the server's
// artifact proxy for mlflow-artifacts:/.
func (r *runner) writeArtifact(ctx context.Context, token string, run runInfo, content []byte) (string, error) {
	uri := strings.TrimRight(run.ArtifactURI, "/")
	switch {
	case strings.HasPrefix(uri, "s3://"):
		return r.writeS3(ctx, uri, content)
	case strings.HasPrefix(uri, "mlflow-artifacts:"):
		path := strings.TrimLeft(strings.TrimPrefix(uri, "mlflow-artifacts:"), "/") + "/" + artifactName
		api := "/ajax-api/2.0/mlflow-artifacts/artifacts/" + path
		res, err := r.do(ctx, http.MethodPut, r.uiPath(api), content, auth{token: token})
		if err != nil {
			return "", atHop(HopArtifacts, err)
		}
		if res.status != 200 {
			return "", atHop(HopArtifacts, statusError(res, 200, "PUT "+api, HopAuthorizer))
		}
		r.undo = append(r.undo, undoStep{what: "delete the artifact", fn: func(ctx context.Context) error {
			res, err := r.do(ctx, http.MethodDelete, r.uiPath(api), nil, auth{token: token})
			if err == nil && res.status != 200 {
				err = fmt.Errorf("DELETE %s: HTTP %d", api, res.status)
			}
			return err
		}})
		return "via the server to " + uri, nil
	}
	return "", atHop(HopArtifacts, fmt.Errorf("artifact root %q is neither an s3:// nor an mlflow-artifacts: URI", uri))
}

func (r *runner) writeS3(ctx context.Context, uri string, content []byte) (string, error) {
	if r.d.S3 == nil {
		return "", errors.New("no S3 client")
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
	key := strings.TrimLeft(prefix+"/"+artifactName, "/")
	_, err := r.d.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(content)})
	if err != nil {
		return "", atHop(HopArtifacts, fmt.Errorf("PutObject s3://%s/%s: %w", bucket, key, err))
	}
	r.undo = append(r.undo, undoStep{what: "delete the artifact", fn: func(ctx context.Context) error {
		_, err := r.d.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err
	}})
	return "s3://" + bucket + "/" + key, nil
}

// deleteRun deletes the run and checks MLflow marks it deleted. MLflow
// keeps deleted runs until `mlflow gc`; there is no REST call to purge.
func (r *runner) deleteRun(ctx context.Context, token, runID string) error {
	res, err := r.do(ctx, http.MethodPost, r.uiPath("/ajax-api/2.0/mlflow/runs/delete"), []byte(`{"run_id":"`+runID+`"}`), auth{token: token})
	if err != nil {
		return err
	}
	if res.status != 200 {
		return fmt.Errorf("runs/delete: HTTP %d%s", res.status, snippet(res))
	}
	res, err = r.do(ctx, http.MethodGet, r.uiPath("/ajax-api/2.0/mlflow/runs/get?run_id="+runID), nil, auth{token: token})
	if err != nil {
		return err
	}
	var out struct {
		Run struct{ Info runInfo } `json:"run"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil || out.Run.Info.Lifecycle != "deleted" {
		return fmt.Errorf("run %s is not marked deleted after runs/delete (HTTP %d)%s", runID, res.status, snippet(res))
	}
	return nil
}

func asHop(err error, target **hopError) bool { return errors.As(err, target) }
