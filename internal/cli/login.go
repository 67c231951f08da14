package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/login"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

type loginOpts struct {
	noAsk
	g           *globalOpts
	noBrowser   bool
	trackingURI string
	authDomain  string
	clientID    string
	cfg         config.Config
}

func newLoginCommand(g *globalOpts) *cobra.Command {
	o := &loginOpts{g: g}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in with the deployment's Cognito login, for the SDK's token path",
		Long: `Sign in with the deployment's Cognito managed login in a browser
(authorization code + PKCE, redirect to http://localhost:38917-38919/callback)
and keep the tokens in the OS keychain (else a 0600 file). Then
MLFLOW_TRACKING_TOKEN=$(mlflowctl token) with the tracking URI <…>/t works
for the stock MLflow client: see mlflowctl env --token.

The deployment's settings come from its stacks (needs AWS credentials), or
from --tracking-uri, --auth-domain and --client-id (shown by mlflowctl up and
status) where there are none.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.noBrowser, "no-browser", false, "print the sign-in address and read the answer from the terminal")
	f.StringVar(&o.trackingURI, "tracking-uri", "", "the deployment's tracking URI (no AWS credentials needed with --auth-domain and --client-id)")
	f.StringVar(&o.authDomain, "auth-domain", "", "the Cognito managed-login domain, https://<prefix>.auth.<region>.amazoncognito.com")
	f.StringVar(&o.clientID, "client-id", "", "the Cognito app client id")
	return cmd
}

func (o *loginOpts) Validate() error {
	set := 0
	for _, v := range []string{o.trackingURI, o.authDomain, o.clientID} {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		return usageErrorf("--tracking-uri, --auth-domain and --client-id go together: give all three, or none to read them from the deployment's stacks")
	}
	for flag, v := range map[string]string{"--tracking-uri": o.trackingURI, "--auth-domain": o.authDomain} {
		if u, err := url.Parse(v); v != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
			return usageErrorf("%s %q is not an https:// URL", flag, v)
		}
	}
	cfg, err := o.g.loadConfig()
	o.cfg = cfg
	return err
}

func (o *loginOpts) Execute() error {
	sess, err := o.target()
	if err != nil {
		return err
	}
	cl := sess.Client(o.g.env.loginHTTP, nil)
	var tok login.Tokens
	if o.noBrowser {
		tok, err = cl.LoginManual(o.g.ctx, o.g.env.ports()[0], o.g.stderr, o.g.stdin)
	} else {
		ctx, cancel := context.WithTimeout(o.g.ctx, 10*time.Minute)
		defer cancel()
		tok, err = cl.LoginLoopback(ctx, o.g.env.ports(), func(u string) error {
			_, _ = fmt.Fprintf(o.g.stderr, "Opening the sign-in page in your browser. If it does not open, visit:\n\n  %s\n\n", u)
			if err := o.g.env.openBrowser(u); err != nil {
				_, _ = fmt.Fprintf(o.g.stderr, "(could not start a browser: %v)\n", err)
			}
			return nil
		})
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no sign-in within 10 minutes: run mlflowctl login again (or --no-browser)")
	}
	if err != nil {
		return err
	}
	sess.Tokens = tok
	st, err := sessionStore(o.g.env)
	if err != nil {
		return err
	}
	where, err := st.Save(sess)
	if err != nil {
		return fmt.Errorf("keep the tokens: %w", err)
	}
	id := login.IdentityOf(tok.IDToken)
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, map[string]any{"deployment": sess.Deployment, "identity": id,
			"trackingUri": sess.TrackingURI + stacks.TokenPathPrefix, "storedIn": where})
	}
	p := &printer{w: o.g.stdout}
	p.f("Signed in to %s as %s (groups: %s).\n", sess.Deployment, orDash(id.Username), orDash(strings.Join(id.Groups, ", ")))
	p.f("Tokens kept in the %s.\n", where)
	p.f("Use MLflow with: eval \"$(mlflowctl env --token%s)\"\n", nameFlag(sess.Deployment))
	return p.err
}

// target is the session to sign in to: from the flags, or from the api
// stack's outputs.
func (o *loginOpts) target() (login.Session, error) {
	s := login.Session{Deployment: o.cfg.Name, TokenUse: o.cfg.Authorizer.TokenUse,
		TrackingURI: strings.TrimSuffix(o.trackingURI, "/"), AuthDomain: o.authDomain, ClientID: o.clientID}
	if s.TokenUse == "" {
		s.TokenUse = "access"
	}
	if o.authDomain != "" {
		return s, nil
	}
	outs, err := readAPIOutputs(o.g, o.cfg)
	if err != nil {
		return s, err
	}
	s.TrackingURI = strings.TrimSuffix(outs[stacks.OutRestAPIURL], "/")
	s.AuthDomain = outs[stacks.OutCognitoDomain]
	s.ClientID = outs[stacks.OutUserPoolClientID]
	s.MLflowVersion = outs[stacks.OutMLflowVersion]
	if s.TrackingURI == "" || s.AuthDomain == "" || s.ClientID == "" {
		return s, fmt.Errorf("the %s-api stack lacks the outputs %s, %s, %s: run mlflowctl up", s.Deployment,
			stacks.OutRestAPIURL, stacks.OutCognitoDomain, stacks.OutUserPoolClientID)
	}
	return s, nil
}

// readAPIOutputs reads the api stack's outputs with AWS credentials.
func readAPIOutputs(g *globalOpts, cfg config.Config) (map[string]string, error) {
	c, err := loadAWSClients(g, cfg, g.env.aws)
	if err != nil {
		return nil, fmt.Errorf("%w\n(without AWS credentials, pass --tracking-uri, --auth-domain and --client-id as mlflowctl up printed them)", err)
	}
	d, found, err := stacks.Read(g.ctx, c.cfn, cfg.Name, stacks.API)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, usageErrorf("deployment %q has no %s-api stack in %s: run `mlflowctl up --name %s`, or check --name and --region", cfg.Name, cfg.Name, c.region, cfg.Name)
	}
	// The server's MLflow version pins the client in the pip line.
	if srv, ok, err := stacks.Read(g.ctx, c.cfn, cfg.Name, stacks.Server); err == nil && ok {
		d.Outputs[stacks.OutMLflowVersion] = srv.Outputs[stacks.OutMLflowVersion]
	}
	return d.Outputs, nil
}

func sessionStore(e environment) (login.Store, error) {
	if e.loginStore != nil {
		return *e.loginStore, nil
	}
	return login.DefaultStore()
}

func nameFlag(name string) string {
	if name == "" || name == config.DefaultName {
		return ""
	}
	return " --name " + name
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// systemBrowser opens a URL with the platform's opener. The URL is an
// argument, never a shell string.
func systemBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
