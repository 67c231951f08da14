// Package deploy is the CloudFormation engine: a deployment is a graph of
// stacks and steps; the engine creates, updates and deletes the stacks in
// dependency order, runs the steps between them, concurrently where it
// can, and publishes progress events.
//
// # Using it from a command
//
//	cfn := cloudformation.NewFromConfig(awsCfg)
//	ctx, detach, stop := deploy.Interrupts(ctx, stderr) // Ctrl-C: cancel, then detach
//	defer stop()
//	eng := deploy.New(cfn, deploy.Options{
//		Version:    build.Version,
//		Force:      force,       // --force: skip the fast no-op check
//		Yes:        g.yes,       // delete a half-created stack on Ctrl-C without asking
//		Confirm:    ask,         // else ask (nil means "no")
//		Detach:     detach,
//		Uploader:   deploy.S3Uploader{Client: s3c, Region: region},
//		AssetsFrom: deploy.OutputRef{Stack: stacks.Bootstrap, Output: stacks.OutAssetsBucket},
//	})
//	stopView := tui.Watch(eng, tui.Options{Stdout: out, Stderr: errw, JSON: g.jsonOutput(), NoColor: g.noColor})
//	outs, err := eng.Deploy(ctx, d) // or eng.Delete(ctx, d)
//	_ = stopView()                  // final frame before the error is printed
//
// The calls:
//
//	New(cfn CloudFormationAPI, opts Options) *Engine
//	(*Engine).Subscribe(fn func(Event)) (unsubscribe func())
//	(*Engine).Deploy(ctx, Deployment) (Outputs, error)
//	(*Engine).Plan(ctx, Deployment) ([]StackPlan, error)   // executes nothing
//	(*Engine).Delete(ctx, Deployment) error                 // templates may be empty
//	(*Engine).Status(ctx, Deployment) ([]StackStatus, error)
//	(*Engine).Outputs(ctx, deploymentName string) (Outputs, error) // by ownership tags, no templates
//	Interrupts(ctx, w io.Writer) (ctx, detach <-chan struct{}, stop func())
//	Resources(template []byte) ([]Resource, error)         // logical IDs, types, labels
//
// # What Deploy does per stack
//
// It waits for the stack's dependencies (and the steps it imports from),
// resolves Imports from their outputs, runs Finalize, and computes a hash
// of template, parameters, tags, capabilities and termination protection.
// Then, by the stack's state:
//
//   - absent: a CREATE change set, executed; termination protection is
//     turned on afterwards when HoldsData;
//   - ROLLBACK_COMPLETE / ROLLBACK_FAILED (a failed first create): deleted,
//     then created;
//   - *_CLEANUP_IN_PROGRESS: waited for like any operation; their outputs
//     are current, so Outputs reads them;
//   - *_IN_PROGRESS: waited for, then looked at again (with NoWait:
//     StackInProgressError naming the stack);
//   - UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, then an update;
//   - DELETE_FAILED: StackStateError (run delete first);
//   - otherwise: when the stack's mlflowctl:hash tag equals the hash (and
//     Force is off) nothing is called beyond the one DescribeStacks;
//     else an UPDATE change set. An empty change set is success and is
//     deleted.
//
// Templates over 51,200 bytes are uploaded with Options.Uploader to the
// assets bucket (Options.AssetsBucket, or the output named by
// Options.AssetsFrom) and passed by URL. Every stack carries the tags
// mlflowctl:deployment, mlflowctl:stack, mlflowctl:version and
// mlflowctl:hash; a stack of the same name without this deployment's tag
// is refused (NotOwnedError), by Deploy, Plan and Delete.
//
// While an operation runs, DescribeStackEvents is polled for that
// operation's events only (from the newest event before it started,
// de-duplicated by event ID), every 1 s growing to 5 s, doubling up to
// 32 s while CloudFormation throttles. Each new event is published as a
// KindResource Event with the resource's label (template
// Metadata.mlflowctl.description, else its logical ID).
//
// Every wait is bounded: a stack operation by Options.MaxWait (3 h), a
// call CloudFormation throttles without a break by Options.ThrottleLimit
// (10 min); both end in WaitLimitError, which says what was waited for and
// what to do. Events are only shown: a throttled DescribeStackEvents never
// delays the DescribeStacks status check. While throttled, the stack's
// KindStack event carries a note saying so (renderers show it without
// --verbose).
//
// CreateStack and UpdateStack carry a ClientRequestToken, so a retry of a
// call whose reply was lost is the same request to CloudFormation; an
// AlreadyExistsException for a stack with this run's configuration hash
// (an emulator ignoring the token) is taken as the create it was.
//
// # Errors
//
// Every error is typed and errors.As-able; Deploy and Delete join one per
// stack: StackFailedError (stack, root-cause resource, reason, next step),
// DeleteFailedError (each resource that stayed, and why), StackInProgressError,
// StackStateError, NotOwnedError and InvalidDeploymentError (exit code 2),
// TemplateTooLargeError, ChangeSetEmptyError (only from lower-level steps),
// StackNotFoundError, and InterruptedError (exit code 130; says what was rolled
// back or deleted and what still runs in AWS after a detach).
//
// # Interrupts
//
// Cancelling ctx before a change set executes deletes the change set (and
// the empty stack a create change set made): nothing changes. During an
// update the engine calls CancelUpdateStack and waits for the rollback.
// During a first create it asks Options.Confirm (or takes Options.Yes)
// and deletes the half-created stack, waiting until it is gone. Closing
// Options.Detach stops all waiting at once. A Ctrl-C while CreateStack,
// UpdateStack or ExecuteChangeSet is on the wire is checked against the
// stack's state: an operation that started is handled as above, and
// "nothing changed" is said only when CloudFormation has no such change.
// A second Ctrl-C that cancels the clean-up delete reports the stack as
// still existing (InterruptedError.Running).
//
// # Steps
//
// A Step (ID, DependsOn, Run) is a node that is not a stack: an image
// build, an upload, a publish, a check. It runs once what it depends on is
// complete, with their outputs; its outputs are imported by stacks exactly
// as a stack's. Each step has its own progress events (KindStep: waiting,
// running with its latest Note, complete, failed, skipped); a failed step
// skips what waits for it and is reported as the root cause, and a Ctrl-C
// while it runs is an interrupt (exit 130). Plan, Status and Delete pass
// over steps (Plan keeps the current value of a parameter a step would
// give).
//
// # Emulators
//
// moto 5.2 loses outputs and tags on stacks made or updated by change
// sets; Options.DirectCalls uses CreateStack/UpdateStack instead (Plan
// still uses change sets). Use it only against such endpoints.
//
// # Tests
//
// Package cfnfake is an in-memory CloudFormation that plays scripted
// event sequences (success, failure with root cause and cancellations,
// rollbacks, deletes that fail, throttling); run it under testing/synctest
// for a fake clock.
package deploy
