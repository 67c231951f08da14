package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

type logoutOpts struct {
	noAsk
	g   *globalOpts
	cfg config.Config
}

func newLogoutCommand(g *globalOpts) *cobra.Command {
	o := &logoutOpts{g: g}
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the refresh token of mlflowctl login and forget the tokens",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *logoutOpts) Validate() error {
	cfg, err := o.g.loadConfig()
	o.cfg = cfg
	return err
}

func (o *logoutOpts) Execute() error {
	st, err := sessionStore(o.g.env)
	if err != nil {
		return err
	}
	sess, found, err := st.Load(o.cfg.Name)
	if err != nil {
		return err
	}
	if !found {
		_, err := fmt.Fprintf(o.g.stdout, "Not signed in to %s: nothing to do.\n", o.cfg.Name)
		return err
	}
	// Forget first: a failed revocation must not leave the tokens here.
	if err := st.Delete(o.cfg.Name); err != nil {
		return fmt.Errorf("forget the tokens: %w", err)
	}
	if sess.RefreshToken != "" {
		if err := sess.Client(o.g.env.loginHTTP, nil).Revoke(o.g.ctx, sess.RefreshToken); err != nil {
			return fmt.Errorf("tokens forgotten here, but the refresh token was not revoked (it expires on its own): %w", err)
		}
	}
	_, err = fmt.Fprintf(o.g.stdout, "Signed out of %s: refresh token revoked, tokens forgotten.\n", o.cfg.Name)
	return err
}
