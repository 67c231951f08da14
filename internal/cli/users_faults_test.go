package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/mlflowctl/mlflowctl/internal/faultproxy"
)

// behind puts a fault proxy between mlflowctl and moto for this test:
// e.url, which run passes as --endpoint-url, becomes the proxy's.
func (e *usersEnv) behind(t *testing.T, o faultproxy.Options) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(e.url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	e.url = p.URL
	return p
}

// halfMade creates a user the way an interrupted `users add` leaves one:
// created (FORCE_CHANGE_PASSWORD, a temporary password nobody saw), no
// password set, in no group.
func (e *usersEnv) halfMade(t *testing.T, email string) {
	t.Helper()
	_, err := e.cip.AdminCreateUser(context.Background(), &cip.AdminCreateUserInput{
		UserPoolId: &e.pool, Username: aws.String(email), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *usersEnv) status(t *testing.T, email string) string {
	t.Helper()
	out, err := e.cip.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String(email)})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.UserStatus)
}

// The reply to AdminCreateUser is lost after Cognito created the user, so
// the SDK retries and Cognito answers UsernameExistsException. The user is
// the one this run made: the command sets the password and succeeds.
// (Cognito's AdminCreateUser has no idempotency token; the API reference
// lists UsernameExistsException for a name already in the pool.)
func TestUsersAddSurvivesALostReplyToCreate(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	p := e.behind(t, faultproxy.Options{Match: []string{"AdminCreateUser"}})
	p.Force(faultproxy.LostReply)
	_, errOut, err := e.onPool(t, stdin(goodPassword+"\n"), "users", "add", "lost@example.com", "--group", "readers", "--password-stdin")
	if err != nil {
		t.Fatalf("add after a lost reply: %v\n%s", err, errOut)
	}
	if st := p.Stats(); st.ByOp["AdminCreateUser"] != 2 {
		t.Fatalf("AdminCreateUser attempts = %d, want the lost one and its retry", st.ByOp["AdminCreateUser"])
	}
	if challenge, err := e.login(t, "lost@example.com", goodPassword); err != nil || challenge != "" {
		t.Fatalf("cannot log in: %q %v", challenge, err)
	}
}

// An earlier seed stopped between creating a user and setting its
// password. Running the same command again finishes it: the password is
// set, the group added, and the user can log in.
func TestUsersSeedRerunFinishesAHalfMadeUser(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	e.halfMade(t, "mlflow-admin@example.com")
	out, errOut, err := e.onPool(t, stdin(goodPassword+"\n"), "users", "seed", "--password-stdin", "--email-domain", "example.com")
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, errOut)
	}
	if st := e.status(t, "mlflow-admin@example.com"); st != "CONFIRMED" {
		t.Fatalf("mlflow-admin is %s after the re-run, want CONFIRMED\n%s", st, out)
	}
	if challenge, err := e.login(t, "mlflow-admin@example.com", goodPassword); err != nil || challenge != "" {
		t.Fatalf("cannot log in: %q %v", challenge, err)
	}
	if !strings.Contains(out, "mlflow-admin@example.com") || !strings.Contains(out, "password set") {
		t.Errorf("output does not say the password was set:\n%s", out)
	}
}

// Without a way to get a password (no flag, no terminal) the re-run does
// not pretend all is well: it names the user and the exact command.
func TestUsersSeedRerunNamesTheFixForAUserWithoutPassword(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	e.halfMade(t, "mlflow-reader@example.com")
	for _, u := range []string{"mlflow-admin@example.com", "mlflow-model-approver@example.com"} {
		if _, errOut, err := e.onPool(t, stdin(goodPassword+"\n"), "users", "add", u, "--group", "admins", "--password-stdin"); err != nil {
			t.Fatalf("add %s: %v\n%s", u, err, errOut)
		}
	}
	out, errOut, err := e.onPool(t, nil, "users", "seed", "--email-domain", "example.com")
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, errOut)
	}
	want := "mlflowctl users reset-password mlflow-reader@example.com --user-pool-id " + e.pool
	if !strings.Contains(out+errOut, want) || !strings.Contains(out+errOut, "FORCE_CHANGE_PASSWORD") {
		t.Fatalf("the re-run does not say how to fix mlflow-reader (want %q):\n%s%s", want, out, errOut)
	}
}

// The reply to AdminCreateUser arrives cut off or garbled: Cognito made
// the user, the SDK cannot read the answer and (a create is not safe to
// repeat) does not retry. The command looks at what Cognito made and
// finishes it.
func TestUsersAddSurvivesABrokenReplyToCreate(t *testing.T) {
	t.Parallel()
	for _, k := range []faultproxy.Kind{faultproxy.CutOff, faultproxy.Garble} {
		t.Run(string(k), func(t *testing.T) {
			e := newUsersEnv(t)
			p := e.behind(t, faultproxy.Options{Match: []string{"AdminCreateUser"}})
			p.Force(k)
			_, errOut, err := e.onPool(t, stdin(goodPassword+"\n"), "users", "add", "broken@example.com", "--group", "readers", "--password-stdin")
			if err != nil {
				t.Fatalf("add after a %s reply: %v\n%s", k, err, errOut)
			}
			if challenge, err := e.login(t, "broken@example.com", goodPassword); err != nil || challenge != "" {
				t.Fatalf("cannot log in: %q %v", challenge, err)
			}
		})
	}
}
