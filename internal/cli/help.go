package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Help groups, in the order `mlflowctl --help` lists them.
var helpGroups = []*cobra.Group{
	{ID: "start", Title: "Getting started:"},
	{ID: "deploy", Title: "Deploy:"},
	{ID: "users", Title: "Users and access:"},
	{ID: "images", Title: "Images:"},
	{ID: "inspect", Title: "Inspect:"},
}

// commandGroup puts each top-level command in a help group: a new command
// joins one with one line here. Commands not listed (version, completion,
// help) show under "Additional Commands".
var commandGroup = map[string]string{
	"init":           "start",
	"config":         "start",
	"whoami":         "start",
	"doctor":         "start",
	"login":          "start",
	"logout":         "start",
	"env":            "start",
	"up":             "deploy",
	"down":           "deploy",
	"ui":             "deploy",
	"verify":         "deploy",
	"backup":         "deploy",
	"backups":        "deploy",
	"rollback":       "deploy",
	"users":          "users",
	"authz":          "users",
	"token":          "users",
	"push-container": "images",
	"status":         "inspect",
	"logs":           "inspect",
}

// examples are the Examples sections of commands that do not set their
// own, by command path without the leading "mlflowctl ".
var examples = map[string]string{
	"init": `  mlflowctl init
  printf 'default\nus-east-1\nteam-a\n\n\n\n\n\n\n\ny\n' | mlflowctl init --accessible`,
	"config": `  mlflowctl config init
  mlflowctl config validate`,
	"config init": `  mlflowctl config init
  mlflowctl config init --config prod.yaml --force`,
	"config validate": `  mlflowctl config validate
  MLFLOWCTL_SERVER_CPU=2048 mlflowctl config validate -o json`,
	"config show": `  mlflowctl config show
  mlflowctl config show -o json | jq .server`,
	"whoami": `  mlflowctl whoami
  mlflowctl whoami --profile prod -o json`,
	"up": `  mlflowctl up --dry-run
  mlflowctl up
  mlflowctl up --name team-b --region eu-west-1 --yes`,
	"down": `  mlflowctl down
  mlflowctl down --name team-b --keep-data --yes`,
	"status": `  mlflowctl status
  mlflowctl status --name team-b -o json`,
	"logs": `  mlflowctl logs
  mlflowctl logs server --since 1h --filter ERROR
  mlflowctl logs api --follow
  mlflowctl logs authorizer --since 2026-01-02T15:04:05Z -o json | jq -r .message`,
	"ui": `  mlflowctl ui deploy`,
	"ui deploy": `  mlflowctl ui deploy
  mlflowctl ui deploy --rebuild-ui`,
	"users": `  mlflowctl users add alice@example.com --group readers --invite
  mlflowctl users list`,
	"users list": `  mlflowctl users list
  mlflowctl users list -o json | jq -r '.[].email'`,
	"users set-groups": `  mlflowctl users set-groups alice@example.com --group readers --group model-approvers
  mlflowctl users set-groups alice@example.com --no-groups`,
	"users reset-password": `  mlflowctl users reset-password alice@example.com --temporary
  printf '%s\n' "$PW" | mlflowctl users reset-password alice@example.com --password-stdin`,
	"users remove": `  mlflowctl users remove alice@example.com
  mlflowctl users remove alice@example.com --yes`,
	"users seed": `  mlflowctl users seed --temporary
  mlflowctl users seed --email-domain example.com -o json`,
	"authz": `  mlflowctl authz check -g readers GET /api/2.0/mlflow/experiments/get   # exit 0 allow, 1 deny
  mlflowctl authz show --group readers`,
	"authz show": `  mlflowctl authz show
  mlflowctl authz show --group model-approvers
  mlflowctl authz show --path /ajax-api/2.0/mlflow/model-versions/update
  mlflowctl authz show -o json`,
	"push-container": `  mlflowctl push-container
  mlflowctl push-container --mlflow-version 2.12.2 --builder docker
  mlflowctl push-container --from image.tar --repository team-labs`,
	"doctor": `  mlflowctl doctor
  mlflowctl doctor --create-roles`,
	"verify": `  mlflowctl verify
  mlflowctl verify --name team-b -o json`,
	"login": `  mlflowctl login
  mlflowctl login --no-browser`,
	"backup": `  mlflowctl backup
  mlflowctl backup --name team-b -o json`,
	"backups": `  mlflowctl backups list`,
	"backups list": `  mlflowctl backups list
  mlflowctl backups list -o json`,
	"rollback": `  mlflowctl rollback
  mlflowctl rollback --snapshot mlflowctl-mlflow-pre-upgrade-20261204-150405 --yes -o json`,
	"logout": `  mlflowctl logout`,
	"token": `  mlflowctl token
  curl -H "Authorization: Bearer $(mlflowctl token)" "$MLFLOW_TRACKING_URI/api/2.0/mlflow/experiments/search?max_results=1"`,
	"env": `  eval "$(mlflowctl env --sigv4)"
  eval "$(mlflowctl env --token)"`,
	"ui build": `  mlflowctl ui build --out ./site
  mlflowctl ui build --out ./site-2 --mlflow-version 2.12.2`,
	"version": `  mlflowctl version
  mlflowctl version -o json`,
	"completion": `  source <(mlflowctl completion bash)
  mlflowctl completion zsh > "${fpath[1]}/_mlflowctl"`,
}

// applyHelp sets the groups and the Examples sections.
func applyHelp(root *cobra.Command) {
	root.AddGroup(helpGroups...)
	for _, c := range root.Commands() {
		if id, ok := commandGroup[c.Name()]; ok {
			c.GroupID = id
		}
	}
	walk(root, func(c *cobra.Command) {
		if ex, ok := examples[pathOf(c)]; ok && c.Example == "" {
			c.Example = ex
		}
	})
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// pathOf is a command's path without the program name.
func pathOf(c *cobra.Command) string {
	p := c.CommandPath()
	if root := c.Root().Name(); len(p) > len(root) {
		return p[len(root)+1:]
	}
	return ""
}

// bareHint follows the help of a bare `mlflowctl`.
func bareHint(cmd *cobra.Command) error {
	if err := cmd.Help(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(cmd.OutOrStdout(), "\nNew here? `mlflowctl init` asks a few questions and writes mlflowctl.yaml; then `mlflowctl up`.")
	return err
}
