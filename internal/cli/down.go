package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
	"github.com/mlflowctl/mlflowctl/pkg/tui"
)

type downOpts struct {
	g             *globalOpts
	keepData      bool
	poll          time.Duration
	studioTimeout time.Duration

	name string
	td   *teardown.Teardown

	// newTeardown builds the teardown (tests: over fakes; environment.go).
	newTeardown func(ctx context.Context, c *awsx.Clients, name string, o teardown.Options) *teardown.Teardown
}

func newDownCommand(g *globalOpts) *cobra.Command {
	o := &downOpts{g: g, newTeardown: g.env.teardownFunc()}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Delete the deployment: Studio apps first, then every stack, bucket and image",
		Long: `down deletes everything of the deployment named by --name (or the config file),
found from the tags on its stacks, so no configuration is needed:

  1. the Studio apps of its user profiles and of the spaces they own (every
     type, all at once, waiting until each is Deleted), then the spaces and
     the profiles; in a domain mlflowctl did not create nothing else is touched
  2. the stacks in reverse dependency order, each after its buckets (every
     object version and delete marker) and ECR repositories are emptied
  3. a created domain's home EFS file system and NFS security groups
  4. the final database snapshot and the deployment's log groups

It first shows what it will delete and asks (on a terminal) unless --yes.
With --keep-data the artifact bucket and the database (its final snapshot)
stay and are listed at the end. A leftover scan then looks for anything still
tagged mlflowctl:deployment=<name>: exit 0 when nothing is left, 1 with the
list otherwise. After any failure, run down again: it continues.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.keepData, "keep-data", false, "keep the artifact bucket and the database (final snapshot)")
	f.DurationVar(&o.studioTimeout, "studio-timeout", sagemaker.DefaultTimeout, "how long to wait for Studio apps, spaces and profiles to delete")
	f.DurationVar(&o.poll, "poll-interval", sagemaker.DefaultPoll, "time between status checks")
	_ = f.MarkHidden("poll-interval")
	return cmd
}

func (o *downOpts) Validate() error {
	if o.studioTimeout <= 0 {
		return usageErrorf("--studio-timeout %s: give a positive duration such as 30m", o.studioTimeout)
	}
	if o.poll <= 0 {
		return usageErrorf("--poll-interval %s: give a positive duration such as 10s", o.poll)
	}
	// down needs only the name and the AWS settings: all state is in AWS,
	// so a config file that no longer validates must not block it.
	cfg, err := o.g.loadConfig()
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := config.ValidateName(cfg.Name); err != nil {
		return usageErrorf("name: %v", err)
	}
	o.name = cfg.Name
	c, err := o.g.clients(cfg)
	if err != nil {
		return err
	}
	// Plain lines even on a terminal: Studio, bucket and sweep progress
	// interleave with the engine's stack events, which a live view would
	// overwrite.
	stderr := &lockedWriter{w: o.g.stderr}
	stacks := tui.NewPlain(stderr)
	o.td = o.newTeardown(o.g.ctx, c, o.name, teardown.Options{
		KeepData: o.keepData, Poll: o.poll, StudioTimeout: o.studioTimeout,
		Log: progressLog(stderr), Events: stacks.Handle, Version: o.g.build.Version,
	})
	return nil
}

// lockedWriter serialises writes from the engine's renderer and the
// teardown's progress lines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// progressLog writes a progress line with the timestamp the engine's
// plain renderer uses.
func progressLog(w io.Writer) func(string) {
	return func(line string) {
		_, _ = fmt.Fprintf(w, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
	}
}

// Ask does nothing: the plan and the question are steps of app.Down.
func (o *downOpts) Ask() error { return nil }

// confirm asks on the terminal; without one, deleting needs --yes.
func (o *downOpts) confirm(ctx context.Context) (bool, error) {
	if o.g.yes {
		return true, nil
	}
	t, ok := terminalFor(o.g)
	if !ok {
		return false, usageErrorf("deleting deployment %q needs confirmation: pass --yes (no terminal to ask on)", o.name)
	}
	return confirm(ctx, t, fmt.Sprintf("Delete deployment %q as listed above?", o.name))
}

// planWriter: the plan is the command's data in text mode; with -o json
// the only thing on stdout is the final JSON document.
func (o *downOpts) planWriter() io.Writer {
	if o.g.jsonOutput() {
		return o.g.stderr
	}
	return o.g.stdout
}

type downReport struct {
	Plan teardown.Plan `json:"plan"`
	// Found is false when nothing of the deployment existed; Deleted is
	// then false too (there was nothing to delete).
	Found   bool             `json:"found"`
	Deleted bool             `json:"deleted"`
	Result  *teardown.Result `json:"result,omitempty"`
	Error   string           `json:"error,omitempty"`
}

// Execute runs the recipe (app.Down.Run) and reports what it did.
func (o *downOpts) Execute() error {
	down := &app.Down{Teardown: o.td, UI: app.DownUI{
		ShowPlan: func(p teardown.Plan) error { return teardown.WritePlan(o.planWriter(), p) },
		Confirm:  o.confirm,
		Changing: o.g.changing,
	}}
	r, err := down.Run(o.g.ctx)
	switch {
	case r.Declined:
		_, _ = fmt.Fprintln(o.g.stderr, "Nothing deleted.")
		return o.writeJSON(downReport{Plan: r.Plan})
	case !r.Ran && err != nil:
		return err
	case !r.Ran:
		return o.writeJSON(downReport{Plan: r.Plan})
	}
	var left *teardown.LeftoversError
	if err != nil && !errors.As(err, &left) {
		// The run stopped before its leftover scan; the error says where.
		if jerr := o.writeJSON(downReport{Plan: r.Plan, Error: err.Error()}); jerr != nil {
			return jerr
		}
		return err
	}
	res := r.Result
	if o.g.jsonOutput() {
		report := downReport{Plan: r.Plan, Found: true, Deleted: err == nil, Result: &res}
		if err != nil {
			report.Error = err.Error()
		}
		if jerr := writeJSON(o.g.stdout, report); jerr != nil {
			return jerr
		}
		return err
	}
	if werr := teardown.WriteKept(o.g.stdout, res.Kept); werr != nil {
		return werr
	}
	if err != nil {
		return err // lists what is left
	}
	_, werr := fmt.Fprintf(o.g.stdout, "Deployment %q is deleted; the leftover scan found nothing%s.\n", o.name, keptSuffix(res.Kept))
	return werr
}

func keptSuffix(kept []teardown.Kept) string {
	if len(kept) == 0 {
		return ""
	}
	return " but what is kept"
}

func (o *downOpts) writeJSON(r downReport) error {
	if !o.g.jsonOutput() {
		return nil
	}
	r.Found = r.Found || !r.Plan.Empty()
	return writeJSON(o.g.stdout, r)
}
