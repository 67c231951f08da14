// Package stacks renders the deployment's CloudFormation stacks from the
// configuration and names their outputs.
package stacks

// Stack IDs, in dependency order: bootstrap → server → api → {services,
// studio, ui}; services also waits for the images (and, for MLflow 3.5+,
// for the api stack's UI origin).
const (
	Bootstrap = "bootstrap"
	Server    = "server"
	API       = "api"
	Services  = "services"
	Studio    = "studio"
	UI        = "ui"
)

// Output keys every command relies on. Templates must output them under
// exactly these names; other packages read them from DescribeStacks.
const (
	// bootstrap
	OutAssetsBucket         = "AssetsBucketName"
	OutServerRepositoryURI  = "ServerRepositoryUri"
	OutGatewayRepositoryURI = "GatewayRepositoryUri"
	OutPyfuncRepositoryURI  = "PyfuncRepositoryUri"
	OutCodeBuildProject     = "CodeBuildProjectName"

	// server
	OutVpcID            = "VpcId"
	OutPrivateSubnetIDs = "PrivateSubnetIds" // comma-separated
	OutArtifactBucket   = "ArtifactBucketName"
	OutAccessLogBucket  = "AccessLogBucketName"
	OutNlbArn           = "NlbArn"
	OutNlbDNSName       = "NlbDnsName"
	OutDBClusterID      = "DbClusterIdentifier"
	OutMLflowVersion    = "MLflowVersion"

	// api
	OutRestAPIID        = "RestApiId"
	OutRestAPIURL       = "RestApiUrl" // https://<id>.execute-api.<region>.amazonaws.com/prod/
	OutUserPoolID       = "UserPoolId"
	OutUserPoolClientID = "UserPoolClientId"
	OutCognitoDomain    = "CognitoDomainUrl" // https://<prefix>.auth.<region>.amazoncognito.com
	OutAmplifyAppID     = "AmplifyAppId"
	OutUIURL            = "UiUrl" // https://main.<app id>.amplifyapp.com

	// studio
	OutDomainID      = "DomainId"
	OutDomainCreated = "DomainCreated"    // "true" when mlflowctl created the domain
	OutUserProfiles  = "UserProfileNames" // comma-separated

	// ui
	OutAmplifyBranch = "AmplifyBranchName"
)
