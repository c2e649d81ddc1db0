// Package guard is the use case of source-identity-guard: it judges one role (Policy.Decide,
// pure, shared by the enforce and sweep functions) and handles one CloudTrail event about a
// role (Guard.Handle: decode, skip what is not ours, read the live role, decide, write, publish;
// Guard.Invoke: the same for each record of an SQS batch, or for one bare EventBridge event).
//
// Decisions: compliant, patched, would-patch (audit), exempt, skipped, unfixable (needs a
// person), failed, tampered (one of the guard's own roles does not have the stack's trust
// policy). Handle returns an error only when a retry can help; every permanent result is an
// Outcome with a nil error.
//
// No quiet way around it (docs/security.md has the whole table and the tests):
//
//   - Exemptions: the guard's own roles only while their trust policy is the stack's
//     (own.go); EXEMPT_ROLE_PATTERNS; roles AWS creates, only by exact name at path "/" and
//     only in the trust shape AWS gives them, with the management account known (awsroles.go,
//     with the AWS documentation it follows). No path is exempt: /aws-service-role/ and
//     /aws-reserved/ roles are judged (awsroles.go says why). Every exempt decision reached from
//     an event is published (PublishesFromEvent), with ExemptBy.
//   - Tags: source-identity-guard:exempt and :mode count only when Policy.TrustTags is set (the
//     stack's ProtectedTags, with the SCP in policies/ attached); a decision they drive says
//     ModeSource "tag"; an ignored tag is named in the reason. A configured audit never writes.
//   - The guard's own calls: only the Lambda sessions of its functions (Config.OwnSessions) are
//     skipped, and never for a change to one of its roles.
//   - IAM errors map to decisions in one place (AfterIOError), for the event path and the sweep.
//
// The package does no I/O of its own: IAM comes through Roles (satisfied by *iamrole.Client,
// chosen per account by a RolesFor), the findings bus through Publisher, the organization
// through Organization.
package guard
