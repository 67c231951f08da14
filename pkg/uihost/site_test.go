package uihost

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

func mustZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	raw := map[string][]byte{}
	for k, v := range files {
		raw[k] = []byte(v)
	}
	data, err := DeterministicZip(raw)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func unzip(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(b)
	}
	return out
}

var apiOutputs = map[string]string{
	stacks.OutUserPoolID:       "us-east-1_AbCdEf123",
	stacks.OutUserPoolClientID: "4l1ent1d",
	stacks.OutCognitoDomain:    "https://mlflow-123456789012.auth.us-east-1.amazoncognito.com",
	stacks.OutUIURL:            "https://main.d1abc.amplifyapp.com",
}

func TestSettingsGolden(t *testing.T) {
	s, err := SettingsFromOutputs("us-east-1", "access", apiOutputs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "settings.golden.json"), got)
}

func TestSettingsNeedEveryOutput(t *testing.T) {
	partial := map[string]string{stacks.OutUserPoolID: "p"}
	_, err := SettingsFromOutputs("us-east-1", "access", partial)
	if err == nil || !strings.Contains(err.Error(), stacks.OutUserPoolClientID) || !strings.Contains(err.Error(), "mlflowctl up") {
		t.Fatalf("want the missing outputs named, got %v", err)
	}
	bad := map[string]string{}
	for k, v := range apiOutputs {
		bad[k] = v
	}
	bad[stacks.OutUIURL] = "http://insecure.example"
	if _, err := SettingsFromOutputs("us-east-1", "access", bad); err == nil {
		t.Fatal("an http redirect URI was accepted")
	}
}

func TestSiteAddsSettingsAndIsDeterministic(t *testing.T) {
	build := mustZip(t, map[string]string{"index.html": "<html/>", "static/js/main.js": "js", "mlflowctl-login.js": "login"})
	settings := []byte(`{"region":"us-east-1"}`)
	one, err := Site(build, map[string][]byte{SettingsFile: settings})
	if err != nil {
		t.Fatal(err)
	}
	two, _ := Site(build, map[string][]byte{SettingsFile: settings})
	if !bytes.Equal(one, two) {
		t.Fatal("the same input gave different zips")
	}
	files := unzip(t, one)
	if len(files) != 4 || files[SettingsFile] != string(settings) || files["static/js/main.js"] != "js" {
		t.Fatalf("site files %v", files)
	}
	if _, err := Site(mustZip(t, map[string]string{"build/index.html": ""}), nil); err == nil {
		t.Fatal("a build without index.html at its root was accepted")
	}
}
