package awslookup

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfilesMergesBothFiles(t *testing.T) {
	cfg := write(t, "config", `
# comment
[default]
region = eu-west-1
[profile prod]
region=us-east-2
s3 =
  region = ignored-nested
[sso-session corp]
sso_region = us-east-1
[services local]
[profile dev]
output = json
`)
	creds := write(t, "credentials", `
[default]
aws_access_key_id = AKIDEXAMPLE
[ci]
aws_access_key_id = AKIDEXAMPLE
region = ap-south-1
`)
	got, err := Profiles(Files{Config: cfg, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	want := []Profile{
		{Name: "default", Region: "eu-west-1"},
		{Name: "ci", Region: "ap-south-1"},
		{Name: "dev"},
		{Name: "prod", Region: "us-east-2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("profiles:\n got %+v\nwant %+v", got, want)
	}
}

func TestProfilesMissingFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := Profiles(Files{Config: filepath.Join(dir, "none"), Credentials: filepath.Join(dir, "nada")})
	if !errors.Is(err, ErrNoProfiles) {
		t.Fatalf("err = %v, want ErrNoProfiles", err)
	}
}

func TestProfilesUnreadableFile(t *testing.T) {
	dir := t.TempDir() // a directory cannot be read as a file
	if _, err := Profiles(Files{Config: dir}); err == nil || errors.Is(err, ErrNoProfiles) {
		t.Fatalf("err = %v, want a read error", err)
	}
}

func TestDefaultFilesHonoursEnvironment(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/x/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/y/creds")
	if got := DefaultFiles(); got != (Files{Config: "/x/config", Credentials: "/y/creds"}) {
		t.Fatalf("DefaultFiles() = %+v", got)
	}
	t.Setenv("AWS_CONFIG_FILE", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultFiles(); got != (Files{Config: "/home/u/.aws/config", Credentials: "/home/u/.aws/credentials"}) {
		t.Fatalf("DefaultFiles() = %+v", got)
	}
}
