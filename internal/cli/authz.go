package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

func newAuthzCommand(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "authz",
		Short: "Inspect the permission matrix: which group may call which MLflow route",
		Long: `Every MLflow route has a class (read, write, registry, gateway, admin) and
every group a set of classes (groups in mlflowctl.yaml). The SageMaker roles'
IAM policies and the Lambda authorizer's statements are generated from this
one matrix; these commands show it and answer questions about it offline.`,
	}
	cmd.AddCommand(newAuthzCheckCommand(g), newAuthzShowCommand(g))
	return cmd
}

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

type authzCheckOpts struct {
	noAsk
	g      *globalOpts
	groups []string
	method string
	path   string
	cfg    config.Config
}

func newAuthzCheckCommand(g *globalOpts) *cobra.Command {
	o := &authzCheckOpts{g: g}
	cmd := &cobra.Command{
		Use:   "check --group GROUP [--group GROUP...] METHOD PATH",
		Short: "Say whether members of the groups may call METHOD PATH, and why",
		Long: `check decides a request the way the deployment will: paths the api stack
sends through AWS_IAM (/api/..., /version, /health, /v1/traces, the gateway)
against the groups' SageMaker role policies, the others against the Lambda
authorizer's statements (the UI's, or the token path's under /t/). A user in
several groups gets the union. The groups are those of mlflowctl.yaml; a name
that is not one of them is an error (exit 2) that lists them.

Prints allow (with the statement that allowed it) or deny, and the reason.
The exit status is the answer, as with kubectl auth can-i: 0 allow, 1 deny
(a deny is an answer, not an error: nothing is written to stderr), 2 bad
input. -o json prints the same decision as one document.`,
		Example: `  mlflowctl authz check --group readers POST /api/2.0/mlflow/runs/create
  mlflowctl authz check -g readers -g model-approvers PATCH /ajax-api/2.0/mlflow/model-versions/update
  if mlflowctl authz check -g readers GET /api/2.0/mlflow/runs/get >/dev/null; then echo allowed; fi`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			o.method, o.path = args[0], args[1]
			return run(o)
		},
	}
	cmd.Flags().StringSliceVarP(&o.groups, "group", "g", nil, "Cognito group of the user (repeat, or comma-separate, for several)")
	return cmd
}

func (o *authzCheckOpts) Validate() error {
	if len(o.groups) == 0 {
		return usageErrorf("--group is required: name the user's group(s), e.g. --group readers")
	}
	o.method = strings.ToUpper(o.method)
	if !slices.Contains(httpMethods, o.method) {
		return usageErrorf("METHOD %q is not an HTTP method: use one of %s", o.method, strings.Join(httpMethods, ", "))
	}
	if !strings.HasPrefix(o.path, "/") {
		return usageErrorf("PATH %q must start with /, e.g. /api/2.0/mlflow/runs/create", o.path)
	}
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	if err != nil {
		return err
	}
	return checkGroupNames(cfg, o.g.configPath, o.groups)
}

// checkGroupNames refuses a group that is not in the configuration, as
// `users add` does: a typo must not read as a real deny.
func checkGroupNames(cfg config.Config, configPath string, names []string) error {
	unknown := authz.UnknownGroups(cfg.Groups, names)
	if len(unknown) == 0 {
		return nil
	}
	var known []string
	for _, g := range cfg.Groups {
		known = append(known, g.Name)
	}
	noun, it := "group", "it"
	if len(unknown) > 1 {
		noun, it = "groups", "them"
	}
	for i, n := range unknown {
		unknown[i] = fmt.Sprintf("%q", n)
	}
	return usageErrorf("unknown %s %s: the configured groups are %s; use one of them, or add %s under groups: in %s",
		noun, strings.Join(unknown, ", "), strings.Join(known, ", "), it, configPath)
}

// denied is the exit status of a deny: 1, with nothing on stderr (the
// decision is already on stdout), so scripts can test the answer.
var denied = &silentError{err: errors.New("denied")}

func (o *authzCheckOpts) Execute() error {
	d, err := authz.Check(o.cfg.Groups, apiGuards(o.cfg), o.groups, o.method, o.path)
	if err != nil {
		return err
	}
	if d.Groups == nil {
		d.Groups = []string{}
	}
	if err := o.print(d); err != nil {
		return err
	}
	if !d.Allow {
		return denied
	}
	return nil
}

func (o *authzCheckOpts) print(d authz.Decision) error {
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, d)
	}
	verdict := "deny"
	if d.Allow {
		verdict = "allow"
	}
	route := "not a catalogued MLflow route"
	if d.Route != nil {
		route = fmt.Sprintf("%s %s (class %s)", d.Route.Method, d.Route.Path, d.Route.Class)
	}
	lines := []string{verdict, "  route:     " + route, "  enforcer:  " + d.Enforcer}
	if d.Statement != "" {
		lines = append(lines, "  statement: "+d.Statement)
	}
	lines = append(lines, "  reason:    "+d.Reason)
	_, err := fmt.Fprintln(o.g.stdout, strings.Join(lines, "\n"))
	return err
}

// apiGuards is the api stack's methods as authz sees them: the same table
// the stack's template is rendered from.
func apiGuards(cfg config.Config) []authz.Guard {
	var out []authz.Guard
	for _, m := range stacks.MethodAuths(cfg) {
		out = append(out, authz.Guard{Resource: m.Resource, Authorization: m.Authorization})
	}
	return out
}

type authzShowOpts struct {
	noAsk
	g      *globalOpts
	groups []string
	path   string
	cfg    config.Config
}

func newAuthzShowCommand(g *globalOpts) *cobra.Command {
	o := &authzShowOpts{g: g}
	cmd := &cobra.Command{
		Use:   "show [--group GROUP...] [--path PATH]",
		Short: "Print the permission matrix: groups, their classes and policies, every route",
		Long: `show prints the groups of mlflowctl.yaml (their classes and the sizes of
their generated policies), then every catalogued MLflow route with the groups
that may call it.

--group keeps the named groups only: their rows, their columns, and the
routes at least one of them may call (a name that is not a configured group
is an error, exit 2). --path keeps the routes a request to PATH goes to, one
per method, resolved as authz check resolves it (a query string is ignored,
/t/... is the token path). -o json prints the same selection as one document.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().StringSliceVarP(&o.groups, "group", "g", nil, "show only these groups and the routes they may call (repeat, or comma-separate)")
	cmd.Flags().StringVar(&o.path, "path", "", "show only the routes a request to this path goes to, e.g. /api/2.0/mlflow/runs/get")
	return cmd
}

func (o *authzShowOpts) Validate() error {
	if o.path != "" && !strings.HasPrefix(o.path, "/") {
		return usageErrorf("--path %q must start with /, e.g. --path /api/2.0/mlflow/runs/get", o.path)
	}
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	if err != nil {
		return err
	}
	return checkGroupNames(cfg, o.g.configPath, o.groups)
}

type groupPolicies struct {
	Name           string   `json:"name"`
	Classes        []string `json:"classes"`
	IAM            []string `json:"iamResources"`
	Authorizer     []string `json:"authorizerResources"`
	IAMPolicyChars int      `json:"iamPolicyCharacters"`
}

// shownGroups are the configured groups the --group filter keeps.
func (o *authzShowOpts) shownGroups() []config.Group {
	if len(o.groups) == 0 {
		return o.cfg.Groups
	}
	var out []config.Group
	for _, g := range o.cfg.Groups {
		if slices.ContainsFunc(o.groups, func(n string) bool { return strings.TrimSpace(n) == g.Name }) {
			out = append(out, g)
		}
	}
	return out
}

// rows is the matrix of the shown groups, kept to the routes the filters
// select.
func (o *authzShowOpts) rows(shown []config.Group) []authz.MatrixRow {
	var at []authz.Route
	if o.path != "" {
		at = authz.RoutesAt(o.path)
	}
	rows := []authz.MatrixRow{}
	for _, r := range authz.Matrix(shown) {
		if o.path != "" && !slices.Contains(at, r.Route) {
			continue
		}
		if len(o.groups) > 0 && len(r.Allowed) == 0 {
			continue
		}
		rows = append(rows, r)
	}
	return rows
}

func (o *authzShowOpts) Execute() error {
	shown := o.shownGroups()
	groups := []groupPolicies{}
	for _, g := range shown {
		iam, err := authz.IAMResources(g.Classes)
		if err != nil {
			return fmt.Errorf("group %s: %w", g.Name, err)
		}
		ui, err := authz.UIResources(g.Classes)
		if err != nil {
			return fmt.Errorf("group %s: %w", g.Name, err)
		}
		groups = append(groups, groupPolicies{Name: g.Name, Classes: g.Classes, IAM: iam, Authorizer: ui,
			IAMPolicyChars: authz.PolicySize(iam, len(authz.IAMResourcePrefix))})
	}
	rows := o.rows(shown)
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, map[string]any{"classes": authz.Classes, "groups": groups, "routes": rows})
	}
	// tabwriter holds everything until Flush, which reports a failed write.
	tw := tabwriter.NewWriter(o.g.stdout, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "GROUP\tCLASSES\tIAM PATTERNS\tIAM POLICY CHARS\tAUTHORIZER PATTERNS")
	for _, g := range groups {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", g.Name, strings.Join(g.Classes, ","), len(g.IAM), g.IAMPolicyChars, len(g.Authorizer))
	}
	_, _ = fmt.Fprintln(tw)
	if len(rows) == 0 {
		_, _ = fmt.Fprintf(tw, "No catalogued MLflow route matches these filters (authz check METHOD PATH tells who guards a path).\n")
		return tw.Flush()
	}
	header := []string{"METHOD", "PATH", "CLASS"}
	for _, g := range shown {
		header = append(header, g.Name)
	}
	_, _ = fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := []string{r.Method, r.Path, r.Class}
		for _, g := range shown {
			cells = append(cells, map[bool]string{true: "allow", false: "-"}[slices.Contains(r.Allowed, g.Name)])
		}
		_, _ = fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
