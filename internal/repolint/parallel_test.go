package repolint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// processCalls change the whole test process: a test calling one cannot
// run in parallel with the others, and the ones in parallel with it see
// its change.
// go-keyring's mocks swap its package-wide provider: parallel login tests
// raced on it under -race (CI of this session); each store gets its own
// keychain (pkg/login/keychaintest) instead.
var processCalls = map[string]bool{"t.Setenv": true, "t.Chdir": true, "os.Setenv": true, "os.Unsetenv": true, "os.Chdir": true,
	"keyring.MockInit": true, "keyring.MockInitWithError": true}

// TestCLITestsRunInParallel (issue 19 item 3): internal/cli's tests give
// each command its working directory and variables through the command's
// environment, so none changes the process and each calls t.Parallel().
// A test that genuinely cannot run in parallel says why on the line
// before it: `// not parallel: <reason>`. TestMain may prepare the
// process before any test runs.
func TestCLITestsRunInParallel(t *testing.T) {
	problems, tests := parallelProblems(t, filepath.Join("..", "cli"))
	if tests == 0 {
		t.Fatal("no test function was found in internal/cli")
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// parallelProblems lists what keeps dir's tests from running in parallel
// and counts its test functions.
func parallelProblems(t *testing.T, dir string) ([]string, int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	tests := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || fn.Name.Name == "TestMain" {
				continue
			}
			for _, call := range processCallsIn(fn) {
				out = append(out, fset.Position(call.Pos()).String()+": "+callName(call)+" changes the process: give the command its own through its environment (testenv_test.go)")
			}
			if isTest(fn) {
				tests++
				if !callsParallel(fn) && !excused(fn) {
					out = append(out, fset.Position(fn.Pos()).String()+": "+fn.Name.Name+" does not call t.Parallel() (or say why on the line before: // not parallel: <reason>)")
				}
			}
		}
	}
	return out, tests
}

func isTest(fn *ast.FuncDecl) bool {
	return fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") && fn.Type.Params.NumFields() == 1
}

func callName(c *ast.CallExpr) string {
	if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
		if x, ok := sel.X.(*ast.Ident); ok {
			return x.Name + "." + sel.Sel.Name
		}
	}
	return ""
}

func processCallsIn(fn *ast.FuncDecl) []*ast.CallExpr {
	var out []*ast.CallExpr
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && processCalls[callName(c)] {
			out = append(out, c)
		}
		return true
	})
	return out
}

// callsParallel: the test's first statement is t.Parallel().
func callsParallel(fn *ast.FuncDecl) bool {
	if len(fn.Body.List) == 0 {
		return false
	}
	e, ok := fn.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return false
	}
	c, ok := e.X.(*ast.CallExpr)
	return ok && callName(c) == "t.Parallel"
}

// excused: the comment right before the function says why it is not
// parallel, with a reason.
func excused(fn *ast.FuncDecl) bool {
	if fn.Doc == nil {
		return false
	}
	last := fn.Doc.List[len(fn.Doc.List)-1].Text
	reason, ok := strings.CutPrefix(last, "// not parallel:")
	return ok && strings.TrimSpace(reason) != ""
}
