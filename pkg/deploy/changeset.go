package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

type changeSet struct {
	id      string // ARN: describing by name fails for obsolete change sets
	stackID string
	changes []types.Change
}

// templateSource is either an inline body or the URL of an upload.
type templateSource struct {
	body, url *string
}

func (e *Engine) templateSource(ctx context.Context, want *desired, all Outputs) (templateSource, error) {
	if len(want.template) <= InlineTemplateLimit {
		return templateSource{body: aws.String(string(want.template))}, nil
	}
	bucket := e.opts.AssetsBucket
	if bucket == "" && e.opts.AssetsFrom.Stack != "" {
		bucket = all[e.opts.AssetsFrom.Stack][e.opts.AssetsFrom.Output]
	}
	if bucket == "" || e.opts.Uploader == nil {
		return templateSource{}, &TemplateTooLargeError{Name: want.name, Size: len(want.template)}
	}
	key := fmt.Sprintf("templates/%s/%s.yaml", want.name, want.hash[:16])
	url, err := e.opts.Uploader.Upload(ctx, bucket, key, want.template)
	if err != nil {
		return templateSource{}, fmt.Errorf("stack %s: upload template to s3://%s/%s: %w", want.name, bucket, key, err)
	}
	return templateSource{url: aws.String(url)}, nil
}

// createChangeSet makes a change set and waits until it is ready. An
// empty one is deleted and reported as *ChangeSetEmptyError. previous
// names parameters the caller does not know (Plan): the stack keeps them.
func (e *Engine) createChangeSet(ctx context.Context, s *Stack, want *desired, src templateSource, create bool, previous ...string) (*changeSet, error) {
	typ := types.ChangeSetTypeUpdate
	if create {
		typ = types.ChangeSetTypeCreate
	}
	out, err := e.cfn.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{
		StackName: aws.String(want.name), ChangeSetName: aws.String(changeSetName()), ChangeSetType: typ,
		TemplateBody: src.body, TemplateURL: src.url,
		Parameters: parameters(want.params, previous), Capabilities: capabilities(s.Capabilities),
		Tags: tagList(want.tags), Description: aws.String("mlflowctl " + e.opts.Version),
	})
	if err != nil {
		if isNoChanges(apiMessage(err)) {
			return nil, &ChangeSetEmptyError{Name: want.name, Reason: apiMessage(err)}
		}
		return nil, fmt.Errorf("stack %s: create change set: %w", want.name, err)
	}
	cs := &changeSet{id: aws.ToString(out.Id), stackID: aws.ToString(out.StackId)}
	return cs, e.waitChangeSet(ctx, want.name, cs)
}

func (e *Engine) waitChangeSet(ctx context.Context, name string, cs *changeSet) error {
	p := e.newPoller()
	var throttledSince time.Time
	for {
		if err := p.sleep(ctx); err != nil {
			return err // the caller abandons the change set
		}
		out, err := e.describeChangeSet(ctx, cs.id)
		if isThrottle(err) {
			if throttledSince.IsZero() {
				throttledSince = time.Now()
			}
			if time.Since(throttledSince) >= e.opts.ThrottleLimit {
				return &WaitLimitError{Name: name, What: "DescribeChangeSet", Limit: e.opts.ThrottleLimit, Throttled: true}
			}
			p.throttled()
			continue
		}
		throttledSince = time.Time{}
		if err != nil {
			return fmt.Errorf("stack %s: describe change set: %w", name, err)
		}
		switch out.Status {
		case types.ChangeSetStatusCreateComplete:
			cs.changes = out.changes
			return nil
		case types.ChangeSetStatusFailed:
			// Failed change sets count against a per-stack limit: delete them.
			reason := aws.ToString(out.StatusReason)
			_, _ = e.cfn.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(cs.id)})
			if isNoChanges(reason) {
				return &ChangeSetEmptyError{Name: name, Reason: reason}
			}
			return fmt.Errorf("stack %s: change set failed: %s", name, reason)
		}
	}
}

type changeSetInfo struct {
	Status       types.ChangeSetStatus
	StatusReason *string
	changes      []types.Change
}

// describeChangeSet reads every page of the change set's changes.
func (e *Engine) describeChangeSet(ctx context.Context, id string) (*changeSetInfo, error) {
	in := &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(id)}
	info := &changeSetInfo{}
	for {
		out, err := e.cfn.DescribeChangeSet(ctx, in)
		if err != nil {
			return nil, err
		}
		info.Status, info.StatusReason = out.Status, out.StatusReason
		info.changes = append(info.changes, out.Changes...)
		if out.NextToken == nil || out.Status != types.ChangeSetStatusCreateComplete {
			return info, nil
		}
		in.NextToken = out.NextToken
	}
}
