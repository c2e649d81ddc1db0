package trustpolicy

// This file holds every finding code the engine reports and how each is classified. Codes are
// part of the product's contract (CLI output, scan records, findings events): never rename one.

// Code is a stable finding identifier.
type Code string

// Finding codes. Each is one of three classes:
//
//   - fixable: Fix resolves it (Code.Fixable);
//   - informational: worth telling, but nothing to fix and no reason to hold back a write
//     (Code.Informational); a policy whose only findings are informational is compliant;
//   - needs a person: every other code; Fix leaves the statement (or the policy) as it is.
const (
	// CodeMissingSetSourceIdentity: an Allow statement lets principals assume the role but does
	// not allow them sts:SetSourceIdentity, so they cannot pass a source identity. Fixable.
	CodeMissingSetSourceIdentity Code = "missing-set-source-identity"
	// CodeMissingCondition: an Allow statement lets principals assume the role without a source
	// identity (require mode). Fixable: Fix adds StringLike sts:SourceIdentity.
	CodeMissingCondition Code = "missing-source-identity-condition"
	// CodeUnrecognisedCondition: the statement's conditions already refuse callers without a
	// source identity, but only through a form the rules do not rely on (ArnLike or Numeric*
	// on sts:SourceIdentity, ForAnyValue:, a positive condition on aws:SourceIdentity, which a
	// first-hop caller never has). Nobody gets in without a source identity today, so Explain
	// lists no exposure; Fix still adds the recognised condition (AND'ed, it only narrows
	// access). Fixable in require mode.
	CodeUnrecognisedCondition Code = "unrecognised-source-identity-condition"
	// CodeDenyConflict: a Deny statement would block the principals' requests that carry a
	// source identity, so requiring one would lock them out. Needs a person.
	CodeDenyConflict Code = "deny-conflict"
	// CodeConditionConflict: the statement's own conditions refuse every source identity the
	// rules would require (e.g. Null sts:SourceIdentity "true"), so requiring one would lock its
	// principals out. Needs a person; the statement is left as is.
	CodeConditionConflict Code = "condition-conflict"
	// CodeWildcardPrincipal: a bare "Principal": "*" lets anyone (AWS services and any web
	// identity or SAML token STS accepts included) assume the role without a source identity.
	// No rewrite of "*" can provably exclude every service. Needs a person.
	CodeWildcardPrincipal Code = "wildcard-principal"
	// CodeTooLarge: every correct fix would exceed Rules.SizeLimit. Needs a person (shorten the
	// policy or raise the quota); Statement is -1.
	CodeTooLarge Code = "too-large"
	// CodeInternalError: Fix built a policy that does not re-validate (a bug in this package).
	// The document is left as is; Statement is -1.
	CodeInternalError Code = "internal-error"

	// CodeUniqueIDPrincipal: informational. The statement names the unique id of a deleted
	// principal (AROA…/AIDA…); IAM may refuse to save a policy that still contains it
	// ("MalformedPolicyDocument: Invalid principal in policy"). Reported only on statements
	// that also need a fix.
	CodeUniqueIDPrincipal Code = "unique-id-principal"
	// CodeAnyAWSAccount: informational. An Allow statement grants {"AWS": "*"} its assume action
	// with no condition but on the source identity, and no Deny fences it: every AWS account
	// can assume the role (with a source identity of its choosing once fixed). Requiring a
	// source identity is still right; who may assume is for a person to decide.
	CodeAnyAWSAccount Code = "any-aws-account"
)

// Fixable reports whether Fix can resolve a finding with this code.
func (c Code) Fixable() bool {
	switch c {
	case CodeMissingSetSourceIdentity, CodeMissingCondition, CodeUnrecognisedCondition:
		return true
	}
	return false
}

// Informational reports whether a finding with this code is a note: it neither makes a policy
// non-compliant nor should it stop a fix from being written.
func (c Code) Informational() bool {
	return c == CodeUniqueIDPrincipal || c == CodeAnyAWSAccount
}

// NeedsPerson reports whether a finding with this code stays open after Fix: neither fixable nor
// informational.
func (c Code) NeedsPerson() bool { return !c.Fixable() && !c.Informational() }

// Compliant reports whether findings (from Check or Fix) leave the policy compliant: every one
// is informational or, from Fix, marked Fixed.
func Compliant(fs []Finding) bool {
	for _, f := range fs {
		if !f.Fixed && !f.Code.Informational() {
			return false
		}
	}
	return true
}
