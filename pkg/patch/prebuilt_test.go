package patch

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// TestBothPathsAddTheSameBytes is "one patch, two targets": for each
// supported version, the source path (the project's patch applied to the
// real public/ tree, then minified as CRA does) and the prebuilt path (the
// insertion derived from the same patch, put into the release's real
// build/index.html) give the same index.html apart from the bundle tags
// CRA adds, and the same login script file.
func TestBothPathsAddTheSameBytes(t *testing.T) {
	ins, err := DeriveInsertion(mustOwnSeries(t))
	if err != nil {
		t.Fatal(err)
	}
	script, _ := os.ReadFile(loginJS)
	if len(ins.Files) != 1 || !bytes.Equal(ins.Files["mlflowctl-login.js"], script) || len(ins.HeadTags) != 1 {
		t.Fatalf("derived insertion: tags %q, files %v", ins.HeadTags, sortedKeys(ins.Files))
	}
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			public, err := os.ReadFile("testdata/mlflow-" + v + "/public/index.html")
			if err != nil {
				t.Fatal(err)
			}
			built, err := os.ReadFile("testdata/mlflow-" + v + "/build/index.html")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			write(t, filepath.Join(dir, indexPath), public)
			if _, err := ApplyToDir(dir, mustOwnSeries(t)); err != nil {
				t.Fatal(err)
			}
			sourceIndex, _ := os.ReadFile(filepath.Join(dir, indexPath))
			sourceScript, _ := os.ReadFile(filepath.Join(dir, scriptPath))

			site := map[string][]byte{"index.html": built}
			if err := ins.ApplyToBuild(site); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(site["mlflowctl-login.js"], sourceScript) {
				t.Fatal("the prebuilt site's login script differs from the one the patch puts in public/")
			}
			head, _, ok := strings.Cut(string(built), "</head>")
			if !ok {
				t.Fatal("the release's index.html has no </head>")
			}
			added := strings.Replace(string(site["index.html"]), head, "", 1)
			if tag := strings.TrimSpace(scriptTag); !strings.HasPrefix(added, tag+"</head>") {
				t.Fatalf("prebuilt insertion %q, want the patch's line %q", added, tag)
			}
			if src, pre := minified(string(sourceIndex)), withoutBundle(string(site["index.html"])); src != pre {
				t.Fatalf("the two paths' index.html differ beyond the bundle tags:\nsource:   %s\nprebuilt: %s", src, pre)
			}
		})
	}
}

// TestInsertHeadTagsOnTheMinifiedLine checks the insertion is structural:
// the real build/index.html is one line with no newline before </head>,
// where a line-based patch goes wrong (GNU patch appends after </html>).
func TestInsertHeadTagsOnTheMinifiedLine(t *testing.T) {
	built, err := os.ReadFile("testdata/mlflow-" + config.DefaultMLflowVersion + "/build/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(bytes.TrimSpace(built), []byte("\n")); n != 0 {
		t.Fatalf("fixture has %d newlines, want the one-line build", n)
	}
	tag := strings.TrimSpace(scriptTag)
	out, err := InsertHeadTags(built, []string{tag})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(out, []byte(tag)) != 1 || !bytes.Contains(out, []byte(tag+"</head><body>")) {
		t.Fatalf("tag not once before </head>: %s", out)
	}
	if _, err := InsertHeadTags(out, []string{tag}); err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("a second insertion must fail, got %v", err)
	}
	noTitle := bytes.Replace(built, []byte("<title>MLflow</title>"), []byte("<title>Other</title>"), 1)
	var anchor *AnchorError
	if _, err := InsertHeadTags(noTitle, []string{tag}); !errors.As(err, &anchor) || !strings.Contains(err.Error(), "<title>MLflow</title>") {
		t.Fatalf("want an anchor error naming the title, got %v", err)
	}
	noHead := bytes.Replace(built, []byte("</head>"), nil, 1)
	if _, err := InsertHeadTags(noHead, []string{tag}); !errors.As(err, &anchor) {
		t.Fatalf("want an anchor error without </head>, got %v", err)
	}
}

// TestGNUPatchMisplacesTheTagInTheBuild records why the insertion is not a
// text patch: GNU patch "succeeds" on the one-line build and puts the tag
// after </html>.
func TestGNUPatchMisplacesTheTagInTheBuild(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("GNU patch not installed")
	}
	dir := t.TempDir()
	built, _ := os.ReadFile("testdata/mlflow-" + config.DefaultMLflowVersion + "/build/index.html")
	write(t, filepath.Join(dir, "mlflow/server/js/public/index.html"), built)
	cmd := exec.Command("patch", "-p1", "--forward", "--fuzz=3", "-s")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(mustOwnSeries(t)[0].Data)
	_ = cmd.Run() // its exit status is not the point: where the tag lands is
	got, _ := os.ReadFile(filepath.Join(dir, "mlflow/server/js/public/index.html"))
	if i, j := bytes.Index(got, []byte("mlflowctl-login.js")), bytes.Index(got, []byte("</head>")); i >= 0 && i < j {
		t.Fatalf("GNU patch put the tag inside <head>; the structural insertion may no longer be needed:\n%s", got)
	}
}

func TestDeriveInsertionChoosesTheSourcePath(t *testing.T) {
	own := mustOwnSeries(t)
	cases := map[string]string{
		"outside public/":          "diff --git a/mlflow/server/js/src/app.js b/mlflow/server/js/src/app.js\n--- a/mlflow/server/js/src/app.js\n+++ b/mlflow/server/js/src/app.js\n@@ -1 +1 @@\n-a\n+b\n",
		"index.html line removed":  "diff --git a/mlflow/server/js/public/index.html b/mlflow/server/js/public/index.html\n--- a/mlflow/server/js/public/index.html\n+++ b/mlflow/server/js/public/index.html\n@@ -13,2 +13,1 @@\n     <title>MLflow</title>\n-  </head>\n",
		"index.html added in body": "diff --git a/mlflow/server/js/public/index.html b/mlflow/server/js/public/index.html\n--- a/mlflow/server/js/public/index.html\n+++ b/mlflow/server/js/public/index.html\n@@ -1,1 +1,2 @@\n   <body>\n+    <div></div>\n",
	}
	for name, diff := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DeriveInsertion(append(own, PatchFile{Name: "user.patch", Data: []byte(diff)}))
			var so *SourceOnlyError
			if !errors.As(err, &so) || so.Patch != "user.patch" {
				t.Fatalf("want a SourceOnlyError naming user.patch, got %v", err)
			}
		})
	}
	publicOnly := "diff --git a/mlflow/server/js/public/robots.txt b/mlflow/server/js/public/robots.txt\nnew file mode 100644\n--- /dev/null\n+++ b/mlflow/server/js/public/robots.txt\n@@ -0,0 +1 @@\n+User-agent: *\n"
	ins, err := DeriveInsertion(append(own, PatchFile{Name: "robots.patch", Data: []byte(publicOnly)}))
	if err != nil || string(ins.Files["robots.txt"]) != "User-agent: *\n" {
		t.Fatalf("a public/-only patch must carry to the build: %v %v", err, sortedKeys(ins.Files))
	}
}
