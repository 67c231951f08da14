package deploy

import (
	"context"
	"errors"
	"fmt"
)

// runStep runs one step with the outputs of everything before it. A
// step that stops on the user's interrupt changed what it changed; it
// reports that as an interrupt, not as a failure.
func (e *Engine) runStep(ctx context.Context, s *Stack, deps Outputs) (map[string]string, error) {
	e.phase(OpDeploy, s, "", PhaseRunning, "")
	out, err := s.step.Run(ctx, deps)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil, &InterruptedError{Done: []string{"step " + s.ID + ": stopped"}}
	}
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", s.ID, err)
	}
	if out == nil {
		out = map[string]string{}
	}
	e.phase(OpDeploy, s, "", PhaseComplete, "")
	return out, nil
}
