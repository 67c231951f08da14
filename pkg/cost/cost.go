// Package cost estimates what a deployment costs per month while nobody
// uses it, from an embedded table of on-demand prices per region.
package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// HoursPerMonth is AWS's billing month (365 × 24 / 12).
const HoursPerMonth = 730

// FallbackRegion prices regions missing from the table.
const FallbackRegion = "us-east-1"

// Prices are the on-demand prices of one region, in USD.
type Prices struct {
	FargateVCPUHour      float64 `json:"fargateVcpuHour"`
	FargateGBHour        float64 `json:"fargateGbHour"`
	FargateArmVCPUHour   float64 `json:"fargateArmVcpuHour"`
	FargateArmGBHour     float64 `json:"fargateArmGbHour"`
	NatGatewayHour       float64 `json:"natGatewayHour"`
	NLBHour              float64 `json:"nlbHour"`
	AuroraACUHour        float64 `json:"auroraAcuHour"`
	AuroraStorageGBMonth float64 `json:"auroraStorageGbMonth"`
	PublicIPv4Hour       float64 `json:"publicIpv4Hour"`
	SecretMonth          float64 `json:"secretMonth"`
	ECRGBMonth           float64 `json:"ecrGbMonth"`
}

//go:embed prices.json
var pricesJSON []byte

var table = mustTable()

func mustTable() map[string]Prices {
	var t struct {
		Regions map[string]Prices `json:"regions"`
	}
	if err := json.Unmarshal(pricesJSON, &t); err != nil {
		panic(fmt.Sprintf("cost: embedded prices.json: %v", err))
	}
	return t.Regions
}

// PricesFor returns a region's prices; ok is false when the region is not
// in the table and the fallback region's prices are returned.
func PricesFor(region string) (p Prices, ok bool) {
	if p, ok := table[region]; ok {
		return p, true
	}
	return table[FallbackRegion], false
}

// Line is one item of an estimate.
type Line struct {
	Item     string  `json:"item"`
	Quantity string  `json:"quantity"`
	Monthly  float64 `json:"monthlyUsd"`
}

// Estimate is a monthly idle cost with how it was reached.
type Estimate struct {
	Region      string   `json:"region"`
	PriceRegion string   `json:"priceRegion"`
	Currency    string   `json:"currency"`
	Lines       []Line   `json:"lines"`
	Total       float64  `json:"totalMonthlyUsd"`
	Assumptions []string `json:"assumptions"`
}

// Idle estimates the monthly cost of cfg's deployment with no traffic:
// what runs around the clock (tasks, NAT, NLB, database floor) plus
// fixed monthly fees. Usage-priced services add nothing while idle.
func Idle(cfg config.Config) Estimate {
	region := cfg.Region
	p, known := PricesFor(region)
	e := Estimate{Region: region, PriceRegion: region, Currency: "USD"}
	if !known {
		e.PriceRegion = FallbackRegion
		e.Assumptions = append(e.Assumptions, unknownRegion(region))
	}
	e.add(fargate("MLflow tracking server", cfg.Server, p))
	if cfg.UsesSeparateGateway() {
		e.add(fargate("MLflow AI gateway (2.x)", cfg.Gateway.Service, p))
	}
	nat := float64(cfg.Network.NatGateways)
	e.add(Line{"NAT gateways", fmt.Sprintf("%d × %d h", cfg.Network.NatGateways, HoursPerMonth), nat * HoursPerMonth * p.NatGatewayHour})
	e.add(Line{"Public IPv4 addresses (NAT)", fmt.Sprintf("%d × %d h", cfg.Network.NatGateways, HoursPerMonth), nat * HoursPerMonth * p.PublicIPv4Hour})
	e.add(Line{"Network load balancer", fmt.Sprintf("%d h", HoursPerMonth), HoursPerMonth * p.NLBHour})
	e.add(aurora(cfg.Database, p))
	if cfg.Database.MinCapacity == 0 {
		e.Assumptions = append(e.Assumptions, auroraPause)
	}
	e.add(Line{"Aurora storage", "1 GB", p.AuroraStorageGBMonth})
	e.add(Line{"RDS-managed secret (Secrets Manager)", "1 secret", p.SecretMonth})
	if cfg.Gateway.Enabled && !cfg.UsesSeparateGateway() {
		e.add(Line{"AI gateway passphrase (Secrets Manager)", "1 secret", p.SecretMonth})
	}
	e.add(Line{"ECR image storage", "2 GB", 2 * p.ECRGBMonth})
	e.Assumptions = append(e.Assumptions,
		"on-demand list prices (USD, 2025) from the embedded table; taxes, credits and savings plans not included",
		fmt.Sprintf("%d hours a month; tasks run at their desired count, without autoscaling", HoursPerMonth),
		"no traffic: API Gateway, Lambda, Amplify hosting, S3 requests, NAT and NLB data processing are billed per use and count as 0",
		"Cognito: fewer monthly active users than the free tier; SageMaker Studio: no apps running (only home file system storage, not counted)",
		"CloudWatch logs, Container Insights metrics and X-Ray traces are billed by volume and not counted",
	)
	e.Total = round2(e.Total)
	return e
}

func (e *Estimate) add(l Line) {
	l.Monthly = round2(l.Monthly)
	e.Lines = append(e.Lines, l)
	e.Total += l.Monthly
}

func fargate(name string, s config.Service, p Prices) Line {
	vcpu, gb := p.FargateVCPUHour, p.FargateGBHour
	if s.Architecture == "arm64" {
		vcpu, gb = p.FargateArmVCPUHour, p.FargateArmGBHour
	}
	cpus := float64(s.CPU) / 1024
	mem := float64(s.Memory) / 1024
	perTask := cpus*vcpu + mem*gb
	return Line{
		Item:     "Fargate: " + name,
		Quantity: fmt.Sprintf("%d × (%g vCPU, %g GB, %s) × %d h", s.DesiredCount, cpus, mem, s.Architecture, HoursPerMonth),
		Monthly:  float64(s.DesiredCount) * perTask * HoursPerMonth,
	}
}

// auroraPause says when "0 ACU when idle" holds. Aurora pauses only after
// SecondsUntilAutoPause (3600 in the server stack) with no connection.
// mlflowctl's server image keeps none open while idle: no connection pool,
// no MLflow 3.x job runner or periodic tasks, a health check that does not
// touch the database (measured with pg_stat_activity and PostgreSQL's
// connection log over 70 s of no traffic: 0 connections, 0 logins, on
// 2.12.2 and 3.18.0; pkg/build TestServerRuntimeWithRealMLflow/*/idle).
const auroraPause = "Aurora pauses 1 h after the last MLflow request and resumes on the next one (about 15 s); " +
	"that hour and the hours of use are billed per ACU and not counted; a server.image of your own must also keep no connection open"

func aurora(d config.Database, p Prices) Line {
	if d.MinCapacity == 0 {
		return Line{"Aurora Serverless v2 compute", "0 ACU when idle (pauses 1 h after the last request)", 0}
	}
	return Line{
		Item:     "Aurora Serverless v2 compute",
		Quantity: fmt.Sprintf("%g ACU minimum × %d h", d.MinCapacity, HoursPerMonth),
		Monthly:  d.MinCapacity * HoursPerMonth * p.AuroraACUHour,
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func unknownRegion(r string) string {
	if r == "" {
		return "no region given (region in mlflowctl.yaml or --region): " + FallbackRegion + " prices used"
	}
	return fmt.Sprintf("region %s is not in the price table: %s prices used", r, FallbackRegion)
}
