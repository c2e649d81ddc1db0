// Package trustpolicy is the pure engine of source-identity-guard: it parses IAM role trust
// policies losslessly, checks whether they force callers to set an STS source identity (SI),
// patches them so they do, and models how IAM evaluates them. It imports no AWS SDK.
//
//	doc, err := trustpolicy.Parse(policyJSON)           // errors wrap ErrMalformed
//	findings := trustpolicy.Check(doc, rules)           // empty: compliant
//	fixed, findings := trustpolicy.Fix(doc, rules)      // fixed == doc when nothing changes
//	out, _ := fixed.MarshalJSON()                       // compact, no HTML escaping
//
// # Parsing and output
//
// Parse uses a small hand-written JSON scanner that keeps member order, the exact source text of
// every scalar (escapes and number spelling included) and whether a value was a string or an
// array. MarshalJSON re-emits that text with whitespace outside strings removed: a parse/marshal
// round trip changes nothing else, unknown members included, and `&`, `<`, `>` stay literal.
// Element names match exactly (IAM is case-sensitive; encoding/json is not). Parse rejects what
// IAM rejects, naming the element (`Statement[1].Effect`): invalid JSON, duplicate member names,
// characters outside tab/LF/CR/U+0020–U+00FF (the IAM API's pattern), a Version other than
// 2012-10-17 or 2008-10-17, no Statement, a statement without Effect "Allow"/"Deny", Principal
// or Action/NotAction, Resource/NotResource/NotPrincipal, a Sid outside [0-9A-Za-z] or used
// twice, principal types other than AWS/Service/Federated/CanonicalUser, and condition
// operators that match an IAM operator only when case is ignored ("stringEquals"). An operator
// name that is not an IAM operator in any spelling is preserved and never counts as enforcing
// (Evaluate treats it as not matching and flags the result Uncertain). An empty Statement array
// is accepted (it grants nothing). Size counts Unicode code points of the compact form; that
// counts whitespace inside strings, the conservative reading of the quota rule, and escapes as
// written (`\"` is two characters, `\u0041` six): IAM receives and counts the text, and the
// written form is also the larger count. A fixed policy of exactly Rules.SizeLimit fits.
//
// # What compliant means
//
// The rules' mode applies to AWS principals (account ids, :root, roles, users, sessions,
// {"AWS":"*"}, unique ids); Federated providers follow Rules.Federated (ignored by default);
// Service principals are never changed. An Allow statement that grants such a principal its
// assume action (sts:AssumeRole, sts:AssumeRoleWithSAML for SAML providers,
// sts:AssumeRoleWithWebIdentity for OIDC and built-in web identity providers; matched with IAM
// wildcards, case-insensitively, through Action or NotAction) is compliant when
//
//   - it allows sts:SetSourceIdentity itself (literally or by wildcard), or another Allow
//     statement that names the principal directly (the same value, "*", {"AWS":"*"}, or the
//     same account for an account principal), grants it no assume action and has a subset of
//     this statement's conditions does (the sibling Fix writes for NotAction statements). A
//     grant to the account principal does not cover a role or user of that account: it only
//     delegates to their identity policies, which need not allow sts:SetSourceIdentity
//     (spec 3, 7(b)); adding the action to the statement costs nothing; and
//   - in require mode, it has an enforcing condition (domain spec 2.8): StringEquals,
//     StringEqualsIgnoreCase or StringLike (no IfExists, no set qualifier, any values) or
//     Null "false" (every value false, string or JSON bool) on sts:SourceIdentity, the key
//     matched case-insensitively. IfExists forms, negated operators, ForAllValues/ForAnyValue,
//     Null "true", mixed Null values and conditions on aws:SourceIdentity (absent on a first
//     hop) do not enforce. A Deny does the same job when it surely names the principal (same
//     value, its account, "*" or {"AWS":"*"}), covers its assume action and has only
//     conditions on sts:SourceIdentity that hold when none is set (Deny "*" sts:AssumeRole
//     Null sts:SourceIdentity "true"): such a policy already requires a source identity (the
//     spec's 2.9 definition looks at Allow statements only, but IAM's Deny wins), so Fix adds
//     no condition and Check, Explain and Evaluate agree. (A positive condition on
//     aws:SourceIdentity, ForAnyValue or Arn*/Numeric* on the key also refuse callers without an
//     SI, so Explain lists no exposure for them; Check still asks for the recognised condition,
//     as spec 2.8 says: those forms are lint findings or lock out first-hop callers, and the
//     added condition is AND'ed, so it can only narrow access.)
//
// # What Fix does
//
// Fix never mutates its input and is deterministic and idempotent. In allow mode it adds
// sts:SetSourceIdentity to the Action of each non-compliant statement (a string Action becomes
// an array); in require mode it also merges "StringLike": {"sts:SourceIdentity": PATTERNS} into
// the Condition (into an existing StringLike block when there is one; existing conditions are
// kept and AND'ed). Findings report each statement once per code with the principals concerned.
//
//   - Mixed principals: principals are grouped by the change they need. The original statement,
//     with its Sid, keeps the principals that need none (Service, ignored Federated,
//     CanonicalUser, already compliant ones); each other group becomes a new statement right
//     after it, with Sid <Sid>SrcId (then a counter) or none when the original had none.
//   - NotAction that excludes sts:SetSourceIdentity: nothing can be added to it, so Fix appends
//     a sibling {"Action":"sts:SetSourceIdentity"} with the same principals and the (fixed)
//     conditions: it grants exactly that action and nothing else.
//   - sts:TagSession / sts:SetContext listed literally beside an assume action: when Fix adds
//     the SI condition it moves them to a sibling statement (<Sid>Tags) that keeps the original
//     conditions. sts:SourceIdentity is not a documented key for these actions (spec 1.8), so a
//     positive SI condition might refuse tagged sessions; the sibling keeps them working and
//     widens nothing, because neither action lets anyone assume the role. (AWS's own policies
//     suggest IAM evaluates the whole request context for every action of the call: Identity
//     Center grants sts:TagSession under SAML:aud, the IAM guide's OIDC example grants
//     sts:SetSourceIdentity under an :aud condition. The move is a cheap hedge, not a fix of
//     known breakage. For the same reason Fix adds sts:SetSourceIdentity to statements whose
//     conditions use keys such as sts:ExternalId.)
//   - Deny statements are never changed. A Deny that may apply to a principal (same value,
//     its account, "*" or {"AWS":"*"}) and can block a request carrying an SI where it does not
//     surely block the same principal's plain request is a deny-conflict: the principals it concerns
//     stay in the original statement, unchanged, and are reported; the statement's other
//     principals are split off and fixed as usual. A Deny on sts:* whose conditions do not involve
//     sts:SourceIdentity (an org fence) blocks both alike and is no conflict; a Deny on
//     sts:SetSourceIdentity alone, or with Null sts:SourceIdentity "false", is. A Deny that only
//     restricts SI values (StringNotLike/StringNotEquals) is no conflict as long as one
//     candidate value passes. Candidates are witnesses of every pattern ("*" -> "aa", "zz",
//     "90") and of every value the policy compares sts:SourceIdentity with, kept only when STS
//     accepts them as a source identity (2-64 characters of [\w+=,.@-]); a condition with a
//     policy variable (Version 2012-10-17) may hold for any of them. When unsure, it reports
//     the conflict: known conservative cases are a Deny whose other conditions would exclude
//     the principal (aws:PrincipalAccount, aws:PrincipalArn are not evaluated) and a Deny on
//     values other than "${aws:username}".
//   - A statement whose own conditions refuse every candidate SI (Null "true",
//     StringNotLike "*") is a condition-conflict, left as is.
//   - Bare "Principal":"*" admits AWS services, and no rewrite of "*" can provably exclude
//     every present and future service principal, so Fix never changes it and reports
//     wildcard-principal ("needs a person"). {"AWS":"*"} is an AWS principal and is patched.
//   - Unique ids (AROA…, AIDA…) of deleted principals are kept; when their statement needs a
//     fix, an informational unique-id-principal finding warns that IAM may refuse the write.
//   - Size: when the fixed policy's Size exceeds Rules.SizeLimit (default 2048), Fix returns the
//     input unchanged with a too-large finding and no finding marked Fixed.
//
// # Evaluate and Explain
//
// Evaluate models one request against the trust policy only: explicit Deny wins, then any
// matching Allow; principals match exactly, by account, {"AWS":"*"} or "*" (a role ARN also
// matches its sessions); conditions follow IAM's documented semantics (operators and keys
// AND'ed, values OR'ed, negated operators match none, IfExists, Null, ForAllValues,
// ForAnyValue, policy variables with Version 2012-10-17). Every context key is visible to every
// action. {"AWS":"*"} matches AWS principals only, not service or federated callers. An
// SI-carrying AssumeRole needs both the assume action and sts:SetSourceIdentity allowed. The
// property tests drive Fix with it; `make engine-oracle` cross-checks it against
// @cloud-copilot/iam-simulate (a test-only AGPL devDependency) on the golden and generated
// policies, where the two models are known to agree (iam-simulate hides keys the Service
// Authorization Reference does not list for an action, lets {"AWS":"*"} match services and
// infers a principal's type from its text). Explain lists who can assume without an SI and
// why, Service principals included (Mode "ignore"). Documents are immutable, so every
// function is safe for concurrent use.
package trustpolicy
