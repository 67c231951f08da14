package cli

import (
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
authorizer's statements (the UI's, or the token path's under /t/). A user in several groups gets the union; a user in
no configured group is denied. Prints allow (with the statement that allowed
it) or deny; the exit code is 0 either way.`,
		Example: `  mlflowctl authz check --group readers POST /api/2.0/mlflow/runs/create
  mlflowctl authz check --group readers --group model-approvers PATCH /ajax-api/2.0/mlflow/model-versions/update`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			o.method, o.path = args[0], args[1]
			return run(o)
		},
	}
	cmd.Flags().StringSliceVar(&o.groups, "group", nil, "Cognito group of the user (repeat, or comma-separate, for several)")
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
	return err
}

func (o *authzCheckOpts) Execute() error {
	d, err := authz.Check(o.cfg.Groups, apiGuards(o.cfg), o.groups, o.method, o.path)
	if err != nil {
		return err
	}
	if d.Groups == nil {
		d.Groups = []string{}
	}
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
	_, err = fmt.Fprintln(o.g.stdout, strings.Join(lines, "\n"))
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
	g   *globalOpts
	cfg config.Config
}

func newAuthzShowCommand(g *globalOpts) *cobra.Command {
	o := &authzShowOpts{g: g}
	return &cobra.Command{
		Use:   "show",
		Short: "Print the permission matrix: groups, their classes and policies, every route",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *authzShowOpts) Validate() error {
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

type groupPolicies struct {
	Name           string   `json:"name"`
	Classes        []string `json:"classes"`
	IAM            []string `json:"iamResources"`
	Authorizer     []string `json:"authorizerResources"`
	IAMPolicyChars int      `json:"iamPolicyCharacters"`
}

func (o *authzShowOpts) Execute() error {
	var groups []groupPolicies
	for _, g := range o.cfg.Groups {
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
	rows := authz.Matrix(o.cfg.Groups)
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
	header := []string{"METHOD", "PATH", "CLASS"}
	for _, g := range o.cfg.Groups {
		header = append(header, g.Name)
	}
	_, _ = fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := []string{r.Method, r.Path, r.Class}
		for _, g := range o.cfg.Groups {
			cells = append(cells, map[bool]string{true: "allow", false: "-"}[slices.Contains(r.Allowed, g.Name)])
		}
		_, _ = fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
