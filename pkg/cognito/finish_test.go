package cognito

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// interruptedAPI plays Ctrl-C arriving while AdminCreateUser is on the
// wire: Cognito creates the user, and the context is cancelled before the
// password call. It stands in for cognito-idp's AdminCreateUser and
// AdminSetUserPassword only.
type interruptedAPI struct {
	UsersAPI
	cancel   context.CancelFunc
	setCalls int
	setErr   error
}

func (a *interruptedAPI) AdminCreateUser(context.Context, *cip.AdminCreateUserInput, ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error) {
	a.cancel()
	return &cip.AdminCreateUserOutput{User: &types.UserType{Username: aws.String("u@example.com"), UserStatus: types.UserStatusTypeForceChangePassword}}, nil
}

func (a *interruptedAPI) AdminSetUserPassword(ctx context.Context, _ *cip.AdminSetUserPasswordInput, _ ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error) {
	a.setCalls++
	a.setErr = ctx.Err()
	return &cip.AdminSetUserPasswordOutput{}, ctx.Err()
}

// A Ctrl-C after the user was created must not leave it without its
// password: the password call completes the create.
func TestCreateFinishesThePasswordAfterAnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	api := &interruptedAPI{cancel: cancel}
	d := NewDirectory(api, Pool{ID: "pool", Policy: DefaultPasswordPolicy})
	u, err := d.Create(ctx, "u@example.com", Credentials{Password: "Correct-Horse-9!"})
	if err != nil || api.setCalls != 1 || api.setErr != nil {
		t.Fatalf("err %v, password calls %d (context: %v)", err, api.setCalls, api.setErr)
	}
	if u.Status != string(types.UserStatusTypeConfirmed) {
		t.Errorf("status %s", u.Status)
	}
}
