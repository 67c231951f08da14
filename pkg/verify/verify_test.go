package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

const artifactBucket = "verify-artifacts"

// world is a deployment made of stand-ins around the real parts: moto's
// Cognito (real RS256 tokens) and S3, the real Node authorizer, and a real
// MLflow tracking server.
type world struct {
	s       *standIn
	target  Target
	deps    Deps
	cog     *cip.Client
	s3      *s3.Client
	harness string
	groups  []config.Group
}

func newWorld(t *testing.T, mlflowVersion string) *world {
	t.Helper()
	moto := mototest.Start(t)
	ctx := context.Background()
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	awsCfg.BaseEndpoint = aws.String(moto.URL)
	cog := cip.NewFromConfig(awsCfg)
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	groups := config.Defaults().Groups
	pool, err := cog.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("mlflow-mlflow")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := cog.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("mlflow-ui")})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	for _, g := range groups {
		if _, err := cog.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(g.Name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(artifactBucket)}); err != nil {
		t.Fatal(err)
	}
	policy, err := authz.AuthorizerPolicy(groups)
	if err != nil {
		t.Fatal(err)
	}
	harness := startAuthorizer(t, moto.URL, poolID, clientID, policy)
	mlflowURL := startMLflow(t, mlflowVersion, moto.URL, artifactBucket)
	creds := aws.Credentials{AccessKeyID: "AKIDVERIFYTEST", SecretAccessKey: "verify-secret"}
	s := newStandIn(t, harness, mlflowURL, clientID, creds)
	w := &world{s: s, cog: cog, s3: s3c, harness: harness, groups: groups}
	w.target = Target{Deployment: "mlflow", UIURL: s.uiURL(), APIURL: s.apiURL(), CognitoDomain: s.domain.URL,
		UserPoolID: poolID, ClientID: clientID, Authorizer: "mlflow-api-AuthorizerFunction-TEST", Groups: groups}
	for _, m := range stacks.MethodAuths(config.Defaults()) {
		w.target.Guards = append(w.target.Guards, authz.Guard{Resource: m.Resource, Authorization: m.Authorization})
	}
	w.deps = Deps{Cognito: cog, S3: s3c, HTTP: &http.Client{Timeout: 60 * time.Second},
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""), Region: "us-east-1"}
	return w
}

func (w *world) run(t *testing.T, title string) Report {
	t.Helper()
	rep := Run(context.Background(), w.target, w.deps)
	var b strings.Builder
	_ = rep.WriteTable(&b)
	t.Logf("mlflowctl verify against the stand-ins, %s:\n%s", title, b.String())
	w.assertNothingLeft(t)
	return rep
}

// assertNothingLeft: no temporary user, no live run, no artifact, no
// registered model after any run, failed or not.
func (w *world) assertNothingLeft(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	users, err := w.cog.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(w.target.UserPoolID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(users.Users) != 0 {
		t.Errorf("%d temporary users left behind", len(users.Users))
	}
	objs, err := w.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(artifactBucket)})
	if err == nil && len(objs.Contents) != 0 {
		t.Errorf("%d artifacts left behind", len(objs.Contents))
	}
	res, err := http.Post(w.s.serverURL()+"/api/2.0/mlflow/runs/search", "application/json", strings.NewReader(`{"experiment_ids":["0"],"run_view_type":"ACTIVE_ONLY"}`))
	if err == nil {
		defer res.Body.Close()
		var out struct{ Runs []any }
		_ = decodeJSON(res, &out)
		if len(out.Runs) != 0 {
			t.Errorf("%d live runs left behind", len(out.Runs))
		}
	}
	res2, err := http.Get(w.s.serverURL() + "/api/2.0/mlflow/registered-models/search")
	if err == nil {
		defer res2.Body.Close()
		var out struct {
			RegisteredModels []any `json:"registered_models"`
		}
		_ = decodeJSON(res2, &out)
		if len(out.RegisteredModels) != 0 {
			t.Errorf("%d registered models left behind", len(out.RegisteredModels))
		}
	}
}

func wantFailureAt(t *testing.T, rep Report, hop, checkPart string) {
	t.Helper()
	f := rep.Failed()
	if f == nil {
		t.Fatalf("verify passed; want a failure at %s", hop)
	}
	if f.Hop != hop || !strings.Contains(f.Check, checkPart) || f.LookAt == "" {
		t.Errorf("first failure %+v; want hop %s, check %q, and where to look", *f, hop, checkPart)
	}
}

// One world for all cases: the real server takes seconds to start.
func TestVerifyAgainstStandIns(t *testing.T) {
	w := newWorld(t, "3.18.0")

	t.Run("passes", func(t *testing.T) {
		rep := w.run(t, "passing")
		if f := rep.Failed(); f != nil {
			t.Fatalf("failed: %+v", *f)
		}
		for _, want := range []string{"readers: write beyond its rights → 403", "model-approvers: registry within its rights allowed",
			"admins: write within its rights allowed", "no token → 401", "unsigned request → 403", "read the artifact back through the server", "temporary users deleted"} {
			if !has(rep, want, Pass) {
				t.Errorf("no passing check %q", want)
			}
		}
	})

	// Ctrl-C: the context is cancelled part-way (after the readers' user
	// signed in); clean-up still removes every user and what was made.
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		deps := w.deps
		deps.Progress = func(r Result) {
			if r.Check == "admins: write within its rights allowed" {
				cancel()
			}
		}
		rep := Run(ctx, w.target, deps)
		w.assertNothingLeft(t)
		if rep.Failed() == nil || !has(rep, "temporary users deleted", Pass) {
			t.Errorf("after an interrupt: %+v", rep.Results)
		}
	})

	t.Run("ui: login settings for another client", func(t *testing.T) {
		good := w.target.ClientID
		w.s.clientID = "someone-elses-client"
		defer func() { w.s.clientID = good }()
		wantFailureAt(t, w.run(t, "fault at the UI hop (mlflowctl-auth.json for another client)"), HopUI, "mlflowctl-auth.json")
	})

	t.Run("authorizer: broken answer", func(t *testing.T) {
		put(t, w.harness+"/broken", []byte("1"))
		defer put(t, w.harness+"/broken", []byte("0"))
		wantFailureAt(t, w.run(t, "fault at the authorizer hop (answer without a policy document)"), HopAuthorizer, "read allowed")
	})

	t.Run("authorizer: a reader allowed to write", func(t *testing.T) {
		bad := config.Defaults().Groups
		bad[2].Classes = []string{"read", "write"} // a policy generation bug
		policy, err := authz.AuthorizerPolicy(bad)
		if err != nil {
			t.Fatal(err)
		}
		put(t, w.harness+"/policy", policy)
		good, _ := authz.AuthorizerPolicy(w.groups)
		defer put(t, w.harness+"/policy", good)
		rep := w.run(t, "fault at the authorizer hop (readers may write)")
		wantFailureAt(t, rep, HopAuthorizer, "readers: write beyond its rights")
		if f := rep.Failed(); f != nil && !strings.Contains(f.Detail, "ALLOWED") {
			t.Errorf("detail %q", f.Detail)
		}
	})

	t.Run("iam: unsigned requests accepted", func(t *testing.T) {
		w.s.openIAM = true
		defer func() { w.s.openIAM = false }()
		wantFailureAt(t, w.run(t, "fault at the IAM hop (unsigned requests reach MLflow)"), HopIAM, "unsigned")
	})

	t.Run("server: down", func(t *testing.T) {
		good := w.s.serverURL()
		w.s.setMLflow(fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
		defer w.s.setMLflow(good)
		wantFailureAt(t, w.run(t, "fault at the server hop (tracking server down)"), HopServer, "read allowed")
	})

	t.Run("artifact store: unwritable", func(t *testing.T) {
		ctx := context.Background()
		if _, err := w.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(artifactBucket)}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_, _ = w.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(artifactBucket)})
		}()
		wantFailureAt(t, w.run(t, "fault at the artifact store hop (bucket gone)"), HopArtifacts, "write an artifact")
	})
}

// The seed's version: its routes and artifact handling are older.
func TestVerifyPassesOnMLflow2(t *testing.T) {
	w := newWorld(t, "2.12.2")
	if f := w.run(t, "passing, MLflow 2.12.2").Failed(); f != nil {
		t.Fatalf("failed: %+v", *f)
	}
}

func has(rep Report, check string, s Status) bool {
	for _, r := range rep.Results {
		if r.Check == check && r.Status == s {
			return true
		}
	}
	return false
}
