package wizard

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Found re-checking issue 22 item 13 (China and GovCloud refused
// clearly): the region menu listed what DescribeRegions returned, cn-*
// and us-gov-* among them (moto returns them; an account in another
// partition would too), and took cn-north-1; the user answered every
// question and saw the refusal only after "Write mlflowctl.yaml?". The
// menu offers only the regions mlflowctl supports and refuses another
// typed at it, re-asking.
func TestRegionMenuOffersOnlySupportedPartitions(t *testing.T) {
	t.Chdir(t.TempDir())
	lk := listingLookup()
	lk.regions = append(lk.regions, "cn-north-1", "us-gov-west-1")
	res, out, err := runPiped(t, lk, "\ncn-north-1\nus-gov-west-1\neu-west-1\n\n\n\n\n\n\n\n\ny\n")
	if err != nil || !res.Written {
		t.Fatalf("res=%+v err=%v\n%s", res, err, out)
	}
	if res.Config.Region != "eu-west-1" {
		t.Fatalf("region %q, want eu-west-1 after two refused answers\n%s", res.Config.Region, out)
	}
	menu, _, _ := strings.Cut(out, "Deployment name")
	for _, r := range []string{". cn-north-1", ". us-gov-west-1"} {
		if strings.Contains(menu, r) {
			t.Errorf("the region menu offers %s:\n%s", r, menu)
		}
	}
	if !strings.Contains(out, `"cn-north-1" is not a choice`) && !strings.Contains(out, "aws-cn") {
		t.Errorf("cn-north-1 was not refused at the menu:\n%s", out)
	}
}

// A default region in another partition (AWS_REGION=cn-north-1) is not
// the menu's default: the first supported one is not picked silently
// either (af-south-1, an opt-in region, was); us-east-1 is.
func TestRegionDefaultFromAnotherPartitionFallsBackToUSEast1(t *testing.T) {
	t.Chdir(t.TempDir())
	o := Options{Base: config.Defaults(), Path: "mlflowctl.yaml", Lookup: &fakeLookup{regions: []string{"af-south-1", "cn-north-1", "eu-west-1", "us-east-1"}},
		Width: 100, Height: 40, NoColor: true, Accessible: true, EnvRegion: "cn-north-1"}
	var buf bytes.Buffer
	o.In, o.Out = strings.NewReader(strings.Repeat("\n", 12)+"y\n"), &buf
	res, err := Run(context.Background(), o)
	if err != nil || res.Config.Region != "us-east-1" {
		t.Fatalf("region %q err=%v\n%s", res.Config.Region, err, buf.String())
	}
}
