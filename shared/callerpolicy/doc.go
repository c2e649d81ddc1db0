// Package callerpolicy writes and checks the identity policy a caller needs to assume roles
// with a source identity bound to themselves, and holds the small identity-policy evaluator
// both are judged by. It is pure: no AWS SDK.
//
// # What a caller needs
//
// Setting a source identity on AssumeRole needs sts:SetSourceIdentity besides sts:AssumeRole,
// in the caller's identity policy as well as in the role's trust policy; the same holds when a
// role session passes its source identity on to the next role (role chaining)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html#id_credentials_temp_control-access_monitor-perms).
// Without a condition the caller may set any value, so the value says nothing about who they
// are. Binding it to them takes a condition on sts:SourceIdentity whose value is a policy
// variable only the account's administrators control
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
//
//   - IAM users: StringLike sts:SourceIdentity "${aws:username}", the IAM User Guide's own
//     example (the page above, "SetAwsUserNameAsSourceIdentity"). IAM user names use the same
//     characters as source identities ([\w+=,.@-]), so every user name is a valid value.
//     aws:username is not present for role sessions, so this policy never lets a role
//     session set anything (the variable does not resolve and the condition fails).
//   - Role sessions (IAM Identity Center permission sets, federated roles): there is no policy
//     variable for the session name, and aws:userid ("AROA...:session") contains a colon, which
//     a source identity cannot. The binding is a principal tag instead:
//     StringLike sts:SourceIdentity "${aws:PrincipalTag/KEY}" (aws:PrincipalTag,
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag).
//     The tag must be set by something the person does not control: the identity provider's
//     session tags, or Identity Center's attributes for access control
//     (https://docs.aws.amazon.com/singlesignon/latest/userguide/attributesforaccesscontrol.html),
//     e.g. key SourceIdentity = ${path:userName}, the same value Identity Center gives the
//     session name, which is what `sidguard credentials` sends by default. A role that lets
//     its sessions tag themselves (sts:TagSession with that key) would let them choose the
//     value: don't. A session without the tag cannot set a source identity at all (the
//     variable does not resolve), which fails closed.
//
// StringLike rather than StringEquals follows the guide's example; with a variable whose
// value cannot contain * or ? (user names and source identities cannot) both match exactly.
//
// # Checking a policy (--check)
//
// Check evaluates the policy for a holder whose own value (user name, or principal tag) is a
// fixed name, with Evaluate: can the holder set a source identity on the roles (sts:AssumeRole
// and sts:SetSourceIdentity allowed with their own value), and is the value bound (no other
// value is allowed)? "No other value" is decided over candidate values: every literal the
// policy's sts:SourceIdentity conditions name, with their wildcards filled in two ways, the
// holder's value with text before or after it or in another case, and unrelated names. A
// condition the evaluator does not know makes the answer "not bound": nothing is claimed that
// was not shown. Both Allow-side bindings (a condition on the Allow) and Deny-side ones (a Deny
// with StringNotEquals/StringNotLike on the holder's variable) are recognised, because both
// are evaluated.
//
// # The evaluator
//
// Evaluate follows the identity-policy logic of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// for one policy: an explicit Deny wins, else an Allow allows, else the request is implicitly
// denied. Action (case-insensitive) and Resource (case-sensitive) match with * and ?;
// NotAction and NotResource match what they do not name. Conditions: the String operators
// (Equals, NotEquals, EqualsIgnoreCase, NotEqualsIgnoreCase, Like, NotLike), Null, the
// ...IfExists forms and the ForAnyValue:/ForAllValues: qualifiers; keys are case-insensitive;
// values may hold policy variables ${key} and ${key, 'default'} and, in Like operators, the
// escapes ${*}, ${?} and ${$}. A variable without a value makes a String condition false
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value).
// Any other operator (Date, Numeric, Arn, Bool, IpAddress, ...) is Unknown: an Allow that
// depends on it may or may not allow, a Deny may or may not deny, and the Result says so.
package callerpolicy
