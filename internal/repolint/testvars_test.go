// Package repolint holds checks over the whole repository's source.
package repolint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoTestAssignsAPackageVariable (issue 19): test seams are fields of
// a command's options or environment, never package variables a test
// swaps, so tests do not leak into each other and can run in parallel.
// It looks at every _test.go file for an assignment to a package-level
// variable the package's own (non-test) files declare.
func TestNoTestAssignsAPackageVariable(t *testing.T) {
	root := filepath.Join("..", "..")
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") && p != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			dirs[filepath.Dir(p)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for dir := range dirs {
		checked += checkDir(t, dir)
	}
	if checked == 0 {
		t.Fatal("no test file was checked: the walk found nothing")
	}
}

// checkDir reports the assignments in dir's tests and returns how many
// test files it read.
func checkDir(t *testing.T, dir string) int {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	var tests []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), "_test.go") {
			tests = append(tests, f)
			continue
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						vars[n.Name] = true
					}
				}
			}
		}
	}
	for _, f := range tests {
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
				// An identifier the file does not resolve is declared at
				// package level in another file: the package's variable.
				if id, ok := x.(*ast.Ident); ok && id.Obj == nil && vars[id.Name] {
					t.Errorf("%s: a test assigns the package variable %s: make it a field of the options or environment", fset.Position(id.Pos()), id.Name)
				}
			}
			return true
		})
	}
	return len(tests)
}
