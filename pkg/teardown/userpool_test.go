package teardown_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
)

// protectedPool creates a pool shaped like the api stack's: admin-created
// users, email usernames, a strong password policy, email recovery, tags
// and deletion protection on.
func protectedPool(t *testing.T, c *cip.Client, name string) string {
	t.Helper()
	out, err := c.CreateUserPool(context.Background(), &cip.CreateUserPoolInput{
		PoolName:               aws.String(name),
		DeletionProtection:     ciptypes.DeletionProtectionTypeActive,
		UsernameAttributes:     []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
		AdminCreateUserConfig:  &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
		AccountRecoverySetting: &ciptypes.AccountRecoverySettingType{RecoveryMechanisms: []ciptypes.RecoveryOptionType{
			{Name: ciptypes.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(1)}}},
		Policies: &ciptypes.UserPoolPolicyType{PasswordPolicy: &ciptypes.PasswordPolicyType{
			MinimumLength: aws.Int32(12), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
			TemporaryPasswordValidityDays: 7}},
		UserPoolTags: map[string]string{"mlflowctl:deployment": "demo"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.UserPool.Id)
}

// settings is a pool's configuration without what UpdateUserPool changes
// by itself or that this update is about. Username and alias attributes,
// the schema and the username configuration are fixed at creation and are
// no parameters of UpdateUserPool, so Cognito keeps them; moto drops
// UsernameAttributes on any update, so they are left out here.
func settings(t *testing.T, c *cip.Client, id string) string {
	t.Helper()
	out, err := c.DescribeUserPool(context.Background(), &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	p := *out.UserPool
	p.DeletionProtection, p.LastModifiedDate = "", nil
	p.UsernameAttributes, p.AliasAttributes, p.SchemaAttributes, p.UsernameConfiguration = nil, nil, nil, nil
	b, _ := json.Marshal(p)
	return string(b)
}

// TestLiftDeletionProtectionKeepsEveryOtherSetting: UpdateUserPool resets
// what it is not given (API_UpdateUserPool.html); moto models that reset,
// which the naive update below shows, so the lift is checked to pass every
// setting on unchanged.
func TestLiftDeletionProtectionKeepsEveryOtherSetting(t *testing.T) {
	srv := mototest.Start(t)
	c := cip.New(cip.Options{Region: mototest.Region, BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})
	ctx := context.Background()

	naive := protectedPool(t, c, "naive")
	before := settings(t, c, naive)
	if _, err := c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(naive), DeletionProtection: ciptypes.DeletionProtectionTypeInactive}); err != nil {
		t.Fatal(err)
	}
	if settings(t, c, naive) == before {
		t.Fatal("the stand-in kept the settings of an update that omitted them: it no longer models UpdateUserPool's reset, so this test proves nothing")
	}

	id := protectedPool(t, c, "demo-mlflow")
	before = settings(t, c, id)
	lifted, err := teardown.LiftDeletionProtection(ctx, c, id)
	if err != nil || !lifted {
		t.Fatalf("lifted %v, err %v", lifted, err)
	}
	if after := settings(t, c, id); after != before {
		t.Errorf("settings changed by the lift:\nbefore %s\nafter  %s", before, after)
	}
	out, _ := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if out.UserPool.DeletionProtection != ciptypes.DeletionProtectionTypeInactive {
		t.Errorf("deletion protection is %q after the lift", out.UserPool.DeletionProtection)
	}
	if again, err := teardown.LiftDeletionProtection(ctx, c, id); err != nil || again {
		t.Errorf("a second lift changed %v (err %v): it must be a no-op", again, err)
	}
}
