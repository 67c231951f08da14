package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

// TestVerboseEmulatorLineNamesAWSEndpointURL (issue 22, walk-through F19):
// with AWS_ENDPOINT_URL pointing at moto, -v said "emulator setting: off
// (AWS endpoints)" although no call went to AWS.
func TestVerboseEmulatorLineNamesAWSEndpointURL(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	setVar(t, "AWS_ENDPOINT_URL", srv.URL)
	var out, errOut bytes.Buffer
	args := []string{"whoami", "-v", "--region", mototest.Region}
	if err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, environment{})); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut.String())
	}
	log := errOut.String()
	if strings.Contains(log, "(AWS endpoints)") || !strings.Contains(log, "calls go to "+srv.URL) {
		t.Fatalf("-v with AWS_ENDPOINT_URL=%s:\n%s", srv.URL, log)
	}
}
