package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/logs"
)

// maxFilterPattern is FilterLogEvents' filterPattern limit (API
// reference: length 0 to 1024).
const maxFilterPattern = 1024

type logsOpts struct {
	noAsk
	g      *globalOpts
	cfg    config.Config
	args   []string
	since  string
	follow bool
	filter string

	components []logs.Component
	start      time.Time
}

func newLogsCommand(g *globalOpts) *cobra.Command {
	o := &logsOpts{g: g}
	cmd := &cobra.Command{
		Use:   "logs [server|gateway|authorizer|api]...",
		Short: "Show the deployment's logs (server, gateway, authorizer, API), interleaved by time",
		Long: `Show the deployment's CloudWatch logs, found from its stacks' outputs:
  server      the MLflow tracking server's ECS tasks
  gateway     the AI gateway's ECS tasks (when it runs as its own service)
  authorizer  the Lambda authorizer of the UI
  api         API Gateway access logs and execution (error) logs
No component means all of them, interleaved by time. Each line shows the
time (UTC), the component, the ECS task id, Lambda request id or API
request id, and the message.

--filter takes a CloudWatch Logs filter pattern ("ERROR", "\"Traceback\"",
"{ $.status = 5* }" for the JSON access logs), applied by CloudWatch.

With -o json the output is one JSON object per line (NDJSON), not one
document, so --follow can stream it (as kubectl logs does):
  {"time":…,"component":…,"id":…,"message":…,"logGroup":…,"logStream":…,"eventId":…}

--follow polls for new events every 2 to 10 seconds until Ctrl-C.

AWS permissions: cloudformation:DescribeStacks (to find the log groups,
on every stack: they are found by their mlflowctl:deployment tag) and
logs:FilterLogEvents on the deployment's log groups
(log-group:/mlflowctl/<name>/* and
log-group:API-Gateway-Execution-Logs_<rest-api-id>/prod). Nothing else:
no logs:DescribeLogGroups, no Logs Insights.`,
		Args:      cobra.ArbitraryArgs,
		ValidArgs: []string{string(logs.Server), string(logs.Gateway), string(logs.Authorizer), string(logs.API)},
		RunE: func(_ *cobra.Command, args []string) error {
			o.args = args
			return run(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "10m", "show events from this long ago (30m, 2h, 1d) or from an RFC 3339 time")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep printing new events until Ctrl-C")
	f.StringVar(&o.filter, "filter", "", "CloudWatch Logs filter pattern, e.g. ERROR")
	return cmd
}

// Validate checks the arguments before any AWS call: bad input is exit 2.
func (o *logsOpts) Validate() error {
	comps, err := logs.ParseComponents(o.args)
	if err != nil {
		return usageErrorf("logs: %v", err)
	}
	o.components = comps
	start, err := logs.ParseSince(o.since, time.Now())
	if err != nil {
		return usageErrorf("--since: %v", err)
	}
	o.start = start
	if len(o.filter) > maxFilterPattern {
		return usageErrorf("--filter: the pattern is %d characters; CloudWatch takes at most %d", len(o.filter), maxFilterPattern)
	}
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

func (o *logsOpts) Execute() error {
	awsCfg, err := awsx.Load(o.g.ctx, o.g.awsOptions(o.cfg))
	if err != nil {
		return err
	}
	groups, absent, err := logs.Find(o.g.ctx, cloudformation.NewFromConfig(awsCfg), o.cfg.Name, o.components)
	if err != nil {
		var nd *logs.NotDeployedError
		if errors.As(err, &nd) {
			return usageErrorf("nothing is deployed as %q in %s: run `mlflowctl up` first (or check --name and --region)", nd.Deployment, awsCfg.Region)
		}
		return err
	}
	o.noteAbsent(absent)
	if len(groups) == 0 {
		return fmt.Errorf("no log group to read for %s in deployment %q", joinComponents(o.components), o.cfg.Name)
	}
	api := cloudwatchlogs.NewFromConfig(awsCfg)
	if o.follow {
		return o.runFollow(api, groups)
	}
	r, err := logs.Read(o.g.ctx, api, groups, logs.Query{Start: o.start, Pattern: o.filter})
	if err != nil {
		return err
	}
	if err := o.write(r); err != nil {
		return err
	}
	if len(r.Events) == 0 && !o.g.jsonOutput() {
		o.note("no log events since %s%s", o.start.UTC().Format(time.RFC3339), o.filterNote())
	}
	return nil
}

func (o *logsOpts) runFollow(api logs.LogsAPI, groups []logs.Group) error {
	f := &logs.Follower{API: api, Groups: groups, Pattern: o.filter}
	if o.g.env.logsFollow != nil {
		o.g.env.logsFollow(f)
	}
	err := f.Run(o.g.ctx, o.start, o.write)
	if errors.Is(err, context.Canceled) {
		// Ctrl-C is how a follow ends: exit 130, no error line.
		return &silentError{err: &interruptedError{msg: "stopped following the logs"}}
	}
	return err
}

// write prints one batch: notes for groups that do not exist on stderr,
// the events on stdout.
func (o *logsOpts) write(r logs.Result) error {
	for _, g := range r.Missing {
		o.note("%s has no logs yet: its log group %s does not exist (created by `mlflowctl up`; deleted since?)", g.Component, g.Name)
	}
	if o.g.jsonOutput() {
		return logs.WriteJSON(o.g.stdout, r.Events)
	}
	return logs.WriteText(o.g.stdout, r.Events)
}

// noteAbsent tells about components with no log group. A gateway that
// was not asked for is left out: most deployments run none of their own.
func (o *logsOpts) noteAbsent(absent []logs.Absent) {
	for _, a := range absent {
		if a.Component == logs.Gateway && len(o.args) == 0 {
			continue
		}
		o.note("%s: no log group in this deployment (%s)", a.Component, a.Why)
	}
}

func (o *logsOpts) note(format string, args ...any) {
	_, _ = fmt.Fprintf(o.g.stderr, "note: "+format+"\n", args...)
}

func (o *logsOpts) filterNote() string {
	if o.filter == "" {
		return ""
	}
	return fmt.Sprintf(" matching %q", o.filter)
}

func joinComponents(cs []logs.Component) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
