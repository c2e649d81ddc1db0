// Package guard is the use case of source-identity-guard: it judges one role (Policy.Decide,
// pure, shared by the enforce and sweep functions) and handles one CloudTrail event about a
// role (Guard.Handle: decode, skip what is not ours, read the live role, decide, write, publish).
//
// Decisions: compliant, patched, would-patch (audit), exempt, skipped, unfixable (needs a
// person), failed. Handle returns an error only when a retry can help; every permanent result
// is an Outcome with a nil error.
//
// The package does no I/O of its own: IAM comes through Roles (satisfied by *iamrole.Client,
// chosen per account by a RolesFor), the findings bus through Publisher.
package guard
