package awsx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Defaults for Options.AttemptTimeout and Options.SlowAfter.
const (
	// defaultAttemptTimeout bounds the wait for one attempt's answer.
	// Every call mlflowctl makes is a control-plane call that answers in
	// well under a second; a slower attempt is abandoned and retried.
	defaultAttemptTimeout = 30 * time.Second
	defaultSlowAfter      = 10 * time.Second
)

// httpClient waits at most timeout for the headers of an answer (the
// request body, however large, is not counted). The SDK retries the
// timed-out attempt like any connection error.
func httpClient(timeout time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.ResponseHeaderTimeout = timeout
	})
}

// faultMiddleware makes reads whose answer was cut off or garbled
// retryable, and tells the user (notes, without --verbose) when AWS
// throttles a call or a call is slow.
func faultMiddleware(notes func(string), slowAfter time.Duration) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		if err := st.Deserialize.Add(retryBrokenReads{}, middleware.Before); err != nil {
			return err
		}
		if notes == nil {
			return nil
		}
		if err := st.Initialize.Add(slowNote{notes: notes, after: slowAfter}, middleware.Before); err != nil {
			return err
		}
		if err := st.Finalize.Insert(throttleNote{notes: notes}, "Retry", middleware.After); err != nil {
			return st.Finalize.Add(throttleNote{notes: notes}, middleware.After)
		}
		return nil
	}
}

// isRead reports whether an operation only reads, or writes the same
// thing however often it runs, so asking again is safe even though the
// first attempt reached the service. Creates are not: their callers look
// at what the first attempt made (cognito, deploy).
func isRead(op string) bool {
	// Cognito's admin reads are AdminGetUser, AdminListGroupsForUser.
	read := strings.TrimPrefix(op, "Admin")
	for _, p := range []string{"Describe", "Get", "List", "Head"} {
		if strings.HasPrefix(read, p) {
			return true
		}
	}
	return slices.Contains(idempotentWrites, op)
}

// idempotentWrites set a state rather than add one: a second call leaves
// the same result (a password set, a group membership, a protection
// flag, a delete requested, an object stored under its key).
var idempotentWrites = []string{
	"AdminSetUserPassword", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminDeleteUser",
	"UpdateTerminationProtection", "DeleteStack", "DeleteChangeSet", "PutObject",
}

type retryBrokenReads struct{}

func (retryBrokenReads) ID() string { return "mlflowctl.RetryBrokenReads" }

func (retryBrokenReads) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	var broken *smithy.DeserializationError
	if err != nil && errors.As(err, &broken) && isRead(awsmiddleware.GetOperationName(ctx)) {
		return out, md, &brokenAnswerError{err: err}
	}
	return out, md, err
}

// brokenAnswerError is an answer cut off mid-body or not parseable; the SDK's
// retryer retries errors that say RetryableError.
type brokenAnswerError struct{ err error }

func (b *brokenAnswerError) Error() string {
	return "the answer was cut off or garbled: " + b.err.Error()
}
func (b *brokenAnswerError) Unwrap() error         { return b.err }
func (b *brokenAnswerError) RetryableError() bool  { return true }
func (b *brokenAnswerError) ConnectionError() bool { return false }

type slowNote struct {
	notes func(string)
	after time.Duration
}

func (slowNote) ID() string { return "mlflowctl.SlowNote" }

func (s slowNote) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	call := callName(ctx)
	start := time.Now()
	t := time.AfterFunc(s.after, func() {
		s.notes(fmt.Sprintf("still waiting for %s after %s", call, time.Since(start).Round(time.Second)))
	})
	defer t.Stop()
	return next.HandleInitialize(ctx, in)
}

type throttleNote struct{ notes func(string) }

func (throttleNote) ID() string { return "mlflowctl.ThrottleNote" }

func (n throttleNote) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleFinalize(ctx, in)
	if err != nil && retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
		n.notes(fmt.Sprintf("AWS is throttling %s; retrying with back-off", callName(ctx)))
	}
	return out, md, err
}

func callName(ctx context.Context) string {
	return awsmiddleware.GetServiceID(ctx) + " " + awsmiddleware.GetOperationName(ctx)
}
