package uihost

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAmplify stands in for the Amplify Hosting REST API (CreateDeployment,
// StartDeployment, GetJob) and its pre-signed upload URL, which moto lacks.
// Jobs go PENDING → RUNNING → SUCCEED over GetJob polls; a zip without
// index.html at its root FAILs, as Amplify's deploy step does.
type fakeAmplify struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	apps map[string]bool // "appId/branch"
	jobs map[string]*fakeJob
	next int
	// calls counts requests by operation name.
	calls map[string]int
}

type fakeJob struct {
	uploaded []byte
	started  bool
	polls    int
}

func newFakeAmplify(t *testing.T, appBranches ...string) *fakeAmplify {
	f := &fakeAmplify{t: t, apps: map[string]bool{}, jobs: map[string]*fakeJob{}, calls: map[string]int{}}
	for _, ab := range appBranches {
		f.apps[ab] = true
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAmplify) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPut && len(parts) == 2 && parts[0] == "upload":
		f.calls["Upload"]++
		f.upload(w, r, parts[1])
	case len(parts) < 4 || parts[0] != "apps" || parts[2] != "branches":
		fail(w, 404, "NotFoundException", "no route "+r.URL.Path)
	case !f.apps[parts[1]+"/"+parts[3]]:
		fail(w, 404, "NotFoundException", fmt.Sprintf("Branch %s of app %s not found", parts[3], parts[1]))
	case r.Method == http.MethodPost && len(parts) == 5 && parts[4] == "deployments":
		f.calls["CreateDeployment"]++
		f.create(w)
	case r.Method == http.MethodPost && len(parts) == 6 && parts[5] == "start":
		f.calls["StartDeployment"]++
		f.start(w, r)
	case r.Method == http.MethodGet && len(parts) == 6 && parts[4] == "jobs":
		f.calls["GetJob"]++
		f.getJob(w, parts[1], parts[3], parts[5])
	default:
		fail(w, 400, "BadRequestException", "unsupported "+r.Method+" "+r.URL.Path)
	}
}

func (f *fakeAmplify) create(w http.ResponseWriter) {
	f.next++
	id := fmt.Sprint(f.next)
	f.jobs[id] = &fakeJob{}
	reply(w, map[string]any{"jobId": id, "zipUploadUrl": f.srv.URL + "/upload/" + id})
}

func (f *fakeAmplify) upload(w http.ResponseWriter, r *http.Request, id string) {
	job := f.jobs[id]
	if job == nil {
		fail(w, 403, "AccessDenied", "no such upload")
		return
	}
	job.uploaded, _ = io.ReadAll(r.Body)
	w.WriteHeader(200)
}

func (f *fakeAmplify) start(w http.ResponseWriter, r *http.Request) {
	var in struct {
		JobID string `json:"jobId"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	job := f.jobs[in.JobID]
	switch {
	case job == nil:
		fail(w, 404, "NotFoundException", "job "+in.JobID+" not found")
	case job.uploaded == nil:
		fail(w, 400, "BadRequestException", "no file was uploaded for job "+in.JobID)
	default:
		job.started = true
		reply(w, map[string]any{"jobSummary": summary(in.JobID, "PENDING")})
	}
}

func (f *fakeAmplify) getJob(w http.ResponseWriter, app, branch, id string) {
	job := f.jobs[id]
	if job == nil || !job.started {
		fail(w, 404, "NotFoundException", "job "+id+" not found")
		return
	}
	job.polls++
	status, step, reason := "PENDING", "PENDING", ""
	switch {
	case job.polls == 2:
		status, step = "RUNNING", "RUNNING"
	case job.polls >= 3 && hasIndex(job.uploaded):
		status, step = "SUCCEED", "SUCCEED"
	case job.polls >= 3:
		status, step, reason = "FAILED", "FAILED", "index.html was not found at the root of the uploaded zip"
	}
	now := float64(time.Now().Unix())
	stepJSON := map[string]any{"stepName": "DEPLOY", "status": step, "startTime": now, "endTime": now}
	if reason != "" {
		stepJSON["statusReason"] = reason
	}
	reply(w, map[string]any{"job": map[string]any{"summary": summary(id, status), "steps": []any{stepJSON}}})
	_ = app
	_ = branch
}

func summary(id, status string) map[string]any {
	now := float64(time.Now().Unix())
	return map[string]any{"jobArn": "arn:aws:amplify:us-east-1:123456789012:apps/app/branches/main/jobs/" + id,
		"jobId": id, "commitId": "", "commitMessage": "", "commitTime": now, "startTime": now,
		"status": status, "jobType": "MANUAL"}
}

func hasIndex(zipped []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		if f.Name == "index.html" {
			return true
		}
	}
	return false
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code int, kind, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", kind)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
