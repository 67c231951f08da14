package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/login"
)

type tokenOpts struct {
	noAsk
	g   *globalOpts
	cfg config.Config
}

func newTokenCommand(g *globalOpts) *cobra.Command {
	o := &tokenOpts{g: g}
	return &cobra.Command{
		Use:   "token",
		Short: "Print a valid Cognito token for MLFLOW_TRACKING_TOKEN (renewed when needed)",
		Long: `Print the token of mlflowctl login that the deployment's API accepts, renewed
with the refresh token when it expires within 5 minutes. It lasts an hour:
MLFLOW_TRACKING_TOKEN=$(mlflowctl token) in front of each run.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *tokenOpts) Validate() error {
	cfg, err := o.g.loadConfig()
	o.cfg = cfg
	return err
}

func (o *tokenOpts) Execute() error {
	sess, err := validSession(o.g, o.cfg.Name)
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, map[string]any{"token": sess.Bearer(), "expiresAt": sess.Expiry.UTC().Format(time.RFC3339)})
	}
	_, err = fmt.Fprintln(o.g.stdout, sess.Bearer())
	return err
}

// validSession is the deployment's sign-in with a fresh token, or an
// error that says to run mlflowctl login (exit 1).
func validSession(g *globalOpts, name string) (login.Session, error) {
	st, err := sessionStore(g.env)
	if err != nil {
		return login.Session{}, err
	}
	sess, err := login.Valid(g.ctx, st, name, g.env.loginHTTP, nil)
	if errors.Is(err, login.ErrNotLoggedIn) {
		return login.Session{}, fmt.Errorf("%w: run mlflowctl login%s", err, nameFlag(name))
	}
	return sess, err
}
