package iamrole

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// Sentinel errors, matched with errors.Is. The errors the Client returns wrap one of them (when
// IAM's answer maps to one) together with the SDK error, and their text ends with IAM's message.
var (
	// ErrNotFound: the role does not exist (NoSuchEntity), or was not visible in time.
	ErrNotFound = errors.New("role not found")
	// ErrUnmodifiable: a service-linked or AWS-protected role (UnmodifiableEntity).
	ErrUnmodifiable = errors.New("role not modifiable")
	// ErrMalformedPolicy: IAM rejected the document (MalformedPolicyDocument); the error text
	// carries IAM's reason, e.g. "Invalid principal in policy".
	ErrMalformedPolicy = errors.New("malformed policy document")
	// ErrLimitExceeded: a quota, for a trust policy its size (LimitExceeded, e.g. "Cannot
	// exceed quota for ACLSizePerRole: 2048").
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrAccessDenied: the caller lacks the permission, or an SCP or boundary denies it.
	ErrAccessDenied = errors.New("access denied")
	// ErrThrottled: IAM's rate limit (Throttling), after the SDK's own retries.
	ErrThrottled = errors.New("throttled")
)

// Retryable reports whether trying the operation again later could succeed: throttling, IAM
// 5xx (ServiceFailure), concurrent modification, and network errors. Permanent answers (not
// found, unmodifiable, malformed, quota, access denied) and canceled contexts are not.
func Retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrThrottled):
		return true
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnmodifiable), errors.Is(err, ErrMalformedPolicy),
		errors.Is(err, ErrLimitExceeded), errors.Is(err, ErrAccessDenied),
		errors.Is(err, context.Canceled):
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ConcurrentModification", "EntityTemporarilyUnmodifiable":
			return true
		}
		if ae.ErrorFault() == smithy.FaultServer {
			return true
		}
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// iamError is an SDK error mapped to a sentinel.
type iamError struct {
	kind error  // one of the sentinels
	msg  string // IAM's message
	err  error  // the SDK error
}

func (e *iamError) Error() string {
	if e.msg == "" {
		return e.kind.Error()
	}
	return e.kind.Error() + ": " + e.msg
}

func (e *iamError) Unwrap() []error { return []error{e.kind, e.err} }

// mapError wraps an SDK error with the sentinel its IAM error code maps to, or returns it as is.
func mapError(err error) error {
	kind := classify(err)
	if kind == nil {
		return err
	}
	e := &iamError{kind: kind, err: err}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.msg = ae.ErrorMessage()
	}
	return e
}

func classify(err error) error {
	var (
		nse *types.NoSuchEntityException
		ue  *types.UnmodifiableEntityException
		mpd *types.MalformedPolicyDocumentException
		le  *types.LimitExceededException
	)
	switch {
	case errors.As(err, &nse):
		return ErrNotFound
	case errors.As(err, &ue):
		return ErrUnmodifiable
	case errors.As(err, &mpd):
		return ErrMalformedPolicy
	case errors.As(err, &le):
		return ErrLimitExceeded
	}
	// No modeled type: the wire code of a generic API error.
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return nil
	}
	switch ae.ErrorCode() {
	case "NoSuchEntity":
		return ErrNotFound
	case "UnmodifiableEntity":
		return ErrUnmodifiable
	case "MalformedPolicyDocument":
		return ErrMalformedPolicy
	case "LimitExceeded":
		return ErrLimitExceeded
	case "AccessDenied", "AccessDeniedException":
		return ErrAccessDenied
	case "Throttling", "ThrottlingException":
		return ErrThrottled
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
