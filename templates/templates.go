// Package templates embeds everything mlflowctl renders or ships:
// CloudFormation templates, Dockerfiles, the authorizer, the UI patch and
// the commented default configuration file.
package templates

import "embed"

// FS holds every file below this directory.
//
//go:embed *
var FS embed.FS
