package sagemaker_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker/sagemakerfake"
)

// These tests run the real aws-sdk-go-v2 SageMaker client against
// sagemakerfake, which stands in for the SageMaker API's Studio user
// profile, space and app operations (moto_server does not implement them).

const domainID = "d-test"

type env struct {
	fake   *sagemakerfake.Server
	clock  *sagemakerfake.Clock
	studio *sagemaker.Studio
	lines  *lines
}

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.l = append(l.l, s); l.mu.Unlock() }
func (l *lines) text() string { l.mu.Lock(); defer l.mu.Unlock(); return strings.Join(l.l, "\n") }

func newEnv(t *testing.T, o sagemakerfake.Options) *env {
	t.Helper()
	clock := sagemakerfake.NewClock()
	o.Now = clock.Now
	fake := sagemakerfake.New(o)
	t.Cleanup(fake.Close)
	fake.AddDomain(sagemakerfake.Domain{ID: domainID, HomeEFS: "fs-1", VpcID: "vpc-1"})
	ls := &lines{}
	st := &sagemaker.Studio{API: Client(fake.URL), Clock: clock, Poll: 10 * time.Second, Timeout: 20 * time.Minute, Log: ls.add}
	return &env{fake: fake, clock: clock, studio: st, lines: ls}
}

// Client is a SageMaker client for an endpoint, with static test keys.
func Client(url string) *sm.Client {
	return sm.New(sm.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

var ours = []string{"mlflow-admin", "mlflow-reader", "mlflow-model-approver"}

// addUsers gives each profile a KernelGateway and a JupyterServer app.
func (e *env) addUsers(profiles ...string) {
	for _, p := range profiles {
		e.fake.AddProfile(domainID, p)
		e.fake.AddApp(domainID, sagemakerfake.App{Type: "KernelGateway", Name: "kg-" + p, Profile: p})
		e.fake.AddApp(domainID, sagemakerfake.App{Type: "JupyterServer", Name: "default", Profile: p})
	}
}

func (e *env) target() sagemaker.Target {
	return sagemaker.Target{DomainID: domainID, Profiles: ours, DomainCreated: true}
}

func TestDeletesAppsThenSpacesThenProfiles(t *testing.T) {
	e := newEnv(t, sagemakerfake.Options{AppDeleteTime: 3 * time.Minute, SpaceDeleteTime: time.Minute, ProfileDeleteTime: time.Minute})
	ctx := context.Background()
	e.addUsers(ours...)
	e.fake.AddSpace(domainID, "admin-lab", "mlflow-admin")
	e.fake.AddApp(domainID, sagemakerfake.App{Type: "JupyterLab", Name: "default", Space: "admin-lab"})
	e.fake.AddApp(domainID, sagemakerfake.App{Type: "CodeEditor", Name: "old", Profile: "mlflow-reader", Status: "Deleted"})
	e.fake.AddApp(domainID, sagemakerfake.App{Type: "KernelGateway", Name: "going", Profile: "mlflow-reader", Status: "Deleting"})

	inv, err := e.studio.Inventory(ctx, e.target())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Profiles) != 3 || len(inv.Spaces) != 1 || len(inv.Apps) != 8 {
		t.Fatalf("inventory: %d profiles, %d spaces, %d apps (want 3, 1, 8: Deleted apps skipped): %+v",
			len(inv.Profiles), len(inv.Spaces), len(inv.Apps), inv)
	}
	if err := e.studio.Delete(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if p := e.fake.Profiles(domainID); len(p) != 0 {
		t.Fatalf("profiles left: %v", p)
	}
	if sp := e.fake.Spaces(domainID); len(sp) != 0 {
		t.Fatalf("spaces left: %v", sp)
	}
	log := e.fake.Log()
	lastApp, firstSpace := lastIndex(log, "DeleteApp"), firstIndex(log, "DeleteSpace")
	lastSpace, firstProfile := lastIndex(log, "DeleteSpace"), firstIndex(log, "DeleteUserProfile")
	if lastApp > firstSpace || lastSpace > firstProfile || firstSpace < 0 || firstProfile < 0 {
		t.Fatalf("order: want every app, then spaces, then profiles:\n%s", strings.Join(log, "\n"))
	}
	if n := strings.Count(strings.Join(log, "\n"), "DeleteApp"); n != 7 {
		t.Fatalf("DeleteApp called %d times, want 7 (the Deleting app is only waited for):\n%s", n, strings.Join(log, "\n"))
	}
	if e.fake.AppStatus(domainID, "going") != "Deleted" {
		t.Fatal("the app that was already Deleting was not waited for")
	}
	again, err := e.studio.Inventory(ctx, e.target())
	if err != nil || !again.Empty() {
		t.Fatalf("second inventory not empty: %+v %v", again, err)
	}
}

func TestAppsMoveThroughDeletingOverSeveralPolls(t *testing.T) {
	e := newEnv(t, sagemakerfake.Options{AppDeleteTime: 45 * time.Second})
	e.addUsers("mlflow-admin")
	inv, err := e.studio.Inventory(context.Background(), e.target())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.studio.Delete(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	// 45 s at a 10 s poll: the apps are seen Deleting on several rounds.
	if n := e.fake.Calls("DescribeApp"); n < 2*4 {
		t.Fatalf("DescribeApp called %d times; want several polls per app", n)
	}
	if !strings.Contains(e.lines.text(), "is Deleting") {
		t.Fatalf("progress never showed the Deleting state:\n%s", e.lines.text())
	}
}

// Three profiles with two apps each: the deletes are issued together and
// one loop waits for all, so the whole takes about one app's deletion
// time on the fake clock, not six.
func TestParallelAppDeletion(t *testing.T) {
	const appTime = 5 * time.Minute
	e := newEnv(t, sagemakerfake.Options{AppDeleteTime: appTime})
	e.addUsers(ours...)
	inv, err := e.studio.Inventory(context.Background(), e.target())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Apps) != 6 {
		t.Fatalf("want 6 apps, got %d", len(inv.Apps))
	}
	start := e.clock.Now()
	if err := e.studio.Delete(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	took := e.clock.Now().Sub(start)
	t.Logf("3 profiles × 2 apps deleted in %s of fake time (one app takes %s)", took, appTime)
	if took < appTime || took > appTime+2*e.studio.Poll {
		t.Fatalf("took %s of fake time; want about one app's deletion time (%s), not six (%s)", took, appTime, 6*appTime)
	}
}

func TestStuckAppIsNamedAndStopsTheTeardown(t *testing.T) {
	e := newEnv(t, sagemakerfake.Options{AppDeleteTime: time.Minute})
	e.addUsers(ours...)
	e.fake.Stick(domainID, "kg-mlflow-reader")
	inv, err := e.studio.Inventory(context.Background(), e.target())
	if err != nil {
		t.Fatal(err)
	}
	err = e.studio.Delete(context.Background(), inv)
	var stuck *sagemaker.StuckError
	if !errors.As(err, &stuck) {
		t.Fatalf("want a StuckError, got %v", err)
	}
	if len(stuck.Items) != 1 || !strings.Contains(err.Error(), "KernelGateway/kg-mlflow-reader (profile mlflow-reader) is Deleting") ||
		!strings.Contains(err.Error(), "mlflowctl down") {
		t.Fatalf("error does not name the stuck app and the next step: %v", err)
	}
	if stuck.Waited < e.studio.Timeout {
		t.Fatalf("gave up after %s, before the %s bound", stuck.Waited, e.studio.Timeout)
	}
	if slices.ContainsFunc(e.fake.Log(), func(s string) bool { return strings.HasPrefix(s, "DeleteUserProfile") }) {
		t.Fatal("profiles were deleted although an app was still Deleting")
	}
	if e.fake.AppStatus(domainID, "kg-mlflow-admin") != "Deleted" {
		t.Fatal("the other apps were not deleted")
	}
}

func TestForeignDomainKeepsOtherProfiles(t *testing.T) {
	e := newEnv(t, sagemakerfake.Options{AppDeleteTime: time.Minute})
	e.addUsers(ours...)
	e.addUsers("data-scientist")
	e.fake.AddSpace(domainID, "ds-space", "data-scientist")
	e.fake.AddApp(domainID, sagemakerfake.App{Type: "JupyterLab", Name: "default", Space: "ds-space"})
	target := e.target()
	target.DomainCreated = false
	inv, err := e.studio.Inventory(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	if inv.OtherProfiles != 1 || len(inv.Spaces) != 0 || len(inv.Apps) != 6 {
		t.Fatalf("inventory reaches beyond the deployment: %+v", inv)
	}
	if err := e.studio.Delete(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Profiles(domainID); !slices.Equal(got, []string{"data-scientist"}) {
		t.Fatalf("profiles after teardown: %v, want only data-scientist", got)
	}
	if e.fake.AppStatus(domainID, "kg-data-scientist") != "InService" || len(e.fake.Spaces(domainID)) != 1 {
		t.Fatal("another user's apps or space were touched")
	}
	if !e.fake.HasDomain(domainID) {
		t.Fatal("the domain was deleted")
	}
}

func TestFakeRefusesProfileDeleteWhileItHasAppsOrSpaces(t *testing.T) {
	e := newEnv(t, sagemakerfake.Options{})
	e.addUsers("mlflow-admin")
	c := Client(e.fake.URL)
	ctx := context.Background()
	_, err := c.DeleteUserProfile(ctx, &sm.DeleteUserProfileInput{DomainId: aws.String(domainID), UserProfileName: aws.String("mlflow-admin")})
	if err == nil || !strings.Contains(err.Error(), "ResourceInUse") {
		t.Fatalf("want ResourceInUse while apps exist, got %v", err)
	}
	e.fake.AddProfile(domainID, "owner")
	e.fake.AddSpace(domainID, "sp", "owner")
	_, err = c.DeleteUserProfile(ctx, &sm.DeleteUserProfileInput{DomainId: aws.String(domainID), UserProfileName: aws.String("owner")})
	if err == nil || !strings.Contains(err.Error(), "owns space") {
		t.Fatalf("want ResourceInUse while the profile owns a space, got %v", err)
	}
}

func TestMissingDomainIsEmpty(t *testing.T) {
	e := newEnv(t, sagemakerfake.Options{})
	inv, err := e.studio.Inventory(context.Background(), sagemaker.Target{DomainID: "d-gone", Profiles: ours})
	if err != nil || !inv.Empty() {
		t.Fatalf("a deleted domain should give an empty inventory: %+v %v", inv, err)
	}
}

func firstIndex(log []string, prefix string) int {
	return slices.IndexFunc(log, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

func lastIndex(log []string, prefix string) int {
	for i := len(log) - 1; i >= 0; i-- {
		if strings.HasPrefix(log[i], prefix) {
			return i
		}
	}
	return -1
}

// BenchmarkParallelAppDeletion reports the fake time 3 profiles × 2 apps
// take to delete when one app takes 5 minutes (sequential would be 30).
func BenchmarkParallelAppDeletion(b *testing.B) {
	for b.Loop() {
		clock := sagemakerfake.NewClock()
		fake := sagemakerfake.New(sagemakerfake.Options{Now: clock.Now, AppDeleteTime: 5 * time.Minute})
		fake.AddDomain(sagemakerfake.Domain{ID: domainID})
		e := &env{fake: fake, clock: clock}
		e.addUsers(ours...)
		st := &sagemaker.Studio{API: Client(fake.URL), Clock: clock, Poll: 10 * time.Second}
		inv, err := st.Inventory(context.Background(), sagemaker.Target{DomainID: domainID, Profiles: ours})
		if err != nil {
			b.Fatal(err)
		}
		start := clock.Now()
		if err := st.Delete(context.Background(), inv); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(clock.Now().Sub(start).Seconds(), "fake-s/op")
		fake.Close()
	}
}
