package guard

import (
	"fmt"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Mode is how the guard treats a non-compliant role.
type Mode string

const (
	// ModeAudit judges every role as ModeRequire would, and never writes.
	ModeAudit Mode = "audit"
	// ModeAllow patches trust policies so that callers may set a source identity.
	ModeAllow Mode = "allow"
	// ModeRequire patches trust policies so that callers must set a source identity.
	ModeRequire Mode = "require"
)

// ParseMode parses "audit", "allow" or "require" (surrounding spaces and letter case ignored).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeAudit, ModeAllow, ModeRequire:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want audit, allow or require", s)
}

// engineMode is the trustpolicy mode a role is judged under: audit judges as require.
func (m Mode) engineMode() trustpolicy.Mode {
	if m == ModeAllow {
		return trustpolicy.ModeAllow
	}
	return trustpolicy.ModeRequire
}

// Decision is what the guard did, or would do, with one role.
type Decision string

const (
	Compliant  Decision = "compliant"   // the trust policy already meets the rules; nothing written
	Patched    Decision = "patched"     // the trust policy was rewritten (from Decide: must be)
	WouldPatch Decision = "would-patch" // audit: the trust policy would have been rewritten
	Exempt     Decision = "exempt"      // a built-in, configured or (protected) tag exemption applies
	Skipped    Decision = "skipped"     // not ours to judge (failed call, own change, role deleted)
	Unfixable  Decision = "unfixable"   // needs a person: conflict, too large, refused by IAM
	Failed     Decision = "failed"      // the guard could not act and a retry will not help (e.g. AccessDenied)
	// Tampered: one of the guard's own roles has a trust policy other than the one the stack
	// gives it (from Decide with After set: restore After).
	Tampered Decision = "tampered"
)

// Publishes reports whether a sweep sends the decision to the findings bus. Compliant, exempt
// and skipped roles are not news to a sweep (it counts exemptions by reason in its summary);
// the event path publishes exemptions too (PublishesFromEvent).
func (d Decision) Publishes() bool {
	switch d {
	case Compliant, Exempt, Skipped:
		return false
	}
	return true
}

// PublishesFromEvent reports whether the enforce function publishes the decision: everything
// Publishes does, and every exemption, so that no exemption reached from an event is silent.
func (d Decision) PublishesFromEvent() bool { return d == Exempt || d.Publishes() }

// Role tags the guard reads, only when Policy.TrustTags is set (the stack parameter
// ProtectedTags, which an operator sets after attaching policies/protect-guard-scp.json).
const (
	// TagExempt exempts a role; its value is the reason.
	TagExempt = "source-identity-guard:exempt"
	// TagMode sets the mode for one role: audit, allow or require. It may raise or lower the
	// configured mode, except that a configured audit never writes.
	TagMode = "source-identity-guard:mode"
)

// Where a verdict's mode (or exemption) came from.
const (
	ModeSourceStack = "stack" // the configured mode
	ModeSourceTag   = "tag"   // a protected role tag
)

// Policy decides what should happen to a role. main builds it from the settings; the enforce
// and sweep functions share it so that an event and a sweep never judge a role differently.
type Policy struct {
	Mode               Mode
	Patterns           []string                    // SOURCE_IDENTITY_PATTERNS; nil means ["*"]
	ExemptRolePatterns []string                    // globs ('*', '?') on the name or path+name
	Federated          []trustpolicy.FederatedRule // a rule without Mode follows the role's mode
	SizeLimit          int                         // 0 means trustpolicy.DefaultSizeLimit
	// TrustTags: honour the source-identity-guard:* role tags. Only safe when an SCP stops role
	// owners from setting them (see docs/security.md); off by default.
	TrustTags bool
	// ManagementAccount is the organization's management account; "" when it could not be read,
	// and then no role is exempt for its AWS-given name (see awsroles.go).
	ManagementAccount string
	// OwnRoles are the guard's own roles, checked against the trust policy the stack gives them.
	OwnRoles []OwnRole
	// Promoted are the roles promoted to require (promotion.go): a role whose mode is allow is
	// judged under require.
	Promoted Promotions
}

// Verdict is Policy.Decide's judgement of one role.
type Verdict struct {
	Decision Decision
	Reason   string
	Mode     Mode // the mode the role was judged under (after a protected tag)
	// ModeSource is ModeSourceTag when a role tag set the mode or the exemption, else
	// ModeSourceStack.
	ModeSource string
	// ExemptBy is the kind of exemption of an Exempt verdict, a stable key a summary counts:
	// "guard-role", "pattern:GLOB", "aws-role:NAME" or "tag".
	ExemptBy string
	Findings []trustpolicy.Finding // never nil; for compliant roles informational ones only, empty for exempt roles
	Before   []byte                // the trust policy as read
	// After is the trust policy to write (Decision Patched, or Tampered outside audit) or that
	// would be written (WouldPatch); for Unfixable after IAM refused a write, the refused policy.
	After []byte
	// TagsMatter is set when the role's Tags were nil (not read) and its tags could change the
	// verdict: fetch them and decide again. The verdict then assumes the role has no tags.
	TagsMatter bool
}

// NeedsWrite reports whether the verdict asks its caller to write After.
func (v Verdict) NeedsWrite() bool {
	return (v.Decision == Patched || v.Decision == Tampered) && v.After != nil
}

// Decide judges one role. It is pure: it reads nothing but its arguments.
//
// Order: the guard's own roles (exempt while their trust policy is the stack's, else
// tampered); EXEMPT_ROLE_PATTERNS; AWS-created roles in their AWS-given shape; a role compliant
// under require is compliant whatever its tags say; then, when tags are trusted, the exempt tag
// and the mode tag; and the engine under the role's mode. A Patched verdict means After must be
// written; a configured audit gives WouldPatch instead and never asks for a write, whatever a
// tag says.
func (p Policy) Decide(r iamrole.Role) Verdict {
	v := Verdict{Mode: p.mode(), ModeSource: ModeSourceStack, Before: r.TrustPolicy, Findings: []trustpolicy.Finding{}}
	if own, ok := p.ownRole(r.Name); ok {
		if SamePolicy(r.TrustPolicy, own.TrustPolicy) {
			v.Decision, v.Reason, v.ExemptBy = Exempt, "the guard's own role, with the trust policy the stack gives it", "guard-role"
			return v
		}
		v.Decision = Tampered
		if p.mode() == ModeAudit {
			v.Reason = "the guard's own role has a trust policy other than the stack's (audit: not restored)"
			return v
		}
		v.Reason = "the guard's own role has a trust policy other than the stack's: restored"
		v.After = own.TrustPolicy
		return v
	}
	for _, g := range p.ExemptRolePatterns {
		if trustpolicy.Match(g, r.Name) || trustpolicy.Match(g, r.Path+r.Name) {
			v.Decision, v.Reason, v.ExemptBy = Exempt, fmt.Sprintf("matches exempt role pattern %q", g), "pattern:"+g
			return v
		}
	}
	key, reason, refused := p.awsRoleExemption(r.Name, r.Path, r.TrustPolicy)
	if key != "" {
		v.Decision, v.Reason, v.ExemptBy = Exempt, reason, key
		return v
	}
	v = p.judge(r, v)
	if refused != "" && v.Decision != Compliant {
		v.Reason += " (" + refused + ": judged like any other role)"
	}
	return v
}

// judge is Decide after the built-in exemptions: tags, then the engine.
func (p Policy) judge(r iamrole.Role, v Verdict) Verdict {
	doc, parseErr := trustpolicy.Parse(r.TrustPolicy)
	if fs := checkDoc(doc, parseErr, p.rules(ModeRequire)); parseErr == nil && trustpolicy.Compliant(fs) {
		v.Decision, v.Reason, v.Findings = Compliant, "trust policy requires a source identity", append(v.Findings, fs...) // informational only
		return v
	}

	var ignored []string
	if p.TrustTags {
		if r.Tags == nil {
			v.TagsMatter = true
		}
		if reason, ok := r.Tags[TagExempt]; ok {
			v.Decision, v.Reason, v.ExemptBy, v.ModeSource = Exempt, fmt.Sprintf("tag %s: %s", TagExempt, reason), "tag", ModeSourceTag
			return v
		}
		if s, ok := r.Tags[TagMode]; ok {
			m, err := ParseMode(s)
			if err != nil {
				v.Decision, v.ModeSource = Unfixable, ModeSourceTag
				v.Reason = fmt.Sprintf("tag %s has value %q: want audit, allow or require", TagMode, s)
				return v
			}
			v.Mode, v.ModeSource = m, ModeSourceTag
		}
	} else {
		for _, k := range []string{TagExempt, TagMode} {
			if _, ok := r.Tags[k]; ok {
				ignored = append(ignored, k)
			}
		}
	}
	v = p.promote(r.ARN, v) // allow -> require for a promoted role
	v = p.engine(doc, parseErr, v)
	if len(ignored) > 0 {
		v.Reason += fmt.Sprintf(" (tag %s ignored: role tags are not protected, see ProtectedTags)", strings.Join(ignored, ", "))
	}
	return v
}

// engine judges the parsed policy under v.Mode.
func (p Policy) engine(doc *trustpolicy.Document, parseErr error, v Verdict) Verdict {
	if parseErr != nil {
		v.Decision, v.Reason = Unfixable, "trust policy does not parse: "+parseErr.Error()
		return v
	}
	rules := p.rules(v.Mode)
	if v.Mode == ModeAllow {
		if fs := trustpolicy.Check(doc, rules); trustpolicy.Compliant(fs) {
			v.Decision, v.Reason, v.Findings = Compliant, "trust policy allows a source identity (mode allow)", append(v.Findings, fs...)
			return v
		}
	}
	fixed, findings := trustpolicy.Fix(doc, rules)
	if findings != nil {
		v.Findings = findings
	}
	if unfixed := unfixedCodes(findings); len(unfixed) > 0 {
		v.Decision, v.Reason = Unfixable, "needs a person: "+strings.Join(unfixed, ", ")
		return v
	}
	if fixed == doc {
		// Check found something that Fix neither fixed nor reported: an engine bug; never write.
		v.Decision, v.Reason = Unfixable, "engine found findings but produced no fix"
		return v
	}
	if left := trustpolicy.Check(fixed, rules); !trustpolicy.Compliant(left) {
		v.Decision, v.Reason = Unfixable, "engine fix leaves findings: "+strings.Join(codes(left), ", ")
		return v
	}
	after, err := fixed.MarshalJSON()
	if err != nil {
		v.Decision, v.Reason = Unfixable, "encode fixed trust policy: "+err.Error()
		return v
	}
	v.After = after
	switch {
	case p.mode() == ModeAudit:
		v.Decision, v.Reason = WouldPatch, fmt.Sprintf("audit: trust policy would be patched to %s a source identity", verb(v.Mode))
	case v.Mode == ModeAudit:
		v.Decision, v.Reason = WouldPatch, "audit (role tag): trust policy would be patched to require a source identity"
	default:
		v.Decision, v.Reason = Patched, fmt.Sprintf("trust policy patched to %s a source identity", v.Mode)
	}
	return v
}

// checkDoc is trustpolicy.Check for a document that parsed (nil otherwise).
func checkDoc(doc *trustpolicy.Document, parseErr error, r trustpolicy.Rules) []trustpolicy.Finding {
	if parseErr != nil {
		return nil
	}
	return trustpolicy.Check(doc, r)
}

func verb(m Mode) string {
	if m == ModeAllow {
		return "allow"
	}
	return "require"
}

// rules are the engine rules for a role judged under m.
func (p Policy) rules(m Mode) trustpolicy.Rules {
	em := m.engineMode()
	var fed []trustpolicy.FederatedRule
	if len(p.Federated) > 0 {
		fed = make([]trustpolicy.FederatedRule, len(p.Federated))
		for i, f := range p.Federated {
			if f.Mode == "" {
				f.Mode = em
			}
			fed[i] = f
		}
	}
	return trustpolicy.Rules{Mode: em, Patterns: p.Patterns, Federated: fed, SizeLimit: p.SizeLimit}
}

// unfixedCodes lists the codes of the findings Fix left open, the ones that need a person
// first: when a fix is refused (e.g. too-large), its fixable findings stay open too, and naming
// them would hide the reason.
func unfixedCodes(fs []trustpolicy.Finding) []string {
	var blocking, open []string
	for _, f := range fs {
		if f.Fixed || f.Code.Informational() {
			// Informational codes (unique-id-principal: IAM may or may not accept the stale id
			// on write, a refusal becomes unfixable with IAM's own message; any-aws-account)
			// never hold back a write.
			continue
		}
		open = append(open, string(f.Code))
		if !f.Code.Fixable() {
			blocking = append(blocking, string(f.Code))
		}
	}
	if len(blocking) > 0 {
		return dedupe(blocking)
	}
	return dedupe(open)
}

func codes(fs []trustpolicy.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f.Code)
	}
	return dedupe(out)
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// mode is the configured mode, ModeRequire when unset.
func (p Policy) mode() Mode {
	if p.Mode == "" {
		return ModeRequire
	}
	return p.Mode
}
