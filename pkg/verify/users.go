package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// CognitoAPI makes and removes the temporary users and signs them in.
type CognitoAPI interface {
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, o ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminSetUserPassword(ctx context.Context, in *cip.AdminSetUserPasswordInput, o ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error)
	AdminAddUserToGroup(ctx context.Context, in *cip.AdminAddUserToGroupInput, o ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error)
	AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, o ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
	AdminDeleteUser(ctx context.Context, in *cip.AdminDeleteUserInput, o ...func(*cip.Options)) (*cip.AdminDeleteUserOutput, error)
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, o ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
}

// UserPrefix starts every temporary user's name, so a leftover (after a
// kill -9) is easy to find and remove with `mlflowctl users remove`.
const UserPrefix = "mlflowctl-verify-"

type tempUser struct{ group, name string }

// createUsers makes one user per group and signs each in. The token comes
// from ADMIN_USER_PASSWORD_AUTH on the UI's own app client: that flow can
// only be started with AWS credentials allowed cognito-idp:AdminInitiateAuth
// on the pool (never from a browser), so enabling it on the client gives no
// one a way in they did not have; the token is then exactly what the UI's
// login produces (same client id), which is what the authorizer checks.
func (r *runner) createUsers(ctx context.Context) bool {
	ok := true
	for _, g := range r.t.Groups {
		ok = r.step(HopCognito, "temporary user in "+g.Name+" signs in", func() (string, error) {
			return r.createUser(ctx, g.Name)
		}) && ok
	}
	return ok
}

func (r *runner) createUser(ctx context.Context, group string) (string, error) {
	name := UserPrefix + strings.ToLower(group) + "-" + randomHex(4) + "@verify.invalid"
	pool := aws.String(r.t.UserPoolID)
	_, err := r.d.Cognito.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: pool, Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name)}},
	})
	if err != nil {
		return "", fmt.Errorf("AdminCreateUser: %w", err)
	}
	r.users = append(r.users, tempUser{group: group, name: name})
	password := newPassword()
	if _, err := r.d.Cognito.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: pool, Username: aws.String(name), Password: aws.String(password), Permanent: true,
	}); err != nil {
		return "", fmt.Errorf("AdminSetUserPassword: %w", err)
	}
	if _, err := r.d.Cognito.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
		UserPoolId: pool, Username: aws.String(name), GroupName: aws.String(group),
	}); err != nil {
		return "", fmt.Errorf("AdminAddUserToGroup %s: %w", group, err)
	}
	out, err := r.d.Cognito.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: pool, ClientId: aws.String(r.t.ClientID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
	})
	if err != nil {
		return "", fmt.Errorf("AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH on client %s): %w", r.t.ClientID, err)
	}
	if out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.AccessToken) == "" {
		return "", errors.New("AdminInitiateAuth returned a challenge, not tokens (is MFA required?)")
	}
	r.tokens[group] = aws.ToString(out.AuthenticationResult.AccessToken)
	return name, nil
}

// cleanup undoes what the checks made (newest first), then deletes every
// temporary user and confirms each is gone.
func (r *runner) cleanup(ctx context.Context) {
	for i := len(r.undo) - 1; i >= 0; i-- {
		u := r.undo[i]
		r.step(HopCleanup, u.what, func() (string, error) { return "removed", u.fn(ctx) })
	}
	if len(r.users) == 0 {
		return
	}
	r.step(HopCleanup, "temporary users deleted", func() (string, error) {
		var failed []string
		for _, u := range r.users {
			if err := r.deleteUser(ctx, u.name); err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", u.name, err))
			}
		}
		if len(failed) > 0 {
			return "", fmt.Errorf("left behind: %s", strings.Join(failed, "; "))
		}
		return fmt.Sprintf("%d deleted, none left", len(r.users)), nil
	})
}

func (r *runner) deleteUser(ctx context.Context, name string) error {
	in := &cip.AdminDeleteUserInput{UserPoolId: aws.String(r.t.UserPoolID), Username: aws.String(name)}
	var nf *types.UserNotFoundException
	if _, err := r.d.Cognito.AdminDeleteUser(ctx, in); err != nil && !errors.As(err, &nf) {
		return err
	}
	_, err := r.d.Cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(r.t.UserPoolID), Username: aws.String(name)})
	if errors.As(err, &nf) {
		return nil
	}
	if err == nil {
		return errors.New("still exists")
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newPassword meets any Cognito password policy (length 32, every class);
// it lives only in memory for the seconds the user exists.
func newPassword() string {
	return "Vf1!" + randomHex(14)
}
