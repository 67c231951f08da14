package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/preflight"
)

// TestDoctorTableIsNotPaddedToTheLongestDetail (found in issue 22's
// re-check): doctor's table had a third FIX column after RESULT, so every
// row was padded to the longest detail (a 300-character "could not
// check" SDK error): on a 120-column terminal each row wrapped, its "-"
// stranded on a line of its own, and a pipe got lines of 300+ spaces.
// The fix now follows its result; no line ends in spaces.
func TestDoctorTableIsNotPaddedToTheLongestDetail(t *testing.T) {
	t.Parallel()
	rep := preflight.Report{Results: []preflight.Result{
		{Check: "credentials and region", Status: preflight.OK, Detail: "arn:aws:sts::123456789012:user/dev"},
		{Check: "quota Elastic IPs", Status: preflight.Warn, Detail: "could not check:" + strings.Repeat(" operation error Service Quotas", 10)},
		{Check: "service-linked role ecs.amazonaws.com", Status: preflight.Fixable, Detail: "AWSServiceRoleForECS is missing", Fix: "up creates it"},
	}}
	var out bytes.Buffer
	if err := printPreflight(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("line ends in spaces: %q", line)
		}
		if strings.Contains(line, "credentials and region") && len(line) > 80 {
			t.Errorf("a short row is padded to the longest detail (%d wide): %q", len(line), line)
		}
	}
	for _, want := range []string{"OK: arn:aws:sts::123456789012:user/dev", "FIXABLE: AWSServiceRoleForECS is missing", "up creates it"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
