package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
)

// Down is one `mlflowctl down`: the teardown of a deployment found by its
// tags (no configuration needed) and the conversation with the user.
// pkg/teardown holds the mechanisms (the plan, the per-service deleters);
// the order they run in is written here, in Run.
type Down struct {
	Teardown *teardown.Teardown
	UI       DownUI
}

// DownUI is the conversation with the user (the CLI's).
type DownUI struct {
	// ShowPlan prints what will be deleted.
	ShowPlan func(teardown.Plan) error
	// Confirm asks whether to delete what the plan lists.
	Confirm func(ctx context.Context) (bool, error)
	// Changing marks the moment the command starts changing AWS.
	Changing func()
}

// DownResult is what Run did.
type DownResult struct {
	Plan teardown.Plan
	// Declined is set when the user said no: nothing changed.
	Declined bool
	// Ran is set once the teardown started; Result is then what it did.
	Ran    bool
	Result teardown.Result
}

// Run is the recipe of `down`. Each step is a method below whose comment
// says why it comes where it does. Run again after a failure (or a
// Ctrl-C, which cancels ctx: the step under way stops, the engine reports
// the stacks it deleted and those left), it finds what is left and
// continues from there.
func (d *Down) Run(ctx context.Context) (DownResult, error) {
	if d.Teardown == nil || d.UI.ShowPlan == nil || d.UI.Confirm == nil || d.UI.Changing == nil {
		return DownResult{}, fmt.Errorf("app.Down: the teardown and every UI function must be set")
	}
	plan, err := d.find(ctx)
	res := DownResult{Plan: plan}
	if err != nil {
		return res, err
	}
	proceed, err := d.confirm(ctx, plan)
	if !proceed {
		res.Declined = err == nil && !plan.Empty()
		return res, err
	}
	d.UI.Changing()
	res.Ran = true
	res.Result = teardown.Result{Deployment: d.Teardown.Name}
	known := teardown.KnownFrom(plan.Stacks) // names only the stacks' outputs give
	if err := d.deleteStudio(ctx, plan); err != nil {
		return res, err
	}
	if err := d.deleteStacks(ctx, plan); err != nil {
		return res, err
	}
	if err := d.deletePushedRepositories(ctx, plan); err != nil {
		return res, err
	}
	if err := d.cleanDomainStorage(ctx); err != nil {
		return res, err
	}
	kept, err := d.sweep(ctx, plan, known)
	if err != nil {
		return res, err
	}
	res.Result, err = d.verify(ctx, known, kept)
	return res, err
}

// find reads the deployment from the tags on its stacks and counts what
// they hold (Studio apps, buckets, images); it changes nothing, so it
// comes before the question.
func (d *Down) find(ctx context.Context) (teardown.Plan, error) {
	return d.Teardown.Plan(ctx)
}

// confirm shows the plan and asks; with nothing found there is nothing
// to ask.
func (d *Down) confirm(ctx context.Context, p teardown.Plan) (bool, error) {
	if err := d.UI.ShowPlan(p); err != nil {
		return false, err
	}
	if p.Empty() {
		return false, nil
	}
	ok, err := d.UI.Confirm(ctx)
	return ok && err == nil, err
}

// deleteStudio deletes the Studio apps (KernelGateway apps and the rest,
// waited for until Deleted), then the spaces, then the user profiles,
// before any stack: SageMaker refuses DeleteUserProfile and DeleteDomain
// with ResourceInUse while the profile or domain still has apps or
// spaces, so the studio stack's delete would fail on them
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteUserProfile.html,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html:
// "ResourceInUse"). A stuck app stops here, before any stack is touched.
// Tests: teardown's TestDownDeletesStudioFirstThenEverything and
// TestStuckAppStopsBeforeAnyStack; sagemaker's
// TestDeletesAppsThenSpacesThenProfiles and
// TestFakeRefusesProfileDeleteWhileItHasAppsOrSpaces.
func (d *Down) deleteStudio(ctx context.Context, p teardown.Plan) error {
	return d.Teardown.DeleteStudio(ctx, p)
}

// deleteStacks deletes the stacks through the deploy engine, dependents
// first (studio and ui, then api and services, then server, then
// bootstrap): CloudFormation refuses to delete a stack while another
// imports one of its exports
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html),
// with the engine's root-cause report of a failed delete and its
// handling of a cancelled ctx. Just before each stack goes, prepareStack
// readies what its delete would fail on. With --keep-data the engine
// retains the artifact bucket and DB cluster. Tests: teardown's
// TestServicesStackIsDeletedBeforeTheServerStack,
// TestStackDeleteFailsOnceThenReRunCompletes,
// TestProtectedStackIsUnprotectedThenDeleted.
func (d *Down) deleteStacks(ctx context.Context, p teardown.Plan) error {
	if len(p.Stacks) == 0 {
		return nil
	}
	graph := teardown.Deployment(d.Teardown.Name, p.Stacks)
	for i := range graph.Stacks {
		graph.Stacks[i].BeforeDelete = d.prepareStack(graph.Stacks[i].ID)
	}
	return d.Teardown.NewDeleter(d.Teardown.Retained(p)).Delete(ctx, graph)
}

// prepareStack runs just before the stack's delete, in this order:
//
//  1. A created Studio domain's home EFS and NFS security groups are
//     tagged while the domain still names them (SageMaker creates them
//     outside CloudFormation; once the domain is gone nothing links
//     them to it).
//  2. For the stack with the VPC, that storage is deleted: the domain
//     (deleted with the studio stack, earlier) leaves it behind, and EC2
//     refuses DeleteVpc with DependencyViolation while a security group
//     is in it (sagemaker's TestDomainStorageIsCleanedOnlyAfterTheDomainIsGone;
//     teardowntest's VPC fails that way).
//  3. A user pool's deletion protection is lifted: Cognito refuses
//     DeleteUserPool on a protected pool, and the stack's delete fails
//     with it (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html;
//     teardown's TestLiftDeletionProtectionKeepsEveryOtherSetting).
//  4. Its buckets (but a kept artifact bucket) and repositories are
//     emptied: S3 refuses DeleteBucket until every object version and
//     delete marker is gone (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html),
//     and ECR DeleteRepository without force refuses a repository with
//     images (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html);
//     done here, not before the question or the Studio step, so a run
//     that stops early has not emptied what it did not delete (teardown's
//     TestEmptyVersionedBucketInBatches, TestEmptyRepository; the cfnfake
//     stacks fail to delete a non-empty bucket).
func (d *Down) prepareStack(id string) func(context.Context, map[string]string) error {
	t := d.Teardown
	return func(ctx context.Context, own map[string]string) error {
		if err := t.MarkDomainStorage(ctx, own); err != nil {
			return err
		}
		if own[stacks.OutVpcID] != "" {
			if err := t.CleanDomainStorage(ctx); err != nil {
				return err
			}
		}
		if err := t.LiftUserPoolProtection(ctx, id, own); err != nil {
			return err
		}
		return t.EmptyStores(ctx, id, own)
	}
}

// deletePushedRepositories deletes the ECR repositories push-container
// made (tagged with the deployment, owned by no stack, so CloudFormation
// does not delete them), with their images. Test: teardown's
// TestDownAccountsForPushedRepositories.
func (d *Down) deletePushedRepositories(ctx context.Context, p teardown.Plan) error {
	return d.Teardown.DeletePushed(ctx, p)
}

// cleanDomainStorage deletes a created domain's home EFS and NFS security
// groups once the domain is gone, when no stack's preparation did it this
// run: a re-run after a run stopped (Ctrl-C, an EFS error) with the
// stacks gone but the file system, which outlives its VPC once its mount
// targets are deleted, still there. SageMaker keeps a deleted domain's
// home EFS by default (RetentionPolicy HomeEfsFileSystem=Retain,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html).
// Tests: teardown's TestDomainStorageLeftByAnEarlierRunIsCleanedWithoutStacks;
// sagemaker's TestDomainStorageIsCleanedOnlyAfterTheDomainIsGone.
func (d *Down) cleanDomainStorage(ctx context.Context) error {
	return d.Teardown.CleanDomainStorage(ctx)
}

// sweep deletes what CloudFormation leaves once the stacks are gone, and
// returns what --keep-data keeps: the final DB snapshot (the cluster's
// DeletionPolicy Snapshot makes it only when the cluster is deleted, so
// it comes after the stacks), buckets a template or an earlier
// --keep-data retained (only without --keep-data), and the log groups
// Lambda, CodeBuild and API Gateway create outside the templates. Tests:
// teardown's TestKeepDataKeepsArtifactsAndTheFinalSnapshot and
// TestAnotherDeploymentsLeftoversStay.
func (d *Down) sweep(ctx context.Context, p teardown.Plan, known teardown.Known) ([]teardown.Kept, error) {
	t := d.Teardown
	tagged, err := teardown.TaggedResources(ctx, t.Tagging, t.Name)
	if err != nil {
		return nil, err
	}
	kept, err := t.KeptData(ctx, p, known)
	if err != nil {
		return kept, err
	}
	snapshots, err := t.DeleteSnapshots(ctx, known, tagged)
	kept = append(kept, snapshots...)
	if err != nil {
		return kept, err
	}
	if !t.KeepData {
		if err := t.DeleteRetainedBuckets(ctx, tagged); err != nil {
			return kept, err
		}
	}
	return kept, t.DeleteLogGroups(ctx, known, tagged)
}

// verify comes last: anything still tagged with the deployment, a
// snapshot or a log group of it, is an error naming it
// (teardown.LeftoversError, exit 1); what is kept (by --keep-data, or by
// a template on purpose) is reported as kept. The tagging API lists
// deleted stacks and buckets for a while, so those are checked directly.
// Tests: teardown's TestLeftoverScanFailsOnTaggedLeftovers and
// TestRetainedOnPurposeIsKeptNotLeftOver.
func (d *Down) verify(ctx context.Context, known teardown.Known, kept []teardown.Kept) (teardown.Result, error) {
	t := d.Teardown
	res := teardown.Result{Deployment: t.Name}
	left, retained, err := t.Scan(ctx, known, teardown.KeptNames(kept))
	if err != nil {
		return res, err
	}
	res.Kept = slices.Concat(kept, retained)
	res.Leftovers = left
	if len(left) > 0 {
		return res, &teardown.LeftoversError{Leftovers: left}
	}
	t.Progress(fmt.Sprintf("leftover scan: nothing of deployment %s is left%s", t.Name, teardown.KeptNote(res.Kept)))
	return res, nil
}
