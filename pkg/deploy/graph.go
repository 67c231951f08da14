package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// order validates the graph and returns its nodes (stacks, then steps)
// in dependency order (stable: input order among nodes that are ready
// together). A stack depends on the steps it imports from.
func (d Deployment) order() ([]*Stack, error) {
	nodes, err := d.nodes()
	if err != nil {
		return nil, err
	}
	byID := map[string]*Stack{}
	for _, s := range nodes {
		byID[s.ID] = s
	}
	for _, s := range nodes {
		for _, dep := range s.DependsOn {
			if byID[dep] == nil {
				return nil, &InvalidDeploymentError{Problem: fmt.Sprintf("%s %q depends on unknown node %q", s.kind(), s.ID, dep)}
			}
		}
	}
	var out []*Stack
	placed := map[string]bool{}
	for len(out) < len(nodes) {
		progress := false
		for _, s := range nodes {
			if placed[s.ID] || !allPlaced(s.DependsOn, placed) {
				continue
			}
			placed[s.ID] = true
			out = append(out, s)
			progress = true
		}
		if !progress {
			return nil, &InvalidDeploymentError{Problem: "the dependencies of the stacks and steps form a cycle"}
		}
	}
	return out, checkImports(out)
}

// nodes lists the stacks and the steps as graph nodes, with the steps a
// stack imports from added to its dependencies.
func (d Deployment) nodes() ([]*Stack, error) {
	var nodes []*Stack
	seen := map[string]bool{}
	add := func(s *Stack, what string, i int) error {
		if s.ID == "" {
			return &InvalidDeploymentError{Problem: fmt.Sprintf("%s #%d has no ID", what, i+1)}
		}
		if seen[s.ID] {
			return &InvalidDeploymentError{Problem: fmt.Sprintf("ID %q appears twice", s.ID)}
		}
		seen[s.ID] = true
		nodes = append(nodes, s)
		return nil
	}
	steps := map[string]bool{}
	for _, st := range d.Steps {
		steps[st.ID] = true
	}
	for i := range d.Stacks {
		s := d.Stacks[i] // a copy: the added dependencies stay in the engine
		s.DependsOn = slices.Clone(s.DependsOn)
		for _, im := range s.Imports {
			if steps[im.FromStack] && !slices.Contains(s.DependsOn, im.FromStack) {
				s.DependsOn = append(s.DependsOn, im.FromStack)
			}
		}
		if err := add(&s, "stack", i); err != nil {
			return nil, err
		}
	}
	for i := range d.Steps {
		st := &d.Steps[i]
		if st.Run == nil {
			return nil, &InvalidDeploymentError{Problem: fmt.Sprintf("step %q has nothing to run", st.ID)}
		}
		if err := add(&Stack{ID: st.ID, DependsOn: st.DependsOn, step: st}, "step", i); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// kind names the node in messages.
func (s *Stack) kind() string {
	if s.step != nil {
		return "step"
	}
	return "stack"
}

func allPlaced(ids []string, placed map[string]bool) bool {
	for _, id := range ids {
		if !placed[id] {
			return false
		}
	}
	return true
}

// checkImports makes sure every import comes from a stack that is
// complete before the importer starts (a direct or indirect dependency).
func checkImports(ordered []*Stack) error {
	ancestors := map[string]map[string]bool{}
	for _, s := range ordered {
		a := map[string]bool{}
		for _, dep := range s.DependsOn {
			a[dep] = true
			for x := range ancestors[dep] {
				a[x] = true
			}
		}
		ancestors[s.ID] = a
		for _, im := range s.Imports {
			if !a[im.FromStack] {
				return &InvalidDeploymentError{Problem: fmt.Sprintf("stack %q imports %s from %q, which it does not depend on", s.ID, im.Output, im.FromStack)}
			}
		}
	}
	return nil
}

// errSkipped marks a stack that did not run because a stack it waits for
// failed; it is not reported again.
var errSkipped = errors.New("skipped")

// runGraph runs fn for every stack once the stacks it waits for are done:
// its dependencies, or (reverse, for deletes) its dependents. At most
// Concurrency run at once. A stack whose predecessor failed is skipped.
func (e *Engine) runGraph(ctx context.Context, op Op, d Deployment, ordered []*Stack, reverse bool, fn func(context.Context, *Stack) error) error {
	waitFor := map[string][]string{}
	for _, s := range ordered {
		if !reverse {
			waitFor[s.ID] = s.DependsOn
			continue
		}
		for _, dep := range s.DependsOn {
			waitFor[dep] = append(waitFor[dep], s.ID)
		}
	}
	done := map[string]chan struct{}{}
	for _, s := range ordered {
		done[s.ID] = make(chan struct{})
	}
	var (
		mu     sync.Mutex
		failed = map[string]bool{}
		errs   = map[string]error{}
		wg     sync.WaitGroup
		sem    = make(chan struct{}, e.opts.Concurrency)
	)
	for _, s := range ordered {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[s.ID])
			for _, w := range waitFor[s.ID] {
				<-done[w]
			}
			err := e.runOne(ctx, op, d, s, waitFor[s.ID], sem, &mu, failed, fn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[s.ID] = true
				errs[s.ID] = err
			}
		}()
	}
	wg.Wait()
	return joinErrors(ordered, errs)
}

func (e *Engine) runOne(ctx context.Context, op Op, d Deployment, s *Stack, waitFor []string, sem chan struct{}, mu *sync.Mutex, failed map[string]bool, fn func(context.Context, *Stack) error) error {
	mu.Lock()
	var blocker string
	for _, w := range waitFor {
		if failed[w] {
			blocker = w
			break
		}
	}
	mu.Unlock()
	name := d.StackName(s.ID)
	if blocker != "" {
		e.phase(op, s, name, PhaseSkipped, fmt.Sprintf("not started: %s did not finish", blocker))
		return errSkipped
	}
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		e.phase(op, s, name, PhaseSkipped, "not started: interrupted")
		return errSkipped
	}
	defer func() { <-sem }()
	return fn(ctx, s)
}

// joinErrors reports each stack's error once, in dependency order, with
// all interrupts merged into one InterruptedError placed first (so the exit
// code is 130).
func joinErrors(ordered []*Stack, errs map[string]error) error {
	var intr *InterruptedError
	var list []error
	for _, s := range ordered {
		err := errs[s.ID]
		if err == nil || errors.Is(err, errSkipped) {
			continue
		}
		var ie *InterruptedError
		if errors.As(err, &ie) {
			if intr == nil {
				intr = &InterruptedError{}
			}
			intr.Done = append(intr.Done, ie.Done...)
			intr.Running = append(intr.Running, ie.Running...)
			continue
		}
		list = append(list, err)
	}
	if intr != nil {
		list = append([]error{intr}, list...)
	}
	if len(list) == 1 {
		return list[0]
	}
	return errors.Join(list...)
}

func stepIDs(ordered []*Stack) []string {
	var ids []string
	for _, s := range ordered {
		if s.step != nil {
			ids = append(ids, s.ID)
		}
	}
	return ids
}
