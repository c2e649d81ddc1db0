// Package trustpolicy is the pure engine of source-identity-guard: it decides whether an IAM role
// trust policy makes callers set an STS source identity, and rewrites it so that it does. It
// imports no AWS SDK; documents are immutable and every function is safe for concurrent use.
//
//	doc, err := trustpolicy.Parse(policyJSON)       // rejects what IAM rejects (ErrMalformed)
//	findings := trustpolicy.Check(doc, rules)       // trustpolicy.Compliant(findings): compliant
//	fixed, findings := trustpolicy.Fix(doc, rules)  // fixed == doc when nothing changes
//	exposures := trustpolicy.Explain(doc, rules)    // who gets in without a source identity
//
// What it decides:
//
//   - Parse keeps the policy's text exactly (member order, spelling, unknown members) and refuses
//     what IAM refuses, naming the element: bad JSON or characters, duplicate names, Resource,
//     NotPrincipal, bad Sids, misspelled operators, and partial wildcards in principals.
//   - An Allow statement that lets an AWS principal (or an opted-in Federated provider) assume the
//     role is compliant when it allows sts:SetSourceIdentity and, in require mode, has a
//     recognised condition that fails without a source identity (StringLike/StringEquals/
//     StringEqualsIgnoreCase on sts:SourceIdentity, or Null "false"), or a Deny surely refuses
//     its requests without one. Service principals are never changed.
//   - Role and user names in principal ARNs compare ignoring case (IAM names are unique ignoring
//     case). A Deny conflicts only where it can apply to the principal and refuses every source
//     identity the rules accept; its conditions are evaluated on the keys the principal fixes
//     (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:username), conservatively
//     elsewhere. Conflicting statements are left as they are and reported.
//   - Fix adds sts:SetSourceIdentity and StringLike sts:SourceIdentity PATTERNS, splits
//     statements that mix principal classes, and tries the smallest correct rewrite before
//     refusing a policy over Rules.SizeLimit (too-large). Check is Fix without its result.
//   - A bare "Principal": "*" is never rewritten (it admits AWS services): it needs a person.
//     {"AWS": "*"} is patched, with an informational any-aws-account note.
//   - Explain reads the same analysis as Check: a covered principal is listed exactly when Check
//     reports that it gets in without a source identity.
//
// The finding codes and their classes are in codes.go; Match (glob.go) is the one glob matcher
// of the product (IAM StringLike semantics). The reasoning, with the AWS documentation behind
// each rule, is in docs/trust-policy-engine.md.
package trustpolicy
