// Package templates embeds everything mlflowctl renders or ships:
// CloudFormation templates, Dockerfiles, the authorizer, the UI patch and
// the commented default configuration file.
package templates

import "embed"

// FS holds exactly the files the binary reads, one pattern per kind, so
// that the tests, benchmarks, READMEs and test data beside them stay out
// of the binary (templates_test.go checks both ways), in the order of the
// directives below:
//
//   - cfn: one CloudFormation template per stack (pkg/stacks);
//   - authorizer: the Lambda authorizer's sources, zipped by pkg/authz
//     (its policy.json is generated there; the file here is the Node
//     tests' copy);
//   - config: the commented default configuration (`config init`);
//   - docker: CodeBuild's buildspec, the hash-locked requirements per
//     MLflow version, each image's Dockerfile and scripts (pkg/build);
//   - studio: the lifecycle script and the module it unpacks, with that
//     module's Apache-2.0 licence, which travels with every copy;
//   - ui, uibuild: the UI patch series (pkg/patch) and the UI's CodeBuild
//     buildspec (pkg/uihost).
//
//go:embed cfn/*.yaml
//go:embed authorizer/authorizer.mjs authorizer/index.mjs
//go:embed config/mlflowctl.yaml
//go:embed docker/buildspec.yml docker/requirements/*.txt
//go:embed docker/server/Dockerfile.tmpl docker/server/*.py docker/server/site/*.py
//go:embed docker/gateway/Dockerfile.tmpl docker/gateway/*.py
//go:embed docker/pyfunc/Dockerfile.tmpl docker/pyfunc/*.py
//go:embed studio/lifecycle.sh studio/requests_auth_aws_sigv4.py studio/requests_auth_aws_sigv4.LICENSE
//go:embed ui/*.patch uibuild/buildspec.yaml
var FS embed.FS
