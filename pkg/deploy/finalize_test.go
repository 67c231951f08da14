package deploy

import (
	"bytes"
	"testing"
	"testing/synctest"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// TestFinalizeSeesEveryParameter: Finalize runs once imports and Before
// hooks have given every parameter, and the template it returns is the
// one submitted (the api stack names its deployment after the NLB this
// way, issue 16).
func TestFinalizeSeesEveryParameter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, _ := newEngine(f, Options{})
		d := graph()
		var seen map[string]string
		d.Stacks[2].Finalize = func(tpl []byte, params map[string]string) ([]byte, error) {
			seen = params
			return bytes.Replace(tpl, []byte("api123"), []byte("api-"+params["Bucket"]), 1), nil
		}
		outs, err := e.Deploy(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		if seen["Bucket"] != "ml-assets" {
			t.Errorf("Finalize saw parameters %v, want the imported Bucket", seen)
		}
		if outs["api"]["RestApiId"] != "api-ml-assets" {
			t.Errorf("the submitted template was not the finalized one: outputs %v", outs["api"])
		}
	})
}
