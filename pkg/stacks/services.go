package stacks

import (
	"fmt"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// Outputs of the server stack that only the services stack reads.
const (
	OutServiceSecurityGroup = "ServiceSecurityGroupId"
	OutExecutionRoleArn     = "ExecutionRoleArn"
	OutDBHost               = "DbHost"
	OutDBPort               = "DbPort"
	OutGatewayPassphrase    = "GatewayPassphraseArn"
)

// servicesStack is the part of the tracking server that needs the images:
// task definitions, Fargate services and their autoscaling
// (templates/cfn/services.yaml). Splitting it from the server stack lets
// Aurora, the NAT gateways and the NLB be created while the images build;
// the server stack keeps its name and every resource that holds data
// (see server.yaml's header).
func servicesStack(cfg config.Config, opts Options) (deploy.Stack, error) {
	d, err := newServerData(cfg)
	if err != nil {
		return deploy.Stack{}, err
	}
	d.Stack = Services
	tpl, err := renderTemplate(Services, d)
	if err != nil {
		return deploy.Stack{}, err
	}
	params := map[string]string{}
	if cfg.Server.Image != "" {
		params[ParamServerImage] = cfg.Server.Image
	}
	if d.SeparateGateway && cfg.Gateway.Image != "" {
		params[ParamGatewayImage] = cfg.Gateway.Image
	}
	st := deploy.Stack{
		ID:        Services,
		Template:  tpl,
		Params:    params,
		Imports:   d.serverImports(),
		DependsOn: []string{Bootstrap, Server},
		Before:    imagesHook(params, d.SeparateGateway, opts.BuildImages),
	}
	if d.UIOriginParam {
		// MLflow 3.5+ admits browser writes from this origin only, and the
		// Amplify app that has it is made by the api stack: waiting for it
		// here deploys the services once, with the origin, instead of a
		// second rollout after the api stack (the api stack does not wait
		// for the services: its VPC link needs only the NLB).
		st.DependsOn = append(st.DependsOn, API)
		st.Imports = append(st.Imports, deploy.Import{Param: ParamUIOrigin, FromStack: API, Output: OutUIURL})
	}
	return st, nil
}

// serverImports are the services stack's parameters from the server
// stack: each parameter is named after the server resource it stands for
// (a Ref to it), or after the attribute (…Arn) a GetAtt gave.
func (d serverData) serverImports() []deploy.Import {
	from := func(param, output string) deploy.Import {
		return deploy.Import{Param: param, FromStack: Server, Output: output}
	}
	ims := []deploy.Import{
		from("Cluster", OutClusterName),
		from("PrivateSubnetIds", OutPrivateSubnetIDs),
		from("ServiceSecurityGroup", OutServiceSecurityGroup),
		from("ExecutionRoleArn", OutExecutionRoleArn),
		from("ArtifactBucket", OutArtifactBucket),
		from("DbHost", OutDBHost),
		from("DbPort", OutDBPort),
		from("DbSecretArn", OutDBSecretArn),
	}
	if d.UIOriginParam { // --allowed-hosts names the NLB
		ims = append(ims, from("NlbDnsName", OutNlbDNSName))
	}
	if d.BuiltinGateway {
		ims = append(ims, from("GatewayPassphrase", OutGatewayPassphrase))
	}
	for _, s := range d.Services {
		ims = append(ims,
			from(s.TaskRole+"Arn", s.TaskRole+"Arn"),
			from(s.ID+"TargetGroup", s.ID+"TargetGroupArn"),
			from(s.ID+"DiscoveryArn", s.ID+"DiscoveryArn"),
			from(s.ID+"LogGroup", s.ID+"LogGroupName"))
	}
	return ims
}

// TrackingServer is the server and services stacks of d read as one
// template, as they were before the split: the services' resources join
// the server's, with each parameter imported from the server stack
// replaced by the expression of the output it comes from (a Ref or
// GetAtt of a server resource). Checks of the tracking server as a whole
// (a service and its NLB, a task and its roles and secrets) read this.
func TrackingServer(d deploy.Deployment) (Template, error) {
	var server, services deploy.Stack
	for _, s := range d.Stacks {
		switch s.ID {
		case Server:
			server = s
		case Services:
			services = s
		}
	}
	out, err := ParseTemplate(server.Template)
	if err != nil {
		return Template{}, fmt.Errorf("server stack: %w", err)
	}
	sv, err := ParseTemplate(services.Template)
	if err != nil {
		return Template{}, fmt.Errorf("services stack: %w", err)
	}
	from := map[string]any{}
	for _, im := range services.Imports {
		if im.FromStack == Server {
			from[im.Param] = out.Outputs[im.Output]["Value"]
		}
	}
	for k, p := range sv.Parameters {
		if _, imported := from[k]; !imported {
			out.Parameters[k] = p
		}
	}
	for id, r := range sv.Resources {
		if _, clash := out.Resources[id]; clash {
			return Template{}, fmt.Errorf("resource %s is in both the server and services stacks", id)
		}
		r.Properties, _ = resolveImports(r.Properties, from).(map[string]any)
		out.Resources[id] = r
	}
	return out, nil
}

// resolveImports replaces {"Ref": param} with from[param], and ${param}
// in an Fn::Sub string with the ${X} or ${X.Attr} of its Ref or GetAtt.
func resolveImports(v any, from map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 && from[ref] != nil {
			return from[ref]
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok && k == "Fn::Sub" {
				out[k] = resolveSub(s, from)
				continue
			}
			out[k] = resolveImports(e, from)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveImports(e, from)
		}
		return out
	}
	return v
}

func resolveSub(s string, from map[string]any) string {
	for p, expr := range from {
		m, _ := expr.(map[string]any)
		switch {
		case m["Ref"] != nil:
			s = strings.ReplaceAll(s, "${"+p+"}", fmt.Sprintf("${%v}", m["Ref"]))
		case m["Fn::GetAtt"] != nil:
			if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
				s = strings.ReplaceAll(s, "${"+p+"}", fmt.Sprintf("${%v.%v}", ga[0], ga[1]))
			}
		}
	}
	return s
}
