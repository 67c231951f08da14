package awsx

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestEmulatorIsOneSettingFromTheEndpoint: --endpoint-url turns every
// emulator behaviour on, AWS none; --verbose shows which.
func TestEmulatorIsOneSettingFromTheEndpoint(t *testing.T) {
	if em := EmulatorFor(""); em.On() || em.PathStyleS3 || em.CodeBuildTimestamps || em.DirectStackCalls || !strings.Contains(em.String(), "off") {
		t.Errorf("AWS: %+v (%s)", em, em)
	}
	em := EmulatorFor("http://127.0.0.1:5000")
	if !em.On() || !em.PathStyleS3 || !em.CodeBuildTimestamps || !em.DirectStackCalls {
		t.Errorf("emulator: %+v", em)
	}
	for _, want := range []string{"http://127.0.0.1:5000", "path-style S3 true", "without change sets true"} {
		if !strings.Contains(em.String(), want) {
			t.Errorf("%q lacks %q", em.String(), want)
		}
	}
}

// TestClientsAreBuiltOnceUnderTheSetting: each client is built on first
// use and shared; S3 addresses buckets by path only under the emulator.
func TestClientsAreBuiltOnceUnderTheSetting(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1"}
	c := NewClients(cfg, EmulatorFor("http://127.0.0.1:5000"))
	first, again := c.S3(), c.S3()
	east, eastAgain := c.Bedrock("us-east-1"), c.Bedrock("us-east-1")
	if first != again || east != eastAgain {
		t.Error("a client was built twice")
	}
	if c.Bedrock("us-east-1") == c.Bedrock("us-west-2") {
		t.Error("one Bedrock client for two regions")
	}
	if !c.S3().Options().UsePathStyle || aws.ToString(c.Config().BaseEndpoint) != "http://127.0.0.1:5000" {
		t.Errorf("emulator S3: path style %v, endpoint %v", c.S3().Options().UsePathStyle, c.Config().BaseEndpoint)
	}
	if len(c.CodeBuild().Options().APIOptions) == 0 {
		t.Error("the emulator's CodeBuild client does not rewrite timestamps")
	}
	a := NewClients(cfg, Emulator{})
	if a.S3().Options().UsePathStyle || a.Config().BaseEndpoint != nil || len(a.CodeBuild().Options().APIOptions) != 0 {
		t.Error("AWS clients carry emulator behaviour")
	}
	if a.Region() != "eu-west-1" {
		t.Errorf("region %q", a.Region())
	}
}

// Connect is Load then NewClients: the clients call the emulator's
// endpoint with its setting (path-style S3 under an emulator).
func TestConnectBuildsClientsUnderTheEmulatorSetting(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
	em := EmulatorFor("http://127.0.0.1:1")
	c, err := Connect(context.Background(), Options{Region: "eu-west-1", EndpointURL: em.Endpoint}, em)
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "eu-west-1" || c.Emulator() != em || aws.ToString(c.Config().BaseEndpoint) != em.Endpoint || !c.S3().Options().UsePathStyle {
		t.Fatalf("clients: region %s, emulator %v, endpoint %v, path-style %v", c.Region(), c.Emulator(), c.Config().BaseEndpoint, c.S3().Options().UsePathStyle)
	}
	if _, err := Connect(context.Background(), Options{Profile: "missing-profile", Region: "eu-west-1"}, Emulator{}); err == nil {
		t.Fatal("Connect with an unknown profile succeeded")
	}
}
