package guard

import (
	"errors"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// Op is the IAM operation an error came from.
type Op string

const (
	OpRead  Op = "get-role"            // GetRole (or ListRoles)
	OpWrite Op = "update-trust-policy" // UpdateAssumeRolePolicy
)

// AfterIOError is the one mapping from an IAM error to a decision, shared by the event path and
// the sweep. v is the verdict before the failed call:
//
//   - the role is gone (NoSuchEntity): skipped, nothing written;
//   - on a write, IAM refused the document (MalformedPolicyDocument, LimitExceeded,
//     UnmodifiableEntity): unfixable, needs a person. After keeps the refused policy, so that the
//     decision event shows what was refused;
//   - a Tampered verdict stays tampered (the alarm must fire): the reason says the restore failed;
//   - anything else (AccessDenied, throttling after the SDK's retries, network): failed.
//
// The caller decides whether a retry can help (iamrole.Retryable) before calling this.
func AfterIOError(v Verdict, op Op, err error) Verdict {
	refused := errors.Is(err, iamrole.ErrMalformedPolicy) || errors.Is(err, iamrole.ErrLimitExceeded) ||
		errors.Is(err, iamrole.ErrUnmodifiable)
	switch {
	case errors.Is(err, iamrole.ErrNotFound):
		v.Decision, v.Reason, v.After = Skipped, "role deleted", nil
	case v.Decision == Tampered:
		v.Reason = "the guard's own role has a trust policy other than the stack's; restoring it failed: " + err.Error()
		v.After = nil
	case op == OpWrite && refused:
		v.Decision, v.Reason = Unfixable, "IAM refused the patched trust policy: "+err.Error()
	default:
		v.Decision, v.Reason, v.After = Failed, err.Error(), nil
	}
	return v
}
