package teardown

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// CognitoAPI is the part of the Cognito user pools client teardown uses.
type CognitoAPI interface {
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, opts ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	UpdateUserPool(ctx context.Context, in *cip.UpdateUserPoolInput, opts ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error)
}

// LiftDeletionProtection turns a user pool's deletion protection off so
// that its stack can delete it: Cognito refuses DeleteUserPool on a
// protected pool with InvalidParameterException, and CloudFormation's
// delete fails the same way. UpdateUserPool sets every setting it is not
// given back to Cognito's default, so the request carries the pool's
// current settings as DescribeUserPool returns them. It reports whether
// it changed anything.
//
//   - https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html
//   - https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPool.html
//     ("If you don't provide a value for an attribute, Amazon Cognito sets
//     it to its default value")
func LiftDeletionProtection(ctx context.Context, api CognitoAPI, poolID string) (bool, error) {
	out, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		if isNotFoundCode(err) {
			return false, nil
		}
		return false, fmt.Errorf("read Cognito user pool %s: %w", poolID, err)
	}
	p := out.UserPool
	if p.DeletionProtection != ciptypes.DeletionProtectionTypeActive {
		return false, nil
	}
	in := &cip.UpdateUserPoolInput{
		UserPoolId:                  aws.String(poolID),
		DeletionProtection:          ciptypes.DeletionProtectionTypeInactive,
		AccountRecoverySetting:      p.AccountRecoverySetting,
		AdminCreateUserConfig:       p.AdminCreateUserConfig,
		AutoVerifiedAttributes:      p.AutoVerifiedAttributes,
		DeviceConfiguration:         p.DeviceConfiguration,
		EmailConfiguration:          p.EmailConfiguration,
		IssuerConfiguration:         p.IssuerConfiguration,
		KeyConfiguration:            p.KeyConfiguration,
		LambdaConfig:                p.LambdaConfig,
		MfaConfiguration:            p.MfaConfiguration,
		Policies:                    p.Policies,
		PoolName:                    p.Name,
		SmsAuthenticationMessage:    p.SmsAuthenticationMessage,
		SmsConfiguration:            p.SmsConfiguration,
		UserAttributeUpdateSettings: p.UserAttributeUpdateSettings,
		UserPoolAddOns:              p.UserPoolAddOns,
		UserPoolTags:                p.UserPoolTags,
		UserPoolTier:                p.UserPoolTier,
		VerificationMessageTemplate: p.VerificationMessageTemplate,
	}
	if p.VerificationMessageTemplate == nil {
		// Only pools from before the template know the older fields alone.
		in.EmailVerificationMessage, in.EmailVerificationSubject = p.EmailVerificationMessage, p.EmailVerificationSubject
		in.SmsVerificationMessage = p.SmsVerificationMessage
	}
	if _, err := api.UpdateUserPool(ctx, in); err != nil {
		return false, fmt.Errorf("turn off the deletion protection of Cognito user pool %s: %w", poolID, err)
	}
	return true, nil
}
