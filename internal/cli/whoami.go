package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

type whoamiOpts struct {
	noAsk
	g   *globalOpts
	cfg config.Config
}

func newWhoamiCommand(g *globalOpts) *cobra.Command {
	o := &whoamiOpts{g: g}
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the AWS account, identity and region mlflowctl would use",
		Long: `whoami asks STS who the credentials belong to (GetCallerIdentity needs
no permission) and prints the account, the ARN and the region mlflowctl
would use, from --profile/--region, the configuration and the AWS SDK's
chain. Run it before up to make sure the right account is targeted.

With no AWS credentials, or no region anywhere, it says how to set them
(exit 2). -o json prints {"account", "arn", "userId", "region"}.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *whoamiOpts) Validate() error {
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

func (o *whoamiOpts) Execute() error {
	c, err := o.g.clients(o.cfg)
	if err != nil {
		return err
	}
	id, err := awsx.CallerIdentity(o.g.ctx, c.STS(), c.Region())
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, id)
	}
	_, err = fmt.Fprintf(o.g.stdout, "Account: %s\nARN:     %s\nRegion:  %s\n", id.Account, id.ARN, id.Region)
	return err
}
