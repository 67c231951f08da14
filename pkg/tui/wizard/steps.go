package wizard

// step is one screen of the wizard.
type step int

const (
	stepProfile step = iota
	stepRegion
	stepName
	stepVersion
	stepSize
	stepStudio
	stepGateway
	stepModels
	stepMFA
	stepAdmin
	stepSummary
	stepOverwrite
	stepDone
)

// questions is how many question screens come before the summary.
const questions = int(stepSummary)

var stepTitles = map[step]string{
	stepProfile:   "AWS profile",
	stepRegion:    "Region",
	stepName:      "Deployment name",
	stepVersion:   "MLflow version",
	stepSize:      "Size",
	stepStudio:    "SageMaker Studio",
	stepGateway:   "AI gateway",
	stepModels:    "Bedrock models",
	stepMFA:       "Multi-factor authentication",
	stepAdmin:     "First admin",
	stepSummary:   "Summary",
	stepOverwrite: "Existing file",
	stepDone:      "Done",
}

// nextStep is the screen after s given the answers so far: the model list
// only matters with the gateway on.
func nextStep(s step, a Answers) step {
	if s == stepGateway && !a.Gateway {
		return stepMFA
	}
	return s + 1
}
