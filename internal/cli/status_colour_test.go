package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// TestStatusColoursEachStackState (walk-through F23, re-checked for issue
// 22): on a terminal `status` printed CREATE_COMPLETE and "not deployed"
// alike. With colour on, a complete stack is green, a failed one red, one
// in progress yellow and a missing one faint; the columns stay aligned
// (the text without escapes is the plain table), and without colour
// (NO_COLOR, a pipe) there is no escape at all.
func TestStatusColoursEachStackState(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	rows := []deploy.StackStatus{
		{Name: "demo-bootstrap", Exists: true, Status: "CREATE_COMPLETE", Updated: at},
		{Name: "demo-server", Exists: true, Status: "CREATE_FAILED", Updated: at, Reason: "quota"},
		{Name: "demo-api", Exists: true, Status: "CREATE_IN_PROGRESS", Updated: at},
		{Name: "demo-ui"},
	}
	var plain, coloured bytes.Buffer
	if err := printStackTable(&plain, rows, false); err != nil {
		t.Fatal(err)
	}
	if err := printStackTable(&coloured, rows, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("escapes without colour:\n%q", plain.String())
	}
	if got := ansi.Strip(coloured.String()); got != plain.String() {
		t.Errorf("colour changed the table's text or alignment:\n%s\nwant\n%s", got, plain.String())
	}
	for _, want := range []string{"\x1b[32mCREATE_COMPLETE\x1b[0m", "\x1b[31mCREATE_FAILED: quota\x1b[0m", "\x1b[33mCREATE_IN_PROGRESS\x1b[0m", "\x1b[2mnot deployed\x1b[0m"} {
		if !strings.Contains(coloured.String(), want) {
			t.Errorf("coloured table lacks %q:\n%q", want, coloured.String())
		}
	}
}
