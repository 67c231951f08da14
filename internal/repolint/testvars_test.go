// Package repolint holds checks over the whole repository's source.
package repolint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/mlflowctl/mlflowctl"

// goPackage is one directory's Go files: the package-level variables its
// non-test files declare, and its test files.
type goPackage struct {
	name  string
	vars  map[string]bool
	tests []*ast.File
}

// TestNoTestAssignsAPackageVariable (issue 19): test seams are fields of
// a command's options or environment, never package variables a test
// swaps, so tests do not leak into each other and can run in parallel.
// It looks at every _test.go file for an assignment to a package-level
// variable declared by the package's own non-test files (`seam = …`) or
// by another package of this module (`cli.Seam = …`, from an external
// test package or any other test).
func TestNoTestAssignsAPackageVariable(t *testing.T) {
	fset := token.NewFileSet()
	pkgs := parseModule(t, fset, filepath.Join("..", ".."))
	checked := 0
	for _, p := range pkgs {
		for _, f := range p.tests {
			for _, bad := range assignedPackageVars(f, p, pkgs) {
				t.Errorf("%s: a test assigns the package variable %s: make it a field of the options or environment", fset.Position(bad.Pos()), exprString(bad))
			}
		}
		checked += len(p.tests)
	}
	if checked == 0 {
		t.Fatal("no test file was checked: the walk found nothing")
	}
}

// TestTheCheckSeesQualifiedAssignments feeds the check a test file that
// swaps another package's variable, and one that swaps its own.
func TestTheCheckSeesQualifiedAssignments(t *testing.T) {
	fset := token.NewFileSet()
	src := `package cli_test
import (
	"testing"
	cli "github.com/mlflowctl/mlflowctl/internal/cli"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)
var local int
func TestX(t *testing.T) {
	cli.Hook = nil
	deploy.Count++
	local = 1
	x := 2
	x = 3
	_ = x
	seam = 4
}`
	f, err := parser.ParseFile(fset, "x_test.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*goPackage{
		module + "/internal/cli": {name: "cli", vars: map[string]bool{"Hook": true, "seam": true}},
		module + "/pkg/deploy":   {name: "deploy", vars: map[string]bool{"Count": true}},
	}
	var got []string
	for _, bad := range assignedPackageVars(f, pkgs[module+"/internal/cli"], pkgs) {
		got = append(got, exprString(bad))
	}
	if strings.Join(got, " ") != "cli.Hook deploy.Count seam" {
		t.Fatalf("the check found %v, want cli.Hook deploy.Count seam", got)
	}
}

// parseModule parses every Go package under root, keyed by import path.
func parseModule(t *testing.T, fset *token.FileSet, root string) map[string]*goPackage {
	t.Helper()
	pkgs := map[string]*goPackage{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") && p != root {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if pkg := parseDir(t, fset, p); pkg != nil {
			pkgs[path.Join(module, filepath.ToSlash(rel))] = pkg
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// parseDir reads one directory's Go files (nil when it has none).
func parseDir(t *testing.T, fset *token.FileSet, dir string) *goPackage {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pkg *goPackage
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if pkg == nil {
			pkg = &goPackage{vars: map[string]bool{}}
		}
		if strings.HasSuffix(e.Name(), "_test.go") {
			pkg.tests = append(pkg.tests, f)
			continue
		}
		pkg.name = f.Name.Name
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						pkg.vars[n.Name] = true
					}
				}
			}
		}
	}
	return pkg
}

// assignedPackageVars lists the left-hand sides in test file f (of
// package own) that are package-level variables of own or of another
// package of the module.
func assignedPackageVars(f *ast.File, own *goPackage, pkgs map[string]*goPackage) []ast.Expr {
	imported := importsOf(f, pkgs)
	var bad []ast.Expr
	ast.Inspect(f, func(n ast.Node) bool {
		var lhs []ast.Expr
		switch s := n.(type) {
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE {
				lhs = s.Lhs
			}
		case *ast.IncDecStmt:
			lhs = []ast.Expr{s.X}
		}
		for _, x := range lhs {
			switch e := x.(type) {
			case *ast.Ident:
				// An identifier the file does not resolve is declared at
				// package level in another file: the package's variable.
				if e.Obj == nil && own.vars[e.Name] {
					bad = append(bad, e)
				}
			case *ast.SelectorExpr:
				if id, ok := e.X.(*ast.Ident); ok && id.Obj == nil && imported[id.Name] != nil && imported[id.Name].vars[e.Sel.Name] {
					bad = append(bad, e)
				}
			}
		}
		return true
	})
	return bad
}

// importsOf maps the names f uses for the module's packages to them.
func importsOf(f *ast.File, pkgs map[string]*goPackage) map[string]*goPackage {
	out := map[string]*goPackage{}
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil || pkgs[p] == nil {
			continue
		}
		name := pkgs[p].name
		if im.Name != nil {
			name = im.Name.Name
		}
		out[name] = pkgs[p]
	}
	return out
}

func exprString(x ast.Expr) string {
	if s, ok := x.(*ast.SelectorExpr); ok {
		return exprString(s.X) + "." + s.Sel.Name
	}
	if id, ok := x.(*ast.Ident); ok {
		return id.Name
	}
	return "?"
}
