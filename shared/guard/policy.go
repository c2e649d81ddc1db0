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
	Exempt     Decision = "exempt"      // a built-in, configured or tag exemption applies
	Skipped    Decision = "skipped"     // not ours to judge (failed call, own change, role deleted)
	Unfixable  Decision = "unfixable"   // needs a person: conflict, too large, refused by IAM
	Failed     Decision = "failed"      // the guard could not act and a retry will not help (e.g. AccessDenied)
)

// Publishes reports whether a decision is sent to the findings bus. Compliant, exempt and
// skipped roles are not news.
func (d Decision) Publishes() bool {
	switch d {
	case Compliant, Exempt, Skipped:
		return false
	}
	return true
}

// Role tags the guard reads.
const (
	// TagExempt exempts a role; its value is the reason.
	TagExempt = "source-identity-guard:exempt"
	// TagMode overrides the configured mode for one role: audit, allow or require.
	TagMode = "source-identity-guard:mode"
)

// Policy decides what should happen to a role. main builds it from the settings; the enforce
// and sweep functions share it so that an event and a sweep never judge a role differently.
type Policy struct {
	Mode               Mode
	Patterns           []string                    // SOURCE_IDENTITY_PATTERNS; nil means ["*"]
	ExemptRolePatterns []string                    // globs ('*', '?') on the name or path+name
	Federated          []trustpolicy.FederatedRule // a rule without Mode follows the role's mode
	SizeLimit          int                         // 0 means trustpolicy.DefaultSizeLimit
	OwnRoleNames       []string                    // the guard's own roles: always exempt
}

// Verdict is Policy.Decide's judgement of one role.
type Verdict struct {
	Decision Decision
	Reason   string
	Mode     Mode                  // the mode the role was judged under (after the tag override)
	Findings []trustpolicy.Finding // never nil; for compliant roles informational ones only, empty for exempt roles
	Before   []byte                // the trust policy as read
	// After is the trust policy to write (Decision Patched) or that would be written
	// (WouldPatch); nil otherwise.
	After []byte
	// TagsMatter is set when the role's Tags were nil (not read) and its tags could change the
	// verdict: fetch them and decide again. The verdict then assumes the role has no tags.
	TagsMatter bool
}

// builtinExemptNames are role-name globs exempt in every account: AWS Control Tower roles
// (an SCP denies edits to them) and the Organizations break-glass role.
var builtinExemptNames = []struct{ glob, reason string }{
	{"aws-controltower-*", "AWS Control Tower role"},
	{"*AWSControlTower*", "AWS Control Tower role"},
	{"stacksets-exec-*", "AWS Control Tower role"},
	{"OrganizationAccountAccessRole", "Organizations break-glass role"},
}

// Decide judges one role. It is pure: it reads nothing but its arguments.
//
// Order: built-in exemptions (path, name, the guard's own roles, EXEMPT_ROLE_PATTERNS); a role
// compliant under require is compliant whatever its tags say; then the exempt tag, the mode tag,
// and the engine under the role's mode. A Patched verdict means After must be written; audit
// gives WouldPatch instead and never asks for a write.
func (p Policy) Decide(r iamrole.Role) Verdict {
	v := Verdict{Mode: p.mode(), Before: r.TrustPolicy, Findings: []trustpolicy.Finding{}}
	if reason, ok := p.builtinExemption(r); ok {
		v.Decision, v.Reason = Exempt, reason
		return v
	}

	doc, parseErr := trustpolicy.Parse(r.TrustPolicy)
	if fs := checkDoc(doc, parseErr, p.rules(ModeRequire)); parseErr == nil && trustpolicy.Compliant(fs) {
		v.Decision, v.Reason, v.Findings = Compliant, "trust policy requires a source identity", append(v.Findings, fs...) // informational only
		return v
	}

	if r.Tags == nil {
		v.TagsMatter = true
	}
	if reason, ok := r.Tags[TagExempt]; ok {
		v.Decision, v.Reason = Exempt, fmt.Sprintf("tag %s: %s", TagExempt, reason)
		return v
	}
	if s, ok := r.Tags[TagMode]; ok {
		m, err := ParseMode(s)
		if err != nil {
			v.Decision = Unfixable
			v.Reason = fmt.Sprintf("tag %s has value %q: want audit, allow or require", TagMode, s)
			return v
		}
		v.Mode = m
	}
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
	if v.Mode == ModeAudit {
		v.Decision, v.Reason = WouldPatch, "audit: trust policy would be patched to require a source identity"
	} else {
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

// builtinExemption reports the exemptions that need no tags.
func (p Policy) builtinExemption(r iamrole.Role) (reason string, ok bool) {
	switch {
	case strings.HasPrefix(r.Path, "/aws-service-role/"):
		return "service-linked role (path /aws-service-role/)", true
	case strings.HasPrefix(r.Path, "/aws-reserved/"):
		return "AWS-reserved role, e.g. IAM Identity Center (path /aws-reserved/)", true
	}
	for _, own := range p.OwnRoleNames {
		if r.Name == own {
			return "the guard's own role", true
		}
	}
	for _, e := range builtinExemptNames {
		if Match(e.glob, r.Name) {
			return e.reason, true
		}
	}
	for _, g := range p.ExemptRolePatterns {
		if Match(g, r.Name) || Match(g, r.Path+r.Name) {
			return fmt.Sprintf("matches exempt role pattern %q", g), true
		}
	}
	return "", false
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

// Match reports whether s matches glob, where '*' matches any run of characters (including
// '/') and '?' any one character. Matching is case-sensitive, like IAM ARN matching.
func Match(glob, s string) bool {
	// Iterative wildcard matching with backtracking to the last '*'.
	gi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case gi < len(glob) && (glob[gi] == '?' || glob[gi] == s[si]):
			gi++
			si++
		case gi < len(glob) && glob[gi] == '*':
			star, mark = gi, si
			gi++
		case star >= 0:
			gi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for gi < len(glob) && glob[gi] == '*' {
		gi++
	}
	return gi == len(glob)
}

// mode is the configured mode, ModeRequire when unset.
func (p Policy) mode() Mode {
	if p.Mode == "" {
		return ModeRequire
	}
	return p.Mode
}
