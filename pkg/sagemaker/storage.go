package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"
)

// Tags put on what a deleted domain leaves behind, so that a later `down`
// (and the leftover scan) finds it once the domain and its stack are gone.
const (
	TagDeployment = "mlflowctl:deployment"
	TagDomain     = "mlflowctl:studio-domain"
)

// EFSAPI is the part of the EFS client that domain clean-up uses.
type EFSAPI interface {
	DescribeFileSystems(ctx context.Context, in *efs.DescribeFileSystemsInput, opts ...func(*efs.Options)) (*efs.DescribeFileSystemsOutput, error)
	DescribeMountTargets(ctx context.Context, in *efs.DescribeMountTargetsInput, opts ...func(*efs.Options)) (*efs.DescribeMountTargetsOutput, error)
	DeleteMountTarget(ctx context.Context, in *efs.DeleteMountTargetInput, opts ...func(*efs.Options)) (*efs.DeleteMountTargetOutput, error)
	DeleteFileSystem(ctx context.Context, in *efs.DeleteFileSystemInput, opts ...func(*efs.Options)) (*efs.DeleteFileSystemOutput, error)
	TagResource(ctx context.Context, in *efs.TagResourceInput, opts ...func(*efs.Options)) (*efs.TagResourceOutput, error)
}

// EC2API is the part of the EC2 client that domain clean-up uses.
type EC2API interface {
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	RevokeSecurityGroupIngress(ctx context.Context, in *ec2.RevokeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupEgress(ctx context.Context, in *ec2.RevokeSecurityGroupEgressInput, opts ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error)
	DeleteSecurityGroup(ctx context.Context, in *ec2.DeleteSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
}

// DomainStorage removes the home EFS file system, its mount targets and
// the NFS security groups SageMaker creates for a domain; deleting the
// domain keeps them, and they block deleting the VPC.
type DomainStorage struct {
	SageMaker API
	EFS       EFSAPI
	EC2       EC2API
	Clock     Clock
	Poll      time.Duration
	Timeout   time.Duration
	Log       func(line string)
}

// Leftover is a file system or security group a domain left.
type Leftover struct {
	Kind   string `json:"kind"` // "efs" or "security-group"
	ID     string `json:"id"`
	Domain string `json:"domain"`
}

func (d *DomainStorage) clock() Clock {
	if d.Clock == nil {
		return realClock{}
	}
	return d.Clock
}

// sgNames are the groups SageMaker creates for a domain's home EFS.
func sgNames(domainID string) []string {
	return []string{"security-group-for-inbound-nfs-" + domainID, "security-group-for-outbound-nfs-" + domainID}
}

// Mark tags the domain's home EFS and NFS security groups with the
// deployment, while the domain still names them. A missing domain is
// nothing to mark.
func (d *DomainStorage) Mark(ctx context.Context, deployment, domainID string) ([]Leftover, error) {
	dom, err := d.SageMaker.DescribeDomain(ctx, &sm.DescribeDomainInput{DomainId: aws.String(domainID)})
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var marked []Leftover
	if fs := aws.ToString(dom.HomeEfsFileSystemId); fs != "" {
		_, err := d.EFS.TagResource(ctx, &efs.TagResourceInput{ResourceId: aws.String(fs), Tags: []efstypes.Tag{
			{Key: aws.String(TagDeployment), Value: aws.String(deployment)},
			{Key: aws.String(TagDomain), Value: aws.String(domainID)},
		}})
		if err != nil {
			return nil, fmt.Errorf("tag the domain's home EFS %s: %w", fs, err)
		}
		marked = append(marked, Leftover{Kind: "efs", ID: fs, Domain: domainID})
	}
	filters := []ec2types.Filter{{Name: aws.String("group-name"), Values: sgNames(domainID)}}
	if vpc := aws.ToString(dom.VpcId); vpc != "" {
		filters = append(filters, ec2types.Filter{Name: aws.String("vpc-id"), Values: []string{vpc}})
	}
	groups, err := d.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filters})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, g := range groups.SecurityGroups {
		ids = append(ids, aws.ToString(g.GroupId))
		marked = append(marked, Leftover{Kind: "security-group", ID: aws.ToString(g.GroupId), Domain: domainID})
	}
	if len(ids) > 0 {
		_, err := d.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: []ec2types.Tag{
			{Key: aws.String(TagDeployment), Value: aws.String(deployment)},
			{Key: aws.String(TagDomain), Value: aws.String(domainID)},
		}})
		if err != nil {
			return nil, fmt.Errorf("tag the domain's security groups: %w", err)
		}
	}
	return marked, nil
}

// Find lists the marked leftovers of the deployment's domains.
func (d *DomainStorage) Find(ctx context.Context, deployment string) ([]Leftover, error) {
	var found []Leftover
	p := efs.NewDescribeFileSystemsPaginator(d.EFS, &efs.DescribeFileSystemsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, fs := range page.FileSystems {
			tags := efsTags(fs.Tags)
			if tags[TagDeployment] == deployment && tags[TagDomain] != "" {
				found = append(found, Leftover{Kind: "efs", ID: aws.ToString(fs.FileSystemId), Domain: tags[TagDomain]})
			}
		}
	}
	groups, err := d.markedGroups(ctx, deployment)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		found = append(found, Leftover{Kind: "security-group", ID: aws.ToString(g.GroupId), Domain: ec2Tag(g.Tags, TagDomain)})
	}
	return found, nil
}

func (d *DomainStorage) markedGroups(ctx context.Context, deployment string) ([]ec2types.SecurityGroup, error) {
	out, err := d.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + TagDeployment), Values: []string{deployment}},
		{Name: aws.String("tag-key"), Values: []string{TagDomain}},
	}})
	if err != nil {
		return nil, err
	}
	return out.SecurityGroups, nil
}

func efsTags(tags []efstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func ec2Tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// Clean deletes the marked leftovers of domains that no longer exist:
// mount targets first (the file system cannot go while it has any), then
// the file system, then the security groups, whose rules refer to each
// other and must be revoked before either can be deleted.
func (d *DomainStorage) Clean(ctx context.Context, deployment string) error {
	found, err := d.Find(ctx, deployment)
	if err != nil {
		return err
	}
	for _, l := range found {
		if l.Kind != "efs" {
			continue
		}
		if err := d.domainGone(ctx, l.Domain); err != nil {
			return err
		}
		if err := d.deleteFileSystem(ctx, l.ID); err != nil {
			return err
		}
	}
	groups, err := d.markedGroups(ctx, deployment)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := d.domainGone(ctx, ec2Tag(g.Tags, TagDomain)); err != nil {
			return err
		}
		if err := d.revokeRules(ctx, g); err != nil {
			return err
		}
	}
	for _, g := range groups {
		if err := d.deleteGroup(ctx, aws.ToString(g.GroupId)); err != nil {
			return err
		}
	}
	return nil
}

func (d *DomainStorage) domainGone(ctx context.Context, domainID string) error {
	_, err := d.SageMaker.DescribeDomain(ctx, &sm.DescribeDomainInput{DomainId: aws.String(domainID)})
	switch {
	case IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("studio domain %s still exists, so its home EFS and security groups stay; delete the studio stack first, then run `mlflowctl down` again", domainID)
}

func (d *DomainStorage) deleteFileSystem(ctx context.Context, fsID string) error {
	logLine(d.Log, "studio: deleting the domain's home EFS "+fsID+" and its mount targets")
	if err := d.deleteMountTargets(ctx, fsID); err != nil {
		return err
	}
	_, err := d.EFS.DeleteFileSystem(ctx, &efs.DeleteFileSystemInput{FileSystemId: aws.String(fsID)})
	if err != nil && !hasCode(err, "FileSystemNotFound") {
		return fmt.Errorf("delete EFS %s: %w", fsID, err)
	}
	return nil
}

func (d *DomainStorage) deleteMountTargets(ctx context.Context, fsID string) error {
	return d.retry(ctx, "mount targets of EFS "+fsID, func() (bool, error) {
		out, err := d.EFS.DescribeMountTargets(ctx, &efs.DescribeMountTargetsInput{FileSystemId: aws.String(fsID)})
		if hasCode(err, "FileSystemNotFound") {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		for _, mt := range out.MountTargets {
			if mt.LifeCycleState == efstypes.LifeCycleStateDeleting {
				continue
			}
			_, err := d.EFS.DeleteMountTarget(ctx, &efs.DeleteMountTargetInput{MountTargetId: mt.MountTargetId})
			if err != nil && !hasCode(err, "MountTargetNotFound") {
				return false, err
			}
		}
		return len(out.MountTargets) == 0, nil
	})
}

func (d *DomainStorage) revokeRules(ctx context.Context, g ec2types.SecurityGroup) error {
	if len(g.IpPermissions) > 0 {
		_, err := d.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissions})
		if err != nil && !hasCode(err, "InvalidPermission.NotFound", "InvalidGroup.NotFound") {
			return fmt.Errorf("revoke the rules of %s: %w", aws.ToString(g.GroupId), err)
		}
	}
	if len(g.IpPermissionsEgress) > 0 {
		_, err := d.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissionsEgress})
		if err != nil && !hasCode(err, "InvalidPermission.NotFound", "InvalidGroup.NotFound") {
			return fmt.Errorf("revoke the rules of %s: %w", aws.ToString(g.GroupId), err)
		}
	}
	return nil
}

// deleteGroup retries while network interfaces (of mount targets being
// deleted) still use the group.
func (d *DomainStorage) deleteGroup(ctx context.Context, id string) error {
	logLine(d.Log, "studio: deleting the domain's security group "+id)
	return d.retry(ctx, "security group "+id, func() (bool, error) {
		_, err := d.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		switch {
		case err == nil, hasCode(err, "InvalidGroup.NotFound"):
			return true, nil
		case hasCode(err, "DependencyViolation"):
			return false, nil
		}
		return false, fmt.Errorf("delete security group %s: %w", id, err)
	})
}

func (d *DomainStorage) retry(ctx context.Context, what string, try func() (bool, error)) error {
	clock := d.clock()
	begin := clock.Now()
	for {
		done, err := try()
		if err != nil || done {
			return err
		}
		if waited := clock.Now().Sub(begin); waited >= orDefault(d.Timeout, DefaultTimeout) {
			return fmt.Errorf("%s still in use after %s; run `mlflowctl down` again later", what, waited.Round(time.Second))
		}
		if err := clock.Sleep(ctx, orDefault(d.Poll, DefaultPoll)); err != nil {
			return err
		}
	}
}

func hasCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if strings.EqualFold(ae.ErrorCode(), c) {
			return true
		}
	}
	return false
}
