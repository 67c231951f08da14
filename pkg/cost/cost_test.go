package cost

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

func line(t *testing.T, e Estimate, prefix string) (Line, bool) {
	t.Helper()
	for _, l := range e.Lines {
		if strings.HasPrefix(l.Item, prefix) {
			return l, true
		}
	}
	return Line{}, false
}

func TestEveryRegionHasEveryPrice(t *testing.T) {
	if len(table) < 10 {
		t.Fatalf("price table has %d regions", len(table))
	}
	for r := range table {
		p, ok := PricesFor(r)
		if !ok {
			t.Fatalf("%s listed but not found", r)
		}
		v := reflect.ValueOf(p)
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).Float() <= 0 {
				t.Errorf("%s: %s is %v", r, v.Type().Field(i).Name, v.Field(i).Float())
			}
		}
		if p.FargateArmVCPUHour >= p.FargateVCPUHour {
			t.Errorf("%s: arm64 vCPU not cheaper than x86_64", r)
		}
	}
}

func TestFargateLineFollowsSizeAndCount(t *testing.T) {
	cfg := config.Defaults()
	cfg.Region = "eu-west-1"
	cfg.Server = config.Service{CPU: 2048, Memory: 4096, DesiredCount: 3, MaxCount: 6, Architecture: "x86_64"}
	p, _ := PricesFor("eu-west-1")
	want := 3 * (2*p.FargateVCPUHour + 4*p.FargateGBHour) * HoursPerMonth
	l, ok := line(t, Idle(cfg), "Fargate: MLflow tracking server")
	if !ok || math.Abs(l.Monthly-want) > 0.01 {
		t.Fatalf("server line %+v, want %.2f", l, want)
	}
	cfg.Server.Architecture = "arm64"
	arm, _ := line(t, Idle(cfg), "Fargate: MLflow tracking server")
	if arm.Monthly >= l.Monthly {
		t.Fatalf("arm64 %.2f not below x86_64 %.2f", arm.Monthly, l.Monthly)
	}
}

func TestNatGatewaysScaleAndAuroraPauses(t *testing.T) {
	cfg := config.Defaults()
	cfg.Region = "us-east-1"
	one, _ := line(t, Idle(cfg), "NAT gateways")
	cfg.Network.NatGateways = 2
	two, _ := line(t, Idle(cfg), "NAT gateways")
	if math.Abs(two.Monthly-2*one.Monthly) > 0.011 || one.Monthly <= 0 {
		t.Fatalf("NAT 1: %.2f, 2: %.2f", one.Monthly, two.Monthly)
	}
	if a, _ := line(t, Idle(cfg), "Aurora Serverless v2 compute"); a.Monthly != 0 {
		t.Fatalf("min capacity 0 should cost no compute, got %.2f", a.Monthly)
	}
	// The estimate says when the pause happens and what it does not count.
	if !slices.Contains(Idle(cfg).Assumptions, auroraPause) {
		t.Fatalf("min capacity 0 without the pause assumption: %v", Idle(cfg).Assumptions)
	}
	cfg.Database.MinCapacity = 0.5
	if slices.Contains(Idle(cfg).Assumptions, auroraPause) {
		t.Fatal("min capacity 0.5 never pauses: no pause assumption")
	}
	if a, _ := line(t, Idle(cfg), "Aurora Serverless v2 compute"); a.Monthly <= 0 {
		t.Fatalf("min capacity 0.5 should cost compute, got %.2f", a.Monthly)
	}
}

func TestGatewayServiceOnlyOnMLflow2(t *testing.T) {
	cfg := config.Defaults()
	if _, ok := line(t, Idle(cfg), "Fargate: MLflow AI gateway"); ok {
		t.Fatal("MLflow 3 has no separate gateway service to pay for")
	}
	cfg.MLflowVersion = "2.12.2"
	if _, ok := line(t, Idle(cfg), "Fargate: MLflow AI gateway"); !ok {
		t.Fatal("MLflow 2 runs a separate gateway service")
	}
	cfg.Gateway.Enabled = false
	if _, ok := line(t, Idle(cfg), "Fargate: MLflow AI gateway"); ok {
		t.Fatal("gateway disabled, still priced")
	}
}

func TestTotalIsSumAndUnknownRegionSaysSo(t *testing.T) {
	cfg := config.Defaults()
	cfg.Region = "me-central-1"
	e := Idle(cfg)
	sum := 0.0
	for _, l := range e.Lines {
		sum += l.Monthly
	}
	if math.Abs(sum-e.Total) > 0.01 {
		t.Fatalf("total %.2f, lines sum to %.2f", e.Total, sum)
	}
	if e.PriceRegion != FallbackRegion || !strings.Contains(strings.Join(e.Assumptions, "\n"), "me-central-1") {
		t.Fatalf("unknown region not reported: %+v", e)
	}
	cfg.Region = "eu-central-1"
	if e := Idle(cfg); e.PriceRegion != "eu-central-1" || e.Total <= 0 {
		t.Fatalf("known region: %+v", e)
	}
}
