// Package readiness turns CloudTrail records of role assumptions into per-role evidence and
// a verdict: may this role be moved from allow to require (trust policy requires an STS
// source identity) without locking anyone out?
//
// It is pure: no AWS SDK, no I/O. The offline path (`sidguard readiness` over trail files)
// and the live collector feed the same [Observe] and [Aggregator], so both give one answer.
//
// # What counts (reasoned from CloudTrail's documented records)
//
// An observation comes from one record:
//
//   - sts.amazonaws.com AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity: one
//     assumption of the role in requestParameters.roleArn (else resources[] of type
//     AWS::IAM::Role, else the role in responseElements.assumedRoleUser.arn).
//   - signin.amazonaws.com SwitchRole: one console session of the role named by the record's
//     assumed-role ARN. The console cannot pass a source identity ("You cannot switch to a role
//     in the AWS Management Console that requires a source identity",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html),
//     so such a role is console-used and never ready.
//
// Dropped, and counted in [Stats]: records of other events; callers of type AWSService (a
// service principal is not asked for a source identity by the guard's condition, and service
// principals cannot pass one); failed calls (errorCode set, or a SwitchRole whose result is not
// "Success"), which changed nothing; and the caller's copy of a cross-account call. STS logs a
// cross-account AssumeRole in both accounts
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html, "Logging
// sign-in events for temporary credentials"); the copy whose recipientAccountId is not the
// role's account is the caller's and is skipped, so reading both accounts' trails counts the
// call once. Read the role owner's trail (an organization trail has every account's).
//
// A source identity counts as set when any of requestParameters.sourceIdentity,
// responseElements.sourceIdentity or userIdentity.sessionContext.sourceIdentity is set: the
// request carried one, STS reported one, or the calling session already had one and passed it
// on along the role chain (STS refuses a different value there). See the IAM guide's chained
// AssumeRole example on the page above.
//
// # Who the caller is
//
// Callers are keyed so that memory grows with roles × callers, never with records:
//
//   - AssumedRole: the session's issuing role, sessionContext.sessionIssuer.arn (path
//     included), not the per-session ARN. Without a sessionContext (a SwitchRole record), the
//     role is derived from the assumed-role ARN and loses its path.
//   - AWSAccount (a cross-account caller, as the role owner's trail shows it): only the
//     account id and the caller's unique id are logged. The principal becomes the account,
//     arn:PARTITION:iam::ACCOUNT:root, and PrincipalID keeps the unique id without any session
//     suffix: AIDA… is an IAM user, AROA… a role's session. The name behind the id is not
//     derivable from the record (IAM's GetUser/GetRole in that account would be needed).
//   - SAMLUser: the SAML provider (requestParameters.principalArn); WebIdentityUser: the
//     identity provider (userIdentity.identityProvider).
//   - SwitchRole: additionalEventData.SwitchFrom (the user or session that switched).
//   - Anyone else: userIdentity.arn, else the principal id.
//
// A console switch-role shows up twice in the role owner's trail: the AssumeRole that the
// console makes (userAgent and sourceIPAddress "AWS Internal", caller AWSAccount or the
// user) and the SwitchRole sign-in event. The first is an assumption without a source
// identity by a console caller; the second a console session. An "AWS Internal" AssumeRole is
// taken as console use: if some other internal flow looks the same, the role is held back,
// which fails safe.
//
// Role ARNs in assumed-role ARNs lose the role's path, so roles are keyed by partition,
// account and name (IAM role names are unique per account, case-insensitively), and the ARN
// shown is one with its path when any record gave it.
//
// # Verdict
//
// Over the window [End-Days, End]: a role is ready when every assumption in the window carried
// a source identity and no console use was seen. A role that nobody assumed in the window is
// ready. Records outside the window only make the role appear.
package readiness
