package preflight

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
)

// quota is one limit a new deployment consumes. Codes from the Service
// Quotas console and the service guides' quota pages:
//   - vpc L-F678F1CE "VPCs per Region" (Amazon VPC quotas, default 5)
//   - vpc L-FE5A380F "NAT gateways per Availability Zone" (default 5)
//   - ec2 L-0263D0A3 "EC2-VPC Elastic IPs" (default 5)
//   - fargate L-3032A538 "Fargate On-Demand vCPU resource count"
//   - rds L-952B80B8 "DB clusters" (Aurora and Multi-AZ clusters, default 40)
type quota struct {
	label, service, code string
	need                 func(e *env) float64
	usage                func(ctx context.Context, e *env) (float64, error)
	fix                  string
}

func quotas() []quota {
	return []quota{
		{"VPCs", "vpc", "L-F678F1CE", func(*env) float64 { return 1 }, countVPCs, "delete an unused VPC"},
		{"Elastic IPs", "ec2", "L-0263D0A3", func(e *env) float64 { return float64(e.cfg.Network.NatGateways) }, countEIPs, "release an unused Elastic IP, or set network.natGateways to 1"},
		{"NAT gateways per AZ", "vpc", "L-FE5A380F", func(e *env) float64 { return min(1, float64(e.cfg.Network.NatGateways)) }, maxNATsPerAZ, "delete an unused NAT gateway"},
		{"Fargate vCPUs", "fargate", "L-3032A538", fargateNeed, countFargateVCPUs, "stop unused Fargate tasks, or lower server.cpu"},
		{"Aurora DB clusters", "rds", "L-952B80B8", func(*env) float64 { return 1 }, countDBClusters, "delete an unused DB cluster"},
	}
}

// fargateNeed is the vCPUs the deployment's services start with.
func fargateNeed(e *env) float64 {
	n := float64(e.cfg.Server.CPU*e.cfg.Server.DesiredCount) / 1024
	if e.cfg.UsesSeparateGateway() {
		n += float64(e.cfg.Gateway.CPU*e.cfg.Gateway.DesiredCount) / 1024
	}
	return n
}

func checkQuotas(ctx context.Context, e *env) []Result {
	var out []Result
	_, deployed := e.deployed["server"]
	for _, q := range quotas() {
		name := "quota " + q.label
		if deployed {
			out = append(out, Result{Check: name, Status: OK, Detail: "the server stack exists; an update consumes nothing new"})
			continue
		}
		limit, err := quotaValue(ctx, e.c.Quotas, q.service, q.code)
		if err != nil {
			out = append(out, couldNotCheck(name, "servicequotas:GetServiceQuota "+q.service+"/"+q.code, err))
			continue
		}
		used, err := q.usage(ctx, e)
		if err != nil {
			out = append(out, couldNotCheck(name, "counting "+q.label, err))
			continue
		}
		need := q.need(e)
		detail := fmt.Sprintf("%s in use of %s; the deployment needs %s", num(used), num(limit), num(need))
		if used+need > limit {
			out = append(out, Result{Check: name, Status: Fail, Detail: detail,
				Fix: fmt.Sprintf("%s, or request an increase of %s/%s in Service Quotas", q.fix, q.service, q.code)})
			continue
		}
		out = append(out, Result{Check: name, Status: OK, Detail: detail})
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// quotaValue is the account's applied quota, else AWS's default (a quota
// never raised has no applied value).
func quotaValue(ctx context.Context, c QuotasAPI, service, code string) (float64, error) {
	out, err := c.GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{ServiceCode: aws.String(service), QuotaCode: aws.String(code)})
	if err == nil && out.Quota != nil && out.Quota.Value != nil {
		return *out.Quota.Value, nil
	}
	def, derr := c.GetAWSDefaultServiceQuota(ctx, &servicequotas.GetAWSDefaultServiceQuotaInput{ServiceCode: aws.String(service), QuotaCode: aws.String(code)})
	if derr != nil {
		if err != nil {
			return 0, err
		}
		return 0, derr
	}
	if def.Quota == nil || def.Quota.Value == nil {
		return 0, fmt.Errorf("no value for %s/%s", service, code)
	}
	return *def.Quota.Value, nil
}

func countVPCs(ctx context.Context, e *env) (float64, error) {
	n := 0
	p := ec2.NewDescribeVpcsPaginator(e.c.EC2, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(page.Vpcs)
	}
	return float64(n), nil
}

func countEIPs(ctx context.Context, e *env) (float64, error) {
	out, err := e.c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{
		Filters: []ec2types.Filter{{Name: aws.String("domain"), Values: []string{"vpc"}}},
	})
	if err != nil {
		return 0, err
	}
	return float64(len(out.Addresses)), nil
}

// maxNATsPerAZ is the fullest zone's count of live NAT gateways: the new
// ones may land in any zone.
func maxNATsPerAZ(ctx context.Context, e *env) (float64, error) {
	bySubnet := map[string]int{}
	p := ec2.NewDescribeNatGatewaysPaginator(e.c.EC2, &ec2.DescribeNatGatewaysInput{
		Filter: []ec2types.Filter{{Name: aws.String("state"), Values: []string{"pending", "available"}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, g := range page.NatGateways {
			bySubnet[aws.ToString(g.SubnetId)]++
		}
	}
	if len(bySubnet) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(bySubnet))
	for id := range bySubnet {
		ids = append(ids, id)
	}
	subs, err := e.c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return 0, err
	}
	byAZ := map[string]int{}
	most := 0
	for _, s := range subs.Subnets {
		az := aws.ToString(s.AvailabilityZone)
		byAZ[az] += bySubnet[aws.ToString(s.SubnetId)]
		most = max(most, byAZ[az])
	}
	return float64(most), nil
}

// countFargateVCPUs adds up the CPU of every running Fargate task.
func countFargateVCPUs(ctx context.Context, e *env) (float64, error) {
	units := 0
	cp := ecs.NewListClustersPaginator(e.c.ECS, &ecs.ListClustersInput{})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, cluster := range page.ClusterArns {
			n, err := clusterFargateCPU(ctx, e.c.ECS, cluster)
			if err != nil {
				return 0, err
			}
			units += n
		}
	}
	return float64(units) / 1024, nil
}

func clusterFargateCPU(ctx context.Context, c ECSAPI, cluster string) (int, error) {
	units := 0
	tp := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cluster), LaunchType: ecstypes.LaunchTypeFargate, DesiredStatus: ecstypes.DesiredStatusRunning})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		if len(page.TaskArns) == 0 {
			continue
		}
		tasks, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: page.TaskArns})
		if err != nil {
			return 0, err
		}
		for _, t := range tasks.Tasks {
			cpu, _ := strconv.Atoi(aws.ToString(t.Cpu))
			units += cpu
		}
	}
	return units, nil
}

func countDBClusters(ctx context.Context, e *env) (float64, error) {
	n := 0
	p := rds.NewDescribeDBClustersPaginator(e.c.RDS, &rds.DescribeDBClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(page.DBClusters)
	}
	return float64(n), nil
}
