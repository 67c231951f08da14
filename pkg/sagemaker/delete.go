package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/mlflowctl/mlflowctl/pkg/plural"
)

// Delete removes the inventory's apps (all at once), waits until every
// one is Deleted, then does the same for the spaces and then the
// profiles: SageMaker refuses to delete a space or profile that still
// has apps, and a profile that still owns spaces.
func (s *Studio) Delete(ctx context.Context, inv Inventory) error {
	if inv.Empty() {
		s.logf("studio: nothing to delete")
		return nil
	}
	steps := []struct {
		what  string
		items []*task
	}{
		{"app", s.appTasks(inv.DomainID, inv.Apps)},
		{"space", s.spaceTasks(inv.DomainID, inv.Spaces)},
		{"user profile", s.profileTasks(inv.DomainID, inv.Profiles)},
	}
	for _, step := range steps {
		if err := s.run(ctx, step.what, step.items); err != nil {
			return err
		}
	}
	return nil
}

// task is one resource to delete and wait for.
type task struct {
	label   string
	start   func(ctx context.Context) error
	check   func(ctx context.Context) (gone bool, status string, err error)
	started bool
	gone    bool
	status  string
}

func (s *Studio) appTasks(domain string, apps []App) []*task {
	var tasks []*task
	for _, a := range apps {
		ref := appRef(domain, a)
		tasks = append(tasks, &task{
			label:   a.String(),
			status:  a.Status,
			started: a.Status == string(smtypes.AppStatusDeleting),
			start: func(ctx context.Context) error {
				_, err := s.API.DeleteApp(ctx, &sm.DeleteAppInput{DomainId: ref.DomainId, AppType: ref.AppType,
					AppName: ref.AppName, UserProfileName: ref.UserProfileName, SpaceName: ref.SpaceName})
				return err
			},
			check: func(ctx context.Context) (bool, string, error) {
				out, err := s.API.DescribeApp(ctx, ref)
				if err != nil {
					return false, "", err
				}
				return out.Status == smtypes.AppStatusDeleted, withReason(string(out.Status), out.FailureReason), nil
			},
		})
	}
	return tasks
}

func appRef(domain string, a App) *sm.DescribeAppInput {
	in := &sm.DescribeAppInput{DomainId: aws.String(domain), AppType: smtypes.AppType(a.Type), AppName: aws.String(a.Name)}
	if a.Space != "" {
		in.SpaceName = aws.String(a.Space)
	} else {
		in.UserProfileName = aws.String(a.Profile)
	}
	return in
}

func (s *Studio) spaceTasks(domain string, spaces []Space) []*task {
	var tasks []*task
	for _, sp := range spaces {
		name := aws.String(sp.Name)
		tasks = append(tasks, &task{
			label:   sp.Name + " (owner " + sp.Owner + ")",
			status:  sp.Status,
			started: sp.Status == string(smtypes.SpaceStatusDeleting),
			start: func(ctx context.Context) error {
				_, err := s.API.DeleteSpace(ctx, &sm.DeleteSpaceInput{DomainId: aws.String(domain), SpaceName: name})
				return err
			},
			check: func(ctx context.Context) (bool, string, error) {
				out, err := s.API.DescribeSpace(ctx, &sm.DescribeSpaceInput{DomainId: aws.String(domain), SpaceName: name})
				if err != nil {
					return false, "", err
				}
				return false, withReason(string(out.Status), out.FailureReason), nil
			},
		})
	}
	return tasks
}

func (s *Studio) profileTasks(domain string, profiles []string) []*task {
	var tasks []*task
	for _, p := range profiles {
		name := aws.String(p)
		tasks = append(tasks, &task{
			label: p,
			start: func(ctx context.Context) error {
				_, err := s.API.DeleteUserProfile(ctx, &sm.DeleteUserProfileInput{DomainId: aws.String(domain), UserProfileName: name})
				return err
			},
			check: func(ctx context.Context) (bool, string, error) {
				out, err := s.API.DescribeUserProfile(ctx, &sm.DescribeUserProfileInput{DomainId: aws.String(domain), UserProfileName: name})
				if err != nil {
					return false, "", err
				}
				return false, withReason(string(out.Status), out.FailureReason), nil
			},
		})
	}
	return tasks
}

func withReason(status string, reason *string) string {
	if r := aws.ToString(reason); r != "" {
		return status + ": " + r
	}
	return status
}

// StuckError reports what did not finish deleting within the bound.
type StuckError struct {
	What   string   // "app", "space", "user profile"
	Items  []string // each "<label> is <status>"
	Waited time.Duration
}

func (e *StuckError) Error() string {
	return fmt.Sprintf("studio: %s not deleted after %s: %s\nCheck them in the SageMaker console (or with `aws sagemaker describe-%s`), then run `mlflowctl down` again: it continues where it stopped",
		plural.Count(len(e.Items), e.What), e.Waited.Round(time.Second), strings.Join(e.Items, "; "), strings.ReplaceAll(e.What, "user ", "user-"))
}

// run starts every task's delete at once, then polls all of them each
// round until all are gone or the bound passes. One loop waits for all,
// so n deletions take about as long as the slowest one.
func (s *Studio) run(ctx context.Context, what string, tasks []*task) error {
	if len(tasks) == 0 {
		return nil
	}
	clock := s.clock()
	begin := clock.Now()
	s.logf(fmt.Sprintf("studio: deleting %s: %s", plural.Count(len(tasks), what), labels(tasks)))
	logEvery := max(1, int(time.Minute/s.poll()))
	for round := 0; ; round++ {
		if err := s.round(ctx, tasks); err != nil {
			return err
		}
		elapsed := clock.Now().Sub(begin)
		left := pending(tasks)
		for _, t := range tasks {
			if t.gone && t.status != "gone" {
				t.status = "gone"
				s.logf(fmt.Sprintf("studio: %s %s deleted (%s)", what, t.label, elapsed.Round(time.Second)))
			}
		}
		if len(left) == 0 {
			all := "all "
			if len(tasks) == 1 {
				all = ""
			}
			s.logf(fmt.Sprintf("studio: %s%s deleted in %s", all, plural.Count(len(tasks), what), elapsed.Round(time.Second)))
			return nil
		}
		if elapsed >= s.timeout() {
			return &StuckError{What: what, Items: describe(left), Waited: elapsed}
		}
		if round%logEvery == 0 {
			s.logf(fmt.Sprintf("studio: waiting for %d of %s (%s): %s", len(left), plural.Count(len(tasks), what),
				elapsed.Round(time.Second), summary(left)))
		}
		if err := clock.Sleep(ctx, s.poll()); err != nil {
			return err
		}
	}
}

// round issues the deletes not yet accepted, then checks every pending
// task, each step in parallel.
func (s *Studio) round(ctx context.Context, tasks []*task) error {
	var mu sync.Mutex
	err := forEach(ctx, s.parallel(), len(tasks), func(ctx context.Context, i int) error {
		t := tasks[i]
		if t.started || t.gone {
			return nil
		}
		err := t.start(ctx)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			t.started = true
		case IsNotFound(err):
			t.started, t.gone = true, true
		case isInUse(err):
			// Still busy (a dependent not gone yet, or already being
			// deleted): try again next round.
			t.status = "in use: " + apiMessage(err)
		default:
			return fmt.Errorf("delete %s: %w", t.label, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return forEach(ctx, s.parallel(), len(tasks), func(ctx context.Context, i int) error {
		t := tasks[i]
		if t.gone {
			return nil
		}
		gone, status, err := t.check(ctx)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case IsNotFound(err):
			t.gone = true
		case err != nil:
			return fmt.Errorf("check %s: %w", t.label, err)
		default:
			t.gone = gone
			if t.started || !strings.HasPrefix(t.status, "in use") {
				t.status = status
			}
			// A resource already Deleting counts as started.
			if strings.HasPrefix(status, "Deleting") {
				t.started = true
			}
		}
		return nil
	})
}

// summary counts tasks by status ("6 Deleting, 1 InService"), naming
// them when there are only a few.
func summary(tasks []*task) string {
	if len(tasks) <= 2 {
		return strings.Join(describe(tasks), "; ")
	}
	counts := map[string]int{}
	var order []string
	for _, t := range tasks {
		if counts[t.status] == 0 {
			order = append(order, t.status)
		}
		counts[t.status]++
	}
	var parts []string
	for _, st := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	return strings.Join(parts, ", ")
}

func pending(tasks []*task) []*task {
	var left []*task
	for _, t := range tasks {
		if !t.gone {
			left = append(left, t)
		}
	}
	return left
}

func labels(tasks []*task) string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.label)
	}
	return strings.Join(out, ", ")
}

func describe(tasks []*task) []string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.label+" is "+t.status)
	}
	return out
}

func apiMessage(err error) string {
	var ae interface{ ErrorMessage() string }
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return err.Error()
}

// forEach runs fn for 0..count-1 with at most n at a time and joins the
// errors.
func forEach(ctx context.Context, n, count int, fn func(ctx context.Context, i int) error) error {
	sem := make(chan struct{}, n)
	errs := make([]error, count)
	var wg sync.WaitGroup
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fn(ctx, i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
